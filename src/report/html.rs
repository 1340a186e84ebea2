//! `report.html`: one self-contained page that says what failed and why.
//!
//! Sections, most important first: the verdict per strategy (the failure modes
//! [`crate::diagnose`] finds, with their evidence and worst moment, the recovery verdict and the
//! model's mitigations), the ranking on the scenario's objective, the timelines (the charts,
//! inline), the latency distributions ([`super::cdf`]), where the database load came from
//! (queries by cause), the scenario file and the command that reproduces the run.
//!
//! The page makes no network request: the charts are inline SVG with their font embedded once
//! for the page (a subset of the chart font, as each SVG file has its own), a content security
//! policy forbids anything else, and a few lines of plain JavaScript only show or hide
//! strategies in the tables. Every text a user typed (names, descriptions, the scenario file) is
//! HTML-escaped, control characters shown as `\u{..}` escapes first. The bytes depend only on
//! the results and the inputs, so the same run gives the same page.

use std::fmt::Write as _;

use super::charts::Chart;
use super::ranking::{higher_is_better, rank, Ranking};
use crate::diagnose::{diagnose_runs, Diagnosis, Mode};
use crate::metrics::{ratio, StrategyResult, StudyResult, COLUMNS};

/// File name of the report in an output folder.
pub const FILE: &str = "report.html";

/// What the page shows besides the results.
#[derive(Clone, Debug)]
pub struct Page<'a> {
    /// The scenario file as given on the command line.
    pub scenario_file: &'a str,
    /// The scenario file's text as run, or `None` when it changed since (then not shown).
    pub scenario_text: Option<&'a str>,
    /// The command that reproduces the run (shell words, already quoted).
    pub command: &'a str,
    /// The charts as SVG (any order; those the report shows are picked by stem). Empty when
    /// the run drew none (`--no-charts`).
    pub svg_charts: &'a [Chart],
    /// What `cachestorm diagnose` tried, when it writes the page: a section after the verdict.
    pub advice: Option<&'a crate::workflow::checked::Report>,
    /// The strategies that ran, found by name: the verdict marks the mitigations each already
    /// has on (none marked for a strategy not among them).
    pub strategies: &'a [crate::scenario::Strategy],
}

/// HTML-escapes `s` ([`crate::text::html`]).
pub use crate::text::html as escape;

/// `s` as one POSIX shell word: unchanged when it holds only safe characters, else in single
/// quotes (a quote inside written `'\''`).
pub fn shell_word(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The command that reproduces a run of `file` with `seed` and `replications`, selecting
/// `strategies` (all when empty).
pub fn reproduce(file: &str, seed: u64, replications: usize, strategies: &[String]) -> String {
    let mut cmd = format!(
        "cachestorm run {} --seed {seed} --replications {replications}",
        shell_word(file)
    );
    for s in strategies {
        cmd.push_str(" --strategy ");
        cmd.push_str(&shell_word(s));
    }
    cmd
}

/// Charts of the timelines, in the order shown: with their small multiples when drawn (the
/// overlaid lines of many strategies hide each other), the overlays otherwise, then the
/// charts of the scenario's own lesson.
const TIMELINES: [(&str, &str); 11] = [
    ("latency_p99_by_strategy", "latency_p99"),
    ("db_load_by_strategy", "db_load"),
    ("hit_ratio", ""),
    ("errors_by_strategy", "errors"),
    ("outdated_reads", ""),
    ("outdated_age_p99", ""),
    ("local_differs", ""),
    ("goodput", ""),
    ("retry_amplification", ""),
    ("node_load", ""),
    ("", ""),
];

/// The charts the page shows, from those drawn: for each entry of [`TIMELINES`], the first
/// drawn of its two stems.
fn shown_charts(charts: &[Chart]) -> Vec<&Chart> {
    let find = |stem: &str| {
        charts
            .iter()
            .find(|c| !stem.is_empty() && c.file_stem == stem)
    };
    TIMELINES
        .iter()
        .filter_map(|(a, b)| find(a).or_else(|| find(b)))
        .collect()
}

/// The bytes of `report.html` for `study`.
pub fn report(study: &StudyResult, page: &Page) -> Vec<u8> {
    let result = study.first();
    let charts = shown_charts(page.svg_charts);
    let (svgs, font_css) = super::charts::share_font(
        &charts
            .iter()
            .map(|c| String::from_utf8_lossy(&c.bytes).into_owned())
            .collect::<Vec<_>>(),
    );
    // Each strategy diagnosed over every replication: a mode holds in a majority of them.
    let diagnoses: Vec<Diagnosis> = (0..result.strategies.len())
        .map(|i| {
            let runs: Vec<&StrategyResult> = study.runs.iter().map(|r| &r.strategies[i]).collect();
            diagnose_runs(&runs)
        })
        .collect();
    let mut h = String::with_capacity(64 * 1024);
    let name = escape(&result.name);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; font-src data:; img-src data:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>cachestorm: {name}</title>\n<style>{STYLE}{}</style>\n</head>\n<body>\n",
        font_css.unwrap_or_default()
    );
    let _ = writeln!(h, "<h1>{name}</h1>");
    if !result.description.is_empty() {
        let _ = writeln!(h, "<p class=\"desc\">{}</p>", escape(&result.description));
    }
    let reps = study.replications();
    let _ = writeln!(
        h,
        "<p class=\"meta\">{} strateg{}, {} simulated, seed {}{}</p>",
        result.strategies.len(),
        if result.strategies.len() == 1 {
            "y"
        } else {
            "ies"
        },
        seconds(result.duration_s),
        result.seed,
        if reps > 1 {
            format!(", {reps} replications")
        } else {
            String::new()
        }
    );
    toggles(&mut h, result);
    verdict(&mut h, study, page, &diagnoses, &charts);
    if let Some(r) = page.advice {
        advice(&mut h, r);
    }
    ranking(&mut h, study);
    timelines(&mut h, study, &charts, &svgs, page.svg_charts.is_empty());
    super::cdf::section(&mut h, study, !page.svg_charts.is_empty());
    causes(&mut h, study, !page.svg_charts.is_empty());
    source(&mut h, page, result.seed);
    let _ = write!(
        h,
        "<footer>Written by cachestorm {}.</footer>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    h.into_bytes()
}

/// `report.html` of the runs `cachestorm diagnose` made (`r`), with its checked advice: the
/// charts drawn here as SVG. `scenario_file` is the file as given on the command line and
/// `scenario_text` its text (`None`: not shown).
pub fn diagnose_report(
    r: &crate::workflow::checked::Report,
    scenario_file: &str,
    scenario_text: Option<&str>,
) -> Result<Vec<u8>, super::charts::ChartError> {
    let svg = super::charts::render_study(&r.study, super::ImageFormat::Svg)?;
    let command = format!(
        "cachestorm diagnose {} --strategy {} --seed {} --replications {} --out DIR",
        shell_word(scenario_file),
        shell_word(&r.base),
        r.scenario.seed,
        r.study.replications()
    );
    let page = Page {
        scenario_file,
        scenario_text,
        command: &command,
        svg_charts: &svg,
        advice: Some(r),
        strategies: &r.scenario.strategies,
    };
    Ok(report(&r.study, &page))
}

const STYLE: &str = "\
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1240px;margin:0 auto;\
padding:0 16px 40px;color:#222}\
h1{margin:.6em 0 .1em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}\
.desc{color:#444;white-space:pre-wrap}.meta,.note,footer{color:#666;font-size:.9em}\
table{border-collapse:collapse;margin:.5em 0}th,td{padding:3px 8px;border-bottom:1px solid #e4e4e4;\
text-align:left;vertical-align:top}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\
td.s,.held{white-space:nowrap}.mode{font-weight:600}.bad{color:#b00020}.warn{color:#9a5b00}.ok{color:#1b7a2e}.mit{color:#555;font-size:.9em}\
.also{color:#444;font-size:.92em}\
figure{margin:1em 0;break-inside:avoid}figure svg{max-width:100%;height:auto}\
figcaption{color:#444;font-size:.9em}\
pre{background:#f6f6f6;padding:8px;overflow-x:auto;white-space:pre-wrap;word-break:break-word}\
.bar{display:flex;height:12px;min-width:240px;background:#eee}.bar span{display:block;height:12px}\
.key span{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}\
.key span.k{width:auto;height:auto;margin:0}.pair{display:flex;flex-wrap:wrap;gap:0 16px}\
.pair figure{margin:.5em 0}\
#show label{margin-right:12px;white-space:nowrap;cursor:pointer}\
.sw{display:inline-block;width:14px;height:4px;margin:0 4px 3px 2px;vertical-align:middle}\
#tip{position:absolute;display:none;background:#fff;border:1px solid #999;padding:4px 8px;\
font-size:12px;line-height:1.4;white-space:pre;pointer-events:none;box-shadow:0 1px 4px #0003}\
@media screen{.off{display:none!important}}\
@media print{#show,#tip{display:none}body{max-width:none}a{color:inherit;text-decoration:none}}";

/// The page's script (no request, no library): the legend's boxes show and hide a strategy
/// (class `off` on everything marked `data-s` with its index: table rows, cause charts, lines
/// of the charts); moving the pointer over a chart with values (`data-hover`, see
/// [`super::hover`]) shows the time or latency there and each shown series' value. It marks the
/// page ready (`data-ready` on the body), so a test in a browser sees it ran without error.
/// With JavaScript off the page reads the same, without them; printed, everything shows.
const SCRIPT: &str = r#"(function(){var D=document,hid={},names=[];
D.querySelectorAll('#show label').forEach(function(l){names[+l.getAttribute('data-n')]=l.textContent;});
D.querySelectorAll('#show input').forEach(function(c){c.addEventListener('change',function(){
hid[c.value]=!c.checked;D.querySelectorAll('[data-s="'+c.value+'"]').forEach(function(e){
e.classList.toggle('off',!c.checked);});});});
var tip=D.createElement('div');tip.id='tip';D.body.appendChild(tip);
function num(v){return v==null?'–':(Math.abs(v)>=1000?Math.round(v).toLocaleString('en'):+v.toPrecision(3)+'');}
function ms(v){return v<1?num(v*1000)+' µs':v<1000?num(v)+' ms':num(v/1000)+' s';}
D.querySelectorAll('.hv').forEach(function(el){var d=JSON.parse(el.getAttribute('data-hover')),
svg=el.parentNode.querySelector('svg');if(!svg)return;
if(d.of){var o=JSON.parse(D.getElementById(d.of).getAttribute('data-hover'));d.s=o.s;d.ks=o.ks;
d.v=o.v.map(function(a){return a.map(function(x){return x==null?x:1-x;});});}
svg.addEventListener('mousemove',function(e){var r=svg.getBoundingClientRect(),vb=svg.viewBox.baseVal,
px=(e.clientX-r.left)*vb.width/r.width,py=(e.clientY-r.top)*vb.height/r.height,pn=-1;
if(d.p)d.p.forEach(function(p,i){if(py>=p[0]&&py<=p[1]&&!hid[d.ps[i]])pn=i;});
if(px<d.x[0]||px>d.x[1]||(d.p&&pn<0)){tip.style.display='none';return;}
var k=d.d[0]+(px-d.x[0])/(d.x[1]-d.x[0])*(d.d[1]-d.d[0]);if(d.log)k=Math.pow(10,k);
var out=[(pn<0?'':names[d.ps[pn]]+', ')+d.xl+' '+(d.log?ms(k):num(k)+' s')];
d.v.forEach(function(vs,n){var s=d.n?null:d.s[n];if(s!=null&&hid[s]||d.p&&d.sp[n]!=pn)return;
var ks=d.k||d.ks[n],j=-1;while(j+1<ks.length&&ks[j+1]<=k)j++;
var v=j<0?(d.b==null?null:d.b):vs[j];
out.push((d.n?d.n[n]:names[s])+': '+(v==null?'–':d.pct?(v==0?'0':+(100*v).toPrecision(4))+'%':num(v)+(d.u?' '+d.u:'')));});
tip.textContent=out.join('\n');tip.style.left=(e.pageX+14)+'px';tip.style.top=(e.pageY+12)+'px';
tip.style.display='block';});
svg.addEventListener('mouseleave',function(){tip.style.display='none';});});
D.body.setAttribute('data-ready','1');})();"#;

/// Colours of the causes of database queries, in [`CAUSES`] order.
const CAUSE_COLOURS: [&str; 6] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9",
];

/// One cause of database queries: its name and how to count it.
type Cause = (&'static str, fn(&crate::metrics::CauseCounts) -> u64);

/// The causes of database queries.
const CAUSES: [Cause; 6] = [
    ("miss", |c| c.miss),
    ("early refresh", |c| c.early_refresh),
    ("background refresh", |c| c.background_refresh),
    ("warm-up", |c| c.warmup),
    ("lock or lease fallback", |c| c.fallback),
    ("write", |c| c.write),
];

/// The page's legend: each strategy's colour and name, with a box that shows or hides it in
/// every table and chart (with two strategies or more); the hover script reads the names here.
fn toggles(h: &mut String, result: &crate::metrics::ScenarioResult) {
    let boxes = result.strategies.len() >= 2;
    h.push_str(if boxes {
        "<p id=\"show\">Show or hide in every table and chart: "
    } else {
        "<p id=\"show\">"
    });
    for (i, s) in result.strategies.iter().enumerate() {
        let (colour, _, _) = super::charts::strategy_style(i);
        let _ = write!(
            h,
            "<label data-n=\"{i}\">{}<span class=\"sw\" style=\"background:{colour}\"></span>{}</label>",
            if boxes {
                format!("<input type=\"checkbox\" value=\"{i}\" checked>")
            } else {
                String::new()
            },
            escape(&s.name)
        );
    }
    h.push_str("</p>\n");
}

fn seconds(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

/// A figure's value as the tables show it: three significant digits or a whole number, the
/// digits chosen for the value as rounded (0.99996 reads `1.00`, not `1.000`).
fn number(v: f64) -> String {
    let first = digits(v);
    match first.replace(',', "").parse::<f64>() {
        Ok(shown) if shown.abs() > v.abs() => digits(shown),
        _ => first,
    }
}

fn digits(v: f64) -> String {
    if !v.is_finite() {
        "never".into()
    } else if v == 0.0 {
        "0".into()
    } else if v.abs() >= 1000.0 {
        crate::diagnose::grouped(v)
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn chart_link(mode: Mode, charts: &[&Chart]) -> String {
    let stem = mode.chart();
    charts
        .iter()
        .find(|c| c.file_stem == stem || c.file_stem.strip_suffix("_by_strategy") == Some(stem))
        .map(|c| format!(" (<a href=\"#chart-{0}\">{0}</a>)", c.file_stem))
        .unwrap_or_default()
}

fn verdict(
    h: &mut String,
    study: &StudyResult,
    page: &Page,
    diagnoses: &[Diagnosis],
    charts: &[&Chart],
) {
    let result = study.first();
    let reps = study.replications();
    h.push_str("<h2 id=\"verdict\">Verdict</h2>\n");
    if reps > 1 {
        let _ = writeln!(
            h,
            "<p class=\"note\">Diagnosed over the {reps} replications: a failure is shown when it \
             holds in more than half of them, with in how many; its evidence (its worst p99 too) is \
             from the first replication where it held, and the figures of a strategy with no \
             failure from the first replication. The charts' lines, and the peaks above their \
             panels, are means over the replications.</p>"
        );
    }
    h.push_str(
        "<table>\n<tr><th>strategy</th><th>what failed, and the evidence</th><th>recovery after \
         the timeline's trigger</th></tr>\n",
    );
    for (i, s) in result.strategies.iter().enumerate() {
        let d = &diagnoses[i];
        let config = page
            .strategies
            .iter()
            .find(|st| st.name == s.name)
            .map(|st| &st.config);
        let _ = write!(
            h,
            "<tr data-s=\"{i}\"><td class=\"s\">{}</td><td>",
            escape(&s.name)
        );
        match d.headline() {
            None => {
                let t = &s.result.summary.totals;
                let failed = ratio(t.errors(), t.arrived);
                // Requests failed that no rule explains: said so, not called healthy.
                let head = if failed >= crate::diagnose::DEPENDENCY_MIN_SHARE {
                    format!(
                        "<span class=\"mode warn\">no failure mode recognised, yet {} of \
                         requests failed</span>",
                        percent(failed)
                    )
                } else {
                    format!(
                        "<span class=\"mode ok\">no failure found</span>: {} of requests failed",
                        percent(failed)
                    )
                };
                let _ = write!(
                    h,
                    "{head}, p99 {} ms (worst second {} ms), hit ratio {}",
                    number(t.latency.p99_ms),
                    number(s.result.summary.worst.p99_ms),
                    percent(t.hit_ratio())
                );
            }
            Some(f) => {
                // A failure the run recovered from is shown as handled, not as down.
                let class = if d.recovered == Some(true) {
                    "warn"
                } else {
                    "bad"
                };
                let _ = write!(
                    h,
                    "<span class=\"mode {class}\">{}</span>: {}{}",
                    f.mode.name(),
                    escape(&f.evidence),
                    chart_link(f.mode, charts)
                );
                h.push_str(&held(f, reps));
                let _ = write!(
                    h,
                    "<br><span class=\"mit\">The model's mitigations: {}</span>",
                    escape(&super::offered::mitigations_for(f.mode, config).join(", "))
                );
                for g in d.failures().skip(1) {
                    let _ = write!(
                        h,
                        "<br><span class=\"also\">also <b>{}</b>: {}{}{}</span>",
                        g.mode.name(),
                        escape(&g.evidence),
                        chart_link(g.mode, charts),
                        held(g, reps)
                    );
                }
            }
        }
        // Warnings after the failures, with their own mitigations: risks readers did not feel.
        for g in d.warnings() {
            let _ = write!(
                h,
                "<br><span class=\"also\"><span class=\"mode warn\">warning: {}</span>: {}{}{}</span>\
                 <br><span class=\"mit\">For it, the model offers: {}</span>",
                g.mode.name(),
                escape(&g.evidence),
                chart_link(g.mode, charts),
                held(g, reps),
                escape(&super::offered::mitigations_for(g.mode, config).join(", "))
            );
        }
        h.push_str("</td><td>");
        h.push_str(&recovery_over(study, i));
        h.push_str("</td></tr>\n");
    }
    h.push_str("</table>\n");
}

/// ` [k of R]` after a finding, with replications.
fn held(f: &crate::diagnose::Finding, reps: usize) -> String {
    if reps > 1 {
        format!(
            " <span class=\"note held\">[in {} of {reps}]</span>",
            f.held_in
        )
    } else {
        String::new()
    }
}

/// The recovery verdict of strategy `i`: of its one run ([`recovery`]), or over the
/// replications: recovered in every one (after the mean time), in none, or in some.
fn recovery_over(study: &StudyResult, i: usize) -> String {
    let runs: Vec<&StrategyResult> = study.runs.iter().map(|r| &r.strategies[i]).collect();
    if runs.len() == 1 {
        return recovery(runs[0]);
    }
    let verdicts: Vec<_> = runs
        .iter()
        .filter_map(|s| s.result.summary.recovery)
        .collect();
    let n = verdicts.len();
    let back: Vec<f64> = verdicts
        .iter()
        .filter(|r| r.recovered())
        .map(|r| r.recovery_s)
        .collect();
    if n == 0 {
        "<span class=\"note\">– (no trigger)</span>".into()
    } else if back.len() == n {
        format!(
            "<span class=\"ok\">recovered in all {n}, {} after on average</span>",
            seconds(back.iter().sum::<f64>() / n as f64)
        )
    } else if back.is_empty() {
        let metastable = verdicts.iter().filter(|r| r.metastable).count();
        format!(
            "<span class=\"bad\">never, in all {n}{}</span>",
            if metastable == n { " (metastable)" } else { "" }
        )
    } else {
        format!(
            "<span class=\"warn\">recovered in {} of {n}, never in the others</span>",
            back.len()
        )
    }
}

/// The recovery verdict: goodput back at its level how long after the timeline's last
/// disturbance ended, or never; `–` when the timeline has no disturbance (only a preload).
fn recovery(s: &StrategyResult) -> String {
    match s.result.summary.recovery {
        None => "<span class=\"note\">– (no trigger)</span>".into(),
        Some(r) if r.recovered() && r.recovery_s == 0.0 => {
            "<span class=\"ok\">recovered as it ended</span>".into()
        }
        Some(r) if r.recovered() => format!(
            "<span class=\"ok\">recovered {} after</span>",
            seconds(r.recovery_s)
        ),
        Some(r) if r.metastable => "<span class=\"bad\">never (metastable)</span>".into(),
        Some(_) => "<span class=\"bad\">never</span>".into(),
    }
}

/// A count (a mean over replications keeps one decimal), with thousands separators.
fn count(v: f64) -> String {
    let tenths = (v * 10.0).round();
    let (whole, tenth) = ((tenths / 10.0).trunc(), (tenths % 10.0).abs());
    if tenth == 0.0 {
        crate::diagnose::grouped(whole)
    } else {
        format!("{}.{tenth:.0}", crate::diagnose::grouped(whole))
    }
}

/// A share as a percentage, with two significant digits below 10%.
fn percent(x: f64) -> String {
    if x == 0.0 || x >= 0.1 {
        format!("{:.0}%", 100.0 * x)
    } else {
        let decimals = (1.0 - (100.0 * x).log10().floor()).clamp(1.0, 6.0) as usize;
        format!("{:.decimals$}%", 100.0 * x)
    }
}

fn ranking(h: &mut String, study: &StudyResult) {
    let result = study.first();
    let Ranking {
        metrics,
        from_expect,
        values,
        order,
    } = rank(&study.runs, &study.objective);
    let higher = higher_is_better;
    h.push_str("<h2 id=\"ranking\">Ranking</h2>\n<p class=\"note\">");
    if from_expect {
        h.push_str("On the figures the scenario's <code>[[expect]]</code> tables judge");
    } else {
        h.push_str("On p99 latency, then the share of failed requests (the scenario has no <code>[[expect]]</code>)");
    }
    h.push_str(", the first deciding, ties broken by the next");
    if study.replications() > 1 {
        let _ = write!(
            h,
            "; means over {} replications with their 95% confidence interval",
            study.replications()
        );
    }
    h.push_str(".</p>\n<table>\n<tr><th class=\"n\">#</th><th>strategy</th>");
    for m in &metrics {
        let _ = write!(
            h,
            "<th class=\"n\">{m} ({})</th>",
            if higher(m) {
                "higher is better"
            } else {
                "lower is better"
            }
        );
    }
    h.push_str("</tr>\n");
    for (rank, &i) in order.iter().enumerate() {
        let _ = write!(
            h,
            "<tr data-s=\"{i}\"><td class=\"n\">{}</td><td class=\"s\">{}</td>",
            rank + 1,
            escape(&result.strategies[i].name)
        );
        for ((mean, half), m) in values[i].iter().zip(&metrics) {
            // Shares (0–1) as percentages.
            let show = if COLUMNS.iter().any(|c| c.name == *m && c.unit == "0–1") {
                percent
            } else {
                number
            };
            // Verdicts (1 or 0 a run) as yes or no, or the share of runs with replications.
            let flag = COLUMNS
                .iter()
                .any(|c| c.name == *m && c.unit == "1, 0 or empty");
            let cell = if mean.is_nan() {
                "–".to_string()
            } else if flag && *mean == 1.0 {
                "yes".to_string()
            } else if flag && *mean == 0.0 {
                "no".to_string()
            } else if flag {
                format!("{} of runs", percent(*mean))
            } else if mean.is_infinite() {
                "never".to_string()
            } else {
                match half {
                    Some(w) => format!("{} ± {}", show(*mean), show(*w)),
                    None => show(*mean),
                }
            };
            let _ = write!(h, "<td class=\"n\">{cell}</td>");
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}

fn timelines(
    h: &mut String,
    study: &StudyResult,
    charts: &[&Chart],
    svgs: &[String],
    none_drawn: bool,
) {
    h.push_str("<h2 id=\"timelines\">Timelines</h2>\n");
    if none_drawn {
        h.push_str(
            "<p class=\"note\">No charts: this run was made with <code>--no-charts</code>.</p>\n",
        );
        return;
    }
    let strategies = study.first().strategies.len();
    for (c, svg) in charts.iter().zip(svgs) {
        let plots = super::hover::plots(svg);
        let owners = super::hover::panel_strategies(c.file_stem, study, plots.len());
        let _ = write!(
            h,
            "<figure id=\"chart-{0}\">\n{1}",
            c.file_stem,
            super::svg_compact::compact(&super::hover::tag_strategies(
                svg, &plots, &owners, strategies
            ))
        );
        let hover = if c.file_stem == "node_load" {
            super::hover::node_load(study, &plots, &owners)
        } else {
            plots
                .first()
                .and_then(|p| super::hover::timeline(c.file_stem, study, *p))
        };
        if let Some(d) = hover {
            super::hover::attribute(h, &d);
        }
        let _ = writeln!(
            h,
            "\n<figcaption>{0} (the same chart as the file \
             <code>{0}.png</code> or <code>.svg</code> of this folder)</figcaption></figure>",
            c.file_stem
        );
    }
}

/// The section `diagnose` adds: each mitigation its findings suggested, with what it changed
/// (mean of the paired differences and its 95% interval) or why it was not tried.
fn advice(h: &mut String, r: &crate::workflow::checked::Report) {
    use crate::workflow::checked::Outcome;
    let reps = r.study.replications();
    let base = escape(&r.base);
    h.push_str("<h2 id=\"advice\">Checked advice</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\"><b>{base}</b> rerun with each mitigation its findings suggest, at its \
         default setting, on the same {reps} seeds: the change from <b>{base}</b> is the mean of the {reps} \
         paired differences ± its 95% interval, <span class=\"ok\">better</span> or \
         <span class=\"bad\">worse</span> when the interval excludes 0.</p>"
    );
    if r.trials.is_empty() {
        h.push_str("<p>No failure found: nothing to try.</p>\n");
        return;
    }
    h.push_str(
        "<table>\n<tr><th>mitigation</th><th>for</th><th>figure</th><th class=\"n\">without</th>\
         <th class=\"n\">with</th><th class=\"n\">change</th><th></th></tr>\n",
    );
    for t in &r.trials {
        let modes: Vec<&str> = t.modes.iter().map(|m| m.name()).collect();
        let head = format!(
            "<td title=\"{}\">{}</td><td>{}</td>",
            escape(t.advice.about),
            escape(t.advice.name),
            escape(&modes.join(", "))
        );
        match &t.outcome {
            Outcome::NotTried(why) => {
                let _ = writeln!(
                    h,
                    "<tr>{head}<td colspan=\"5\" class=\"note\">{}</td></tr>",
                    escape(why)
                );
            }
            Outcome::Tried(effects) => {
                for (k, e) in effects.iter().enumerate() {
                    // Shares (0–1) as percentages (their change in points), not `1.43e-4`.
                    let share = COLUMNS
                        .iter()
                        .any(|c| c.name == e.metric && c.unit == "0–1");
                    let v = |x: f64| {
                        if share {
                            format!("{}%", super::diagnosis::num(100.0 * x))
                        } else {
                            super::diagnosis::num(x)
                        }
                    };
                    let (class, word) = match e.helps() {
                        Some(true) => ("ok", "better"),
                        Some(false) => ("bad", "worse"),
                        None => ("note", "no clear change"),
                    };
                    let _ =
                        writeln!(
                        h,
                        "<tr>{}<td>{}</td><td class=\"n\">{} ± {}</td><td class=\"n\">{} ± {}</td>\
                         <td class=\"n\">{} ± {}</td><td class=\"{class}\">{word}</td></tr>",
                        if k == 0 { head.as_str() } else { "<td></td><td></td>" },
                        e.metric,
                        v(e.base.mean),
                        v(e.base.half_width),
                        v(e.with.mean),
                        v(e.with.half_width),
                        v(e.change.mean),
                        v(e.change.half_width)
                    );
                }
            }
        }
    }
    h.push_str("</table>\n");
}

/// The queries by cause, with a chart of them over time per strategy when `charts`.
fn causes(h: &mut String, study: &StudyResult, charts: bool) {
    let result = study.first();
    let reps = study.replications() as f64;
    h.push_str(
        "<h2 id=\"causes\">Where the database load came from</h2>\n<p class=\"note\">Database \
         queries submitted, by why they were made",
    );
    if reps > 1.0 {
        h.push_str(" (means over the replications)");
    }
    h.push_str(".</p>\n<p class=\"key\">");
    for ((name, _), colour) in CAUSES.iter().zip(CAUSE_COLOURS) {
        let _ = write!(h, "<span style=\"background:{colour}\"></span>{name}");
    }
    h.push_str("</p>\n<table>\n<tr><th>strategy</th><th class=\"n\">queries</th>");
    for (name, _) in CAUSES {
        let _ = write!(h, "<th class=\"n\">{name}</th>");
    }
    h.push_str(
        "<th class=\"n\">of misses: expired</th><th class=\"n\">of misses: absent keys</th><th>share</th></tr>\n",
    );
    for (i, s) in result.strategies.iter().enumerate() {
        let mut by_cause = crate::metrics::CauseCounts::default();
        let (mut expired, mut absent) = (0u64, 0u64);
        for run in &study.runs {
            let t = &run.strategies[i].result.summary.totals;
            by_cause.add(&t.db_by_cause);
            expired += t.cache_misses_expired.min(t.db_by_cause.miss);
            absent += t.db_queries_absent;
        }
        let counts: Vec<u64> = CAUSES.iter().map(|(_, f)| f(&by_cause)).collect();
        let total: u64 = counts.iter().sum();
        let _ = write!(
            h,
            "<tr data-s=\"{i}\"><td class=\"s\">{}</td><td class=\"n\">{}</td>",
            escape(&s.name),
            count(total as f64 / reps)
        );
        for c in &counts {
            let _ = write!(h, "<td class=\"n\">{}</td>", count(*c as f64 / reps));
        }
        let _ = write!(
            h,
            "<td class=\"n\">{}</td><td class=\"n\">{}</td><td><div class=\"bar\">",
            count(expired as f64 / reps),
            count(absent as f64 / reps)
        );
        for (c, colour) in counts.iter().zip(CAUSE_COLOURS) {
            if *c > 0 {
                let _ = write!(
                    h,
                    "<span style=\"width:{:.2}%;background:{colour}\"></span>",
                    100.0 * ratio(*c, total)
                );
            }
        }
        h.push_str("</div></td></tr>\n");
    }
    h.push_str("</table>\n");
    if charts {
        causes_over_time(h, study);
    }
}

/// Most columns of a chart of queries by cause over time: longer runs are summed into this
/// many spans of whole buckets, which keeps the page small.
const CAUSE_COLUMNS: usize = 100;

/// Per strategy, its database queries per second stacked by cause over time (replication 1),
/// as a small inline SVG drawn here: one filled band per cause, in [`CAUSES`] order.
fn causes_over_time(h: &mut String, study: &StudyResult) {
    const W: f64 = 560.0;
    const H: f64 = 90.0;
    const LEFT: f64 = 64.0;
    const TOP: f64 = 6.0;
    let result = study.first();
    let _ = writeln!(
        h,
        "<p class=\"note\">Over time: queries per second by cause{}, one chart per strategy \
         (the same colours){}.</p>",
        if study.replications() > 1 {
            " in replication 1"
        } else {
            ""
        },
        match result.strategies.first().map(|s| s.result.buckets.len()) {
            Some(b) if b > CAUSE_COLUMNS => format!(
                "; each column is the mean over about {}",
                seconds(result.bucket_s * b as f64 / CAUSE_COLUMNS as f64)
            ),
            _ => String::new(),
        }
    );
    for (i, s) in result.strategies.iter().enumerate() {
        let buckets = &s.result.buckets;
        if buckets.is_empty() {
            continue;
        }
        let n = buckets.len().min(CAUSE_COLUMNS);
        // Per span: (start s, end s, rate per cause).
        let spans: Vec<(f64, f64, Vec<f64>)> = (0..n)
            .map(|k| {
                let part = &buckets[k * buckets.len() / n..(k + 1) * buckets.len() / n];
                let width: f64 = part.iter().map(|b| b.width_s).sum();
                let rates = CAUSES
                    .iter()
                    .map(|(_, f)| {
                        let c: u64 = part.iter().map(|b| f(&b.db_by_cause)).sum();
                        if width > 0.0 {
                            c as f64 / width
                        } else {
                            0.0
                        }
                    })
                    .collect();
                (
                    part[0].start_s,
                    part[part.len() - 1].start_s + part[part.len() - 1].width_s,
                    rates,
                )
            })
            .collect();
        let top = spans
            .iter()
            .map(|(_, _, r)| r.iter().sum::<f64>())
            .fold(0.0, f64::max);
        let (t0, t1) = (spans[0].0, spans[n - 1].1);
        let x = |t: f64| LEFT + W * (t - t0) / (t1 - t0).max(1e-9);
        let y = |v: f64| TOP + H - if top > 0.0 { H * v / top } else { 0.0 };
        let _ = write!(
            h,
            "<figure data-s=\"{i}\"><figcaption>{}</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" \
             height=\"{}\" viewBox=\"0 0 {} {}\" font-size=\"11\">",
            escape(&s.name),
            LEFT + W + 8.0,
            TOP + H + 18.0,
            LEFT + W + 8.0,
            TOP + H + 18.0
        );
        let mut below = vec![0.0; n];
        for (c, colour) in CAUSE_COLOURS.iter().enumerate() {
            if spans.iter().all(|(_, _, r)| r[c] == 0.0) {
                continue;
            }
            let above: Vec<f64> = (0..n).map(|k| below[k] + spans[k].2[c]).collect();
            let mut points = Vec::with_capacity(4 * n);
            for (k, (a, b, _)) in spans.iter().enumerate() {
                points.extend([(x(*a).round(), y(above[k])), (x(*b).round(), y(above[k]))]);
            }
            for (k, (a, b, _)) in spans.iter().enumerate().rev() {
                points.extend([(x(*b).round(), y(below[k])), (x(*a).round(), y(below[k]))]);
            }
            let _ = write!(
                h,
                "<path fill=\"{colour}\" d=\"{}\"/>",
                super::svg_compact::closed_path(&points)
            );
            below = above;
        }
        let _ = write!(
            h,
            "<line x1=\"{LEFT}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#999\"/>\
             <text x=\"{2}\" y=\"{3}\" text-anchor=\"end\">{4}/s</text>\
             <text x=\"{2}\" y=\"{0}\" text-anchor=\"end\">0</text>\
             <text x=\"{LEFT}\" y=\"{5}\">{6}</text>\
             <text x=\"{1}\" y=\"{5}\" text-anchor=\"end\">{7}</text></svg>",
            TOP + H,
            LEFT + W,
            LEFT - 4.0,
            TOP + 9.0,
            crate::diagnose::grouped(top),
            TOP + H + 14.0,
            seconds(t0),
            seconds(t1)
        );
        let hover = super::hover::HoverData {
            x: (LEFT, LEFT + W),
            domain: (t0, t1),
            log: false,
            x_label: "time",
            percent: false,
            unit: "queries/s",
            keys: super::hover::Keys::Shared(spans.iter().map(|s| s.0).collect()),
            series: Vec::new(),
            names: CAUSES.iter().map(|c| c.0.to_owned()).collect(),
            panels: None,
            before: None,
            id: None,
            complement_of: None,
            values: (0..CAUSES.len())
                .map(|c| spans.iter().map(|s| s.2[c]).collect())
                .collect(),
        };
        super::hover::attribute(h, &hover);
        h.push_str("</figure>\n");
    }
}

fn source(h: &mut String, page: &Page, seed: u64) {
    let _ = write!(
        h,
        "<h2 id=\"reproduce\">Reproduce</h2>\n<p>Seed {seed}. The same command on the same file \
         writes the same numbers, bit for bit:</p>\n<pre>{}</pre>\n",
        escape(page.command)
    );
    let _ = write!(
        h,
        "<h2 id=\"scenario\">The scenario file</h2>\n<p><code>{}</code></p>\n",
        escape(page.scenario_file)
    );
    match page.scenario_text {
        Some(text) => {
            let _ = writeln!(h, "<pre>{}</pre>", escape(text));
        }
        None => h.push_str(
            "<p class=\"note\">Not shown: the file changed while the run went on (its SHA-256 \
             in run.toml is that of the version run).</p>\n",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            escape("<script>\"a\" & 'b'\u{1b}"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;\\u{1b}"
        );
        assert_eq!(escape("line\nnext"), "line\nnext");
    }

    #[test]
    fn counts_keep_a_tenth_only_when_they_have_one() {
        assert_eq!(count(443_954.0), "443,954");
        assert_eq!(count(0.0), "0");
        assert_eq!(count(1234.46), "1,234.5");
        assert_eq!(count(999.96), "1,000");
        assert_eq!(percent(0.00025), "0.025%");
        assert_eq!(percent(0.35), "35%");
    }

    #[test]
    fn numbers_have_three_significant_digits_after_rounding() {
        assert_eq!(number(0.99996), "1.00");
        assert_eq!(number(0.5), "0.500");
        assert_eq!(number(9.996), "10.0");
        assert_eq!(number(99.96), "100");
        assert_eq!(number(999.6), "1,000");
        assert_eq!(number(1.03), "1.03");
        assert_eq!(number(f64::INFINITY), "never");
        assert_eq!(number(0.0), "0");
    }

    #[test]
    fn shell_words_are_quoted_when_needed() {
        assert_eq!(shell_word("scenarios/a.toml"), "scenarios/a.toml");
        assert_eq!(shell_word("my file's.toml"), r"'my file'\''s.toml'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(
            reproduce("a b.toml", 7, 2, &["x".into()]),
            "cachestorm run 'a b.toml' --seed 7 --replications 2 --strategy x"
        );
    }
}
