#!/usr/bin/env bash
# Mutation score of the sweep: cargo-mutants injects one-line bugs into src/agent/ and src/kv/,
# and the only test run against each is tests/mutation_sweep.rs (a bounded sweep of every
# shipped scenario, no unit test). Writes results/reports/mutants.md: the caught percentage,
# the counts, and every missed mutant. Not part of .ci/run: it takes an hour or more on 2 cores.
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

python3 - "$shard" "$seeds" "$elapsed" "${files[*]}" "$commit" <<'PY'
import json, sys
shard, seeds, elapsed, files, commit = sys.argv[1:]
elapsed = int(elapsed)
outcomes = json.load(open("target/mutants-run/mutants.out/outcomes.json"))["outcomes"]
by = {}
for o in outcomes:
    if o["scenario"] == "Baseline":
        continue
    by.setdefault(o["summary"], []).append(o["scenario"]["Mutant"])
caught, missed = by.get("CaughtMutant", []), by.get("MissedMutant", [])
unviable, timeout = by.get("Unviable", []), by.get("Timeout", [])
viable = len(caught) + len(missed) + len(timeout)
pct = 100.0 * (len(caught) + len(timeout)) / viable if viable else 0.0
name = lambda m: f"{m['file']}:{m['span']['start']['line']}: {m['name']}"
lines = [
    f"caught: {pct:.1f}% of viable mutants",
    "",
    f"Run: `scripts/mutants.sh{' --shard ' + shard if shard else ''} --seeds {seeds}` over {files} at commit {commit}; "
    f"test command: `cargo test --test mutation_sweep -- --ignored` only (a sweep of {seeds} seeds of "
    f"every shipped scenario), {elapsed // 60} min on this machine. Timeouts count as caught "
    "(the mutant made the sweep hang).",
    "",
    "| outcome | mutants |",
    "|---|---|",
    f"| caught | {len(caught)} |",
    f"| missed | {len(missed)} |",
    f"| unviable (does not build) | {len(unviable)} |",
    f"| timeout | {len(timeout)} |",
    "",
    "## Missed",
    "",
]
lines += [f"- `{name(m)}`" for m in missed] or ["none"]
open("results/reports/mutants.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines[:12]))
PY
