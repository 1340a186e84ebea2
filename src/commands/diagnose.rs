//! `diagnose`: reads the arguments, runs [`crate::workflow::diagnose`] and prints its report
//! ([`crate::report::diagnosis`]); with `--out`, writes the runs and `report.html` with the
//! checked advice.

use anyhow::Context;

use super::{finish, CommandError, Progress};
use crate::cli::DiagnoseArgs;
use crate::console::{self, Stdout};
use crate::report::{self, diagnosis, ImageFormat};
use crate::workflow::diagnose::{self, Report, Request};
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
        let html = page(&report, &args)?;
        let outputs = run::Outputs {
            format: ImageFormat::Png,
            charts: true,
            report: None,
        };
        let written = run::write_outputs(
            &report.study,
            &report.scenario,
            dir,
            outputs,
            vec![(report::html::FILE.to_string(), html)],
        )?;
        if !args.json {
            super::print_written(&mut out, report.scenario.seed, &written);
        }
    }
    finish(out)
}

/// `report.html` of the runs `diagnose` made, with its checked advice.
fn page(r: &Report, args: &DiagnoseArgs) -> Result<Vec<u8>, CommandError> {
    let svg = report::charts::render_study(&r.study, ImageFormat::Svg)
        .context("drawing the charts of report.html")?;
    let text = std::fs::read_to_string(&args.file).ok();
    let file = args.file.to_string_lossy();
    let command = format!(
        "cachestorm diagnose {} --strategy {} --seed {} --replications {} --out DIR",
        report::html::shell_word(&file),
        report::html::shell_word(&r.base),
        r.scenario.seed,
        r.study.replications()
    );
    let page = report::html::Page {
        scenario_file: &file,
        scenario_text: text.as_deref(),
        command: &command,
        svg_charts: &svg,
        advice: Some(r),
    };
    Ok(report::html::report(&r.study, &page))
}
