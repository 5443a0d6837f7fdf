#!/usr/bin/env bash
# The coverage gate (run by .ci/run): sweeps every shipped scenario over the same seeds and
# fails, naming them, when a coverage mark fired in none of them. Marks are deterministic
# functions of the seeds, so a mark that fires here fires on every machine.
#   scripts/check_coverage.sh [SEEDS]    (default 1..51: 50 seeds of each scenario)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-1..51}
cargo build --release -q
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scenarios=$(ls scenarios/*.json | xargs -n1 basename | sed 's/\.json$//')
for scenario in $scenarios; do
  # lossy-disk is outside the fault envelope: its failing seeds are expected, its marks count.
  rc=0
  target/release/dst sweep --seeds "$seeds" --scenario "$scenario" --out "$work/$scenario" \
    >/dev/null 2>"$work/$scenario.err" || rc=$?
  if (( rc != 0 && rc != 1 )); then
    echo "coverage gate: sweep of $scenario exited $rc: $(tail -2 "$work/$scenario.err")" >&2
    exit 1
  fi
done
python3 - "$work" $scenarios <<'PY'
import json, sys
work, scenarios = sys.argv[1], sys.argv[2:]
total = {}
for scenario in scenarios:
    coverage = json.load(open(f"{work}/{scenario}/summary.json"))["coverage"]
    for mark, count in coverage.items():
        total[mark] = total.get(mark, 0) + count
never = [mark for mark, count in total.items() if count == 0]
print(f"coverage gate: {len(total) - len(never)} of {len(total)} marks fired over "
      f"{len(scenarios)} scenarios")
if never:
    print("coverage gate: never fired: " + ", ".join(never), file=sys.stderr)
    sys.exit(1)
PY
