//! `cachestorm check`: runs scenario files and judges their `[[expect]]` entries and, with
//! `--baseline`, a saved baseline; writes JUnit XML for every outcome, refusals included.
//!
//! Everything that can be refused is refused before anything is simulated: the files, the
//! metric names (with a suggestion for a typo), the baselines (unreadable, malformed, a
//! strategy twice; with `--strict-baseline`, one saved from another version of the file), and
//! every output path (`--junit`, the `--save-baseline` folder). Baselines are saved only once
//! every scenario has been judged, so a refusal never leaves some saved and others not.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{check_writable_file, finish, plan_all, simulate_with_progress, warn_before_running};
use super::{writable_folder, CommandError};
use crate::cli::CheckArgs;
use crate::console::{self, Stdout};
use crate::report::junit::{self, Outcome, Suite, TestCase};
use crate::scenario::{self, Scenario, ScenarioError};
use crate::text;
use crate::workflow::check::{self, Baseline, Verdict};

/// Why `check` stopped, and where: one place per error (several when several files are
/// refused), each with the file and the field when known, for the JUnit error cases.
struct Stopped {
    error: CommandError,
    places: Vec<Place>,
}

/// One error of a [`Stopped`] check.
struct Place {
    file: Option<String>,
    field: Option<String>,
    message: String,
}

impl From<CommandError> for Stopped {
    fn from(error: CommandError) -> Self {
        let message = format!("{error:#}");
        Stopped {
            error,
            places: vec![Place {
                file: None,
                field: None,
                message,
            }],
        }
    }
}

impl From<anyhow::Error> for Stopped {
    fn from(error: anyhow::Error) -> Self {
        CommandError::Other(error).into()
    }
}

/// A refusal of `field` (if any) of `file`: the message names both.
fn refused(file: &Path, field: Option<&str>, message: String) -> Stopped {
    Stopped {
        places: vec![Place {
            file: Some(file.display().to_string()),
            field: field.map(String::from),
            message: message.clone(),
        }],
        error: CommandError::Input(message),
    }
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
            suites.push(error_suite(&stopped));
            Err(stopped.error)
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

/// The suite of a check that stopped: an `<error>` case per error, naming the file and the
/// field.
fn error_suite(stopped: &Stopped) -> Suite {
    let kind = match stopped.error {
        CommandError::Input(_) => "input refused",
        _ => "error",
    };
    let cases = stopped
        .places
        .iter()
        .map(|place| {
            let name = match &place.file {
                Some(f) => format!("{kind}: {f}"),
                None => kind.to_string(),
            };
            let mut case = TestCase::new(
                &name,
                "cachestorm.check",
                Outcome::Error(place.message.clone()),
            );
            if let Some(f) = &place.file {
                case.properties.push(("file".into(), f.clone()));
            }
            if let Some(f) = &place.field {
                case.properties.push(("field".into(), f.clone()));
            }
            case
        })
        .collect();
    Suite {
        name: "cachestorm check".into(),
        properties: Vec::new(),
        cases,
    }
}

/// Loads, refuses or runs and judges every file, adding one suite per scenario judged;
/// returns how many judgements were made (skipped ones left out).
fn judge_all(args: &CheckArgs, suites: &mut Vec<Suite>) -> Result<usize, Stopped> {
    let mut scenarios = load(args)?;
    // A file with nothing to check is left out (said aloud); none at all is an error.
    let nothing = |s: &Scenario| {
        s.study.expectations.is_empty() && args.baseline.is_none() && args.save_baseline.is_none()
    };
    if scenarios.iter().all(nothing) {
        return Err(CommandError::Input(
            "nothing to check: no file has [[expect]] entries, and no --baseline or --save-baseline was given"
                .into(),
        )
        .into());
    }
    for s in scenarios.iter().filter(|s| nothing(s)) {
        console::warn(&format!(
            "{}: no [[expect]] entries: not run",
            s.file.display()
        ));
    }
    scenarios.retain(|s| !nothing(s));
    // Everything that can be refused is refused before anything runs.
    let mut saved = Vec::new();
    for s in &scenarios {
        if let Some((field, message)) = check::unknown_metric(s) {
            return Err(refused(&s.file, Some(&field), message));
        }
        if let Some(name) = &args.save_baseline {
            let path = baseline_file(&args.baselines, &s.name, name)?;
            baseline_folder_writable(&path)?;
        }
        saved.push(match &args.baseline {
            None => None,
            Some(name) => {
                let b = read_baseline(args, s, name)?;
                if args.strict_baseline {
                    if let Some(message) = check::strict_mismatch(s, &b, name) {
                        return Err(refused(&s.file, None, message));
                    }
                }
                Some(b)
            }
        });
    }
    for s in &scenarios {
        warn_before_running(s);
    }
    let plans = plan_all(&mut scenarios, args.max_memory)?;
    let mut out = Stdout::default();
    let mut judged_count = 0;
    let mut to_save: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for ((s, plan), baseline) in scenarios.iter().zip(&plans).zip(&saved) {
        let started = std::time::Instant::now();
        let study = simulate_with_progress(s, plan).map_err(|error| {
            let mut stopped = Stopped::from(error);
            stopped.places[0].file = Some(s.file.display().to_string());
            stopped
        })?;
        let check::Judged {
            judged,
            notes,
            properties,
        } = check::judge_study(&study, s, baseline.as_ref().zip(args.baseline.as_deref()));
        if let Some(name) = &args.save_baseline {
            let path = baseline_file(&args.baselines, &s.name, name)?;
            let bytes = serde_json::to_vec_pretty(&Baseline::of(&study, &s.source_sha256))
                .context("encoding the baseline")?;
            to_save.push((path, bytes));
        }
        out.print(&check::table(
            &s.name,
            study.replications(),
            &notes,
            &judged,
        ));
        out.print("\n");
        let seconds = started.elapsed().as_secs_f64() / judged.len().max(1) as f64;
        let classname = format!("cachestorm.{}", s.name);
        let cases = judged
            .iter()
            .map(|j| {
                let outcome = match j.verdict {
                    Verdict::Pass => Outcome::Passed,
                    Verdict::Fail | Verdict::NoData => Outcome::Failed(j.detail.clone()),
                    Verdict::Skipped => Outcome::Skipped(j.detail.clone()),
                };
                TestCase {
                    time_s: seconds,
                    properties: j.properties.clone(),
                    // A failure or a skip says it in its message already.
                    system_out: if j.verdict == Verdict::Pass {
                        j.detail.clone()
                    } else {
                        String::new()
                    },
                    ..TestCase::new(&j.expectation, &classname, outcome)
                }
            })
            .collect();
        judged_count += judged
            .iter()
            .filter(|j| j.verdict != Verdict::Skipped)
            .count();
        suites.push(Suite {
            name: s.name.clone(),
            properties,
            cases,
        });
    }
    for (path, bytes) in &to_save {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        super::write_file_atomically(path, bytes)?;
        out.print(&format!(
            "saved baseline `{}` to {}\n",
            args.save_baseline.as_deref().unwrap_or_default(),
            text::escape(&path.display().to_string())
        ));
    }
    finish(out)?;
    Ok(judged_count)
}

/// Loads every file with the command line's overrides; nothing runs until all are valid.
/// Every file that cannot be loaded is reported, not only the first.
fn load(args: &CheckArgs) -> Result<Vec<Scenario>, Stopped> {
    let mut loaded = Vec::new();
    let mut places = Vec::new();
    for file in &args.files {
        match scenario::load(file) {
            Ok(s) => loaded.push((file, s)),
            Err(e) => places.push(Place {
                file: Some(file.display().to_string()),
                field: match &e {
                    ScenarioError::Field { field, .. } => Some(field.clone()),
                    _ => None,
                },
                message: e.to_string(),
            }),
        }
    }
    if !places.is_empty() {
        let all: Vec<&str> = places.iter().map(|p| p.message.as_str()).collect();
        return Err(Stopped {
            error: CommandError::Input(all.join("\n")),
            places,
        });
    }
    let mut scenarios: Vec<Scenario> = Vec::new();
    for (file, mut s) in loaded {
        if let Some(seed) = args.seed {
            s.seed = seed;
        }
        if let Some(r) = args.replications {
            s.study.replications = r;
        }
        let baselines = args.baseline.is_some() || args.save_baseline.is_some();
        if let Some(other) = scenarios
            .iter()
            .find(|o| o.name == s.name)
            .filter(|_| baselines)
        {
            return Err(refused(
                file,
                Some("name"),
                format!(
                    "{}: scenario name `{}` is also used by {}; both would use the same baselines ({}/{})",
                    file.display(),
                    s.name,
                    other.file.display(),
                    text::escape(&args.baselines.display().to_string()),
                    s.name
                ),
            ));
        }
        scenarios.push(s);
    }
    Ok(scenarios)
}

/// Reads and checks baseline `name` of scenario `s`.
fn read_baseline(args: &CheckArgs, s: &Scenario, name: &str) -> Result<Baseline, Stopped> {
    let path = baseline_file(&args.baselines, &s.name, name)?;
    check::read_baseline(&path, s, name)
        .map_err(|(field, message)| refused(&s.file, field.as_deref(), message))
}

/// [`check::baseline_file`], a name refused with exit 2.
fn baseline_file(dir: &Path, scenario: &str, name: &str) -> Result<PathBuf, CommandError> {
    check::baseline_file(dir, scenario, name).map_err(CommandError::Input)
}

/// Refuses (exit 2) a baseline path that cannot be written: the path is a folder, or the
/// nearest existing folder above it is not a writable folder (the missing ones are created
/// when the baseline is saved).
fn baseline_folder_writable(path: &Path) -> Result<(), CommandError> {
    let shown = || text::escape(&path.display().to_string()).into_owned();
    if path.is_dir() {
        return Err(CommandError::Input(format!(
            "--save-baseline: {} is a folder; remove it or choose another name",
            shown()
        )));
    }
    let mut dir = path.parent();
    while let Some(d) = dir {
        let d = if d.as_os_str().is_empty() {
            Path::new(".")
        } else {
            d
        };
        if d.exists() {
            return writable_folder(d).map_err(|why| {
                CommandError::Input(format!(
                    "--save-baseline: cannot save {}: {} {why} (--baselines chooses another folder)",
                    shown(),
                    text::escape(&d.display().to_string())
                ))
            });
        }
        dir = d.parent();
    }
    Ok(())
}
