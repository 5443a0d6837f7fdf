#!/usr/bin/env bash
# Mutation score of the sweep: cargo-mutants injects one-line bugs into src/agent/ and src/kv/,
# and the only test run against each is tests/mutation_sweep.rs (a bounded sweep of every
# shipped scenario, no unit test). Writes results/reports/mutants.md: the caught percentage,
# the counts, and every missed mutant with its note from scripts/mutants-notes.tsv (why it is
# equivalent, or what caught it since; a missed mutant without a note is an open gap).
# Not part of .ci/run: the full set takes about two hours on 2 cores, half with --shard 0/2.
#
# Usage: scripts/mutants.sh [--shard K/N] [--narrow GLOB]... [--seeds N] [--jobs N] [--file GLOB]...
#                           [--report PATH]
#        scripts/mutants.sh --rerun-missed [--jobs N]
#   --shard K/N   score a fixed sample: shard K of N (round-robin, so every file is sampled)
#   --narrow GLOB of the shard's mutants, score only those in files matching GLOB (repeatable):
#                 the shard is still drawn from the whole list, so a narrowed run scores a
#                 subset of the same sample (an afternoon's worth of the files that matter most)
#   --report PATH where the report goes (default results/reports/mutants.md)
#   --seeds N     seeds per scenario in the sweep (default 24)
#   --jobs N      mutants built and swept at once (default 2)
#   --file GLOB   mutate only files matching GLOB (repeatable; default src/agent/** src/kv/**)
#   --rerun-missed  after fixing the oracle or workload: re-run, at HEAD, only the mutants the
#                 last scored run (target/mutants-run) missed, and rewrite the report with them
#                 (the scored run's figure stays in it beside the updated one)
# Installs cargo-mutants (a crate) when missing. Mutates a clean checkout of HEAD (a git
# worktree), so the working tree may change while it runs; uncommitted changes are not scored.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

shard="" seeds=24 jobs=2 files=() narrow=() rerun=0 report=results/reports/mutants.md
usage="usage: scripts/mutants.sh [--shard K/N] [--narrow GLOB]... [--seeds N] [--jobs N] [--file GLOB]... [--report PATH] | --rerun-missed [--jobs N]"
while (($#)); do
  case $1 in
    --rerun-missed) rerun=1; shift ;;
    --shard) shard=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --file) files+=("$2"); shift 2 ;;
    --narrow) narrow+=("$2"); shift 2 ;;
    --report) report=$2; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
if ((${#narrow[@]})) && [[ -z $shard ]]; then
  echo "mutants: --narrow picks from a shard's sample; give --shard K/N too" >&2
  exit 2
fi
((${#files[@]})) || files=("src/agent/**" "src/kv/**")

command -v cargo-mutants >/dev/null || cargo install --locked cargo-mutants

tree=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$tree" >/dev/null 2>&1 || true' EXIT
git worktree add --quiet --detach "$tree" HEAD
commit=$(git rev-parse --short HEAD)

if ((rerun)); then
  scored=target/mutants-run/run.args
  [[ -f $scored && -f target/mutants-run/mutants.out/missed.txt ]] \
    || { echo "mutants: no scored run in target/mutants-run to re-run the missed mutants of" >&2; exit 2; }
  args=(--dir "$tree" --profile mutants --jobs "$jobs" --output "$root/target/mutants-rerun" --timeout-multiplier 3)
  # Each missed mutant by its description (line and column dropped: the code may have moved).
  while IFS= read -r name; do
    description=$(sed -E 's/^[^:]*:[0-9]+:[0-9]+: //' <<<"$name")
    args+=(--re "$(python3 -c 'import re,sys; print(re.sub(r"([][\\.+*?(){}|^$])", r"\\\1", sys.argv[1]) + "$")' "$description")")
  done < target/mutants-run/mutants.out/missed.txt
  read -r shard seeds elapsed files_text scored_commit < "$scored"
  DST_MUTATION_SEEDS=$seeds cargo mutants "${args[@]}" -C --test=mutation_sweep -- -- --ignored || true
  python3 scripts/mutants_report.py "${shard//-/}" "$seeds" "$elapsed" "${files_text//,/ }" "$scored_commit" target/mutants-rerun "$commit"
  exit 0
fi

args=(--dir "$tree" --profile mutants --jobs "$jobs" --output "$root/target/mutants-run" --timeout-multiplier 3)
for glob in "${files[@]}"; do args+=(--file "$glob"); done
# The redb backend is judged by diff-backends and crash-test, not by the simulated sweep; left
# out, it also leaves the fixed --shard sample what it was.
args+=(--exclude "src/kv/redb_*.rs")
if ((${#narrow[@]})); then
  # The shard's mutants in the narrowed files, each selected by its exact name.
  cargo mutants "${args[@]}" --list --shard "$shard" --sharding round-robin >"$tree.list"
  mapfile -t selected < <(python3 - "$tree.list" "${narrow[@]}" <<'PY'
import fnmatch, re, sys
names, globs = open(sys.argv[1]).read().splitlines(), sys.argv[2:]
for name in names:
    if any(fnmatch.fnmatch(name.split(":", 1)[0], g) for g in globs):
        print("--re"); print("^" + re.escape(name) + "$")
PY
)
  rm -f "$tree.list"
  ((${#selected[@]})) || { echo "mutants: no mutant of shard $shard lies in ${narrow[*]}" >&2; exit 2; }
  args+=("${selected[@]}")
elif [[ -n $shard ]]; then
  args+=(--shard "$shard" --sharding round-robin)
fi
started=$(date +%s)
# --test=mutation_sweep goes to every cargo call: only the sweep is built and run per mutant.
DST_MUTATION_SEEDS=$seeds cargo mutants "${args[@]}" -C --test=mutation_sweep -- -- --ignored || true
elapsed=$(( $(date +%s) - started ))

files_text=$(IFS=,; echo "${files[*]}")
echo "${shard:--} $seeds $elapsed $files_text $commit" > target/mutants-run/run.args
MUTANTS_NARROW="${narrow[*]}" MUTANTS_REPORT=$report \
  python3 scripts/mutants_report.py "$shard" "$seeds" "$elapsed" "${files[*]}" "$commit"
