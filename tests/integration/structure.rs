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
    let code = code(file);
    let me = module(file);
    let mut out = Vec::new();
    for (i, _) in code.match_indices("::") {
        let start = code[..i]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .map_or(0, |s| s + 1);
        let end = code[i..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .map_or(code.len(), |e| i + e);
        let path: Vec<&str> = code[start..end]
            .split("::")
            .filter(|s| !s.is_empty())
            .collect();
        let (mut base, rest): (Vec<String>, &[&str]) = match path.first() {
            Some(&"crate") => (Vec::new(), &path[1..]),
            Some(&"super") => (me[..me.len().saturating_sub(1)].to_vec(), &path[..]),
            _ => continue,
        };
        let mut rest = rest;
        while rest.first() == Some(&"super") {
            if !base.is_empty() && base.len() < me.len() {
                base.pop();
            }
            rest = &rest[1..];
        }
        base.extend(rest.iter().map(|s| s.to_string()));
        out.push(base);
    }
    out
}

fn names(file: &Path, top: &str) -> bool {
    paths(file)
        .iter()
        .any(|p| p.first().is_some_and(|m| m == top))
}

#[test]
fn the_observation_vocabulary_imports_only_the_engines_time() {
    let file = src().join("observe.rs");
    for p in paths(&file) {
        assert!(
            p.first().is_some_and(|m| m == "engine"),
            "src/observe.rs names crate::{}",
            p.join("::")
        );
    }
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
