//! Replaying a recorded trace (`[clients.trace]`): its fidelity to the model it was generated
//! from, what its operations become, determinism, and the refusal of bad traces.

use super::{assert_refused, cachestorm};
use cachestorm::theory;
use rand::{Rng, SeedableRng};
use std::path::Path;

/// A trace from a known model: Poisson arrivals at `rps` for `secs`, keys Zipf(`s`) over
/// `keys` (the names `k0`.. in popularity order), every record a read; CSV in nanoseconds.
fn poisson_zipf_trace(rps: f64, secs: f64, keys: usize, s: f64, seed: u64) -> String {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    let weights: Vec<f64> = (1..=keys).map(|i| (i as f64).powf(-s)).collect();
    let total: f64 = weights.iter().sum();
    let mut cumulative = Vec::with_capacity(keys);
    let mut acc = 0.0;
    for w in &weights {
        acc += w / total;
        cumulative.push(acc);
    }
    let mut out = String::from("ns,key\n");
    let mut t = 0.0f64;
    loop {
        let u: f64 = rng.random();
        t += -(1.0 - u).ln() / rps;
        if t >= secs {
            return out;
        }
        let v: f64 = rng.random();
        let k = cumulative.partition_point(|&c| c < v).min(keys - 1);
        out.push_str(&format!("{},k{k}\n", (t * 1e9) as u64));
    }
}

/// A scenario of `clients` with an instant cache of TTL `ttl` and no capacity limit.
fn scenario(clients: &str, ttl: &str, duration: &str) -> String {
    format!(
        r#"name = "replay"
seed = 3
duration = "{duration}"
bucket = "10s"
{clients}
[cache]
latency = "0s"
ttl = "{ttl}"
[db]
slots = 1000
service = "1ns"
"#
    )
}

fn simulate_file(file: &Path) -> Vec<cachestorm::metrics::RunResult> {
    let s = cachestorm::scenario::load(file).expect("the scenario is valid");
    s.strategies
        .iter()
        .map(|st| cachestorm::experiment::simulate(&st.config, s.seed, &|_| {}))
        .collect()
}

fn csv_trace(path: &str) -> String {
    format!(
        "[clients.trace]\npath = \"{path}\"\nformat = \"csv\"\ntime_unit = \"ns\"\ncolumns = {{ time = \"ns\", key = \"key\" }}\n"
    )
}

#[test]
fn a_trace_from_a_known_model_replays_to_the_models_hit_ratio() {
    // Poisson 2,000/s, Zipf 0.9 over 1,000 keys, TTL 2 s, no capacity limit, instant fills: a
    // key read at rate r hits with probability rT/(1+rT). Traced, synthetic and theory agree
    // within the theory tests' tolerance (0.01 absolute; sampling error is about 0.002).
    let dir = tempfile::tempdir().unwrap();
    let (rps, keys, s, ttl_s) = (2000.0, 1000usize, 0.9, 2.0);
    std::fs::write(
        dir.path().join("zipf.csv"),
        poisson_zipf_trace(rps, 60.0, keys, s, 11),
    )
    .unwrap();
    let traced = dir.path().join("traced.toml");
    std::fs::write(&traced, scenario(&csv_trace("zipf.csv"), "2s", "60s")).unwrap();
    let synthetic = dir.path().join("synthetic.toml");
    let clients = format!(
        "[clients]\nrps = {rps}\nkeyspace = {keys}\npopularity = {{ dist = \"zipf\", s = {s} }}\n"
    );
    std::fs::write(&synthetic, scenario(&clients, "2s", "60s")).unwrap();

    let got_trace = simulate_file(&traced)[0].summary.totals.hit_ratio();
    let got_synth = simulate_file(&synthetic)[0].summary.totals.hit_ratio();
    let p = cachestorm::model::clients::KeyChooser::probabilities(
        keys as u32,
        cachestorm::model::config::Popularity::Zipf { s },
    );
    let want: f64 = p
        .iter()
        .map(|&pi| pi * theory::ttl_hit_ratio(rps * pi, ttl_s))
        .sum();
    assert!(
        (got_trace - want).abs() < 0.01,
        "traced {got_trace:.4} vs theory {want:.4}"
    );
    assert!(
        (got_trace - got_synth).abs() < 0.01,
        "traced {got_trace:.4} vs synthetic {got_synth:.4}"
    );
}

#[test]
fn sets_become_writes_fills_are_dropped_and_ttls_are_honoured_or_not() {
    let dir = tempfile::tempdir().unwrap();
    // Key a: read, filled 0.1 s later (a look-aside fill), read every 2 s for 60 s, each
    // record with a 1 s TTL; key b: read at 20 s, set at 30 s (a write: 10 s after its read),
    // read again and deleted at the end.
    let mut records: Vec<(f64, &str)> = vec![
        (0.0, "a,get,1"),
        (0.1, "a,set,1"),
        (20.0, "b,get,0"),
        (30.0, "b,set,0"),
    ];
    records.extend((1..30).map(|i| (2.0 * i as f64, "a,get,1")));
    records.sort_by(|x, y| x.0.total_cmp(&y.0));
    let mut text = String::from("t,key,op,ttl\n");
    for (t, rest) in records {
        text.push_str(&format!("{t},{rest}\n"));
    }
    // Out of file order by 0.5 s: sorted.
    text.push_str("59.7,b,delete,0\n59.2,b,get,0\n");
    std::fs::write(dir.path().join("ops.csv"), text).unwrap();
    let trace = |ttl: bool| {
        format!(
            "[clients.trace]\npath = \"ops.csv\"\nformat = \"csv\"\nttl = {ttl}\ncolumns = {{ time = \"t\", key = \"key\", op = \"op\", ttl = \"ttl\" }}\n"
        )
    };
    let run = |ttl: bool| {
        let file = dir.path().join(format!("ops-{ttl}.toml"));
        std::fs::write(&file, scenario(&trace(ttl), "60s", "61s")).unwrap();
        simulate_file(&file).remove(0).summary.totals
    };
    let honoured = run(true);
    let ignored = run(false);
    // 30 reads of a, 2 of b; the set of b and its delete are writes, a's fill is not.
    assert_eq!(honoured.arrived, 32);
    assert_eq!(honoured.writes_arrived, 2);
    // With a 1 s TTL every read of a (2 s apart) misses; with the cache's 60 s, only its
    // first. b's second read hits either way (60 s TTL; the default write path leaves the
    // cache alone).
    assert_eq!(honoured.cache_hits, 1);
    assert_eq!(ignored.cache_hits, 30);
}

#[test]
fn a_trace_delete_removes_the_key_from_the_cache_whatever_the_write_path() {
    // Key c: read at 1 s (a miss, filled), read at 2 s (a hit), then deleted (or set) at
    // 3.5 s, past the 1 s fill window, and read at 5 s. The default write path (TTL only)
    // leaves the cache alone on a set, so the last read hits the old value, outdated; a
    // delete removes the key, so it misses and reads the database's value, fresh.
    let dir = tempfile::tempdir().unwrap();
    let run = |op: &str| {
        let text = format!("t,key,op\n1,c,get\n2,c,get\n3.5,c,{op}\n5,c,get\n");
        std::fs::write(dir.path().join(format!("{op}.csv")), text).unwrap();
        let trace = format!(
            "[clients.trace]\npath = \"{op}.csv\"\nformat = \"csv\"\ncolumns = {{ time = \"t\", key = \"key\", op = \"op\" }}\n"
        );
        let file = dir.path().join(format!("{op}.toml"));
        std::fs::write(&file, scenario(&trace, "60s", "10s")).unwrap();
        simulate_file(&file).remove(0).summary.totals
    };
    let deleted = run("delete");
    let set = run("set");
    assert_eq!((deleted.arrived, set.arrived), (3, 3));
    assert_eq!((deleted.writes_committed, set.writes_committed), (1, 1));
    assert_eq!((deleted.trace_deletes, set.trace_deletes), (1, 0));
    assert_eq!((deleted.cache_hits, set.cache_hits), (1, 2));
    assert_eq!((deleted.outdated_reads, set.outdated_reads), (0, 1));
}

#[test]
fn a_replay_is_byte_identical_and_every_strategy_replays_the_same_trace() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("z.csv"),
        poisson_zipf_trace(500.0, 10.0, 200, 1.0, 5),
    )
    .unwrap();
    // Also an oracleGeneral copy (whole seconds), zstd-compressed.
    let mut bin = Vec::new();
    for (i, t) in [(7u64, 0u32), (9, 0), (7, 1), (3, 2), (7, 2)] {
        bin.extend_from_slice(&t.to_le_bytes());
        bin.extend_from_slice(&i.to_le_bytes());
        bin.extend_from_slice(&100u32.to_le_bytes());
        bin.extend_from_slice(&(-1i64).to_le_bytes());
    }
    let z =
        ruzstd::encoding::compress_to_vec(&bin[..], ruzstd::encoding::CompressionLevel::Fastest);
    std::fs::write(dir.path().join("o.oracleGeneral.zst"), z).unwrap();
    let text = format!(
        "{}[[strategies]]\nname = \"small-ttl\"\ncache.ttl = \"100ms\"\n[[strategies]]\nname = \"big-ttl\"\n",
        scenario(&csv_trace("z.csv"), "1s", "10s")
    );
    let file = dir.path().join("r.toml");
    std::fs::write(&file, &text).unwrap();
    let mut outputs = Vec::new();
    for out in ["a", "b"] {
        cachestorm()
            .arg("run")
            .arg(&file)
            .arg("--out")
            .arg(dir.path().join(out))
            .assert()
            .success();
        outputs.push(std::fs::read(dir.path().join(out).join("replay/timeseries.csv")).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
    let results = simulate_file(&file);
    assert_eq!(
        results[0].summary.totals.arrived,
        results[1].summary.totals.arrived
    );
    assert!(results[0].summary.totals.hit_ratio() < results[1].summary.totals.hit_ratio());

    let oracle = dir.path().join("o.toml");
    std::fs::write(
        &oracle,
        scenario(
            "[clients.trace]\npath = \"o.oracleGeneral.zst\"\nformat = \"oracle-general\"\n",
            "10s",
            "10s",
        ),
    )
    .unwrap();
    // The cost estimate counts the trace's reads, not its mean rate over all of `duration`.
    let assert = cachestorm().arg("validate").arg(&oracle).assert().success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains("about 5 requests"), "{stdout}");
    let t = simulate_file(&oracle).remove(0).summary.totals;
    // Keys 7, 9, 7, 3, 7: three cold misses, two hits.
    assert_eq!((t.arrived, t.cache_hits), (5, 2));
}

#[test]
fn bad_traces_and_settings_are_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let put = |name: &str, text: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let bad_time = put("bad.csv", b"ns,key\n1,a\n2,b\nlater,c\n");
    let empty = put("empty.csv", b"ns,key\n");
    let back = put("back.csv", b"ns,key\n5000000000,a\n1000000000,b\n");
    let good = put("good.csv", b"ns,key\n1,a\n");
    let short = put("short.bin", &[0u8; 30]);
    let with = |trace: &str, extra: &str| format!("{}{extra}", scenario(trace, "1s", "10s"));
    let cases = [
        ("badline", with(&csv_trace(&bad_time), ""), "line 4: field `ns`"),
        ("empty", with(&csv_trace(&empty), ""), "has no record"),
        ("backwards", with(&csv_trace(&back), ""), "line 3: field `ns`"),
        (
            "truncated",
            with(
                &format!("[clients.trace]\npath = \"{short}\"\nformat = \"oracle-general\"\n"),
                "",
            ),
            "record 2",
        ),
        (
            "missing",
            with(&csv_trace(&dir.path().join("nope.csv").display().to_string()), ""),
            "clients.trace.path",
        ),
        (
            "format",
            with(
                &format!("[clients.trace]\npath = \"{good}\"\nformat = \"parquet\"\n"),
                "",
            ),
            "clients.trace.format",
        ),
        (
            "columns",
            with(&format!("[clients.trace]\npath = \"{good}\"\nformat = \"csv\"\n"), ""),
            "clients.trace.columns",
        ),
        (
            "column",
            with(
                &format!("[clients.trace]\npath = \"{good}\"\nformat = \"csv\"\ncolumns = {{ time = \"when\", key = \"key\" }}\n"),
                "",
            ),
            "field `when`",
        ),
        (
            "speed",
            with(&format!("{}speed = 0\n", csv_trace(&good)), ""),
            "clients.trace.speed",
        ),
        (
            "fraction",
            with(
                &format!("{}keys = {{ fraction = 1.5 }}\n", csv_trace(&good)),
                "",
            ),
            "clients.trace.keys.fraction",
        ),
        (
            "rps",
            with(&format!("[clients]\nrps = 5\n{}", csv_trace(&good)), ""),
            "clients.rps",
        ),
        (
            "set_rate",
            with(
                &csv_trace(&good),
                "[[timeline]]\nat = \"1s\"\naction = \"set_rate\"\nrps = 10\n",
            ),
            "timeline[0].action",
        ),
        (
            "write_rate",
            with(&csv_trace(&good), "[writes]\nrate = 5\n"),
            "writes.rate",
        ),
    ];
    assert_refused(cases);
}

#[test]
fn sampling_a_tenth_of_a_zipf_traces_keys_keeps_its_lru_hit_ratio_within_the_sampling_error() {
    // Zipf 0.7 over 10,000 keys, 5,000 reads/s for 40 s, one LRU node of 1,000 entries. A 10%
    // key sample replays about a tenth of the reads into a node of 100 entries; Che's
    // approximation says the hit ratio stays, and replications sample other keys.
    let dir = tempfile::tempdir().unwrap();
    let (rps, keys, s, capacity, f) = (5000.0, 10_000usize, 0.7, 1000.0, 0.1);
    std::fs::write(
        dir.path().join("zipf.csv"),
        poisson_zipf_trace(rps, 40.0, keys, s, 21),
    )
    .unwrap();
    let cache = "[cache]\nnodes = 1\ncapacity = 1000\nlatency = \"0s\"\nttl = \"1h\"\n[db]\nslots = 1000\nservice = \"1ns\"\n";
    let scenario = |extra: &str| {
        format!(
            "name = \"sample\"\nseed = 3\nduration = \"40s\"\nbucket = \"10s\"\n{}{extra}{cache}",
            csv_trace("zipf.csv")
        )
    };
    let full_file = dir.path().join("full.toml");
    std::fs::write(&full_file, scenario("")).unwrap();
    let sampled_file = dir.path().join("sampled.toml");
    std::fs::write(&sampled_file, scenario("keys = { fraction = 0.1 }\n")).unwrap();
    let full = simulate_file(&full_file).remove(0).summary.totals;

    let sampled = cachestorm::scenario::load(&sampled_file).unwrap();
    let config = &sampled.strategies[0].config;
    // The cache and the database scale with the sample.
    assert_eq!(config.cache.as_ref().unwrap().capacity, Some(100));
    assert_eq!(config.db.slots, 100);
    let reps = 12;
    let runs: Vec<_> = (0..reps)
        .map(|r| {
            let seed = cachestorm::engine::rng::replication_seed(sampled.seed, r);
            cachestorm::experiment::simulate(config, seed, &|_| {})
                .summary
                .totals
        })
        .collect();
    // Each replication keeps about a tenth of the reads, and another set of keys.
    for t in &runs {
        let share = t.arrived as f64 / full.arrived as f64;
        assert!((0.03..0.3).contains(&share), "sampled share {share}");
    }
    assert!(runs.windows(2).all(|w| w[0].arrived != w[1].arrived));

    // The stated error: the ratio estimator over a Bernoulli(f) key sample has variance
    // (1 - f)/f · Σ p_i² (h_i - H)² and bias (1 - f)/f · Σ p_i² (H - h_i) (the popular keys,
    // which hit more, weigh more when sampled), with h_i from Che's approximation; plus each
    // replay's own binomial noise. Twelve replications: a standard error of about 0.02.
    let p = cachestorm::model::clients::KeyChooser::probabilities(
        keys as u32,
        cachestorm::model::config::Popularity::Zipf { s },
    );
    let occupancy = |t: f64| p.iter().map(|&q| 1.0 - (-q * t).exp()).sum::<f64>();
    let (mut lo, mut hi) = (0.0, 1e9);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        (lo, hi) = if occupancy(mid) < capacity {
            (mid, hi)
        } else {
            (lo, mid)
        };
    }
    let h: Vec<f64> = p.iter().map(|&q| 1.0 - (-q * lo).exp()).collect();
    let big_h: f64 = p.iter().zip(&h).map(|(q, h)| q * h).sum();
    let var_sample: f64 = (1.0 - f) / f
        * p.iter()
            .zip(&h)
            .map(|(q, h)| q * q * (h - big_h).powi(2))
            .sum::<f64>();
    let n_sample = full.arrived as f64 * f;
    let var_replay = big_h * (1.0 - big_h) / n_sample;
    let bias: f64 = (1.0 - f) / f
        * p.iter()
            .zip(&h)
            .map(|(q, h)| q * q * (big_h - h))
            .sum::<f64>();
    let se = ((var_sample + var_replay) / reps as f64).sqrt();
    let mean = runs.iter().map(|t| t.hit_ratio()).sum::<f64>() / reps as f64;
    let whole = full.hit_ratio();
    assert!(
        (mean - whole - bias).abs() < 3.0 * se,
        "sampled mean {mean:.4} vs whole trace {whole:.4} (bias {bias:.4}), standard error {se:.4}"
    );
    // Without scaling the cache, a tenth of the keys would fit far better: the scaling matters.
    assert!(whole < 0.9, "{whole}");
}

#[test]
fn progress_follows_the_trace_and_a_trace_changed_after_its_check_is_not_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("z.csv");
    // 40,000 reads: the run reports progress several times along the way.
    std::fs::write(&trace, poisson_zipf_trace(2000.0, 20.0, 500, 0.9, 8)).unwrap();
    let file = dir.path().join("p.toml");
    std::fs::write(&file, scenario(&csv_trace("z.csv"), "1s", "20s")).unwrap();
    let s = cachestorm::scenario::load(&file).unwrap();
    let config = &s.strategies[0].config;
    let counted = config.clients.trace.as_ref().unwrap().scan.records;
    assert!(counted > 39_000, "{counted}");
    let reports = std::sync::Mutex::new(Vec::new());
    let r = cachestorm::experiment::simulate(config, s.seed, &|p| {
        reports.lock().unwrap().push(p.trace_records);
    });
    let reports = reports.into_inner().unwrap();
    // Reports along the way carry the records read so far; they add up to those counted.
    assert!(reports.len() >= 2, "{reports:?}");
    assert!(reports[0] > 0 && reports[0] < counted, "{reports:?}");
    assert_eq!(reports.iter().sum::<u64>(), counted);
    assert!(r.summary.totals.arrived > 39_000);

    // The file changes after the check: it is said to have changed, and not replayed.
    let t = config.clients.trace.as_ref().unwrap();
    assert_eq!(t.changed(), None);
    std::fs::write(&trace, "ns,key\n1,a\n").unwrap();
    let why = t.changed().expect("a changed file is noticed");
    assert!(why.contains("bytes"), "{why}");
    let r = cachestorm::experiment::simulate(config, s.seed, &|_| {});
    assert_eq!(r.summary.totals.arrived, 0);
}
