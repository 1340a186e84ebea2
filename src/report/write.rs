//! Writing output files atomically: each file is written to a temporary name in the same folder
//! and renamed into place, so an error or Ctrl-C never leaves a half-written file under a final
//! name.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Prefix of temporary files; leftovers from an interrupted run are removed on the next write.
const TEMP_PREFIX: &str = ".cachestorm-partial-";

/// Writes every `(file name, bytes)` into `dir` (created if needed). Files are first all written
/// to temporary names, then renamed, so a failure part-way leaves no new final file half-written.
pub fn write_all(dir: &Path, files: &[(String, Vec<u8>)]) -> std::io::Result<Vec<PathBuf>> {
    fs::create_dir_all(dir)?;
    remove_leftovers(dir)?;
    let mut temps = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        let temp = dir.join(format!("{TEMP_PREFIX}{}-{name}", std::process::id()));
        let written = (|| {
            let mut f = fs::File::create(&temp)?;
            f.write_all(bytes)?;
            f.sync_all()
        })();
        temps.push(temp);
        if let Err(e) = written {
            for t in &temps {
                let _ = fs::remove_file(t);
            }
            return Err(e);
        }
    }
    let mut finals = Vec::with_capacity(files.len());
    for (i, ((name, _), temp)) in files.iter().zip(&temps).enumerate() {
        let target = dir.join(name);
        if let Err(e) = fs::rename(temp, &target) {
            // Files renamed so far stay (each is whole); none of the rest is left behind.
            for t in &temps[i..] {
                let _ = fs::remove_file(t);
            }
            return Err(std::io::Error::new(
                e.kind(),
                format!("{}: {e}", target.display()),
            ));
        }
        finals.push(target);
    }
    Ok(finals)
}

fn remove_leftovers(dir: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            let _ = fs::remove_file(entry.path());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_rename_names_the_file_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        // A non-empty folder where the second file should go: renaming onto it fails.
        fs::create_dir_all(dir.path().join("b.png").join("x")).unwrap();
        let files = vec![
            ("a.csv".to_owned(), b"1".to_vec()),
            ("b.png".to_owned(), b"2".to_vec()),
            ("c.png".to_owned(), b"3".to_vec()),
        ];
        let err = write_all(dir.path(), &files).unwrap_err();
        assert!(err.to_string().contains("b.png"), "{err}");
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|n| !n.starts_with(TEMP_PREFIX)),
            "{names:?}"
        );
        assert!(!dir.path().join("c.png").exists());
    }

    #[test]
    fn writes_files_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("nested");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join(format!("{TEMP_PREFIX}1-old.csv")), b"junk").unwrap();
        let paths = write_all(
            &out,
            &[
                ("a.csv".into(), b"x,y\n".to_vec()),
                ("b.png".into(), vec![1, 2]),
            ],
        )
        .unwrap();
        assert_eq!(paths.len(), 2);
        assert_eq!(fs::read(out.join("a.csv")).unwrap(), b"x,y\n");
        let mut names: Vec<String> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, vec!["a.csv", "b.png"]);
    }
}
