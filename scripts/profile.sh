#!/usr/bin/env bash
# Where a storage call's cost goes (not a test, not a benchmark): callgrind, with its cache and
# branch simulation, over examples/bench_floor in both modes (the full harness, and the floor:
# the same workload with faults, checks and the trace off), then scripts/profile.py charges
# every instruction, cache miss, mispredicted branch and allocation to the crate's source file
# and layer that spent it. Writes results/PROFILE.md and results/profile.json. Under a minute on
# 2 cores for the default 3 seeds, once the release build is there (building it takes a few).
# Two profiles of one commit agree to a fraction of a percent, not exactly: addresses move
# between runs, and the decode cache hashes them, so its probes (and the simulated caches) differ.
#
# Usage: scripts/profile.sh [--scenario NAME_OR_PATH] [--seeds A..B]
#   --scenario   the scenario to profile (default: default)
#   --seeds      the seeds to run, A..B with B exclusive (default: 1..4)
# Installs valgrind (Debian) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

scenario=default seeds=1..4
usage="usage: scripts/profile.sh [--scenario NAME_OR_PATH] [--seeds A..B]"
while (($#)); do
  case $1 in
    --scenario) [[ $# -ge 2 ]] || { echo "$usage" >&2; exit 2; }; scenario=$2; shift 2 ;;
    --seeds) [[ $# -ge 2 ]] || { echo "$usage" >&2; exit 2; }; seeds=$2; shift 2 ;;
    -h|--help) echo "$usage"; exit 0 ;;
    *) echo "profile: unknown argument '$1'" >&2; echo "$usage" >&2; exit 2 ;;
  esac
done
if ! [[ $seeds =~ ^([0-9]+)\.\.([0-9]+)$ ]] || ((BASH_REMATCH[1] >= BASH_REMATCH[2])); then
  echo "profile: --seeds must be A..B with A < B, not '$seeds'" >&2
  exit 2
fi

scripts/need-debian-package valgrind valgrind

scripts/pgo.sh --check || echo "profile: profiling a build with a stale profile (pgo/)" >&2
cargo build --release --quiet --example bench_floor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for mode in full floor; do
  echo "profile: callgrind over bench_floor --mode $mode --scenario $scenario --seeds $seeds" >&2
  if ! valgrind --tool=callgrind --cache-sim=yes --branch-sim=yes \
    --callgrind-out-file="$work/$mode.callgrind" \
    target/release/examples/bench_floor --mode "$mode" --scenario "$scenario" --seeds "$seeds" \
    >"$work/$mode.json" 2>"$work/$mode.log"; then
    tail -n 20 "$work/$mode.log" >&2
    echo "profile: the $mode run failed (its valgrind log is above)" >&2
    exit 1
  fi
done
python3 scripts/profile.py src "$scenario" "$work/full.json" "$work/full.callgrind" \
  "$work/floor.json" "$work/floor.callgrind"
