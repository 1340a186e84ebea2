//! JUnit XML, the report format CI systems read (GitHub Actions, GitLab, Jenkins), for
//! `cachestorm check --junit FILE`: one test case per expectation, failed ones with the reason.
//!
//! Every string comes from a user (scenario, strategy and metric names, messages quoting them),
//! so all are escaped: the five XML special characters become entities, and characters XML 1.0
//! forbids or that would mislead a reader (control characters, bidirectional overrides) become
//! visible `\u{1b}` escapes, as everywhere else (see [`crate::text`]).

use std::fmt::Write as _;

use crate::text;

/// One test case: an expectation and whether it held.
#[derive(Clone, Debug, PartialEq)]
pub struct TestCase {
    /// What was checked, e.g. `jittered-ttl: peak_db_queries_per_s <= 2000`.
    pub name: String,
    /// The group it belongs to, e.g. the scenario's name.
    pub classname: String,
    /// Why it failed (may span lines), or `None` when it passed.
    pub failure: Option<String>,
    /// Time spent on it, seconds (written as 0 when negative or not finite).
    pub time_s: f64,
}

/// A JUnit XML document with one suite named `suite` holding `cases` in order, with the counts
/// of tests and failures on the suite and on the `testsuites` root. A failure's text is both
/// the `message` attribute and the element's content.
pub fn junit_xml(suite: &str, cases: &[TestCase]) -> String {
    let failures = cases.iter().filter(|c| c.failure.is_some()).count();
    let total_s: f64 = cases.iter().map(|c| seconds(c.time_s)).sum();
    let counts = format!(
        "tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{total_s:.3}\"",
        cases.len()
    );
    let suite = attribute(suite);
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<testsuites name=\"{suite}\" {counts}>");
    let _ = writeln!(out, "  <testsuite name=\"{suite}\" {counts} skipped=\"0\">");
    for case in cases {
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
            attribute(&case.name),
            attribute(&case.classname),
            seconds(case.time_s)
        );
        match &case.failure {
            None => out.push_str("/>\n"),
            Some(reason) => {
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"expectation\">{}</failure>\n    </testcase>",
                    attribute(reason),
                    content(reason)
                );
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn seconds(t: f64) -> f64 {
    if t.is_finite() && t > 0.0 {
        t
    } else {
        0.0
    }
}

/// `s` for an attribute value in double quotes: line breaks and tabs as character references
/// (a parser would turn them into spaces otherwise).
fn attribute(s: &str) -> String {
    escape(s, true)
}

/// `s` for element content: line breaks and tabs kept as they are.
fn content(s: &str) -> String {
    escape(s, false)
}

fn escape(s: &str, in_attribute: bool) -> String {
    let visible = text::escape_except(s, &['\n', '\r', '\t']);
    let mut out = String::with_capacity(visible.len());
    for c in visible.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // A bare carriage return would be read as a line feed.
            '\r' => out.push_str("&#13;"),
            '\n' if in_attribute => out.push_str("&#10;"),
            '\t' if in_attribute => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(name: &str, failure: Option<&str>) -> TestCase {
        TestCase {
            name: name.into(),
            classname: "avalanche".into(),
            failure: failure.map(Into::into),
            time_s: 1.25,
        }
    }

    #[test]
    fn the_document_parses_and_counts_tests_and_failures() {
        let cases = [
            case("jittered-ttl: peak_db_queries_per_s <= 2000", None),
            case(
                "fixed-ttl: p99_latency_ms < 50",
                Some("p99_latency_ms = 1000.3, not < 50\n95% interval 990 to 1010"),
            ),
            TestCase {
                time_s: f64::NAN,
                ..case("xfetch: errors_total <= 0", None)
            },
        ];
        let xml = junit_xml("cachestorm check", &cases);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        assert_eq!(root.attribute("tests"), Some("3"));
        assert_eq!(root.attribute("failures"), Some("1"));
        assert_eq!(root.attribute("time"), Some("2.500"));
        let suite = root.first_element_child().unwrap();
        assert_eq!(suite.tag_name().name(), "testsuite");
        assert_eq!(suite.attribute("name"), Some("cachestorm check"));
        assert_eq!(suite.attribute("tests"), Some("3"));
        assert_eq!(suite.attribute("failures"), Some("1"));
        let testcases: Vec<_> = suite.children().filter(|n| n.is_element()).collect();
        assert_eq!(testcases.len(), 3);
        assert_eq!(testcases[0].attribute("name"), Some(cases[0].name.as_str()));
        assert_eq!(testcases[0].attribute("classname"), Some("avalanche"));
        assert_eq!(testcases[0].attribute("time"), Some("1.250"));
        assert!(!testcases[0].has_children());
        assert_eq!(testcases[2].attribute("time"), Some("0.000"));
        let failure = testcases[1].first_element_child().unwrap();
        assert_eq!(failure.tag_name().name(), "failure");
        let reason = cases[1].failure.as_deref().unwrap();
        assert_eq!(failure.attribute("message"), Some(reason));
        assert_eq!(failure.text(), Some(reason));
    }

    #[test]
    fn hostile_names_come_out_escaped() {
        let hostile = "<script>&\"'\u{1}\u{1b}[31m\u{202e}\u{ffff}\r\t]]>";
        let cases = [TestCase {
            name: hostile.into(),
            classname: hostile.into(),
            failure: Some(format!("{hostile}\nsecond line")),
            time_s: 0.0,
        }];
        let xml = junit_xml(hostile, &cases);
        assert!(!xml.contains("<script>"), "{xml}");
        assert!(xml.contains("&lt;script&gt;&amp;&quot;&apos;\\u{1}\\u{1b}[31m\\u{202e}\\u{ffff}"));
        // Only line breaks and tabs, which XML allows, stay as they are (in the failure's text).
        let raw = |c: char| text::is_unsafe(c) && c != '\n' && c != '\t';
        assert!(!xml.chars().any(raw), "{xml:?}");
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let shown = "<script>&\"'\\u{1}\\u{1b}[31m\\u{202e}\\u{ffff}\r\t]]>";
        let suite = doc.root_element().first_element_child().unwrap();
        assert_eq!(suite.attribute("name"), Some(shown));
        let testcase = suite.first_element_child().unwrap();
        assert_eq!(testcase.attribute("name"), Some(shown));
        assert_eq!(testcase.attribute("classname"), Some(shown));
        let failure = testcase.first_element_child().unwrap();
        let reason = format!("{shown}\nsecond line");
        assert_eq!(failure.attribute("message"), Some(reason.as_str()));
        assert_eq!(failure.text(), Some(reason.as_str()));
    }

    #[test]
    fn an_empty_suite_is_a_valid_document() {
        let xml = junit_xml("empty", &[]);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        assert_eq!(doc.root_element().attribute("tests"), Some("0"));
        assert_eq!(doc.root_element().attribute("failures"), Some("0"));
    }
}
