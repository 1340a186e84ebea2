//! `cachestorm fit`: a scenario whose synthetic workload matches a trace (its read rate bucket by
//! bucket as a `set_rate` timeline, its keys with an estimate of those it never shows, a Zipf
//! exponent fitted over them, its write share and its common TTL), and a comparison of the trace and that scenario on hit ratio at a few cache
//! sizes, one replay each. The statistics are in [`crate::trace::fit`].

use std::path::{Path, PathBuf};

use crate::scenario;
use crate::trace::fit::keyspace::{self, Keyspace};
use crate::trace::fit::{fit_zipf, profile, Profile, ZipfFit};
use crate::trace::Format;

use super::{input, WorkflowError};

/// Most buckets of the default rate profile.
const DEFAULT_BUCKETS: u64 = 60;
/// Keys a fitted trace may hold (the scenario's own limit).
const MAX_KEYS: u32 = 20_000_000;
/// Cache sizes compared, as shares of the trace's keys.
const COMPARED_SHARES: [f64; 3] = [0.01, 0.1, 0.5];

/// A trace fitted: what was measured, the law fitted and the scenario written from them.
#[derive(Clone, Debug)]
pub struct Fitted {
    /// What the pass over the trace measured.
    pub profile: Profile,
    /// The popularity law fitted over the keys read (its goodness of fit).
    pub zipf: ZipfFit,
    /// The keys estimated, those the trace never shows included, and the exponent over them:
    /// the scenario's keyspace and popularity.
    pub keyspace: Keyspace,
    /// Width of the rate profile's buckets, seconds.
    pub bucket_s: u64,
    /// The read rate of each bucket, per second.
    pub rates: Vec<f64>,
    /// The scenario file's text (checked: it validates).
    pub scenario: String,
}

/// The trace and the fitted scenario at one cache size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Comparison {
    /// Entries of the one cache node.
    pub capacity: u32,
    /// Hit ratio replaying the trace.
    pub trace_hit_ratio: f64,
    /// Hit ratio of the fitted scenario.
    pub fitted_hit_ratio: f64,
}

/// Fits `trace` of `format`: the read rate per bucket of `bucket_s` seconds (default: the span
/// in at most 60 buckets of whole seconds), the keys (those never read estimated, see
/// [`keyspace`]) and their Zipf exponent, the write share
/// (sets within 1 s of a read of their key are look-aside fills, dropped as a replay drops
/// them) and the most common TTL. `out` is where the scenario will be written (it names it).
pub fn fit(
    trace: &Path,
    format: &Format,
    bucket_s: Option<u64>,
    out: &Path,
) -> Result<Fitted, WorkflowError> {
    let profile =
        profile(trace, format, Some(1_000_000_000), MAX_KEYS).map_err(|e| input(e.to_string()))?;
    let zipf = fit_zipf(&profile.key_reads).expect("a profile has at least one read");
    let keyspace =
        keyspace::estimate(&profile.key_reads, MAX_KEYS).expect("a profile has at least one read");
    let span_s = profile.reads_per_s.len() as u64;
    let bucket_s = bucket_s.unwrap_or_else(|| span_s.div_ceil(DEFAULT_BUCKETS).max(1));
    let rates = profile.rates(bucket_s);
    let text = scenario_text(trace, &profile, &zipf, &keyspace, bucket_s, &rates, format);
    scenario::parse(&text, out).map_err(|e| {
        WorkflowError::Other(anyhow::anyhow!(
            "the fitted scenario does not validate (a bug in fit): {e}"
        ))
    })?;
    Ok(Fitted {
        profile,
        zipf,
        keyspace,
        bucket_s,
        rates,
        scenario: text,
    })
}

/// A number written with `digits` decimals, trailing zeros dropped (at least one decimal).
fn number(x: f64, digits: usize) -> String {
    let s = format!("{x:.digits$}");
    let s = s.trim_end_matches('0');
    if s.ends_with('.') {
        format!("{s}0")
    } else {
        s.to_string()
    }
}

/// A scenario name from the trace's file name: `fit-` and its letters, digits, `-` and `_`.
fn scenario_name(trace: &Path) -> String {
    let stem = trace
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = stem.split('.').next().unwrap_or("");
    let clean: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(56)
        .collect();
    if clean.is_empty() {
        "fit".into()
    } else {
        format!("fit-{clean}")
    }
}

/// The text of a TOML string holding `s` (quoted and escaped: safe in a comment too).
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn scenario_text(
    trace: &Path,
    p: &Profile,
    z: &ZipfFit,
    k: &Keyspace,
    bucket_s: u64,
    rates: &[f64],
    format: &Format,
) -> String {
    let duration_s = rates.len() as u64 * bucket_s;
    let file_name = trace
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut t = String::new();
    t.push_str(&format!(
        "# Fitted by `cachestorm fit` to the {} trace {}:\n",
        format.name(),
        toml_string(&file_name)
    ));
    t.push_str(&format!(
        "#   {} reads and {} writes over {} s, {} keys read;\n",
        p.reads,
        p.writes,
        number(p.span_ns as f64 / 1e9, 3),
        z.keys
    ));
    t.push_str(&format!(
        "#   read rate: mean {} per second, per {bucket_s} s bucket in the timeline;\n",
        number(p.mean_read_rate(), 1)
    ));
    t.push_str(&format!(
        "#   popularity over the keys read: Zipf s = {} by maximum likelihood; R² {} on the log-log\n#   rank-frequency plot; the fit puts {}% of reads on other keys than the trace does;\n",
        number(z.s, 4),
        number(z.r_squared, 3),
        number(100.0 * z.missed_share, 1)
    ));
    let mut line = String::from("#   keyspace:");
    for word in format!("{};", keyspace_basis(k)).split(' ') {
        if line.len() + 1 + word.len() > 94 {
            t.push_str(&line);
            t.push('\n');
            line = String::from("#  ");
        }
        line.push(' ');
        line.push_str(word);
    }
    t.push_str(&line);
    t.push('\n');
    match p.mean_size_bytes {
        Some(b) => t.push_str(&format!(
            "#   mean record size {} bytes (the model has no value sizes: not used);\n",
            number(b, 0)
        )),
        None => t.push_str("#   no record sizes;\n"),
    }
    t.push_str(
        "#   writes are sets and deletes, a set within 1 s of a read of its key being a look-aside fill.\n\
         # The cache and database are placeholders: set them to yours.\n",
    );
    t.push_str(&format!(
        "name = {}\ndescription = {}\nseed = 1\nduration = \"{duration_s}s\"\nbucket = \"{bucket_s}s\"\n",
        toml_string(&scenario_name(trace)),
        toml_string(&format!("A synthetic twin of the trace {file_name}"))
    ));
    let mut changes = Vec::new();
    let mut last = number(rates[0], 3);
    for (i, r) in rates.iter().enumerate().skip(1) {
        let now = number(*r, 3);
        if now != last {
            changes.push(format!(
                "  {{ at = \"{}s\", action = \"set_rate\", rps = {now} }},\n",
                i as u64 * bucket_s
            ));
            last = now;
        }
    }
    if !changes.is_empty() {
        t.push_str("timeline = [\n");
        for c in changes {
            t.push_str(&c);
        }
        t.push_str("]\n");
    }
    let popularity = format!("{{ dist = \"zipf\", s = {} }}", number(k.s.max(1e-4), 4));
    t.push_str(&format!(
        "\n[clients]\nrps = {}\nkeyspace = {}\npopularity = {popularity}\n",
        number(rates[0], 3),
        k.keys
    ));
    t.push_str("\n[cache]\n");
    if let Some(ttl) = p.common_ttl_s {
        t.push_str(&format!(
            "ttl = \"{ttl}s\"   # the trace's most common TTL\n"
        ));
    }
    t.push_str("\n[db]\nslots = 64\nservice = \"5ms\"\n");
    if p.writes > 0 {
        t.push_str(&format!(
            "\n[writes]\nshare = {}\npopularity = {popularity}\n",
            number(p.write_share().min(0.999), 4)
        ));
    }
    t
}

/// How the keyspace and its exponent were found, in words (one line, no user text).
pub fn keyspace_basis(k: &Keyspace) -> String {
    let keys = match k.basis {
        keyspace::Basis::KeysRead => {
            return format!(
                "the {} keys read (none read once: none unseen), Zipf s = {} over them",
                k.keys,
                number(k.s, 4)
            )
        }
        _ => format!(
            "{} keys estimated{}, the Zipf law over which shows in {} reads as many distinct keys \
             ({}) and keys read once ({}) as the trace",
            k.keys,
            if k.capped { " (at the limit)" } else { "" },
            k.reads,
            k.keys_read,
            k.read_once
        ),
    };
    match k.basis {
        keyspace::Basis::TailKeysRankedExponent => format!(
            "{keys}; its exponent s = {} by maximum likelihood over that many ranks",
            number(k.s, 4)
        ),
        _ => format!("{keys}, with s = {}", number(k.s, 4)),
    }
}

/// The `[clients.trace]` table replaying `trace` (an absolute path) of `format`.
fn trace_table(trace: &Path, format: &Format) -> String {
    let mut t = format!(
        "[clients.trace]\npath = {}\nformat = \"{}\"\n",
        toml_string(&trace.to_string_lossy()),
        format.name()
    );
    if let Format::Csv(c) = format {
        let unit = match c.time_unit_ns {
            1 => "ns",
            1_000 => "us",
            1_000_000 => "ms",
            _ => "s",
        };
        t.push_str(&format!("time_unit = \"{unit}\"\n"));
        let mut cols = format!(
            "columns = {{ time = {}, key = {}",
            toml_string(&c.time),
            toml_string(&c.key)
        );
        for (name, v) in [("op", &c.op), ("size", &c.size), ("ttl", &c.ttl)] {
            if let Some(v) = v {
                cols.push_str(&format!(", {name} = {}", toml_string(v)));
            }
        }
        cols.push_str(" }\n");
        t.push_str(&cols);
    }
    t
}

/// The cache sizes compared: 1%, 10% and 50% of the trace's keys (at least 1, no repeats).
pub fn compared_capacities(keys: u32) -> Vec<u32> {
    let mut c: Vec<u32> = COMPARED_SHARES
        .iter()
        .map(|s| ((keys as f64 * s).round() as u32).max(1))
        .collect();
    c.dedup();
    c
}

/// Replays `trace` and runs the fitted scenario with one cache node of each compared size, an
/// instant cache and database, and no expiry beyond the TTLs of the trace (or of the fit).
pub fn compare(
    trace: &Path,
    format: &Format,
    fitted: &Fitted,
) -> Result<Vec<Comparison>, WorkflowError> {
    let absolute: PathBuf =
        std::path::absolute(trace).map_err(|e| input(format!("trace {}: {e}", trace.display())))?;
    let duration_s = fitted.rates.len() as u64 * fitted.bucket_s;
    let ttl = match fitted.profile.common_ttl_s {
        Some(s) => format!("{s}s"),
        None => format!("{}s", 2 * duration_s),
    };
    let run = |text: &str| -> Result<f64, WorkflowError> {
        let s = scenario::parse(text, &absolute)
            .map_err(|e| WorkflowError::Other(anyhow::anyhow!("fit's comparison: {e}")))?;
        let r = crate::experiment::simulate(&s.strategies[0].config, s.seed, &|_| {});
        Ok(r.summary.totals.hit_ratio())
    };
    let mut out = Vec::new();
    for capacity in compared_capacities(fitted.zipf.keys) {
        let cache = format!(
            "\n[cache]\nnodes = 1\ncapacity = {capacity}\nlatency = \"0s\"\nttl = \"{ttl}\"\n\n[db]\nslots = 10000\nservice = \"1ns\"\n"
        );
        let head = format!(
            "name = \"fit-compare\"\nseed = 1\nduration = \"{duration_s}s\"\nbucket = \"{}s\"\n",
            fitted.bucket_s
        );
        let traced = format!("{head}{}{cache}", trace_table(&absolute, format));
        // The fitted scenario with its cache and database replaced.
        let synthetic = {
            let body = &fitted.scenario;
            let cut = body.find("\n[cache]").unwrap_or(body.len());
            let writes = body.find("\n[writes]").map_or("", |w| &body[w..]);
            format!("{}{cache}{writes}", &body[..cut])
        };
        out.push(Comparison {
            capacity,
            trace_hit_ratio: run(&traced)?,
            fitted_hit_ratio: run(&synthetic)?,
        });
    }
    Ok(out)
}
