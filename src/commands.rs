//! What each subcommand does: arguments turned into a request, the workflow called, its
//! results printed. `main` only maps the result to an exit code. `check` lives in [`check`],
//! `sweep` and `merge` in [`sweep`]; the workflows themselves (planning, running and writing a
//! run's outputs, judging, searching, merging) in [`crate::workflow`].

mod check;
mod diagnose;
mod fit;
mod phase;
mod sweep;

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{Cli, Command, FanoutArgs, RunArgs, ValidateArgs};
use crate::console::{self, Stdout};
use crate::experiment;
use crate::report;
use crate::scenario::{self, Scenario};
use crate::text;
use crate::workflow::run::{self, memory_budget, Folder};
use crate::workflow::Meter;

/// How a command failed, which decides the exit code.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Bad input: a scenario file, a field or an argument (exit code 2).
    #[error("{0}")]
    Input(String),
    /// `check`: an expectation failed or had no data (exit code 3).
    #[error("{0}")]
    Expectation(String),
    /// Anything else (exit code 1).
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl CommandError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            CommandError::Input(_) => 2,
            CommandError::Expectation(_) => 3,
            CommandError::Other(_) => 1,
        }
    }
}

impl From<crate::workflow::WorkflowError> for CommandError {
    fn from(e: crate::workflow::WorkflowError) -> Self {
        match e {
            crate::workflow::WorkflowError::Input(m) => CommandError::Input(m),
            crate::workflow::WorkflowError::Other(e) => CommandError::Other(e),
        }
    }
}

/// Runs the parsed command line.
pub fn execute(cli: Cli) -> Result<(), CommandError> {
    match cli.command {
        Command::Run(args) => run(args),
        Command::Validate(args) => validate(args),
        Command::Check(args) => check::check(args),
        Command::Fanout(args) => fanout(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Merge(args) => sweep::merge(args),
        Command::Phase(args) => phase::phase(args),
        Command::Fit(args) => fit::fit(args),
        Command::Diagnose(args) => diagnose::diagnose(args),
    }
}

fn validate(args: ValidateArgs) -> Result<(), CommandError> {
    let mut out = Stdout::default();
    let mut failures = Vec::new();
    let (budget, source) = memory_budget(None);
    for file in &args.files {
        match scenario::load(file) {
            Ok(mut s) => {
                // Planned as `run` would plan it, so the threads shown are those it would use.
                let cost = match run::describe_plan(&mut s, budget, &source) {
                    Ok(plan) => format!("; {plan}"),
                    Err(e) => {
                        console::warn(&format!("`run` would refuse it: {e}"));
                        String::new()
                    }
                };
                out.print(&format!(
                    "ok: {} (scenario `{}`, {} strateg{}, {} simulated{cost})\n",
                    text::escape(&file.display().to_string()),
                    s.name,
                    s.strategies.len(),
                    if s.strategies.len() == 1 { "y" } else { "ies" },
                    s.base.duration
                ));
                warn_before_running(&s);
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    if failures.is_empty() {
        finish(out)
    } else {
        Err(CommandError::Input(failures.join("\n")))
    }
}

/// Loads every file and applies the command-line overrides ([`run::prepare`]), saying its
/// warnings; nothing runs until all are valid.
fn prepare(req: &run::Request) -> Result<(Vec<Scenario>, Vec<Folder>), CommandError> {
    Ok(run::prepare(req, &mut |m| console::warn(m))?)
}

/// Says the warnings about a scenario worth reading before it runs.
fn warn_before_running(s: &Scenario) {
    for w in run::warnings_before_running(s) {
        console::warn(&w);
    }
}

/// Plans every scenario within the memory budget (see [`run::plan_all`]), saying its warnings.
fn plan_all(
    scenarios: &mut [Scenario],
    max_memory: Option<u64>,
) -> Result<Vec<experiment::Plan>, CommandError> {
    Ok(run::plan_all(scenarios, max_memory, &mut |m| {
        console::warn(m)
    })?)
}

/// A progress bar for a scenario's runs, named `name`, over `length`.
fn run_meter(name: &str, length: run::Length) -> Box<dyn Meter> {
    Box::new(match length {
        run::Length::Simulated(total_s) => Progress::new(name, total_s),
        run::Length::Records(records) => Progress::over_records(name, records),
    })
}

fn run(args: RunArgs) -> Result<(), CommandError> {
    let (mut scenarios, folders) = prepare(&run::Request {
        files: &args.files,
        seed: args.seed,
        replications: args.replications,
        strategies: &args.strategies,
    })?;
    if let Some(path) = &args.export_markdown {
        check_writable_file(path, "--export-markdown")?;
    }
    for s in &scenarios {
        warn_before_running(s);
    }
    let plans = plan_all(&mut scenarios, args.max_memory)?;
    let dirs = run::prepare_outputs(&args.out, &folders)?;
    let mut out = Stdout::default();
    let mut markdown = String::new();
    let outputs = run::Outputs {
        format: args.format,
        charts: !args.no_charts,
        report: (!args.no_report).then_some(args.strategies.as_slice()),
    };
    run::simulate_and_write(&scenarios, dirs, &plans, outputs, &run_meter, &mut |done| {
        print_run(&mut out, &mut markdown, &args, done)
    })?;
    if let Some(path) = &args.export_markdown {
        write_file_atomically(path, markdown.as_bytes())?;
    }
    finish(out)
}

/// Prints what `cachestorm run` says of one scenario's `done` study (its table or JSON line,
/// warnings and the files written) and adds its Markdown to `markdown`.
fn print_run(
    out: &mut Stdout,
    markdown: &mut String,
    args: &RunArgs,
    (study, s, written): run::Written,
) -> Result<(), CommandError> {
    let result = study.first();
    if !markdown.is_empty() {
        markdown.push('\n');
    }
    markdown.push_str(&report::json::markdown(&study));
    if args.json {
        let line = serde_json::to_string(&report::json::summary(&study))
            .context("encoding the summary")?;
        out.print(&format!("{line}\n"));
    } else if study.replications() > 1 {
        out.print(&report::table::replications(&study));
    } else {
        out.print(&report::table::headline(&study));
    }
    for w in run::warnings_after_running(&study, s) {
        console::warn(&w);
    }
    if !args.json {
        print_written(out, result.seed, &written);
    }
    Ok(())
}

/// Refuses (exit 2) a path for a file of ours whose folder does not exist, cannot be written
/// or that names a folder, before anything runs.
fn check_writable_file(path: &std::path::Path, flag: &str) -> Result<(), CommandError> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let shown = || text::escape(&path.display().to_string()).into_owned();
    if path.is_dir() || !parent.is_dir() {
        return Err(CommandError::Input(format!(
            "{flag} {}: must be a file in an existing folder",
            shown()
        )));
    }
    report::write::writable_folder(parent).map_err(|why| {
        CommandError::Input(format!(
            "{flag} {}: cannot write there: {} {why}",
            shown(),
            text::escape(&parent.display().to_string())
        ))
    })
}

/// Writes `bytes` to `path` whole or not at all ([`report::write::write_file`]); a failure is
/// exit 1, naming the file.
fn write_file_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<(), CommandError> {
    report::write::write_file(path, bytes)
        .with_context(|| format!("writing {}", path.display()))
        .map_err(CommandError::Other)
}

/// Ends a command's printing: exit 1 if standard output failed (a closed pipe is not a failure).
fn finish(out: Stdout) -> Result<(), CommandError> {
    out.finish()
        .context("cannot write to standard output")
        .map_err(CommandError::Other)
}

fn fanout(args: FanoutArgs) -> Result<(), CommandError> {
    let bad = |m: String| Err(CommandError::Input(m));
    if args.deps.is_none() && args.hit_rate.is_none() && args.scenario.is_none() {
        return bad("fanout needs --deps and/or --hit-rate, or --scenario FILE (see cachestorm fanout --help)".into());
    }
    if let Some(k) = args.deps {
        if !(1..=1000).contains(&k) {
            return bad(format!("--deps must be from 1 to 1000, got {k}"));
        }
    }
    if let Some(h) = args.hit_rate {
        if !(0.0..=1.0).contains(&h) {
            return bad(format!(
                "--hit-rate must be a probability from 0 to 1, got {h}"
            ));
        }
    }
    if !(args.target > 0.0 && args.target <= 1.0) {
        return bad(format!(
            "--target must be a probability greater than 0 and at most 1, got {}",
            args.target
        ));
    }
    let analytic = report::fanout::analytic_report(args.deps, args.hit_rate, args.target);
    let mut out = Stdout::default();
    out.print(&analytic);
    let Some(file) = &args.scenario else {
        return finish(out);
    };
    let (mut scenarios, folders) = prepare(&run::Request {
        files: std::slice::from_ref(file),
        seed: args.seed,
        replications: None,
        strategies: &[],
    })?;
    let mut scenario = scenarios.remove(0);
    warn_before_running(&scenario);
    let plan = plan_all(std::slice::from_mut(&mut scenario), args.max_memory)?.remove(0);
    let dir = run::prepare_outputs(&args.out, &folders)?.remove(0);
    let study = run::simulate(&scenario, &plan, &run_meter)?;
    let result = study.first();
    let rows = report::fanout::rows(result);
    let extra = run::fanout_files(&result.name, &rows, args.format)?;
    let outputs = run::Outputs {
        format: args.format,
        charts: true,
        report: None,
    };
    let written = run::write_outputs(&study, &scenario, dir, outputs, extra)?;
    if !analytic.is_empty() {
        out.print("\n");
    }
    out.print(&report::fanout::table(&rows));
    print_written(&mut out, result.seed, &written);
    finish(out)
}

/// Prints `seed N; wrote DIR/{files}`; the manifest, always last, is not listed.
fn print_written(out: &mut Stdout, seed: u64, written: &[PathBuf]) {
    let Some(dir) = written.first().and_then(|p| p.parent()) else {
        return;
    };
    let names: Vec<String> = written
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|n| n != report::MANIFEST)
        .collect();
    out.print(&format!(
        "seed {seed}; wrote {}/{{{}}}\n\n",
        text::escape(&dir.display().to_string()),
        names.join(", ")
    ));
}

/// A progress bar over simulated time, on standard error when it is a terminal (hidden
/// otherwise).
struct Progress {
    bar: ProgressBar,
    events: std::sync::atomic::AtomicU64,
    /// Whether the bar counts trace records read instead of simulated microseconds.
    records: bool,
}

impl Progress {
    /// A bar named `prefix` (escaped here) for `total_s` seconds of simulated time.
    fn new(prefix: &str, total_s: f64) -> Progress {
        Progress::with_length(prefix, (total_s * 1e6) as u64, "simulated", false)
    }

    /// A bar named `prefix` over `records` records of replayed traces (every run's).
    fn over_records(prefix: &str, records: f64) -> Progress {
        Progress::with_length(prefix, records as u64, "of the trace read", true)
    }

    fn with_length(prefix: &str, length: u64, what: &str, records: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(
            Some(length),
            if std::io::stderr().is_terminal() {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::hidden()
            },
        );
        bar.set_style(
            ProgressStyle::with_template(
                &format!("{{prefix}} [{{bar:30}}] {{percent}}% {what}, {{elapsed}} elapsed, about {{eta}} left ({{msg}})"),
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(text::escape(prefix).into_owned());
        bar.set_message("starting");
        Progress {
            bar,
            events: std::sync::atomic::AtomicU64::new(0),
            records,
        }
    }

    /// Moves the bar by what a run reports. Runs report every few tens of thousands of
    /// events, so the bar moves (and the estimate of the time left settles) even when
    /// simulated time advances slowly.
    fn advance(&self, p: crate::workflow::RunProgress) {
        self.bar.inc(if self.records {
            p.trace_records
        } else {
            (p.simulated_s * 1e6) as u64
        });
        let n = self
            .events
            .fetch_add(p.events, std::sync::atomic::Ordering::Relaxed)
            + p.events;
        self.bar
            .set_message(format!("{:.1} M events", n as f64 / 1e6));
    }

    /// Removes the bar.
    fn finish(self) {
        self.bar.finish_and_clear();
    }
}

impl crate::workflow::Meter for Progress {
    fn advance(&self, p: crate::workflow::RunProgress) {
        Progress::advance(self, p);
    }

    fn finish(self: Box<Self>) {
        Progress::finish(*self);
    }
}
