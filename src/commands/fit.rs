//! `cachestorm fit`: reads the trace arguments, runs [`crate::workflow::fit`], writes the
//! scenario file and prints the fit and the comparison.

use std::path::{Path, PathBuf};

use super::CommandError;
use crate::cli::FitArgs;
use crate::console::Stdout;
use crate::report;
use crate::text;
use crate::trace::{CsvColumns, Format};
use crate::workflow::fit;

pub(super) fn fit(args: FitArgs) -> Result<(), CommandError> {
    let format = trace_format(&args)?;
    let out = args.out.clone().unwrap_or_else(|| default_out(&args.trace));
    let fitted = fit::fit(&args.trace, &format, args.bucket, &out)?;
    write_atomically(&out, &fitted.scenario)?;
    let mut o = Stdout::default();
    let p = &fitted.profile;
    let z = &fitted.zipf;
    o.print(&format!(
        "{}: {} reads, {} writes over {:.1} s, {} keys read\n",
        text::escape(&args.trace.display().to_string()),
        p.reads,
        p.writes,
        p.span_ns as f64 / 1e9,
        z.keys
    ));
    let (lo, hi) = fitted
        .rates
        .iter()
        .fold((f64::MAX, 0f64), |(l, h), &r| (l.min(r), h.max(r)));
    o.print(&format!(
        "  read rate: mean {:.1}/s; per {} s bucket from {lo:.1} to {hi:.1}/s\n",
        p.mean_read_rate(),
        fitted.bucket_s
    ));
    o.print(&format!(
        "  popularity over the {} keys read: Zipf s = {:.4} (maximum likelihood); R² {:.3} on \
         log-log rank-frequency; the fit misses {:.1}% of reads\n",
        z.keys,
        z.s,
        z.r_squared,
        100.0 * z.missed_share
    ));
    if z.unseen_share >= 0.01 {
        o.print(&format!(
            "  unseen keys: by Good-Turing (keys read once over reads) {:.1}% of reads go to keys \
             the trace never shows\n",
            100.0 * z.unseen_share,
        ));
    }
    o.print(&format!(
        "  keyspace of the scenario: {}\n",
        fit::keyspace_basis(&fitted.keyspace)
    ));
    o.print(&format!(
        "  writes: {:.2}% of operations{}\n",
        100.0 * p.write_share(),
        match p.common_ttl_s {
            Some(t) => format!("; most common TTL {t} s"),
            None => String::new(),
        }
    ));
    if let Some(b) = p.mean_size_bytes {
        o.print(&format!(
            "  mean record size {b:.0} bytes (the model has no value sizes)\n"
        ));
    }
    o.print(&format!(
        "wrote {}\n",
        text::escape(&out.display().to_string())
    ));
    if !args.no_compare {
        let rows = fit::compare(&args.trace, &format, &fitted)?;
        o.print("hit ratio, one LRU node, trace vs fitted scenario:\n");
        o.print("  capacity (entries)   trace    fitted   difference\n");
        for r in rows {
            o.print(&format!(
                "  {:>18}   {:.4}   {:.4}   {:+.4}\n",
                r.capacity,
                r.trace_hit_ratio,
                r.fitted_hit_ratio,
                r.fitted_hit_ratio - r.trace_hit_ratio
            ));
        }
    }
    super::finish(o)
}

/// `<trace name without extensions>-fit.toml` in the current folder.
fn default_out(trace: &Path) -> PathBuf {
    let name = trace
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .split('.')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("trace");
    PathBuf::from(format!("{stem}-fit.toml"))
}

/// The trace layout from `--format`, `--columns` and `--time-unit`.
fn trace_format(args: &FitArgs) -> Result<Format, CommandError> {
    let bad = |m: String| CommandError::Input(m);
    match args.format.as_str() {
        "twitter" | "oracle-general" => {
            if args.columns.is_some() {
                return Err(bad("--columns: applies only to --format csv".into()));
            }
            Ok(if args.format == "twitter" {
                Format::Twitter
            } else {
                Format::OracleGeneral
            })
        }
        "csv" => {
            let Some(map) = &args.columns else {
                return Err(bad(
                    "--columns: is required with --format csv: the header names of the columns, \
                     as time=ts,key=key[,op=op][,size=size][,ttl=ttl]"
                        .into(),
                ));
            };
            let mut c = CsvColumns {
                time: String::new(),
                key: String::new(),
                op: None,
                size: None,
                ttl: None,
                time_unit_ns: match args.time_unit.as_str() {
                    "s" => 1_000_000_000,
                    "ms" => 1_000_000,
                    "us" => 1_000,
                    "ns" => 1,
                    other => {
                        return Err(bad(format!(
                            "--time-unit: `{}` is not allowed; use s, ms, us or ns",
                            text::quote(other)
                        )))
                    }
                },
            };
            for part in map.split(',') {
                let Some((k, v)) = part.split_once('=') else {
                    return Err(bad(format!(
                        "--columns: `{}` is not NAME=HEADER; use time=ts,key=key[,op=op][,size=size][,ttl=ttl]",
                        text::quote(part)
                    )));
                };
                let v = v.trim().to_string();
                match k.trim() {
                    "time" => c.time = v,
                    "key" => c.key = v,
                    "op" => c.op = Some(v),
                    "size" => c.size = Some(v),
                    "ttl" => c.ttl = Some(v),
                    other => {
                        return Err(bad(format!(
                            "--columns: `{}` is not a column; use time, key, op, size or ttl",
                            text::quote(other)
                        )))
                    }
                }
            }
            if c.time.is_empty() || c.key.is_empty() {
                return Err(bad("--columns: needs time=HEADER and key=HEADER".into()));
            }
            Ok(Format::Csv(c))
        }
        other => Err(bad(format!(
            "--format: `{}` is not allowed; use csv (with --columns), twitter or oracle-general",
            text::quote(other)
        ))),
    }
}

/// Writes `text` to `out` whole or not at all ([`report::write::write_file`]); a refusal names
/// `--out` (exit 2).
fn write_atomically(out: &Path, text: &str) -> Result<(), CommandError> {
    let shown = || text::escape(&out.display().to_string()).into_owned();
    if out.file_name().is_none() {
        return Err(CommandError::Input(format!(
            "--out {}: is not a file name",
            shown()
        )));
    }
    report::write::write_file(out, text.as_bytes())
        .map_err(|e| CommandError::Input(format!("--out {}: cannot be written: {e}", shown())))
}
