//! The structure of `src/` (issue 19): the observation vocabulary stands alone, the model and
//! the metrics do not import each other, and no file of the model imports one that imports it
//! back. Read from the sources as text: a `crate::` or `super::` path names what a file uses.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file below `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
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

/// The module path of a file below `src/` (`model/cache/mod.rs` -> `model::cache`).
fn module(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
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

#[test]
fn no_circle_between_the_files_of_the_model() {
    let files: Vec<PathBuf> = files(&src().join("model"));
    let by_module: BTreeMap<Vec<String>, &PathBuf> = files.iter().map(|f| (module(f), f)).collect();
    // Each file's edges to the files whose modules it names (the longest module a path starts
    // with). The files of world/ are one part (World's handlers, split by event family).
    let part = |f: &PathBuf| -> PathBuf {
        let m = module(f);
        if m.len() >= 2 && m[1] == "world" {
            src().join("model/world")
        } else {
            f.clone()
        }
    };
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for f in &files {
        let from = part(f);
        let entry = edges.entry(from.clone()).or_default();
        for p in paths(f) {
            let target = (1..=p.len())
                .rev()
                .find_map(|k| by_module.get(&p[..k]).map(|t| part(t)));
            if let Some(t) = target {
                if t != from && !module(&t).is_empty() && module(&t).len() > 1 {
                    entry.insert(t);
                }
            }
        }
    }
    // A circle is a file that reaches itself.
    for start in edges.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&PathBuf> = edges[start].iter().collect();
        while let Some(f) = stack.pop() {
            assert!(
                f != start,
                "{} reaches itself through its imports",
                start.display()
            );
            if seen.insert(f) {
                stack.extend(edges.get(f).into_iter().flatten());
            }
        }
    }
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
