//! User text on its way out: what a user typed (a strategy name, a path, a value in a scenario
//! file) never reaches a terminal, a CSV cell or an SVG unescaped, and never fills a message.
//!
//! - [`escape`]: control characters, bidirectional overrides and characters XML forbids become
//!   visible Rust-style escapes (`\u{1b}`), for terminals and chart text;
//! - [`quote`]: [`escape`] and cut to [`QUOTE_MAX_CHARS`] characters, for values echoed in error
//!   messages;
//! - [`csv_cell`]: a leading `'` on cells a spreadsheet would read as a formula.

use std::borrow::Cow;

/// Longest message, in characters, printed to the terminal as an error or a warning; longer
/// ones are cut, ending with `…`.
pub const MESSAGE_MAX_CHARS: usize = 400;

/// Longest user value, in characters, that an error message echoes; longer ones end with `…`.
pub const QUOTE_MAX_CHARS: usize = 60;

/// Whether `c` must not reach a terminal or an XML document as it is: control characters (C0,
/// DEL, C1), the bidirectional embedding, override and isolate controls (they reorder what a
/// reader sees), and the two non-characters XML 1.0 forbids.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{fffe}' | '\u{ffff}')
}

/// `s` with every [unsafe](is_unsafe) character written as `\u{hex}`; borrowed when nothing
/// needed escaping.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_except(s, &[])
}

/// As [`escape`], but keeps the characters in `keep` (such as `'\n'` for a multi-line message).
pub fn escape_except<'a>(s: &'a str, keep: &[char]) -> Cow<'a, str> {
    if !s.chars().any(|c| is_unsafe(c) && !keep.contains(&c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) && !keep.contains(&c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` cut to at most `max_chars` characters, ending with `…` when cut.
pub fn shorten(s: &str, max_chars: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max_chars) {
        None => Cow::Borrowed(s),
        Some(_) => {
            let keep = max_chars.saturating_sub(1);
            let end = s.char_indices().nth(keep).map_or(s.len(), |(i, _)| i);
            Cow::Owned(format!("{}…", &s[..end]))
        }
    }
}

/// A user value as an error message shows it: [escaped](escape), then cut to
/// [`QUOTE_MAX_CHARS`] characters.
pub fn quote(s: &str) -> String {
    // Cut first (escaping can only lengthen), then escape, then cut what escaping added.
    let cut = shorten(s, QUOTE_MAX_CHARS);
    shorten(&escape(&cut), QUOTE_MAX_CHARS).into_owned()
}

/// Longest run of digits a message shows whole; a longer one (a value such as `1e308` written
/// out in full has 309) keeps its first digits and says how many it had.
pub const DIGITS_MAX: usize = 24;

/// `message` made fit for the terminal: runs of more than [`DIGITS_MAX`] digits cut
/// (`100000000000…(309 digits)`), then the whole cut to `max_chars` characters, ending with
/// `…`. The last guard before an error or warning is printed; values a message quotes are cut
/// where they are quoted ([`quote`]).
pub fn limit_message(message: &str, max_chars: usize) -> Cow<'_, str> {
    let mut run = 0usize;
    let long_run = message.chars().any(|c| {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        run > DIGITS_MAX
    });
    let cut = if long_run {
        Cow::Owned(cut_digit_runs(message))
    } else {
        Cow::Borrowed(message)
    };
    match shorten(&cut, max_chars) {
        Cow::Borrowed(_) => cut,
        Cow::Owned(s) => Cow::Owned(s),
    }
}

fn cut_digit_runs(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(1024));
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() > DIGITS_MAX {
            out.push_str(&digits[..12]);
            out.push_str(&format!("…({} digits)", digits.len()));
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in message.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// A CSV cell that a spreadsheet will not evaluate: cells starting with `=`, `+`, `-`, `@`, a
/// tab or a carriage return (OWASP's list for CSV injection) get a leading `'`; every other cell
/// is returned as it is.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// HTML-escapes `s`, after showing control characters as escapes ([`escape`]).
pub fn html(s: &str) -> String {
    let shown = escape_except(s, &['\n', '\t']);
    let mut out = String::with_capacity(shown.len());
    for c in shown.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_shows_control_and_bidi_characters_and_keeps_the_rest() {
        assert_eq!(escape("jitter+xfetch"), "jitter+xfetch");
        assert!(matches!(escape("k=5 µs"), Cow::Borrowed(_)));
        assert_eq!(escape("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(escape("x\u{7f}\u{9b}\n"), "x\\u{7f}\\u{9b}\\u{a}");
        assert_eq!(escape("\u{202e}evil"), "\\u{202e}evil");
        assert_eq!(escape("\u{ffff}"), "\\u{ffff}");
        assert_eq!(escape_except("a\nb\u{7}", &['\n']), "a\nb\\u{7}");
    }

    #[test]
    fn quote_cuts_long_values_to_sixty_characters() {
        let long = "é".repeat(1000);
        let q = quote(&long);
        assert_eq!(q.chars().count(), QUOTE_MAX_CHARS);
        assert!(q.ends_with('…'));
        assert_eq!(quote("short"), "short");
        let exactly = "x".repeat(QUOTE_MAX_CHARS);
        assert_eq!(quote(&exactly), exactly);
        let escapes = "\u{1b}".repeat(100);
        let q = quote(&escapes);
        assert!(
            q.chars().count() <= QUOTE_MAX_CHARS && !q.contains('\u{1b}'),
            "{q}"
        );
    }

    #[test]
    fn limit_message_cuts_long_numbers_and_long_messages() {
        let huge = format!("got 1{}", "0".repeat(308));
        let m = limit_message(&huge, MESSAGE_MAX_CHARS);
        assert_eq!(m, "got 100000000000…(309 digits)");
        let ok = "seed 20261126, 12345678901234567890";
        assert!(matches!(limit_message(ok, 400), Cow::Borrowed(_)));
        let long = "é".repeat(10_000);
        let m = limit_message(&long, MESSAGE_MAX_CHARS);
        assert_eq!(m.chars().count(), MESSAGE_MAX_CHARS);
        assert!(m.ends_with('…'));
    }

    #[test]
    fn csv_cell_defuses_formulas_only() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        for c in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_cell(c), format!("'{c}"));
        }
        for c in ["jitter-10", "jitter+xfetch", "k=5", "fixed-ttl", "", "a, b"] {
            assert!(matches!(csv_cell(c), Cow::Borrowed(_)), "{c}");
        }
    }
}
