#!/usr/bin/env bash
# The determinism gate (run by .ci/run). Fails when the same seed and scenario stop hashing the
# same way, in five checks:
#   1. a few hundred seeds over several scenarios, swept in two separate processes, one with
#      --jobs 1 and one with --jobs 2: the per-seed hash lists must be equal;
#   2. a sample of those seeds in the test build (debug assertions on, another optimisation
#      level, no profile): equal to the release build's hashes;
#   3. the golden hashes in seeds/golden/: equal, or the changed seeds are listed with how to
#      re-bless them (scripts/check_dst.sh --bless, a deliberate step; CI never writes goldens);
#   4. the regression seeds in seeds/regressions.txt: seeds that found a fixed bug pass, seeds
#      with a planted bug still fail with the invariant they name (the checkers still see it);
#   5. on any mismatch, the seed is re-run with a trace and replayed by the other build or
#      process, which prints the first divergent event.
# Usage: scripts/check_dst.sh [--bless]
set -euo pipefail
cd "$(dirname "$0")/.."

SCENARIOS=(default crash-heavy contention corruption read-faults many-agents memory)
SWEEP_SEEDS=1..61       # 60 seeds per scenario, 300 in all
GOLDEN_SEEDS=20         # seeds 1..=20 of each scenario have golden hashes
TEST_BUILD_SAMPLE=1,11,21,31,41,51

bless=0
case "${1:-}" in
  "") ;;
  --bless)
    [[ "${CI:-}" == "true" ]] && { echo "check_dst: refusing to bless goldens in CI" >&2; exit 2; }
    bless=1 ;;
  *) echo "usage: scripts/check_dst.sh [--bless]" >&2; exit 2 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

echo "== building release and test"
# The second build is cargo's test profile: debug assertions and overflow checks on, opt-level
# 2, no LTO, no profile, no x86-64-v3 (scripts/rustc-pgo touches only opt-level 3), so its code
# differs from the release build's in every way a build can. Right after `cargo test` (as in
# .ci/run) it is already built. Side by side: the release build spends minutes linking on one
# core (fat LTO, one codegen unit); the test build takes the other core meanwhile.
cargo build --release --quiet &
release_build=$!
cargo build --profile test --quiet || { kill "$release_build" 2>/dev/null; exit 2; }
wait "$release_build"
REL=target/release/dst
TEST_BUILD=target/debug/dst

# Prints "SEED HASH" for each line of a seeds.jsonl.
hashes() {
  sed -n 's/^{"seed":\([0-9]*\),"verdict":"[a-z]*","trace_hash":"\([0-9a-f]*\)".*/\1 \2/p' "$1"
}

# sweep BIN SCENARIO SEEDS JOBS NAME: sweeps into $work/NAME, leaves $work/NAME.hashes.
sweep() {
  local bin=$1 scenario=$2 seeds=$3 jobs=$4 name=$5 rc=0
  "$bin" sweep --scenario "$scenario" --seeds "$seeds" --jobs "$jobs" --out "$work/$name" \
    >"$work/$name.log" 2>&1 || rc=$?
  if (( rc > 1 )); then
    cat "$work/$name.log"
    echo "check_dst: '$bin sweep --scenario $scenario --seeds $seeds' exited $rc" >&2
    exit 2
  fi
  hashes "$work/$name/seeds.jsonl" >"$work/$name.hashes"
}

# diagnose WRITER REPLAYER SCENARIO SEED: trace the seed with one binary, replay it with the other.
diagnose() {
  local writer=$1 replayer=$2 scenario=$3 seed=$4 trace="$work/diag-$3-$4.jsonl"
  echo "  re-running seed $seed ($scenario) with a trace ($writer), replaying it ($replayer):"
  "$writer" run --seed "$seed" --scenario "$scenario" --trace "$trace" >/dev/null 2>&1 || true
  "$replayer" replay "$trace" 2>&1 | sed 's/^/    /' || true
}

# first_mismatch A B: the first seed whose hash differs between two "SEED HASH" files.
first_mismatch() {
  join -a1 -a2 -e missing -o 0,1.2,2.2 <(sort -k1,1 "$1") <(sort -k1,1 "$2") |
    awk '$2 != $3 { print $1; exit }'
}

echo "== 1. ${#SCENARIOS[@]} scenarios x seeds $SWEEP_SEEDS: --jobs 1 and --jobs 2 in separate processes"
# compare SCENARIO A B WHAT BIN_A BIN_B: hash lists $work/A.hashes and $work/B.hashes must be
# equal; otherwise report the first differing seed and diagnose it with the two binaries.
compare() {
  local scenario=$1 a=$2 b=$3 what=$4 seed
  if cmp -s "$work/$a.hashes" "$work/$b.hashes"; then
    echo "  $scenario: $(wc -l <"$work/$a.hashes") seeds, identical hashes"
  else
    seed=$(first_mismatch "$work/$a.hashes" "$work/$b.hashes")
    fail "$scenario: $what hash seed $seed differently"
    diagnose "$5" "$6" "$scenario" "$seed"
  fi
}

for scenario in "${SCENARIOS[@]}"; do
  sweep "$REL" "$scenario" "$SWEEP_SEEDS" 1 "$scenario-j1"
  sweep "$REL" "$scenario" "$SWEEP_SEEDS" 2 "$scenario-j2"
  if [[ ! -s "$work/$scenario-j1.hashes" ]]; then
    fail "$scenario: the sweep reported no seeds"
  else
    compare "$scenario" "$scenario-j1" "$scenario-j2" "--jobs 1 and --jobs 2" "$REL" "$REL"
  fi
done

echo "== 2. test build (debug assertions) vs release build on seeds $TEST_BUILD_SAMPLE"
for scenario in "${SCENARIOS[@]}"; do
  sweep "$TEST_BUILD" "$scenario" "$TEST_BUILD_SAMPLE" 2 "$scenario-test-build"
  grep -E "^($(tr ',' '|' <<<"$TEST_BUILD_SAMPLE")) " "$work/$scenario-j1.hashes" >"$work/$scenario-sample.hashes"
  compare "$scenario" "$scenario-sample" "$scenario-test-build" "test and release builds" "$REL" "$TEST_BUILD"
done

echo "== 3. golden hashes (seeds/golden/SCENARIO.hashes, seeds 1..=$GOLDEN_SEEDS)"
for scenario in "${SCENARIOS[@]}"; do
  golden="seeds/golden/$scenario.hashes"
  head -n "$GOLDEN_SEEDS" "$work/$scenario-j1.hashes" >"$work/$scenario-golden.hashes"
  if (( bless )); then
    mkdir -p seeds/golden
    cp "$work/$scenario-golden.hashes" "$golden"
    echo "  $scenario: blessed $(wc -l <"$golden") hashes into $golden"
  elif [[ ! -f $golden ]]; then
    fail "$scenario: no $golden (create it deliberately: scripts/check_dst.sh --bless)"
  elif cmp -s "$golden" "$work/$scenario-golden.hashes"; then
    echo "  $scenario: $(wc -l <"$golden") golden hashes unchanged"
  else
    fail "$scenario: golden hashes changed:"
    join -a1 -a2 -e missing -o 0,1.2,2.2 <(sort -k1,1 "$golden") <(sort -k1,1 "$work/$scenario-golden.hashes") |
      sort -n | awk '$2 != $3 { printf "    seed %s: golden %s, now %s\n", $1, $2, $3 }'
    echo "  if the change in behaviour is intended: scripts/check_dst.sh --bless, then commit seeds/golden/"
  fi
done

echo "== 4. regression seeds (seeds/regressions.txt)"
regressions=0
while read -r line || [[ -n $line ]]; do
  spec=${line%%#*}
  note=${line#*#}
  read -r -a words <<<"$spec"
  (( ${#words[@]} == 0 )) && continue
  if (( ${#words[@]} != 2 && ${#words[@]} != 4 )); then
    fail "seeds/regressions.txt: malformed line '$line' (SCENARIO SEED [BUG INVARIANT])"
    continue
  fi
  args=(run --seed "${words[1]}" --scenario "${words[0]}")
  expected=0 invariant=""
  if (( ${#words[@]} == 4 )); then
    args+=(--bug "${words[2]}")
    expected=1 invariant=${words[3]}
  fi
  rc=0
  "$REL" "${args[@]}" >"$work/regression.log" 2>&1 || rc=$?
  regressions=$((regressions + 1))
  if (( rc != expected )); then
    fail "regression 'dst ${args[*]}' exits $rc, expected $expected (#$note)"
    grep -E "^(verdict|violations|repro|trace|error)" "$work/regression.log" | head -n 8 | sed 's/^/    /'
  elif [[ -n $invariant ]] && ! grep -q "^violations: .*$invariant" "$work/regression.log"; then
    fail "regression 'dst ${args[*]}' no longer reports $invariant (#$note)"
    grep -E "^violations" "$work/regression.log" | sed 's/^/    /'
  fi
done <seeds/regressions.txt
echo "  $regressions regression seeds run"

if (( failures > 0 )); then
  echo "check_dst: $failures check(s) failed"
  exit 1
fi
echo "check_dst: all determinism checks passed"
