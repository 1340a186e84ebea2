//! Simulated requests per second on one core, for the README's performance figures.
//!
//! Run with `cargo bench --bench throughput`.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn load(name: &str) -> cachestorm::scenario::Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    cachestorm::scenario::load(&path).expect("bench scenario is valid")
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulate");
    group.sample_size(10);
    const BENCH: &str = "benches/scenarios/throughput.toml";
    // (label, file, strategy index, fan-out override)
    for (label, file, strategy, fanout) in [
        ("zipf-lru-1M-requests", BENCH, 0, None),
        ("zipf-lru-fanout-4", BENCH, 0, Some(4)),
        ("zipf-lru-mitigations-on", BENCH, 1, None),
        ("avalanche-fixed-ttl", "scenarios/avalanche.toml", 0, None),
    ] {
        let scenario = load(file);
        let mut config = scenario.strategies[strategy].config.clone();
        if let Some(k) = fanout {
            config.clients.fanout = k;
        }
        let requests = cachestorm::experiment::simulate(&config, scenario.seed, &|_| {})
            .summary
            .totals
            .arrived;
        group.throughput(Throughput::Elements(requests));
        group.bench_function(label, |b| {
            b.iter(|| cachestorm::experiment::simulate(&config, scenario.seed, &|_| {}))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
