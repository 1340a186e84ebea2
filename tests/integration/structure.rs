//! The structure of `src/` (issue 19): the observation vocabulary stands alone, the model and
//! the metrics do not import each other, no file of `src/` imports one that imports it back,
//! no import runs from a lower layer up to a higher one, and the commands hold only argument
//! handling and printing. Read from the sources as text: a `crate::` or `super::` path names
//! what a file uses; unit tests (`#[cfg(test)]` code and test-only files) are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file below `dir` but the test-only ones (see [`test_only`]).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") && !test_only(&p) {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Whether `file` is a module of unit tests: its parent (`mod.rs` beside it) declares it under
/// `#[cfg(test)]`.
fn test_only(file: &Path) -> bool {
    let Some(stem) = file.file_stem().and_then(|s| s.to_str()) else {
        return false;
    };
    let Ok(parent) = std::fs::read_to_string(file.with_file_name("mod.rs")) else {
        return false;
    };
    let declared = format!("mod {stem};");
    let lines: Vec<&str> = parent.lines().map(str::trim).collect();
    lines
        .windows(2)
        .any(|w| w[0] == "#[cfg(test)]" && w[1] == declared)
}

/// The source without its unit tests and comments (doc links name other modules freely).
fn code(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module path of a file below `src/` (`model/cache/mod.rs` -> `model::cache`; `lib.rs`,
/// the crate's root, -> nothing).
fn module(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") || parts == ["lib"] {
        parts.pop();
    }
    parts
}

/// The paths a file names: `crate::a::b` and `super::...` resolved to absolute ones.
fn paths(file: &Path) -> Vec<Vec<String>> {
    paths_in(&code(file), &module(file))
}

/// The paths named in `code`, the source of module `me`, with `use` groups
/// (`crate::{a::b, c}`) expanded.
fn paths_in(code: &str, me: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for text in textual_paths(code) {
        let path: Vec<&str> = text.split("::").filter(|s| !s.is_empty()).collect();
        // `super` is the parent of the module the file is (for `a/b.rs` and `a/b/mod.rs` alike).
        let (mut base, mut rest): (Vec<String>, &[&str]) = match path.first() {
            Some(&"crate") => (Vec::new(), &path[1..]),
            Some(&"super") => (me.to_vec(), &path[..]),
            _ => continue,
        };
        while rest.first() == Some(&"super") {
            base.pop();
            rest = &rest[1..];
        }
        base.extend(rest.iter().map(|s| s.to_string()));
        out.push(base);
    }
    out
}

fn is_path_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == ':'
}

/// Every `a::b::c` in `code` as text; a path ending in a group (`a::{b, c::d}`) gives one
/// path per member (`a::b`, `a::c::d`), nested groups included.
fn textual_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut covered = 0;
    for (i, _) in code.match_indices("::") {
        if i < covered {
            continue;
        }
        let start = code[..i].rfind(|c| !is_path_char(c)).map_or(0, |s| s + 1);
        let end = code[i..]
            .find(|c| !is_path_char(c))
            .map_or(code.len(), |e| i + e);
        let head = code[start..end].trim_end_matches(':');
        covered = end;
        if code[end..].starts_with('{') {
            let group = group_at(&code[end..]);
            covered = end + group.len() + 2;
            for member in expand(group) {
                out.push(format!("{head}::{member}"));
            }
        } else {
            out.push(head.to_string());
        }
    }
    out
}

/// The text inside the braces `s` starts with (nested braces kept).
fn group_at(s: &str) -> &str {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return &s[1..i];
                }
            }
            _ => {}
        }
    }
    &s[1..]
}

/// The members of a `use` group as paths (`a::{b, c}, d` -> `a::b`, `a::c`, `d`).
fn expand(group: &str) -> Vec<String> {
    let mut members = Vec::new();
    let (mut depth, mut from) = (0, 0);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                members.push(&group[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    members.push(&group[from..]);
    let mut out = Vec::new();
    for m in members {
        let m: String = m.chars().filter(|c| !c.is_whitespace()).collect();
        if m.is_empty() {
            continue;
        }
        match m.find("::{") {
            Some(k) if m.ends_with('}') => {
                for inner in expand(&m[k + 3..m.len() - 1]) {
                    out.push(format!("{}::{inner}", &m[..k]));
                }
            }
            _ => out.push(m),
        }
    }
    out
}

fn names(file: &Path, top: &str) -> bool {
    paths(file)
        .iter()
        .any(|p| p.first().is_some_and(|m| m == top))
}

#[test]
fn the_observation_vocabulary_imports_nothing_of_the_crate_but_the_time_leaf() {
    let file = src().join("observe.rs");
    for p in paths(&file) {
        assert!(
            p.first().is_some_and(|m| m == "time"),
            "src/observe.rs names crate::{} (it may name only crate::time, a leaf)",
            p.join("::")
        );
    }
}

#[test]
fn the_time_leaf_imports_nothing_of_the_crate() {
    let file = src().join("time.rs");
    let named = paths(&file);
    assert!(named.is_empty(), "src/time.rs names {named:?}");
}

/// The reader of paths sees what these tests forbid, written every way a `use` can be.
#[test]
fn planted_imports_are_seen() {
    let me: Vec<String> = vec!["model".into(), "cache".into()];
    let tops = |code: &str| -> Vec<String> {
        paths_in(code, &me)
            .into_iter()
            .map(|p| p.join("::"))
            .collect()
    };
    assert_eq!(
        tops("use crate::metrics::BucketRow;"),
        ["metrics::BucketRow"]
    );
    assert_eq!(
        tops("use crate::{\n    engine::SimTime,\n    metrics::{BucketRow, NodeRow},\n};"),
        ["engine::SimTime", "metrics::BucketRow", "metrics::NodeRow"]
    );
    assert_eq!(tops("use super::super::metrics;"), ["metrics"]);
    assert_eq!(
        tops("use super::{lookup::Lookup, tiers};"),
        ["model::lookup::Lookup", "model::tiers"]
    );
    assert_eq!(
        tops("let r = crate::metrics::BucketRow::default();"),
        ["metrics::BucketRow::default"]
    );
    assert!(tops("use std::collections::BTreeMap;").is_empty());
}

#[test]
fn the_model_and_the_metrics_do_not_import_each_other() {
    for file in files(&src().join("model")) {
        assert!(
            !names(&file, "metrics"),
            "{} imports the metrics",
            file.display()
        );
    }
    for file in files(&src().join("metrics")) {
        for p in paths(&file) {
            assert!(
                p.first().is_none_or(|m| m != "model"),
                "{} imports crate::{} (the metrics know the model only through observe.rs)",
                file.display(),
                p.join("::")
            );
        }
    }
}

/// The edges between files: each file to the files whose modules it names (the longest module
/// a path starts with). The files of `model/world/` are one part (the world's wiring, split by
/// event family).
fn edges(files: &[PathBuf]) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let by_module: BTreeMap<Vec<String>, &PathBuf> = files.iter().map(|f| (module(f), f)).collect();
    let part = |f: &PathBuf| -> PathBuf {
        let m = module(f);
        if m.len() >= 2 && m[0] == "model" && m[1] == "world" {
            src().join("model/world")
        } else {
            f.clone()
        }
    };
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for f in files {
        let from = part(f);
        let entry = edges.entry(from.clone()).or_default();
        for p in paths(f) {
            let target = (1..=p.len())
                .rev()
                .find_map(|k| by_module.get(&p[..k]).map(|t| part(t)));
            if let Some(t) = target {
                if t != from && !module(&t).is_empty() {
                    entry.insert(t);
                }
            }
        }
    }
    edges
}

/// A file that reaches itself through `edges`, with the way round, if any.
fn circle(edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Option<Vec<PathBuf>> {
    for start in edges.keys() {
        // Depth-first from `start`, remembering how each file was reached.
        let mut came_from: BTreeMap<&PathBuf, &PathBuf> = BTreeMap::new();
        let mut stack: Vec<(&PathBuf, &PathBuf)> =
            edges[start].iter().map(|t| (t, start)).collect();
        while let Some((f, from)) = stack.pop() {
            if came_from.contains_key(f) {
                continue;
            }
            came_from.insert(f, from);
            if f == start {
                let mut way = vec![start.clone()];
                let mut at = from;
                while at != start {
                    way.push(at.clone());
                    at = came_from[at];
                }
                way.push(start.clone());
                way.reverse();
                return Some(way);
            }
            stack.extend(edges.get(f).into_iter().flatten().map(|t| (t, f)));
        }
    }
    None
}

#[test]
fn no_circle_between_the_files_of_src() {
    let edges = edges(&files(&src()));
    if let Some(way) = circle(&edges) {
        let shown: Vec<String> = way
            .iter()
            .map(|f| f.strip_prefix(src()).unwrap().display().to_string())
            .collect();
        panic!(
            "a file reaches itself through its imports: {}",
            shown.join(" -> ")
        );
    }
}

/// A circle planted among made-up files is found, and the same files without the edge back are
/// not one.
#[test]
fn a_planted_circle_is_found() {
    let f = |n: &str| PathBuf::from(n);
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    edges.entry(f("a")).or_default().insert(f("b"));
    edges.entry(f("b")).or_default().insert(f("c"));
    edges.entry(f("c")).or_default().insert(f("d"));
    edges.entry(f("d")).or_default();
    assert_eq!(circle(&edges), None);
    edges.entry(f("c")).or_default().insert(f("a"));
    assert_eq!(circle(&edges), Some(vec![f("a"), f("b"), f("c"), f("a")]));
}

/// The layers of `src/`, from the bottom: a file may import modules of its own layer and of the
/// layers below (circles within a layer are caught by [`no_circle_between_the_files_of_src`]).
/// The workflows and the reports share a layer: a workflow has its outputs made and written by
/// the reports, and the reports render the result types that live beside their workflows.
const LAYERS: [&[&str]; 9] = [
    &["time", "text", "theory"],
    &["observe", "engine", "console"],
    &["trace", "metrics", "diagnose"],
    &["model"],
    &["scenario"],
    &["experiment", "memory_budget"],
    &["report", "workflow"],
    &["cli"],
    &["commands"],
];

/// The layer of top-level module `top`.
fn layer(top: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&top))
}

/// The imports of a file of top-level module `me` that run up to a higher layer.
fn upward(me: &str, named: &[Vec<String>]) -> Vec<String> {
    let mine = layer(me).unwrap_or_else(|| panic!("src/{me}: not in LAYERS; give it a layer"));
    named
        .iter()
        .filter(|p| p.first().and_then(|t| layer(t)).is_some_and(|l| l > mine))
        .map(|p| p.join("::"))
        .collect()
}

#[test]
fn no_import_runs_up_a_layer() {
    for file in files(&src()) {
        let m = module(&file);
        // lib.rs declares the modules; main.rs is the binary, outside the library.
        let Some(top) = m.first().filter(|t| *t != "main") else {
            continue;
        };
        let up = upward(top, &paths(&file));
        assert!(
            up.is_empty(),
            "{} (layer {:?}) imports from a higher layer: {}",
            file.display(),
            layer(top),
            up.join(", ")
        );
    }
}

#[test]
fn a_planted_upward_import_is_found() {
    let me: Vec<String> = vec!["model".into(), "cache".into()];
    assert_eq!(
        upward(
            "model",
            &paths_in("use crate::{engine::SimTime, workflow::run};", &me)
        ),
        ["workflow::run"]
    );
    assert!(upward("model", &paths_in("use crate::observe::Observer;", &me)).is_empty());
}

/// The workflows know nothing of the command line or the terminal: they take requests and
/// callbacks, and the commands print (issue 19).
#[test]
fn the_workflows_import_neither_the_commands_nor_the_terminal() {
    let files = files(&src().join("workflow"));
    assert!(
        files.iter().any(|f| f.ends_with("workflow/run.rs")),
        "src/workflow/run.rs is missing: the workflow of `run` lives there"
    );
    for file in files {
        for top in ["commands", "cli", "console"] {
            assert!(
                !names(&file, top),
                "{} imports crate::{top} (a workflow prints through its caller)",
                file.display()
            );
        }
        let code = code(&file);
        for printing in ["indicatif", "println!", "eprintln!", "std::io::stdout"] {
            assert!(
                !code.contains(printing),
                "{} uses {printing} (a workflow prints through its caller)",
                file.display()
            );
        }
    }
}

/// What a file of the commands names or calls that is not argument handling or printing: the
/// model, the engine, the metrics or the observation vocabulary (the commands reach them only
/// through the workflows), and writing files or running work in parallel (the workflows' and
/// [`cachestorm::report::write`]'s).
fn not_arguments_or_printing(code: &str, me: &[String]) -> Vec<String> {
    const ALLOWED: [&str; 9] = [
        "cli",
        "commands",
        "console",
        "experiment",
        "report",
        "scenario",
        "text",
        "trace",
        "workflow",
    ];
    let mut found: Vec<String> = paths_in(code, me)
        .into_iter()
        .filter(|p| p.first().is_some_and(|t| !ALLOWED.contains(&t.as_str())))
        .map(|p| format!("crate::{}", p.join("::")))
        .collect();
    for work in [
        "fs::write",
        "File::create",
        "OpenOptions",
        "fs::rename",
        "create_dir",
        "remove_file",
        "rayon::",
        "thread::spawn",
    ] {
        if code.contains(work) {
            found.push(work.to_string());
        }
    }
    found
}

/// `src/commands/` and `src/commands.rs` only read arguments, call the workflows and print.
#[test]
fn the_commands_hold_only_argument_handling_and_printing() {
    let mut all = files(&src().join("commands"));
    all.push(src().join("commands.rs"));
    assert!(all.len() > 1, "src/commands/ is missing");
    for file in all {
        let found = not_arguments_or_printing(&code(&file), &module(&file));
        assert!(
            found.is_empty(),
            "{} is more than argument handling and printing: it uses {} (move it into \
             src/workflow/, or write through cachestorm::report::write)",
            file.display(),
            found.join(", ")
        );
    }
}

#[test]
fn planted_work_in_a_command_is_found() {
    let me: Vec<String> = vec!["commands".into(), "sweep".into()];
    let found = |code: &str| not_arguments_or_printing(code, &me);
    assert_eq!(found("use crate::model::World;"), ["crate::model::World"]);
    assert_eq!(
        found("use crate::{engine::SimTime, workflow::run};"),
        ["crate::engine::SimTime"]
    );
    assert_eq!(
        found("use super::super::metrics::BucketRow;"),
        ["crate::metrics::BucketRow"]
    );
    assert_eq!(found("std::fs::write(&path, bytes)?;"), ["fs::write"]);
    assert_eq!(
        found("let f = std::fs::File::create(p)?;"),
        ["File::create"]
    );
    assert!(found("use crate::workflow::sweep::plan;\nout.print(&table);").is_empty());
}
