//! User text on its way out: what a user typed (a strategy name, a path, a value in a scenario
//! file) never reaches a terminal, a CSV cell or an SVG unescaped, and never fills a message.
//!
//! - [`escape`]: control characters, bidirectional overrides and characters XML forbids become
//!   visible Rust-style escapes (`\u{1b}`), for terminals and chart text;
//! - [`quote`]: [`escape`] and cut to [`QUOTE_MAX_CHARS`] characters, for values echoed in error
//!   messages;
//! - [`csv_cell`]: a leading `'` on cells a spreadsheet would read as a formula.

use std::borrow::Cow;

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
