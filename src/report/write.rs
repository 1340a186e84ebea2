//! Writing a run's output folder all or nothing, and single files ([`write_file`]) whole or not
//! at all.
//!
//! [`OutputDir::prepare`] runs before any simulation: it locks the folder against a concurrent
//! run, finishes or undoes a swap an earlier run was killed in, refuses a folder holding files
//! cachestorm did not write, and creates a temporary sibling folder (which proves the parent is
//! writable). [`OutputDir::commit`] writes every file into the temporary folder, syncs it, and
//! swaps it with the final folder in one step (`renameat2(RENAME_EXCHANGE)` on Linux; elsewhere,
//! or where the file system lacks it, old folder aside, new folder in, old folder removed). A
//! reader therefore sees the old set of files or the new one, never a mix; files of an earlier
//! run in another image format go with the old folder.
//!
//! Names beside the folder `NAME` in its parent: `.NAME.lock` (an empty file, kept, whose
//! advisory lock the kernel releases when the process dies), `.NAME.partial` (the run being
//! written) and `.NAME.old` (the previous folder during a fallback swap). Ctrl-C removes the
//! temporary folders of every prepared run and exits with code 130. An interrupt while a commit
//! writes its files stops it before the swap (the old folder stays); one that arrives during
//! the swap waits for it, and the message then says the folder was written: the swap and the
//! check of the interrupt are atomic with respect to each other, so no message is false.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, Once};

/// Prefix of the temporary files older versions wrote inside the folder; they are replaced too.
const LEGACY_TEMP_PREFIX: &str = ".cachestorm-partial-";

/// Exit code after Ctrl-C (128 + SIGINT), as shells report it.
pub const INTERRUPTED_EXIT_CODE: i32 = 130;

/// Temporary folders of prepared runs, removed by the Ctrl-C handler. A commit holds the lock
/// from its first write to its last rename, so an interrupt never cuts a swap in half.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Set by the interrupt handler before it waits for [`PENDING`]: a commit that sees it stops
/// before its swap.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Hidden setting for tests: milliseconds a commit sleeps after each file it writes, so a test
/// can interrupt it in the middle.
const SLOW_COMMIT_ENV: &str = "__CACHESTORM_TEST_SLOW_COMMIT_MS";

fn pending() -> MutexGuard<'static, Vec<PathBuf>> {
    PENDING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Why an output folder cannot be prepared or written. Each message names the folder.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// Another process holds the folder's lock.
    #[error("{0}: another cachestorm run is writing this folder; wait for it to finish or use another --out")]
    Busy(String),
    /// The folder holds files cachestorm does not write, which replacing it would delete.
    #[error("{dir}: holds {found} which cachestorm did not write; the folder is replaced whole by each run, so move them away or use another --out")]
    Foreign {
        /// The folder.
        dir: String,
        /// The first few foreign names, quoted.
        found: String,
    },
    /// The folder holds the outputs of another scenario, which a suffix made share its name
    /// (a scenario `x-seed-2`, and `x` run with `--seed 2`).
    #[error("{dir}: holds the outputs of scenario `{theirs}`, which {ours} would replace; rename one of the scenarios or use another --out")]
    Collision {
        /// The folder.
        dir: String,
        /// The scenario its manifest names, quoted.
        theirs: String,
        /// What would write it now: `scenario `x` with --seed 2`.
        ours: String,
    },
    /// The file system refused an operation.
    #[error("{what} {path}: {reason}")]
    Io {
        /// What was being done, such as "cannot create the folder".
        what: &'static str,
        /// The path concerned.
        path: String,
        /// The operating system's error.
        reason: std::io::Error,
    },
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> OutputError {
    let path = shown(path);
    move |reason| OutputError::Io { what, path, reason }
}

fn shown(path: &Path) -> String {
    crate::text::escape(&path.display().to_string()).into_owned()
}

/// A locked output folder with its temporary sibling, ready to receive a run's files.
///
/// Dropped without [`commit`](OutputDir::commit), it removes the temporary folder and leaves the
/// final folder as it was.
#[derive(Debug)]
pub struct OutputDir {
    final_dir: PathBuf,
    temp: PathBuf,
    aside: PathBuf,
    /// Holds the advisory lock until dropped (or the process dies).
    _lock: fs::File,
}

impl OutputDir {
    /// Locks `parent/name`, creates `parent` if needed and the temporary folder beside
    /// `parent/name`. Fails at once, before any simulation, if another run holds the lock, the
    /// parent is not writable, `parent/name` is not a folder or it holds files cachestorm does
    /// not write.
    pub fn prepare(parent: &Path, name: &str) -> Result<OutputDir, OutputError> {
        install_interrupt_handler();
        fs::create_dir_all(parent).map_err(io("cannot create the output folder", parent))?;
        let final_dir = parent.join(name);
        let lock_path = parent.join(format!(".{name}.lock"));
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io("cannot write to the output folder", parent))?;
        if !try_lock(&lock).map_err(io("cannot lock", &lock_path))? {
            return Err(OutputError::Busy(shown(&final_dir)));
        }
        let dir = OutputDir {
            temp: parent.join(format!(".{name}.partial")),
            aside: parent.join(format!(".{name}.old")),
            final_dir,
            _lock: lock,
        };
        dir.recover()?;
        dir.check_only_outputs()?;
        // Registered before it exists, so an interrupt from here on removes it.
        pending().push(dir.temp.clone());
        // A temporary folder left by a killed run (the lock says none is running).
        let _ = fs::remove_dir_all(&dir.temp);
        fs::create_dir(&dir.temp).map_err(io("cannot write to the output folder", parent))?;
        Ok(dir)
    }

    /// [`prepare`](OutputDir::prepare), refusing a folder whose manifest (`run.toml` or
    /// `sweep.toml`) names another scenario than `scenario`: `ours` says what would write it
    /// now, for the message.
    pub fn prepare_for(
        parent: &Path,
        name: &str,
        scenario: &str,
        ours: &str,
    ) -> Result<OutputDir, OutputError> {
        let dir = OutputDir::prepare(parent, name)?;
        if let Some(theirs) = dir.manifest_scenario() {
            if theirs != scenario {
                return Err(OutputError::Collision {
                    dir: shown(&dir.final_dir),
                    theirs: crate::text::quote(&theirs),
                    ours: ours.to_string(),
                });
            }
        }
        Ok(dir)
    }

    /// The scenario named by the manifest of the final folder, if it has a readable one.
    fn manifest_scenario(&self) -> Option<String> {
        use std::io::Read;
        [
            super::MANIFEST,
            super::sweep::MANIFEST,
            crate::workflow::phase::output::MANIFEST,
        ]
        .iter()
        .find_map(|m| {
            let mut text = String::new();
            fs::File::open(self.final_dir.join(m))
                .ok()?
                .take(1 << 20)
                .read_to_string(&mut text)
                .ok()?;
            let table: toml::Table = text.parse().ok()?;
            table.get("scenario")?.as_str().map(str::to_string)
        })
    }

    /// The final folder, `parent/name`.
    pub fn path(&self) -> &Path {
        &self.final_dir
    }

    /// Writes every `(file name, bytes)` into the temporary folder, syncs it, and swaps it in
    /// place of the final folder. Returns the final paths, in order.
    pub fn commit(self, files: &[(String, Vec<u8>)]) -> Result<Vec<PathBuf>, OutputError> {
        let mut pending = pending();
        let pause = std::env::var(SLOW_COMMIT_ENV)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .map(std::time::Duration::from_millis);
        let interrupted = || {
            if let Some(p) = pause {
                std::thread::sleep(p);
            }
            INTERRUPTED.load(Ordering::SeqCst)
        };
        if !self.write_and_swap(files, &interrupted)? {
            // The handler waits for the lock held here; the clean-up and the exit are done
            // now, with the old folder in place.
            exit_interrupted(&mut pending);
        }
        // Swapped in: no longer unfinished, whatever the handler finds next.
        pending.retain(|p| p != &self.temp);
        if let Some(parent) = self.final_dir.parent() {
            sync_dir(parent)?;
        }
        Ok(files.iter().map(|(n, _)| self.final_dir.join(n)).collect())
    }

    /// Writes every file into the temporary folder and syncs it, then swaps it in, unless
    /// `interrupted` says so after a file or before the swap: `Ok(false)`, nothing swapped.
    fn write_and_swap(
        &self,
        files: &[(String, Vec<u8>)],
        interrupted: &dyn Fn() -> bool,
    ) -> Result<bool, OutputError> {
        for (name, bytes) in files {
            let path = self.temp.join(name);
            let mut f = fs::File::create(&path).map_err(io("cannot create", &path))?;
            f.write_all(bytes).map_err(io("cannot write", &path))?;
            f.sync_all().map_err(io("cannot write", &path))?;
            if interrupted() {
                return Ok(false);
            }
        }
        sync_dir(&self.temp)?;
        if interrupted() {
            return Ok(false);
        }
        self.swap()?;
        Ok(true)
    }

    /// Puts the temporary folder in place of the final one. After it, the temporary path holds
    /// the previous folder, if any, which is then removed.
    fn swap(&self) -> Result<(), OutputError> {
        let rename_in = || {
            fs::rename(&self.temp, &self.final_dir)
                .map_err(io("cannot rename into", &self.final_dir))
        };
        if !self.final_dir.exists() {
            return rename_in();
        }
        if !exchange(&self.temp, &self.final_dir)? {
            return self.swap_by_renames();
        }
        fs::remove_dir_all(&self.temp).map_err(io("cannot remove", &self.temp))
    }

    /// The swap where no atomic exchange exists: old aside, new in, old removed. `recover`
    /// finishes or undoes it if the process dies between the renames.
    fn swap_by_renames(&self) -> Result<(), OutputError> {
        fs::rename(&self.final_dir, &self.aside)
            .map_err(io("cannot move aside", &self.final_dir))?;
        fs::rename(&self.temp, &self.final_dir)
            .map_err(io("cannot rename into", &self.final_dir))?;
        fs::remove_dir_all(&self.aside).map_err(io("cannot remove", &self.aside))
    }

    /// Repairs what a run killed during a fallback swap left: with the new folder in place, the
    /// old one aside is removed; with no folder in place, the old one is put back.
    fn recover(&self) -> Result<(), OutputError> {
        if fs::symlink_metadata(&self.aside).is_err() {
            return Ok(());
        }
        if fs::symlink_metadata(&self.final_dir).is_ok() {
            fs::remove_dir_all(&self.aside).map_err(io("cannot remove", &self.aside))
        } else {
            fs::rename(&self.aside, &self.final_dir).map_err(io("cannot restore", &self.final_dir))
        }
    }

    /// Refuses a final path that is not a folder, or a folder holding anything cachestorm does
    /// not write (replacing it would delete a user's file).
    fn check_only_outputs(&self) -> Result<(), OutputError> {
        let meta = match fs::symlink_metadata(&self.final_dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io("cannot read", &self.final_dir)(e)),
            Ok(meta) => meta,
        };
        if !meta.is_dir() {
            return Err(OutputError::Foreign {
                dir: shown(&self.final_dir),
                found: "no folder but a file or link of that name".into(),
            });
        }
        let mut foreign = Vec::new();
        for entry in fs::read_dir(&self.final_dir).map_err(io("cannot read", &self.final_dir))? {
            let entry = entry.map_err(io("cannot read", &self.final_dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_file = entry.file_type().is_ok_and(|t| t.is_file());
            let ours = super::is_output_name(&name) || name.starts_with(LEGACY_TEMP_PREFIX);
            if !(is_file && ours) {
                foreign.push(name);
            }
        }
        if foreign.is_empty() {
            return Ok(());
        }
        foreign.sort();
        let mut found: Vec<String> = foreign
            .iter()
            .take(3)
            .map(|n| format!("`{}`", crate::text::quote(n)))
            .collect();
        if foreign.len() > 3 {
            found.push(format!("{} more", foreign.len() - 3));
        }
        Err(OutputError::Foreign {
            dir: shown(&self.final_dir),
            found: found.join(", "),
        })
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        let mut pending = pending();
        let _ = fs::remove_dir_all(&self.temp);
        pending.retain(|p| p != &self.temp);
    }
}

/// Takes an exclusive advisory lock on `file` without waiting: `Ok(false)` when another process
/// holds it. The kernel releases it when the file is closed or the process dies.
#[cfg(unix)]
fn try_lock(file: &fs::File) -> std::io::Result<bool> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a file descriptor this `File` owns for the duration of the call.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(e)
    }
}

/// No advisory lock outside Unix: concurrent runs are not detected there.
#[cfg(not(unix))]
fn try_lock(_file: &fs::File) -> std::io::Result<bool> {
    Ok(true)
}

fn sync_dir(dir: &Path) -> Result<(), OutputError> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("cannot sync", dir))
}

/// Swaps two existing paths atomically. `Ok(false)` when this system or file system cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> Result<bool, OutputError> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes()).map_err(|e| io("cannot rename", p)(e.into()))
    };
    let (ca, cb) = (c(a)?, c(b)?);
    // SAFETY: both arguments are valid NUL-terminated paths that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP) => Ok(false),
        _ => Err(io("cannot swap in", b)(e)),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> Result<bool, OutputError> {
    Ok(false)
}

/// On Ctrl-C (SIGINT, and SIGTERM or SIGHUP), removes the temporary folders of every prepared
/// run, waiting for a commit under way to stop or finish, then exits with
/// [`INTERRUPTED_EXIT_CODE`].
fn install_interrupt_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Failing to install it (another handler is set) only loses the clean-up on Ctrl-C; the
        // next run removes the leftovers anyway.
        let _ = ctrlc::set_handler(|| {
            INTERRUPTED.store(true, Ordering::SeqCst);
            exit_interrupted(&mut pending());
        });
    });
}

/// Removes the temporary folders in `pending`, says what happened and exits with
/// [`INTERRUPTED_EXIT_CODE`]. Called with the lock of [`PENDING`] held, so no swap is under way.
fn exit_interrupted(pending: &mut Vec<PathBuf>) -> ! {
    let removed: Vec<PathBuf> = pending
        .drain(..)
        .filter(|dir| fs::remove_dir_all(dir).is_ok())
        .collect();
    let _ = writeln!(std::io::stderr(), "{}", interrupt_message(&removed));
    std::process::exit(INTERRUPTED_EXIT_CODE);
}

/// What an interrupt did, given the temporary folders it removed (`.NAME.partial`).
fn interrupt_message(removed: &[PathBuf]) -> String {
    let names: Vec<String> = removed
        .iter()
        .filter_map(|p| {
            let file = p.file_name()?.to_string_lossy();
            let name = file.strip_prefix('.')?.strip_suffix(".partial")?;
            Some(shown(&p.with_file_name(name)))
        })
        .collect();
    if names.is_empty() {
        return "interrupted: every output folder written so far is complete".into();
    }
    let mut list = names.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > 3 {
        list.push_str(&format!(" and {} more", names.len() - 3));
    }
    crate::text::shorten(
        &format!("interrupted: unfinished outputs removed; left as they were: {list}"),
        crate::text::MESSAGE_MAX_CHARS,
    )
    .into_owned()
}

/// Writes `bytes` to the file `path` whole or not at all: into a temporary file beside it
/// (`.NAME.tmp-PID`), renamed into place, so a reader sees the old file or the new one, never
/// half; the temporary file is removed if the rename fails. The one place a single file of
/// ours (a Markdown export, a JUnit report, a baseline, a fitted scenario) is written.
pub fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "is not a file name")
    })?;
    let temp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    fs::write(&temp, bytes)?;
    fs::rename(&temp, path).inspect_err(|_| {
        let _ = fs::remove_file(&temp);
    })
}

/// Whether files can be created in the folder `dir`, tried by creating and removing an empty
/// one (permissions alone do not say: a read-only mount, or a root user); the reason if not.
pub fn writable_folder(dir: &Path) -> Result<(), String> {
    if !dir.is_dir() {
        return Err("is not a folder".into());
    }
    let probe = dir.join(format!(".cachestorm-write-test-{}", std::process::id()));
    match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = fs::remove_file(&probe);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(format!("is not writable ({e})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_file_is_replaced_whole_and_no_temporary_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.xml");
        write_file(&path, b"old").unwrap();
        write_file(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(names(dir.path()), ["report.xml"]);
        // A folder where the file goes: refused, nothing left beside it.
        let folder = dir.path().join("taken");
        fs::create_dir(&folder).unwrap();
        assert!(write_file(&folder, b"x").is_err());
        assert_eq!(names(dir.path()), ["report.xml", "taken"]);
        assert!(write_file(&dir.path().join("missing/x"), b"x").is_err());
        assert_eq!(writable_folder(dir.path()), Ok(()));
        assert_eq!(writable_folder(&path), Err("is not a folder".to_string()));
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn files(list: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        list.iter()
            .map(|(n, b)| (n.to_string(), b.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn commit_replaces_the_whole_folder_and_leaves_no_temporaries() {
        let parent = tempfile::tempdir().unwrap();
        let out = OutputDir::prepare(parent.path(), "s").unwrap();
        out.commit(&files(&[("summary.csv", "1"), ("db_load.png", "png")]))
            .unwrap();
        let out = OutputDir::prepare(parent.path(), "s").unwrap();
        let written = out
            .commit(&files(&[("summary.csv", "2"), ("db_load.svg", "svg")]))
            .unwrap();
        assert_eq!(
            written,
            vec![
                parent.path().join("s/summary.csv"),
                parent.path().join("s/db_load.svg")
            ]
        );
        let dir = parent.path().join("s");
        assert_eq!(
            names(&dir),
            ["db_load.svg", "summary.csv"],
            "the png of the earlier run is gone"
        );
        assert_eq!(fs::read(dir.join("summary.csv")).unwrap(), b"2");
        assert_eq!(names(parent.path()), [".s.lock", "s"]);
    }

    #[test]
    fn the_fallback_swap_replaces_the_folder_too() {
        let parent = tempfile::tempdir().unwrap();
        OutputDir::prepare(parent.path(), "s")
            .unwrap()
            .commit(&files(&[("db_load.png", "old")]))
            .unwrap();
        let out = OutputDir::prepare(parent.path(), "s").unwrap();
        fs::write(out.temp.join("db_load.svg"), "new").unwrap();
        out.swap_by_renames().unwrap();
        drop(out);
        assert_eq!(names(&parent.path().join("s")), ["db_load.svg"]);
        assert_eq!(names(parent.path()), [".s.lock", "s"]);
    }

    #[test]
    fn a_second_run_into_the_same_folder_fails_at_once() {
        let parent = tempfile::tempdir().unwrap();
        let first = OutputDir::prepare(parent.path(), "s").unwrap();
        let err = OutputDir::prepare(parent.path(), "s").unwrap_err();
        assert!(matches!(err, OutputError::Busy(_)), "{err}");
        assert!(err.to_string().contains("another cachestorm run"), "{err}");
        // Another scenario in the same parent is not blocked.
        OutputDir::prepare(parent.path(), "other").unwrap();
        drop(first);
        OutputDir::prepare(parent.path(), "s").unwrap();
    }

    #[test]
    fn dropping_without_commit_removes_the_temporary_folder_and_keeps_the_old_outputs() {
        let parent = tempfile::tempdir().unwrap();
        OutputDir::prepare(parent.path(), "s")
            .unwrap()
            .commit(&files(&[("summary.csv", "old")]))
            .unwrap();
        let out = OutputDir::prepare(parent.path(), "s").unwrap();
        assert!(parent.path().join(".s.partial").is_dir());
        drop(out);
        assert_eq!(names(parent.path()), [".s.lock", "s"]);
        assert_eq!(
            fs::read(parent.path().join("s/summary.csv")).unwrap(),
            b"old"
        );
    }

    #[test]
    fn a_folder_with_a_users_file_is_refused_before_anything_is_written() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("s");
        fs::create_dir_all(dir.join("sub")).unwrap();
        fs::write(dir.join("notes.txt"), "mine").unwrap();
        fs::write(dir.join("summary.csv"), "old").unwrap();
        let err = OutputDir::prepare(parent.path(), "s")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`notes.txt`") && err.contains("`sub`"),
            "{err}"
        );
        assert!(!err.contains("summary.csv"), "{err}");
        assert!(!parent.path().join(".s.partial").exists());
        fs::write(parent.path().join("f"), "a file where the folder goes").unwrap();
        let err = OutputDir::prepare(parent.path(), "f")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no folder"), "{err}");
    }

    #[test]
    fn an_interrupted_fallback_swap_is_repaired_by_the_next_run() {
        let parent = tempfile::tempdir().unwrap();
        // Killed after moving the old folder aside, before moving the new one in: restored.
        fs::create_dir(parent.path().join(".s.old")).unwrap();
        fs::write(parent.path().join(".s.old/summary.csv"), "old").unwrap();
        fs::create_dir(parent.path().join(".s.partial")).unwrap();
        fs::write(parent.path().join(".s.partial/summary.csv"), "half").unwrap();
        let out = OutputDir::prepare(parent.path(), "s").unwrap();
        assert_eq!(
            fs::read(parent.path().join("s/summary.csv")).unwrap(),
            b"old"
        );
        assert!(!parent.path().join(".s.old").exists());
        assert_eq!(
            names(&parent.path().join(".s.partial")),
            Vec::<String>::new()
        );
        drop(out);
        // Killed after moving the new one in, before removing the old: the old one goes.
        fs::create_dir(parent.path().join(".s.old")).unwrap();
        drop(OutputDir::prepare(parent.path(), "s").unwrap());
        assert_eq!(names(parent.path()), [".s.lock", "s"]);
    }

    #[test]
    fn an_interrupt_during_the_write_leaves_the_old_folder() {
        let parent = tempfile::tempdir().unwrap();
        OutputDir::prepare(parent.path(), "s")
            .unwrap()
            .commit(&files(&[("summary.csv", "old")]))
            .unwrap();
        let new = files(&[("summary.csv", "new"), ("timeseries.csv", "new")]);
        // Interrupted after the first file, after the last, just before the swap, or not at all.
        for (stop_after, swapped) in [(1, false), (2, false), (3, false), (4, true)] {
            let out = OutputDir::prepare(parent.path(), "s").unwrap();
            let calls = std::cell::Cell::new(0);
            let interrupted = || {
                calls.set(calls.get() + 1);
                calls.get() >= stop_after
            };
            assert_eq!(out.write_and_swap(&new, &interrupted).unwrap(), swapped);
            drop(out);
            let want: &[u8] = if swapped { b"new" } else { b"old" };
            assert_eq!(fs::read(parent.path().join("s/summary.csv")).unwrap(), want);
            assert_eq!(names(parent.path()), [".s.lock", "s"]);
        }
    }

    #[test]
    fn the_interrupt_message_names_what_it_left_as_it_was() {
        let m = interrupt_message(&[PathBuf::from("out/.avalanche.partial")]);
        assert!(
            m.contains("unfinished outputs removed") && m.contains("out/avalanche"),
            "{m}"
        );
        let m = interrupt_message(&[]);
        assert!(!m.contains("removed") && m.contains("complete"), "{m}");
        let many: Vec<PathBuf> = (0..50)
            .map(|i| PathBuf::from(format!("o/.{}{i}.partial", "x".repeat(30))))
            .collect();
        let m = interrupt_message(&many);
        assert!(m.contains("47 more") && m.chars().count() <= 400, "{m}");
    }

    #[test]
    fn a_folder_written_by_another_scenario_is_refused() {
        let parent = tempfile::tempdir().unwrap();
        let manifest = |scenario: &str| {
            files(&[(
                crate::report::MANIFEST,
                &format!("scenario = \"{scenario}\"\nseed = 2\n"),
            )])
        };
        OutputDir::prepare_for(parent.path(), "x-seed-2", "x-seed-2", "scenario `x-seed-2`")
            .unwrap()
            .commit(&manifest("x-seed-2"))
            .unwrap();
        let err =
            OutputDir::prepare_for(parent.path(), "x-seed-2", "x", "scenario `x` with --seed 2")
                .unwrap_err();
        assert!(matches!(err, OutputError::Collision { .. }), "{err}");
        let err = err.to_string();
        assert!(
            err.contains("`x-seed-2`") && err.contains("`x` with --seed 2"),
            "{err}"
        );
        assert_eq!(names(parent.path()), [".x-seed-2.lock", "x-seed-2"]);
        // The same scenario replaces its own outputs.
        OutputDir::prepare_for(parent.path(), "x-seed-2", "x-seed-2", "scenario `x-seed-2`")
            .unwrap();
    }

    #[test]
    fn an_unwritable_parent_is_reported_with_its_name() {
        let parent = tempfile::tempdir().unwrap();
        let file = parent.path().join("not-a-folder");
        fs::write(&file, "x").unwrap();
        let err = OutputDir::prepare(&file.join("deeper"), "s")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not-a-folder"), "{err}");
    }
}
