//! `cachestorm check`: runs scenario files and judges their `[[expect]]` entries and, with
//! `--baseline`, a saved baseline; writes JUnit XML for every outcome, refusals included.
//!
//! Everything that can be refused is refused before anything is simulated: the files, the
//! metric names (with a suggestion for a typo), the baselines (unreadable, malformed, a
//! strategy twice; with `--strict-baseline`, one saved from another version of the file), and
//! every output path (`--junit`, the `--save-baseline` folder). Baselines are saved only once
//! every scenario has been judged, so a refusal never leaves some saved and others not. The
//! check itself is [`check::judge_all`]; this command reads the arguments, lends it the
//! terminal and the progress bars ([`Terminal`]), and writes the JUnit report.

use super::CommandError;
use super::{check_writable_file, finish, run_meter, warn_before_running};
use crate::cli::CheckArgs;
use crate::console::{self, Stdout};
use crate::experiment::{Plan, StudyResult};
use crate::report::junit::{self, Outcome, Suite};
use crate::scenario::Scenario;
use crate::workflow::check::{self, Stopped};
use crate::workflow::run;
use crate::workflow::WorkflowError;

/// The command's side of a check: standard output, warnings on standard error, progress bars
/// and the memory plan.
struct Terminal {
    out: Stdout,
}

/// A command's error as a workflow's (a check never meets an expectation's failure inside).
fn workflow_error(e: CommandError) -> WorkflowError {
    match e {
        CommandError::Input(m) => WorkflowError::Input(m),
        CommandError::Expectation(m) => WorkflowError::Other(anyhow::anyhow!(m)),
        CommandError::Other(e) => WorkflowError::Other(e),
    }
}

impl check::Host for Terminal {
    fn warn(&mut self, message: &str) {
        console::warn(message);
    }

    fn before_running(&mut self, s: &Scenario) {
        warn_before_running(s);
    }

    fn plan(
        &mut self,
        scenarios: &mut [Scenario],
        max_memory: Option<u64>,
    ) -> Result<Vec<Plan>, WorkflowError> {
        run::plan_all(scenarios, max_memory, &mut |m| console::warn(m))
    }

    fn simulate(&mut self, s: &Scenario, plan: &Plan) -> Result<StudyResult, WorkflowError> {
        run::simulate(s, plan, &run_meter)
    }

    fn print(&mut self, text: &str) {
        self.out.print(text);
    }
}

/// Runs and judges the files (see [`check::judge_all`]); standard output checked at the end.
fn judge_all(args: &CheckArgs, suites: &mut Vec<Suite>) -> Result<usize, Stopped> {
    let request = check::Request {
        files: args.files.clone(),
        seed: args.seed,
        replications: args.replications,
        baseline: args.baseline.clone(),
        save_baseline: args.save_baseline.clone(),
        strict_baseline: args.strict_baseline,
        baselines: args.baselines.clone(),
        max_memory: args.max_memory,
    };
    let mut terminal = Terminal {
        out: Stdout::default(),
    };
    let judged = check::judge_all(&request, &mut terminal, suites)?;
    finish(terminal.out).map_err(|e| Stopped::from(workflow_error(e)))?;
    Ok(judged)
}

pub(super) fn check(args: CheckArgs) -> Result<(), CommandError> {
    // The JUnit file is written whatever happens next, so its path is checked first of all.
    if let Some(path) = &args.junit {
        check_writable_file(path, "--junit")?;
    }
    let mut suites = Vec::new();
    let outcome = judge_all(&args, &mut suites);
    let result = match outcome {
        Ok(cases) => {
            let failed = suites
                .iter()
                .flat_map(|s: &Suite| &s.cases)
                .filter(|c| matches!(c.outcome, Outcome::Failed(_)))
                .count();
            if failed > 0 {
                Err(CommandError::Expectation(format!(
                    "{failed} of {cases} expectation{} not met",
                    if cases == 1 { "" } else { "s" }
                )))
            } else {
                Ok(())
            }
        }
        Err(stopped) => {
            suites.push(stopped.suite());
            Err(stopped.error.into())
        }
    };
    if let Some(path) = &args.junit {
        let xml = junit::junit_xml("cachestorm check", &suites);
        if let Err(e) = super::write_file_atomically(path, xml.as_bytes()) {
            // The check's own error, if any, matters more than the report's.
            if result.is_ok() {
                return Err(e);
            }
            console::warn(&format!("{e:#}"));
        }
    }
    result
}
