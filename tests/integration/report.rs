//! The one-page report (issue 22): every shipped scenario's base strategy diagnosed as the
//! failure mode the README's gallery says it shows, a calm run said to be calm, and
//! `report.html` self-contained, escaped and opened in a real browser when one is installed.

use cachestorm::diagnose::{diagnose, Mode};
use cachestorm::metrics::ScenarioResult;

use super::scenario_path;

/// Runs the first `strategies` strategies of the shipped scenario `file`.
fn run_shipped(file: &str, strategies: usize) -> ScenarioResult {
    let mut s = cachestorm::scenario::load(&scenario_path(file)).expect("a shipped scenario loads");
    s.strategies.truncate(strategies);
    cachestorm::experiment::run_scenario(&s, &|_| {})
}

/// The gallery's failure mode of each shipped scenario's base strategy.
const GALLERY: [(&str, Mode); 14] = [
    ("avalanche.toml", Mode::SynchronisedExpiry),
    ("thundering-herd.toml", Mode::HotKeyHerd),
    ("cold-deploy.toml", Mode::ColdCache),
    ("capacity-flush.toml", Mode::ColdCache),
    ("stale-after-write.toml", Mode::Freshness),
    ("local-cache-inconsistency.toml", Mode::Consistency),
    ("cache-penetration.toml", Mode::Penetration),
    ("cache-node-failure.toml", Mode::Dependency),
    ("slow-cache.toml", Mode::Dependency),
    ("hot-key-node.toml", Mode::Dependency),
    ("metastable-retry-storm.toml", Mode::RetryStorm),
    ("retry-storm-burst.toml", Mode::RetryStorm),
    ("congestive-collapse.toml", Mode::CongestiveCollapse),
    ("trace-replay.toml", Mode::Dependency),
];

#[test]
fn every_shipped_base_strategy_is_diagnosed_as_its_gallery_failure() {
    let shipped: Vec<String> = std::fs::read_dir(scenario_path(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    for name in &shipped {
        assert!(
            name == "fanout.toml" || GALLERY.iter().any(|(f, _)| f == name),
            "{name}: a shipped scenario without its expected diagnosis here"
        );
    }
    for (file, mode) in GALLERY {
        let result = run_shipped(file, 1);
        let d = diagnose(&result.strategies[0]);
        let headline = d.headline().map(|f| f.mode);
        assert_eq!(headline, Some(mode), "{file}: {d:#?}");
    }
}

#[test]
fn fanouts_one_key_request_has_no_failure_and_its_twenty_keys_miss() {
    let result = run_shipped("fanout.toml", usize::MAX);
    let first = diagnose(&result.strategies[0]);
    assert!(first.is_healthy(), "k=1: {first:#?}");
    let last = result.strategies.last().unwrap();
    assert!(last.fanout > 1);
    assert_eq!(
        diagnose(last).headline().map(|f| f.mode),
        Some(Mode::FanOut),
        "{}",
        last.name
    );
}

/// A fix stays fixed with a warning: warnings are risks, not failures.
#[test]
fn the_gallerys_fixes_are_diagnosed_healthy() {
    for (file, fixed) in [
        ("avalanche.toml", "jittered-ttl"),
        ("cache-penetration.toml", "bloom-filter"),
        ("thundering-herd.toml", "lease"),
        ("stale-after-write.toml", "delete-versioned"),
    ] {
        let result = run_shipped(file, usize::MAX);
        let s = result.strategies.iter().find(|s| s.name == fixed).unwrap();
        let d = diagnose(s);
        assert!(d.is_healthy(), "{file} {fixed}: {d:#?}");
        assert!(!diagnose(&result.strategies[0]).is_healthy(), "{file}");
        if file == "avalanche.toml" {
            // Refresh-ahead serves every read from the cache while its refreshes ask the
            // database for 6× its capacity: no failure, but a warning.
            let ahead = result.strategies.iter().find(|s| s.name == "refresh-ahead");
            let d = diagnose(ahead.unwrap());
            assert!(d.is_healthy(), "{d:#?}");
            let w: Vec<_> = d.warnings().map(|f| (f.mode, f.at_s)).collect();
            assert_eq!(w, [(Mode::HiddenOverload, 48.0)], "{d:#?}");
            assert!(d.findings[0].evidence.contains("background refreshes"));
        }
    }
}

/// A small scenario with markup in what a user types: its name, description and a strategy.
fn marked_up() -> String {
    let mut b = super::builder::ScenarioBuilder::new("rep");
    b.duration("4s")
        .set("description", "<script>alert(1)</script> & \"quotes\"")
        .strategy("<b>bold</b>", |s| {
            s.set("db.slots", 4);
        });
    b.toml()
}

fn read(dir: &std::path::Path, file: &str) -> String {
    std::fs::read_to_string(dir.join("rep").join(file)).unwrap()
}

#[test]
fn report_html_is_one_escaped_self_contained_page_and_no_report_skips_it() {
    let dir = tempfile::tempdir().unwrap();
    let (assert, _) = super::run_toml(dir.path(), "rep", &marked_up(), &["--format", "svg"]);
    assert.success();
    let html = read(dir.path(), "report.html");
    for section in [
        "verdict",
        "ranking",
        "timelines",
        "causes",
        "reproduce",
        "scenario",
    ] {
        assert!(
            html.contains(&format!("<h2 id=\"{section}\">")),
            "{section}"
        );
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"));
    assert!(html.contains("&lt;b&gt;bold&lt;/b&gt;"));
    assert!(!html.contains("<script>alert") && !html.contains("<b>bold"));
    // Exactly one script of ours, one font for every chart, no address but the SVG namespace.
    assert_eq!(html.matches("<script>").count(), 1);
    assert_eq!(
        html.matches("@font-face").count(),
        1,
        "the font embedded once"
    );
    let svgs = html.matches("<svg").count();
    assert!(svgs >= 4, "{svgs} charts inline");
    // Queries by cause over time: one stacked chart per strategy, drawn from its buckets.
    let causes = &html[html.find("<h2 id=\"causes\">").unwrap()..];
    assert_eq!(
        causes.matches("<figure data-s=").count(),
        1,
        "one per strategy"
    );
    assert!(causes.contains("<path fill=\"#0072B2\""), "misses drawn");
    let addresses = html.matches("http://").count() + html.matches("https://").count();
    assert_eq!(
        addresses,
        html.matches("http://www.w3.org/2000/svg").count()
    );
    assert!(!html.contains(" src=\"") && !html.contains(" href=\"http"));
    assert!(
        html.contains("--seed 1 --replications 1"),
        "the command to reproduce"
    );
    assert!(read(dir.path(), "run.toml").contains("\"report.html\""));

    let again = tempfile::tempdir().unwrap();
    let file = dir.path().join("rep.toml");
    super::cachestorm()
        .args(["run", "--format", "svg", "--out"])
        .arg(again.path())
        .arg(&file)
        .assert()
        .success();
    assert_eq!(
        read(again.path(), "report.html"),
        html,
        "same run, same bytes"
    );

    let (assert, _) = super::run_toml(
        dir.path(),
        "rep",
        &marked_up(),
        &["--no-report", "--no-charts"],
    );
    assert.success();
    assert!(!dir.path().join("rep/report.html").exists());
}

#[test]
fn with_replications_the_verdict_reads_every_replication() {
    let dir = tempfile::tempdir().unwrap();
    let (assert, _) = super::run_toml(
        dir.path(),
        "rep",
        &marked_up(),
        &["--no-charts", "--replications", "3"],
    );
    assert.success();
    let html = std::fs::read_to_string(dir.path().join("rep-r3/report.html")).unwrap();
    assert!(html.contains("Diagnosed over the 3 replications"), "{html}");
    assert!(!html.contains("replication 1"));
}

#[test]
fn report_html_without_charts_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (assert, _) = super::run_toml(dir.path(), "rep", &marked_up(), &["--no-charts"]);
    assert.success();
    let html = read(dir.path(), "report.html");
    assert!(html.contains("--no-charts"));
    assert!(!html.contains("<svg"));
}

/// Most bytes a shipped scenario's `report.html` may weigh (issue 22: "a few hundred KB").
const MOST_REPORT_BYTES: u64 = 300_000;

#[test]
fn the_largest_shipped_report_stays_under_300_kb() {
    // metastable-retry-storm's page is the largest of a single run (eight strategies, the
    // goodput and retry charts besides the usual ones): 281 kB, 513 kB before its SVG was
    // compacted.
    let (_dir, page) = shipped_report("metastable-retry-storm", &[]);
    let bytes = std::fs::metadata(&page).unwrap().len();
    assert!(
        bytes <= MOST_REPORT_BYTES,
        "report.html weighs {bytes} bytes, more than {MOST_REPORT_BYTES}"
    );
    // Every timeline still drawn, with its values for the pointer.
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.matches("<svg").count() >= 8);
    assert!(html.matches("data-hover=").count() >= 8);
}

/// The Chromium binary on PATH, if any.
fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|b| {
        std::process::Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// The Chromium binary, or `None` after saying the test is skipped (a panic instead when
/// `CACHESTORM_REQUIRE_CHROMIUM=1`).
fn chromium_or_skip() -> Option<&'static str> {
    let browser = chromium();
    if browser.is_none() {
        if std::env::var("CACHESTORM_REQUIRE_CHROMIUM").as_deref() == Ok("1") {
            panic!("chromium is not on PATH, and CACHESTORM_REQUIRE_CHROMIUM=1 requires it");
        }
        eprintln!(
            "skipped: chromium is not on PATH (set CACHESTORM_REQUIRE_CHROMIUM=1 to fail instead)"
        );
    }
    browser
}

/// Opens `html` in headless Chromium with `probe` (a script) after the page's own, and
/// returns the DOM it dumps and its log.
fn open_with_probe(browser: &str, html: &str, probe: &str) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("probe.html");
    std::fs::write(&page, html.replace("</body>", &format!("{probe}</body>"))).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{log}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), log)
}

/// Runs shipped scenario `name` (`scenarios/NAME.toml`), only `strategies` if any are named,
/// into a temporary folder; the folder (kept alive by the caller) and its report.html's path.
fn shipped_report(name: &str, strategies: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let mut command = super::cachestorm();
    command
        .arg("run")
        .arg(scenario_path(&format!("{name}.toml")))
        .arg("--out")
        .arg(dir.path());
    for s in strategies {
        command.args(["--strategy", s]);
    }
    command.assert().success();
    let page = dir.path().join(name).join("report.html");
    (dir, page)
}

/// What a probe saw: the `data-probe` attribute it wrote into the page's body, unescaped
/// (`name=value|name=value...`); `log` is Chromium's stderr, shown if the probe did not run.
fn probe_record(dom: &str, log: &str) -> String {
    dom.split("data-probe=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("the probe ran: {log}"))
        .replace("&amp;", "&")
}

/// The value of `name` in a probe's record (empty if absent).
fn probe_field<'a>(seen: &'a str, name: &str) -> &'a str {
    seen.split(&format!("{name}="))
        .nth(1)
        .map_or("", |s| s.split('|').next().unwrap_or(""))
}

#[test]
fn a_shipped_report_opens_in_headless_chromium_without_error_or_network_request() {
    let Some(browser) = chromium_or_skip() else {
        return;
    };
    let (_dir, report) = shipped_report("thundering-herd", &["none", "coalescing"]);
    let html = std::fs::read_to_string(&report).unwrap();
    // The page as written, with a probe after its own script: it moves the pointer over charts
    // and clicks the first strategy's legend entry, as a reader would (real DOM events through
    // the page's handlers), and writes what it saw into the body for `--dump-dom`.
    let (dom, log) = open_with_probe(browser, &html, PROBE);
    assert!(dom.contains("data-ready=\"1\""), "the script ran: {log}");
    assert!(dom.contains("hot-key herd"), "the verdict");
    assert_eq!(
        dom.matches("<svg").count(),
        html.matches("<svg").count(),
        "every chart"
    );
    assert!(html.matches("<svg").count() >= 4);
    // The page logs nothing: Chromium writes every console message (console.error, an
    // uncaught exception, a request the page's content security policy blocked) as a
    // `:CONSOLE` line on stderr.
    assert!(
        html.contains("content=\"default-src 'none';"),
        "every request forbidden"
    );
    for line in log.lines() {
        assert!(
            !line.contains(":CONSOLE") && !line.contains("net::ERR"),
            "{line}"
        );
    }
    // The latency distribution and its tail, a line per strategy.
    for id in ["chart-latency_cdf", "chart-latency_tail"] {
        assert!(html.contains(&format!("<figure id=\"{id}\">")), "{id}");
    }
    let seen = probe_record(&dom, &log);
    let field = |name: &str| probe_field(&seen, name);
    // Hovering shows the time or latency and each strategy's value there.
    let timeline = field("timeline");
    assert!(
        timeline.starts_with("time ") && timeline.contains(" s"),
        "{seen}"
    );
    assert!(
        timeline.contains("none: ") && timeline.contains("coalescing: "),
        "{seen}"
    );
    assert!(timeline.contains(" ms"), "a p99 in ms: {seen}");
    let tail = field("tail");
    assert!(
        tail.starts_with("slower than ") && tail.contains("none: "),
        "{seen}"
    );
    assert!(tail.contains('%'), "{seen}");
    assert!(field("cdf").starts_with("within "), "{seen}");
    // Clicking the legend entry of `none` hides every element of it (table rows, chart lines,
    // its cause chart) and takes it out of the hover; the other strategy stays.
    let counts: Vec<u32> = field("none")
        .split(',')
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(counts[0] >= 8, "none's rows and lines shown first: {seen}");
    assert_eq!(counts[1], 0, "none hidden after the click: {seen}");
    assert!(field("kept").parse::<u32>().unwrap() >= 8, "{seen}");
    let after = field("after");
    assert!(
        !after.contains("none: ") && after.contains("coalescing: "),
        "{seen}"
    );
}

/// Whether `colour` (`RRGGBB`) is a greyed strategy's grey: within two levels of 185 in every
/// channel, the channels not all equal.
fn greyed(colour: &str) -> bool {
    let c: Vec<u8> = (0..3)
        .filter_map(|k| u8::from_str_radix(colour.get(2 * k..2 * k + 2)?, 16).ok())
        .collect();
    c.len() == 3 && c.iter().all(|v| v.abs_diff(185) <= 2) && !(c[0] == c[1] && c[1] == c[2])
}

#[test]
fn hiding_a_greyed_strategy_in_chromium_hides_its_grey_lines_and_hover_value() {
    let Some(browser) = chromium_or_skip() else {
        return;
    };
    let (_dir, page) = shipped_report("avalanche", &[]);
    let html = std::fs::read_to_string(page).unwrap();
    // Six strategies: the hit-ratio overlay greys all but the baseline and the best, each in
    // its own grey, every greyed line tagged with its strategy.
    let figure = html
        .split("<figure id=\"chart-hit_ratio\">")
        .nth(1)
        .and_then(|f| f.split("</figure>").next())
        .expect("the hit-ratio overlay");
    let mut greys: Vec<(Option<usize>, String)> = Vec::new();
    for line in figure.lines() {
        let Some(c) = line.split("stroke=\"#").nth(1).and_then(|c| c.get(..6)) else {
            continue;
        };
        if greyed(c) {
            let s = line
                .split("data-s=\"")
                .nth(1)
                .and_then(|s| s.split('"').next()?.parse().ok());
            greys.push((s, c.to_owned()));
        }
    }
    assert!(
        greys.iter().all(|(s, _)| s.is_some()),
        "untagged grey: {greys:?}"
    );
    let mut owners: Vec<usize> = greys.iter().filter_map(|g| g.0).collect();
    owners.sort_unstable();
    owners.dedup();
    assert_eq!(owners.len(), 4, "four greyed strategies: {greys:?}");
    let hidden = owners[0];
    let probe = GREYED_PROBE.replace("IDX", &hidden.to_string());
    let (dom, log) = open_with_probe(browser, &html, &probe);
    let seen = probe_record(&dom, &log);
    let field = |name: &str| probe_field(&seen, name);
    let name = field("name");
    assert!(!name.is_empty(), "{seen}");
    let counts: Vec<usize> = field("shown")
        .split(',')
        .map(|n| n.parse().unwrap())
        .collect();
    let own = greys.iter().filter(|g| g.0 == Some(hidden)).count();
    assert_eq!(
        counts,
        [own, 0],
        "its grey lines shown, then hidden: {seen}"
    );
    assert!(field("before").contains(&format!("{name}: ")), "{seen}");
    let after = field("after");
    assert!(
        !after.contains(&format!("{name}: ")) && after.contains("fixed-ttl: "),
        "{seen}"
    );
}

#[test]
fn node_load_hover_shows_the_panel_under_the_pointer_and_a_hidden_strategys_panel_goes_whole() {
    let Some(browser) = chromium_or_skip() else {
        return;
    };
    let (_dir, page) = shipped_report("cache-node-failure", &["no-failover", "consistent-hashing"]);
    let html = std::fs::read_to_string(page).unwrap();
    let (dom, log) = open_with_probe(browser, &html, PANEL_PROBE);
    let seen = probe_record(&dom, &log);
    let field = |name: &str| probe_field(&seen, name);
    // Over each node-load panel: its strategy, the time, and its nodes' reads per second.
    let (first, second) = (field("first"), field("second"));
    assert!(first.starts_with("no-failover, time "), "{seen}");
    assert!(second.starts_with("consistent-hashing, time "), "{seen}");
    for tip in [first, second] {
        for node in 0..4 {
            assert!(tip.contains(&format!("/node {node}: ")), "{seen}");
        }
        assert!(tip.contains(" reads/s"), "{seen}");
    }
    // Hiding no-failover hides all of its panel in the small multiples: its line, frame, grid,
    // ticks, tick labels and label; the other's panel stays whole.
    let counts =
        |name: &str| -> Vec<usize> { field(name).split(',').map(|n| n.parse().unwrap()).collect() };
    let before = counts("before");
    assert!(
        before[0] >= 10 && before[1] >= 3,
        "lines, frame and texts: {seen}"
    );
    assert_eq!(counts("hidden"), [0, 0], "{seen}");
    assert_eq!(counts("kept"), counts("other"), "{seen}");
    assert_eq!(field("label"), "none", "{seen}");
    // And the node-load panel of a hidden strategy shows no values.
    assert_eq!(field("gone"), "", "{seen}");
    assert!(field("still").starts_with("consistent-hashing, "), "{seen}");
}

/// The probe of the node-load hover and of a hidden strategy's panel: hovers each node-load
/// panel at its middle, counts the first and second strategy's shown elements (and texts) in
/// the p99 small multiples, hides the first, counts again, reads its panel label's display,
/// and hovers the node-load panels again.
const PANEL_PROBE: &str = r#"<script>(function(){var D=document,out=[];
var fig=D.getElementById('chart-node_load'),s=fig.querySelector('svg'),
d=JSON.parse(fig.querySelector('.hv').getAttribute('data-hover'));
function hover(i){var r=s.getBoundingClientRect(),vb=s.viewBox.baseVal,p=d.p[i];
s.dispatchEvent(new MouseEvent('mousemove',{clientX:r.left+r.width*0.5,
clientY:r.top+(p[0]+p[1])/2*r.height/vb.height,bubbles:true}));
var t=D.getElementById('tip');return t.style.display=='none'?'':t.textContent.split('\n').join('/');}
out.push('first='+hover(0));out.push('second='+hover(1));
var p99=D.getElementById('chart-latency_p99_by_strategy');
function shown(i){var all=[].filter.call(p99.querySelectorAll('[data-s="'+i+'"]'),function(e){
return getComputedStyle(e).display!='none';});
return all.length+','+all.filter(function(e){return e.tagName=='text';}).length;}
out.push('before='+shown(0));out.push('other='+shown(1));
D.querySelector('#show label[data-n="0"]').click();
out.push('hidden='+shown(0));out.push('kept='+shown(1));
var label=[].filter.call(p99.querySelectorAll('text'),function(e){
return e.textContent.indexOf('no-failover:')==0;})[0];
out.push('label='+(label?getComputedStyle(label).display:'missing'));
out.push('gone='+hover(0));out.push('still='+hover(1));
D.body.setAttribute('data-probe',out.join('|'));})();</script>"#;

/// The probe of a greyed strategy (`IDX`): counts its shown elements in the hit-ratio overlay,
/// hovers it, clicks its legend entry, counts and hovers again.
const GREYED_PROBE: &str = r#"<script>(function(){var D=document,out=[],f=D.getElementById('chart-hit_ratio');
function hover(){var s=f.querySelector('svg'),r=s.getBoundingClientRect();
s.dispatchEvent(new MouseEvent('mousemove',{clientX:r.left+r.width*0.5,clientY:r.top+r.height/2,bubbles:true}));
return D.getElementById('tip').textContent.split('\n').join('/');}
function shown(){return [].filter.call(f.querySelectorAll('[data-s="IDX"]'),function(e){
return getComputedStyle(e).display!='none';}).length;}
var l=D.querySelector('#show label[data-n="IDX"]');out.push('name='+l.textContent.trim());
out.push('before='+hover());var before=shown();l.click();
out.push('shown='+before+','+shown());out.push('after='+hover());
D.body.setAttribute('data-probe',out.join('|'));})();</script>"#;

/// The probe the Chromium test adds to a report: hovers the p99 timeline, the distribution and
/// its tail halfway across, clicks the first legend entry, and writes
/// `name=value|...` into the body's `data-probe` (newlines as `/`).
const PROBE: &str = r#"<script>(function(){var D=document,out=[];
function hover(id,f){var s=D.querySelector('#'+id+' svg'),r=s.getBoundingClientRect();
s.dispatchEvent(new MouseEvent('mousemove',{clientX:r.left+r.width*f,clientY:r.top+r.height/2,bubbles:true}));
return D.getElementById('tip').textContent.split('\n').join('/');}
function shown(i){return [].filter.call(D.querySelectorAll('[data-s="'+i+'"]'),function(e){
return getComputedStyle(e).display!='none';}).length;}
out.push('timeline='+hover('chart-latency_p99_by_strategy',0.5));
out.push('cdf='+hover('chart-latency_cdf',0.5));
out.push('tail='+hover('chart-latency_tail',0.5));
var before=shown(0);D.querySelector('#show label[data-n="0"]').click();
out.push('none='+before+','+shown(0));out.push('kept='+shown(1));
out.push('after='+hover('chart-latency_tail',0.5));
D.body.setAttribute('data-probe',out.join('|'));})();</script>"#;
