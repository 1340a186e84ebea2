#!/usr/bin/env bash
# Issue 23's comparison, rerunnable: the model of model.toml simulated by cachestorm (with and
# without its PNG charts), a tight hand-written Rust loop (tight/), a Python heapq loop
# (heapq_loop.py) and SimPy (simpy_model.py), each as a whole process. Runs are paired: every
# round runs each implementation once with the round's seed, in an order that rotates from one
# round to the next. Prints requests per CPU-second (user + system time of the process; the
# median over rounds) and the median of the per-round ratios to the tight loop, then checks that
# the figures agree: each implementation's mean hit ratio, database queries and p99 latency over
# its rounds against cachestorm's over REFERENCE replications, within 3 standard errors.
#
# A benchmark, not a test: CI does not run it. From the repository root:
#   benches/compare/run.sh                 # ROUNDS=5, REFERENCE=8
#   ROUNDS=3 SKIP=simpy benches/compare/run.sh
# SimPy: `pip install simpy` (skipped with a message when it is missing); SKIP takes a comma
# list of cachestorm-no-charts, cachestorm-png, tight, heapq, simpy.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-5}
REFERENCE=${REFERENCE:-8}
SKIP=${SKIP:-}
PY=${PYTHON:-python3}
HERE=benches/compare
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cargo build --release --quiet
cargo build --release --quiet --manifest-path "$HERE/tight/Cargo.toml" \
    --target-dir "$HERE/tight/target"
CS=target/release/cachestorm
TIGHT=$HERE/tight/target/release/tight

impls=(tight cachestorm-no-charts cachestorm-png heapq simpy)
if ! "$PY" -c 'import simpy' 2>/dev/null; then
    echo "SimPy is not installed (pip install simpy): skipped" >&2
    SKIP="$SKIP,simpy"
fi
active=()
for i in "${impls[@]}"; do
    [[ ",$SKIP," == *",$i,"* ]] || active+=("$i")
done

# One run of implementation $1 with seed $2; its figures on stdout as "name value" lines.
run_one() {
    local out="$WORK/out-$1"
    case $1 in
        tight) "$TIGHT" "$2" ;;
        heapq) "$PY" "$HERE/heapq_loop.py" "$2" ;;
        simpy) "$PY" "$HERE/simpy_model.py" "$2" ;;
        cachestorm-*)
            local charts=()
            [[ $1 == cachestorm-no-charts ]] && charts=(--no-charts)
            rm -rf "$out"
            "$CS" run "$HERE/model.toml" --seed "$2" "${charts[@]}" --out "$out" >/dev/null
            "$PY" - "$out" <<'PYEOF'
import csv, glob, sys
row = next(csv.DictReader(open(glob.glob(sys.argv[1] + "/*/summary.csv")[0])))
print("requests", row["requests_arrived"])
print("hits", row["cache_hits"])
print("db_queries", row["db_queries_started"])
print("hit_ratio", row["hit_ratio"])
print("p99_ms", row["p99_latency_ms"])
PYEOF
            ;;
    esac
}

results=$WORK/results.tsv
: >"$results"
TIMEFORMAT='%3U %3S'
n=${#active[@]}
for ((r = 1; r <= ROUNDS; r++)); do
    for ((j = 0; j < n; j++)); do
        impl=${active[$(((j + r - 1) % n))]}
        { time run_one "$impl" "$r" >"$WORK/figures"; } 2>"$WORK/cpu"
        read -r user sys <"$WORK/cpu"
        while read -r name value; do
            printf '%s\t%s\t%s\t%s\n' "$impl" "$r" "$name" "$value" >>"$results"
        done <"$WORK/figures"
        printf '%s\t%s\tcpu_s\t%s\n' "$impl" "$r" "$(echo "$user + $sys" | bc)" >>"$results"
        echo "round $r/$ROUNDS: $impl done" >&2
    done
done

"$CS" run "$HERE/model.toml" --replications "$REFERENCE" --no-charts --out "$WORK/ref" >/dev/null
"$PY" - "$results" "$WORK/ref" "${active[@]}" <<'PYEOF'
import csv, glob, math, statistics as st, sys
from collections import defaultdict

results, ref_dir, impls = sys.argv[1], sys.argv[2], sys.argv[3:]
fig = defaultdict(lambda: defaultdict(dict))  # impl -> round -> name -> value
for line in open(results):
    impl, r, name, value = line.rstrip("\n").split("\t")
    fig[impl][int(r)][name] = float(value)
reps = list(csv.DictReader(open(glob.glob(ref_dir + "/*/replications.csv")[0])))
ref = {
    "hit_ratio": [float(x["hit_ratio"]) for x in reps],
    "db_queries": [float(x["db_queries_started"]) for x in reps],
    "p99_ms": [float(x["p99_latency_ms"]) for x in reps],
}

def rate(impl, r):
    f = fig[impl][r]
    return f["requests"] / f["cpu_s"]

rounds = sorted(fig[impls[0]])
print(f"{len(rounds)} paired rounds, CPU time (user + system) of whole processes")
print()
print("| | requests per CPU-second | ratio to the tight loop | CPU s (median) |")
print("|---|---:|---:|---:|")
for impl in impls:
    rates = [rate(impl, r) for r in rounds]
    ratio = (
        f"{st.median(rate(impl, r) / rate('tight', r) for r in rounds):.3f}"
        if "tight" in fig else "-"
    )
    cpu = st.median(fig[impl][r]["cpu_s"] for r in rounds)
    print(f"| {impl} | {st.median(rates) / 1e6:.2f} M | {ratio} | {cpu:.3f} |")
print()
print(f"agreement with cachestorm's {len(reps)} replications "
      "(mean over rounds; |difference| within 3 standard errors):")
ok = True
for name, values in ref.items():
    m, sd = st.mean(values), st.stdev(values)
    print(f"  {name}: cachestorm replications {m:.6g} (sd {sd:.3g} a run)")
    for impl in impls:
        xs = [fig[impl][r][name] for r in rounds]
        x = st.mean(xs)
        tol = 3 * sd * math.sqrt(1 / len(values) + 1 / len(xs))
        verdict = "agrees" if abs(x - m) <= tol else "DIFFERS"
        ok &= verdict == "agrees"
        print(f"    {impl:22} {x:.6g}  difference {x - m:+.3g} (tolerance {tol:.3g}) {verdict}")
sys.exit(0 if ok else 1)
PYEOF
