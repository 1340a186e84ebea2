//! Printing to the terminal without panicking. `println!` panics when standard output is closed
//! (`cachestorm run ... | head -1`) or full (`> /dev/full`), and `eprintln!` when standard error
//! is; a simulation's outputs must not be lost to either.
//!
//! [`Stdout`] stops printing quietly when the reader has gone (a broken pipe is how `head` says
//! it has read enough) and remembers any other failure for the command to report at the end.
//! [`warn`] and [`error`] write to standard error and ignore failures: there is nowhere left to
//! report them. Everything printed is escaped ([`crate::text::escape`]) but for line
//! breaks, so no control character a user typed reaches the terminal, and each line of an error
//! or warning is cut to [`crate::text::MESSAGE_MAX_CHARS`] characters, the last guard of the
//! README's promise ([`crate::text::limit_message`]).

use std::io::{self, Write};

/// Standard output for a command's results.
#[derive(Debug, Default)]
pub struct Stdout {
    /// The reader closed the pipe; print nothing more.
    closed: bool,
    /// The first failure other than a broken pipe.
    failed: Option<io::Error>,
}

impl Stdout {
    /// Prints `text` as it is (it must not hold unescaped user text); a failure stops further
    /// printing.
    pub fn print(&mut self, text: &str) {
        if self.closed || self.failed.is_some() {
            return;
        }
        let mut out = io::stdout().lock();
        if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            if e.kind() == io::ErrorKind::BrokenPipe {
                self.closed = true;
            } else {
                self.failed = Some(e);
            }
        }
    }

    /// Ends printing: an error if standard output failed for another reason than a closed pipe.
    pub fn finish(self) -> io::Result<()> {
        match self.failed {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// Prints `warning: MESSAGE` on standard error, control characters escaped.
pub fn warn(message: &str) {
    to_stderr("warning", message);
}

/// Prints `error: MESSAGE` on standard error, control characters escaped.
pub fn error(message: &str) {
    to_stderr("error", message);
}

/// Each line of `message` is escaped, then cut so that it and its label take at most
/// [`crate::text::MESSAGE_MAX_CHARS`] characters (a message listing several files has one line
/// per file).
fn to_stderr(label: &str, message: &str) {
    let room = crate::text::MESSAGE_MAX_CHARS - label.len() - 2;
    let lines: Vec<String> = message
        .split('\n')
        .map(|line| {
            let line = crate::text::escape(line);
            crate::text::limit_message(&line, room).into_owned()
        })
        .collect();
    let _ = writeln!(io::stderr().lock(), "{label}: {}", lines.join("\n"));
}
