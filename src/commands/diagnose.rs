//! `diagnose`: reads the arguments, runs [`crate::workflow::diagnose`] and prints its report
//! ([`crate::report::diagnosis`]).

use anyhow::Context;

use super::{finish, memory_budget, CommandError, Progress};
use crate::cli::DiagnoseArgs;
use crate::console::{self, Stdout};
use crate::report::diagnosis;
use crate::workflow::diagnose::{self, Request};
use crate::workflow::Meter;

pub(super) fn diagnose(args: DiagnoseArgs) -> Result<(), CommandError> {
    let request = Request {
        file: args.file,
        strategy: args.strategy,
        replications: args.replications,
        seed: args.seed,
        budget: memory_budget(args.max_memory),
    };
    let report = diagnose::run(&request, &|name, total_s| {
        Box::new(Progress::new(name, total_s)) as Box<dyn Meter>
    })?;
    for w in &report.warnings {
        console::warn(w);
    }
    let mut out = Stdout::default();
    if args.json {
        let line =
            serde_json::to_string(&diagnosis::json(&report)).context("encoding the diagnosis")?;
        out.print(&format!("{line}\n"));
    } else {
        out.print(&diagnosis::text(&report));
    }
    finish(out)
}
