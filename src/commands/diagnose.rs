//! `diagnose`: reads the arguments, runs [`crate::workflow::diagnose`] and prints its report
//! ([`crate::report::diagnosis`]); with `--out`, has the workflow write the runs and
//! `report.html` with the checked advice.

use anyhow::Context;

use super::{finish, CommandError, Progress};
use crate::cli::DiagnoseArgs;
use crate::console::{self, Stdout};
use crate::report::diagnosis;
use crate::workflow::diagnose::{self, Request};
use crate::workflow::run::{self, Folder};
use crate::workflow::Meter;

pub(super) fn diagnose(args: DiagnoseArgs) -> Result<(), CommandError> {
    // The output folder is claimed before anything runs, so a busy one fails at once.
    let dir = match &args.out {
        None => None,
        Some(out) => {
            let s = crate::scenario::load(&args.file)
                .map_err(|e| CommandError::Input(e.to_string()))?;
            let folder = Folder {
                name: format!("{}-diagnose", s.name),
                what: format!("`diagnose` of scenario `{}`", s.name),
                scenario: s.name,
            };
            run::prepare_outputs(out, &[folder])?.pop()
        }
    };
    let request = Request {
        file: args.file.clone(),
        strategy: args.strategy.clone(),
        replications: args.replications,
        seed: args.seed,
        budget: run::memory_budget(args.max_memory),
    };
    let report = diagnose::run(
        &request,
        &|name, total_s| Box::new(Progress::new(name, total_s)) as Box<dyn Meter>,
        &mut |w| console::warn(w),
    )?;
    let mut out = Stdout::default();
    if args.json {
        let line =
            serde_json::to_string(&diagnosis::json(&report)).context("encoding the diagnosis")?;
        out.print(&format!("{line}\n"));
    } else {
        out.print(&diagnosis::text(&report));
    }
    if let Some(dir) = dir {
        let written = diagnose::write(&report, &args.file, dir)?;
        if !args.json {
            super::print_written(&mut out, report.scenario.seed, &written);
        }
    }
    finish(out)
}
