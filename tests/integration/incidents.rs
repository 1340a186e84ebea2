//! The incident pack (issue 24): every file of `scenarios/incidents/` names its public
//! post-mortem in its leading comment, validates, passes its own `[[expect]]` entries (the
//! incident's shape: what stays down, what recovers) and is diagnosed as the gallery
//! (`docs/incidents.md`) says. `check` runs every file in one process, as `.ci/run` does.

use std::path::PathBuf;

use cachestorm::diagnose::{diagnose, Mode};

use super::{cachestorm, scenario_path};

/// The incident files, sorted by name.
fn incident_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenario_path("incidents"))
        .expect("scenarios/incidents exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

/// The comment lines before the first line of TOML.
fn leading_comment(text: &str) -> String {
    text.lines()
        .take_while(|l| l.starts_with('#') || l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn every_incident_names_its_source_and_marks_its_numbers_and_assumptions() {
    let files = incident_files();
    assert!(
        (6..=8).contains(&files.len()),
        "6 to 8 incidents: {files:?}"
    );
    for path in &files {
        let name = file_name(path);
        let text = std::fs::read_to_string(path).unwrap();
        let comment = leading_comment(&text);
        let source = comment
            .lines()
            .find(|l| l.starts_with("# Source: "))
            .unwrap_or_else(|| panic!("{name}: no `# Source: ` line in the leading comment"));
        assert!(
            source.contains("https://"),
            "{name}: the source line has no link: {source}"
        );
        assert!(
            comment.contains("[source]"),
            "{name}: no number marked as taken from the source"
        );
        assert!(
            comment.contains("assumption"),
            "{name}: no assumption stated"
        );
        assert!(
            comment.contains("LIMIT"),
            "{name}: no limit of the model stated"
        );
        // The file's name is its scenario's name (`incident-yyyy-mm-dd`), so output folders and
        // the gallery's links agree.
        let scenario =
            cachestorm::scenario::parse(&text, path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(format!("{}.toml", scenario.name), name);
        assert!(
            scenario
                .strategies
                .iter()
                .any(|s| s.description.starts_with("Not in the write-up")),
            "{name}: no mitigation the write-up does not mention"
        );
    }
}

#[test]
fn every_incident_validates_and_passes_its_own_check_in_one_process() {
    let files = incident_files();
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("incidents.xml");
    let out = cachestorm()
        .current_dir(dir.path())
        .arg("validate")
        .args(&files)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(!stderr.contains("warning"), "{stderr}");
    let out = cachestorm()
        .current_dir(dir.path())
        .arg("check")
        .args(&files)
        .arg("--junit")
        .arg(&junit)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for path in &files {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(
            stdout.contains(&format!("{stem}: ")),
            "{stem} not judged: {stdout}"
        );
    }
    assert!(!stdout.contains("FAIL"), "{stdout}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(!xml.contains("<failure"), "{xml}");
    // Nothing written beside the JUnit report: check runs in memory.
    let written: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(written.len(), 1);
}

/// What the gallery says the diagnosis calls each incident's unprotected strategy.
const DIAGNOSED: [(&str, Mode); 6] = [
    ("discord-2019-02-12.toml", Mode::ColdCache),
    ("facebook-2010-09-23.toml", Mode::RetryStorm),
    ("github-2026-02-09.toml", Mode::SynchronisedExpiry),
    ("reddit-2016-08-11.toml", Mode::Dependency),
    ("slack-2022-02-22.toml", Mode::RetryStorm),
    ("square-2017-03-16.toml", Mode::RetryStorm),
];

#[test]
fn each_incident_is_diagnosed_as_its_gallery_entry_says() {
    let names: Vec<String> = incident_files().iter().map(|p| file_name(p)).collect();
    let listed: Vec<&str> = DIAGNOSED.iter().map(|(f, _)| *f).collect();
    assert_eq!(names, listed, "every incident has its diagnosis here");
    for (file, mode) in DIAGNOSED {
        let mut s = cachestorm::scenario::load(&scenario_path(&format!("incidents/{file}")))
            .expect("an incident loads");
        s.strategies.truncate(1);
        let result = cachestorm::experiment::run_scenario(&s, &|_| {});
        let d = diagnose(&result.strategies[0]);
        assert_eq!(d.headline().map(|f| f.mode), Some(mode), "{file}: {d:#?}");
    }
}

#[test]
fn the_readme_and_the_gallery_link_every_incident_and_its_source() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let gallery = std::fs::read_to_string(root.join("docs/incidents.md")).unwrap();
    for path in incident_files() {
        let name = file_name(&path);
        let text = std::fs::read_to_string(&path).unwrap();
        let source = leading_comment(&text)
            .lines()
            .find_map(|l| l.strip_prefix("# Source: "))
            .unwrap()
            .trim()
            .to_string();
        assert!(
            readme.contains(&format!("(scenarios/incidents/{name})")),
            "README does not link {name}"
        );
        assert!(
            readme.contains(&source),
            "README lacks the source of {name}"
        );
        assert!(
            gallery.contains(&format!("(../scenarios/incidents/{name})")),
            "docs/incidents.md does not link {name}"
        );
        assert!(
            gallery.contains(&source),
            "gallery lacks the source of {name}"
        );
    }
    for png in gallery
        .split("](")
        .skip(1)
        .filter_map(|s| s.split(')').next())
        .filter(|l| l.ends_with(".png"))
    {
        assert!(
            root.join("docs").join(png).is_file(),
            "docs/incidents.md shows {png}, which is not committed"
        );
    }
}
