#!/usr/bin/env bash
# Speed benchmark (not a test): seeds per second of the default scenario at --jobs 1 and
# --jobs 2, cost per storage call of a full seed, and the same for the raw storage work alone
# (examples/bench_raw.rs: KvAdapter over MemoryKV, no model, trace, faults or checks).
# Machine noise matters: each figure is the median of RUNS runs; compare ratios from one run.
# Usage: scripts/bench.sh [SEEDS] [RUNS]    (defaults: 400 seeds, 3 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-400}
runs=${2:-3}
cargo build --release --quiet --bin dst --example bench_raw
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

raw=$(for _ in $(seq "$runs"); do target/release/examples/bench_raw | awk '{print $(NF-1)}'; done | median)
echo "raw storage work: ${raw} us/call (median of $runs)"
for jobs in 1 2; do
  for i in $(seq "$runs"); do
    target/release/dst sweep --seeds "1..$((seeds + 1))" --jobs "$jobs" --out "$work/j$jobs-$i" >/dev/null 2>&1
    python3 -c "import json,sys; v=json.load(open(sys.argv[1])); print(v['seeds_per_s'], v['elapsed_s']*1e6*int(sys.argv[2])/v['ops'])" \
      "$work/j$jobs-$i/summary.json" "$jobs"
  done >"$work/j$jobs.txt"
  sps=$(cut -d' ' -f1 "$work/j$jobs.txt" | median)
  per_call=$(cut -d' ' -f2 "$work/j$jobs.txt" | median)
  printf 'default, --jobs %s: %.1f seeds/s, %.2f us per storage call per core (median of %s)\n' "$jobs" "$sps" "$per_call" "$runs"
  [[ $jobs == 1 ]] && harness=$per_call
done
python3 -c "import sys; print(f'harness cost over raw storage work: {float(sys.argv[1])/float(sys.argv[2]):.2f}x')" "$harness" "$raw"
