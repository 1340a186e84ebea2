//! `cachestorm phase`: the arguments read and checked, the map run and printed. The workflow
//! lives in [`crate::workflow::phase`]; the charts in [`crate::report::charts::phase`].

use super::{finish, CommandError, Progress};
use crate::cli::PhaseArgs;
use crate::console::{self, Stdout};
use crate::text;
use crate::workflow::phase::output::{self, Map};
use crate::workflow::phase::{self, files, Phase};
use crate::workflow::run::default_memory_budget;
use crate::workflow::Meter;

fn input(message: String) -> CommandError {
    CommandError::Input(message)
}

pub(super) fn phase(args: PhaseArgs) -> Result<(), CommandError> {
    let text = crate::scenario::read_text(&args.file).map_err(|e| input(e.to_string()))?;
    let horizon = match &args.horizon {
        None => None,
        Some(h) => Some(
            crate::scenario::duration::parse_duration(h)
                .ok()
                .filter(|d| d.0 > 0)
                .ok_or_else(|| {
                    input(format!(
                        "--horizon: `{}` is not a positive duration such as 60s or 2m",
                        text::quote(&text::shorten(h, 40))
                    ))
                })?,
        ),
    };
    let map = Phase::new(
        &args.file,
        text,
        &args.load,
        args.trigger.as_deref(),
        args.seed,
        args.seeds,
        args.strategies.clone(),
        horizon,
    )
    .map_err(input)?;
    let budget = args.max_memory.unwrap_or_else(default_memory_budget);
    let checked = phase::check(&map, budget)?;
    let map = map
        .with_effort(
            args.adaptive,
            args.budget,
            args.shard,
            checked.first.strategies.len(),
        )
        .map_err(input)?;
    for w in &checked.warnings {
        console::warn(w);
    }
    let s = &checked.first;
    let folder = files::folder(&s.name, args.shard);
    let dir = files::claim(&args.out, &folder, &s.name)?;

    let (verdicts, effort) = phase::run(&map, &checked, &|name, total_s| {
        Box::new(Progress::new(name, total_s)) as Box<dyn Meter>
    })?;
    let result = Map::of(&map, &checked, &verdicts, args.format);

    let mut stdout = Stdout::default();
    let written = match args.shard {
        None => {
            let written = files::write(dir, &result, args.format, !args.no_charts)?;
            stdout.print(&output::report(&result));
            written
        }
        Some(shard) => {
            let written = files::write_shard(dir, &result, shard)?;
            stdout.print(&format!(
                "{}: shard {} of {}: {} of {} cells\n",
                text::escape(&result.scenario),
                shard.index,
                shard.count,
                map.cells_run().len(),
                map.cells()
            ));
            written
        }
    };
    stdout.print(&format!(
        "\n{} runs{}; ",
        effort.runs,
        if map.adaptive {
            format!(
                " in {} round{}{}",
                effort.rounds,
                if effort.rounds == 1 { "" } else { "s" },
                map.budget
                    .map_or(String::new(), |b| format!(" (budget {b})"))
            )
        } else {
            String::new()
        }
    ));
    print_written(&mut stdout, &written.0, &written.1);
    finish(stdout)
}

/// Prints `wrote DIR/{files}`.
fn print_written(stdout: &mut Stdout, written: &[std::path::PathBuf], names: &[String]) {
    if let Some(dir) = written.first().and_then(|p| p.parent()) {
        stdout.print(&format!(
            "wrote {}/{{{}}}\n",
            text::escape(&dir.display().to_string()),
            names.join(", ")
        ));
    }
}

/// `cachestorm merge` of the folders of `phase --shard` runs.
pub(super) fn merge(args: crate::cli::MergeArgs) -> Result<(), CommandError> {
    let (map, count) = phase::merge::read_shards(&args.dirs)?;
    let folder = format!("{}-phase", map.scenario);
    let dir = files::claim(&args.out, &folder, &map.scenario)?;
    let (written, names) = files::write(dir, &map, map.format, !args.no_charts)?;
    let mut stdout = Stdout::default();
    stdout.print(&format!(
        "merged {count} shard{} of {} cells\n",
        if count == 1 { "" } else { "s" },
        map.stats.len()
    ));
    stdout.print(&output::report(&map));
    stdout.print("\n");
    print_written(&mut stdout, &written, &names);
    finish(stdout)
}
