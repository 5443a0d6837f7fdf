#!/usr/bin/env bash
# The planted-bug table of the README: for every planted bug, a sweep of seeds 1..=300 of the
# scenario it is tested on, the first failing seed, how many fail, the first seed whose kept
# violations include the expected invariant, and how many do; then `dst shrink` of the first
# failing seed: the invariant it keeps and the events before and after. Prints a Markdown table.
# Usage: scripts/planted-bugs.sh [SEEDS]    (default 300)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-300}
cargo build --release --quiet --bin dst
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# bug scenario invariant, as tests/suite/planted_bugs.rs asserts them
table="non-atomic-checkpoint crash-heavy checkpoint_atomicity
checkpoint-skips-agent-check default no_orphans
delete-agent-parent-first crash-heavy no_orphans
torn-commit crash-heavy checkpoint_atomicity
occ-disabled contention no_lost_updates
ack-before-durable default acknowledged_durability
stale-read-your-writes default read_consistency
unverified-read corruption read_consistency
since-inclusive default read_consistency
latest-session-includes-stopped default read_consistency
update-block-creates-missing default error_contract
delete-missing-agent-ok default error_contract
conflict-not-retried contention retry_contract
prefix-without-separator many-agents read_consistency
message-key-without-number default read_consistency"

echo "| bug | scenario | invariant expected | first failing seed | failing / $seeds | first with invariant | with invariant / $seeds | shrunk: invariant kept | shrunk: events |"
echo "|---|---|---|---|---|---|---|---|---|"
while read -r bug scenario invariant; do
  out="$work/$bug"
  target/release/dst sweep --seeds "1..=$seeds" --scenario "$scenario" --bug "$bug" --out "$out" >/dev/null 2>&1 || true
  first=$(sed -n 's/^{"seed":\([0-9]*\),"verdict":"fail".*/\1/p' "$out/seeds.jsonl" | head -1)
  shrunk="$work/$bug.shrink.json"
  echo '{}' >"$shrunk"
  if [[ -n $first ]]; then
    target/release/dst shrink --seed "$first" --scenario "$scenario" --bug "$bug" \
      -o "$work/$bug.min.jsonl" --json >"$shrunk" 2>/dev/null || echo '{}' >"$shrunk"
  fi
  python3 - "$out/seeds.jsonl" "$bug" "$scenario" "$invariant" "$seeds" "$shrunk" <<'PY'
import json, sys
path, bug, scenario, invariant, seeds, shrunk = sys.argv[1:]
failing = [r for r in map(json.loads, open(path)) if r["verdict"] == "fail"]
with_invariant = [r for r in failing if any(v["invariant"] == invariant for v in r["violations"])]
first = lambda rows: str(rows[0]["seed"]) if rows else "never"
s = json.load(open(shrunk))
kept, events = "-", "-"
if s:
    kept = s["invariant"]
    ratio = 100 * s["shrunk_events"] / s["original_events"]
    events = f'{s["original_events"]} -> {s["shrunk_events"]} ({ratio:.1f}%)'
print(f"| {bug} | {scenario} | {invariant} | {first(failing)} | {len(failing)} | {first(with_invariant)} | {len(with_invariant)} | {kept} | {events} |")
PY
done <<<"$table"
