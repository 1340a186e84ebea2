//! JUnit XML, the report format CI systems read (GitHub Actions, GitLab, Jenkins), for
//! `cachestorm check --junit FILE`: one suite per scenario, one test case per expectation or
//! baseline comparison. A failed case carries its reason (value, bound and interval), a case
//! whose figure cannot be compared is skipped with why, and input that was refused is an
//! `<error>` case naming the file and the field; every case carries its figures as
//! `<property>` elements (a de facto extension most readers show) and its sentence as
//! `<system-out>`.
//!
//! Every string comes from a user (scenario, strategy and metric names, messages quoting them),
//! so all are escaped: the five XML special characters become entities, and characters XML 1.0
//! forbids or that would mislead a reader (control characters, bidirectional overrides) become
//! visible `\u{1b}` escapes, as everywhere else (see [`crate::text`]).

use std::fmt::Write as _;

use crate::text;

/// How a test case ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// It held.
    Passed,
    /// It did not hold: why (may span lines).
    Failed(String),
    /// It could not be judged: why.
    Skipped(String),
    /// The input was refused (or another error stopped the check): the message.
    Error(String),
}

/// One test case: an expectation and whether it held.
#[derive(Clone, Debug, PartialEq)]
pub struct TestCase {
    /// What was checked, e.g. `jittered-ttl: peak_db_queries_per_s <= 2000`.
    pub name: String,
    /// The group it belongs to, e.g. `cachestorm.avalanche`.
    pub classname: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Time spent on it, seconds (written as 0 when negative or not finite).
    pub time_s: f64,
    /// Named figures, such as `value`, `bound`, `ci95_low`, in order.
    pub properties: Vec<(String, String)>,
    /// A sentence for people (written as `<system-out>` when not empty).
    pub system_out: String,
}

impl TestCase {
    /// A case named `name` in `classname` that ended as `outcome`, with no time, properties
    /// or output.
    pub fn new(name: &str, classname: &str, outcome: Outcome) -> TestCase {
        TestCase {
            name: name.into(),
            classname: classname.into(),
            outcome,
            time_s: 0.0,
            properties: Vec::new(),
            system_out: String::new(),
        }
    }
}

/// A suite of cases, such as one scenario's, with properties of the whole suite (notes such as
/// "the file differs from the baseline's").
#[derive(Clone, Debug, PartialEq)]
pub struct Suite {
    /// Name, e.g. the scenario's.
    pub name: String,
    /// Named facts about the suite, in order.
    pub properties: Vec<(String, String)>,
    /// The cases, in order.
    pub cases: Vec<TestCase>,
}

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    time_s: f64,
}

impl Counts {
    fn of<'a>(cases: impl IntoIterator<Item = &'a TestCase>) -> Counts {
        let mut c = Counts::default();
        for case in cases {
            c.tests += 1;
            c.time_s += seconds(case.time_s);
            match case.outcome {
                Outcome::Passed => {}
                Outcome::Failed(_) => c.failures += 1,
                Outcome::Skipped(_) => c.skipped += 1,
                Outcome::Error(_) => c.errors += 1,
            }
        }
        c
    }

    fn attributes(&self) -> String {
        format!(
            "tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\"",
            self.tests, self.failures, self.errors, self.skipped, self.time_s
        )
    }
}

/// A JUnit XML document named `name` holding `suites` in order, with the counts of tests,
/// failures, errors and skipped cases on each suite and on the `testsuites` root. A failure's
/// or an error's text is both the `message` attribute and the element's content.
pub fn junit_xml(name: &str, suites: &[Suite]) -> String {
    let all = Counts::of(suites.iter().flat_map(|s| &s.cases));
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" {}>",
        attribute(name),
        all.attributes()
    );
    for suite in suites {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" {}>",
            attribute(&suite.name),
            Counts::of(&suite.cases).attributes()
        );
        properties(&mut out, "    ", &suite.properties);
        for case in &suite.cases {
            testcase(&mut out, case);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn testcase(out: &mut String, case: &TestCase) {
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
        attribute(&case.name),
        attribute(&case.classname),
        seconds(case.time_s)
    );
    if case.outcome == Outcome::Passed && case.properties.is_empty() && case.system_out.is_empty() {
        out.push_str("/>\n");
        return;
    }
    out.push_str(">\n");
    properties(out, "      ", &case.properties);
    let element = |out: &mut String, tag: &str, kind: &str, text: &str| {
        let _ = writeln!(
            out,
            "      <{tag} message=\"{}\" type=\"{kind}\">{}</{tag}>",
            attribute(text),
            content(text)
        );
    };
    match &case.outcome {
        Outcome::Passed => {}
        Outcome::Failed(why) => element(out, "failure", "expectation", why),
        Outcome::Error(why) => element(out, "error", "input", why),
        Outcome::Skipped(why) => {
            let _ = writeln!(out, "      <skipped message=\"{}\"/>", attribute(why));
        }
    }
    if !case.system_out.is_empty() {
        let _ = writeln!(
            out,
            "      <system-out>{}</system-out>",
            content(&case.system_out)
        );
    }
    out.push_str("    </testcase>\n");
}

fn properties(out: &mut String, indent: &str, list: &[(String, String)]) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(out, "{indent}<properties>");
    for (name, value) in list {
        let _ = writeln!(
            out,
            "{indent}  <property name=\"{}\" value=\"{}\"/>",
            attribute(name),
            attribute(value)
        );
    }
    let _ = writeln!(out, "{indent}</properties>");
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

    fn case(name: &str, outcome: Outcome) -> TestCase {
        TestCase {
            time_s: 1.25,
            ..TestCase::new(name, "avalanche", outcome)
        }
    }

    fn suite(name: &str, cases: Vec<TestCase>) -> Suite {
        Suite {
            name: name.into(),
            properties: Vec::new(),
            cases,
        }
    }

    #[test]
    fn the_document_parses_and_counts_every_outcome() {
        let reason = "p99_latency_ms = 1000.3, not < 50\n95% interval 990 to 1010";
        let cases = vec![
            TestCase {
                properties: vec![("value".into(), "1584".into())],
                system_out: "peak_db_queries_per_s is 1584, within <= 2000".into(),
                ..case(
                    "jittered-ttl: peak_db_queries_per_s <= 2000",
                    Outcome::Passed,
                )
            },
            case(
                "fixed-ttl: p99_latency_ms < 50",
                Outcome::Failed(reason.into()),
            ),
            TestCase {
                time_s: f64::NAN,
                ..case("xfetch: errors_total <= 0", Outcome::Passed)
            },
            case("new: not in baseline", Outcome::Skipped("not there".into())),
        ];
        let mut first = suite("avalanche", cases.clone());
        first.properties = vec![("note".into(), "the file differs".into())];
        let second = suite(
            "input",
            vec![case(
                "a.toml",
                Outcome::Error("a.toml: field `x`: bad".into()),
            )],
        );
        let xml = junit_xml("cachestorm check", &[first, second]);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        assert_eq!(root.attribute("tests"), Some("5"));
        assert_eq!(root.attribute("failures"), Some("1"));
        assert_eq!(root.attribute("errors"), Some("1"));
        assert_eq!(root.attribute("skipped"), Some("1"));
        assert_eq!(root.attribute("time"), Some("5.000"));
        let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
        assert_eq!(suites.len(), 2);
        let s = suites[0];
        assert_eq!(s.attribute("name"), Some("avalanche"));
        assert_eq!(s.attribute("tests"), Some("4"));
        assert_eq!(s.attribute("failures"), Some("1"));
        assert_eq!(s.attribute("errors"), Some("0"));
        let children: Vec<_> = s.children().filter(|n| n.is_element()).collect();
        assert_eq!(children[0].tag_name().name(), "properties");
        let note = children[0].first_element_child().unwrap();
        assert_eq!(note.attribute("name"), Some("note"));
        assert_eq!(note.attribute("value"), Some("the file differs"));
        let testcases = &children[1..];
        assert_eq!(testcases.len(), 4);
        assert_eq!(testcases[0].attribute("name"), Some(cases[0].name.as_str()));
        assert_eq!(testcases[0].attribute("classname"), Some("avalanche"));
        assert_eq!(testcases[0].attribute("time"), Some("1.250"));
        let value = testcases[0]
            .descendants()
            .find(|n| n.has_tag_name("property"))
            .unwrap();
        assert_eq!(value.attribute("value"), Some("1584"));
        let out = testcases[0]
            .descendants()
            .find(|n| n.has_tag_name("system-out"))
            .unwrap();
        assert_eq!(out.text(), Some(cases[0].system_out.as_str()));
        assert!(!testcases[2].has_children());
        assert_eq!(testcases[2].attribute("time"), Some("0.000"));
        let failure = testcases[1].first_element_child().unwrap();
        assert_eq!(failure.tag_name().name(), "failure");
        assert_eq!(failure.attribute("message"), Some(reason));
        assert_eq!(failure.text(), Some(reason));
        let skipped = testcases[3].first_element_child().unwrap();
        assert_eq!(skipped.tag_name().name(), "skipped");
        assert_eq!(skipped.attribute("message"), Some("not there"));
        let error = suites[1].first_element_child().unwrap();
        let error = error.first_element_child().unwrap();
        assert_eq!(error.tag_name().name(), "error");
        assert_eq!(error.attribute("message"), Some("a.toml: field `x`: bad"));
        assert_eq!(suites[1].attribute("errors"), Some("1"));
    }

    #[test]
    fn hostile_names_come_out_escaped() {
        let hostile = "<script>&\"'\u{1}\u{1b}[31m\u{202e}\u{ffff}\r\t]]>";
        let cases = vec![TestCase {
            properties: vec![(hostile.into(), hostile.into())],
            system_out: hostile.into(),
            ..TestCase::new(
                hostile,
                hostile,
                Outcome::Failed(format!("{hostile}\nsecond line")),
            )
        }];
        let xml = junit_xml(hostile, &[suite(hostile, cases)]);
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
        let property = testcase
            .descendants()
            .find(|n| n.has_tag_name("property"))
            .unwrap();
        assert_eq!(property.attribute("name"), Some(shown));
        assert_eq!(property.attribute("value"), Some(shown));
        let failure = testcase
            .children()
            .find(|n| n.has_tag_name("failure"))
            .unwrap();
        let reason = format!("{shown}\nsecond line");
        assert_eq!(failure.attribute("message"), Some(reason.as_str()));
        assert_eq!(failure.text(), Some(reason.as_str()));
    }

    #[test]
    fn an_empty_suite_is_a_valid_document() {
        for suites in [vec![], vec![suite("empty", vec![])]] {
            let xml = junit_xml("empty", &suites);
            let doc = roxmltree::Document::parse(&xml).unwrap();
            assert_eq!(doc.root_element().attribute("tests"), Some("0"));
            assert_eq!(doc.root_element().attribute("failures"), Some("0"));
        }
    }
}
