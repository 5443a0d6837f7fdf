#!/usr/bin/env bash
# Runs one sweep as N shard processes on this machine, then merges them with `dst merge`: what
# kubernetes.yaml and github-actions.yml do on N machines. Each shard takes its index from
# JOB_COMPLETION_INDEX (0-based), as a Kubernetes Indexed Job sets it.
#
# Usage: scripts/scale-out/local.sh N OUT [SWEEP_ARGS...]
#   e.g. scripts/scale-out/local.sh 3 results/three --seeds 1..3001 --scenario crash-heavy
# Writes OUT/shards/0..N-1 (one sweep folder each), OUT/logs/shard-K.log and OUT/merged (the
# merged sweep: seeds.jsonl, summary.json, traces/). Each shard runs --jobs 1 unless SWEEP_ARGS
# names --jobs. DST names the binary (default target/release/dst). Exits with the merge's code:
# 0 every seed passed, 1 a failure was found, 2 a shard or the merge could not run.
set -euo pipefail

if (( $# < 2 )) || ! [[ $1 =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 N OUT [SWEEP_ARGS...]   (N shards, at least 1)" >&2
  exit 2
fi
shards=$1 out=$2
shift 2
dst=${DST:-target/release/dst}
[[ -x $dst ]] || { echo "$0: no dst binary at '$dst' (cargo build --release, or set DST)" >&2; exit 2; }
jobs=(--jobs 1)
for arg in "$@"; do [[ $arg == --jobs || $arg == --jobs=* ]] && jobs=(); done

mkdir -p "$out/shards" "$out/logs"
pids=()
for ((index = 0; index < shards; index++)); do
  JOB_COMPLETION_INDEX=$index "$dst" sweep "$@" "${jobs[@]}" \
    --shard-count "$shards" --shard-index-from-env --out "$out/shards/$index" \
    >"$out/logs/shard-$index.log" 2>&1 &
  pids+=($!)
done

worst=0
for index in "${!pids[@]}"; do
  code=0
  wait "${pids[$index]}" || code=$?
  if (( code > 1 )); then
    echo "$0: shard $index exited $code; see $out/logs/shard-$index.log:" >&2
    tail -n 3 "$out/logs/shard-$index.log" >&2
    worst=$code
  fi
done
(( worst == 0 )) || exit 2

folders=()
for ((index = 0; index < shards; index++)); do folders+=("$out/shards/$index"); done
exec "$dst" merge "${folders[@]}" --out "$out/merged"
