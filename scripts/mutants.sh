#!/usr/bin/env bash
# Mutation score of the sweep: cargo-mutants injects one-line bugs into src/agent/ and src/kv/,
# and the only test run against each is tests/mutation_sweep.rs (a bounded sweep of every
# shipped scenario, no unit test). Writes results/reports/mutants.md: the caught percentage,
# the counts, and every missed mutant with its note from scripts/mutants-notes.tsv (why it is
# equivalent, or what caught it since; a missed mutant without a note is an open gap).
# Not part of .ci/run: the full set takes about two hours on 2 cores, half with --shard 0/2.
#
# Usage: scripts/mutants.sh [--shard K/N] [--seeds N] [--jobs N] [--file GLOB]...
#   --shard K/N   score a fixed sample: shard K of N (round-robin, so every file is sampled)
#   --seeds N     seeds per scenario in the sweep (default 24)
#   --jobs N      mutants built and swept at once (default 2)
#   --file GLOB   mutate only files matching GLOB (repeatable; default src/agent/** src/kv/**)
# Installs cargo-mutants (a crate) when missing. Mutates a clean checkout of HEAD (a git
# worktree), so the working tree may change while it runs; uncommitted changes are not scored.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

shard="" seeds=24 jobs=2 files=()
while (($#)); do
  case $1 in
    --shard) shard=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --file) files+=("$2"); shift 2 ;;
    *) echo "usage: scripts/mutants.sh [--shard K/N] [--seeds N] [--jobs N] [--file GLOB]..." >&2; exit 2 ;;
  esac
done
((${#files[@]})) || files=("src/agent/**" "src/kv/**")

command -v cargo-mutants >/dev/null || cargo install --locked cargo-mutants

tree=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$tree" >/dev/null 2>&1 || true' EXIT
git worktree add --quiet --detach "$tree" HEAD
commit=$(git rev-parse --short HEAD)
args=(--dir "$tree" --profile mutants --jobs "$jobs" --output "$root/target/mutants-run" --timeout-multiplier 3)
for glob in "${files[@]}"; do args+=(--file "$glob"); done
[[ -n $shard ]] && args+=(--shard "$shard" --sharding round-robin)
started=$(date +%s)
# --test=mutation_sweep goes to every cargo call: only the sweep is built and run per mutant.
DST_MUTATION_SEEDS=$seeds cargo mutants "${args[@]}" -C --test=mutation_sweep -- -- --ignored || true
elapsed=$(( $(date +%s) - started ))

python3 scripts/mutants_report.py "$shard" "$seeds" "$elapsed" "${files[*]}" "$commit"
