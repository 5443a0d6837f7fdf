#!/usr/bin/env bash
# Speed benchmark (not a test): cost per storage call of this checkout and of a baseline commit,
# built and run side by side in one invocation. Instructions per call from cachegrind (the
# headline: deterministic on a noisy machine), wall time per call and seeds/s (median, min and
# max of 5 interleaved runs) for `default` and `contention` at 1x, 2x, 4x and 8x the operations
# per seed; for `default` at 1x, the cache misses and branch mispredictions cachegrind simulates
# per call (why wall time falls less than instructions); the full harness against the floor
# (the same workload with faults, checks and trace off: examples/bench_floor.rs); --jobs 2 over
# --jobs 1; peak memory over 10,000 seeds; and this checkout built without its profile-guided
# optimisation (pgo/), at 1x, for its share.
# Writes results/bench.json and results/BENCH.md. About 20 minutes on 2 cores (--quick: 5).
#
# Usage: scripts/bench.sh [--baseline REV] [--quick]
#   --baseline REV   the commit to compare with (default 194379e, the last commit before the
#                    speed work; HEAD~1 compares with the previous landed commit)
#   --quick          fewer seeds and runs, for a smoke test of the script
# Installs valgrind (Debian) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

baseline=194379e quick=()
while (($#)); do
  case $1 in
    --baseline) baseline=$2; shift 2 ;;
    --quick) quick=(--quick); shift ;;
    *) echo "usage: scripts/bench.sh [--baseline REV] [--quick]" >&2; exit 2 ;;
  esac
done

scripts/need-debian-package valgrind valgrind

rev=$(git rev-parse --short "$baseline^{commit}") || { echo "bench: no commit '$baseline'" >&2; exit 2; }
tree=$(mktemp -d)
trap 'git worktree remove --force "$tree" >/dev/null 2>&1 || true' EXIT
git worktree add --quiet --detach "$tree" "$rev"

echo "bench: building this checkout (with and without its profile, pgo/) and $rev" >&2
scripts/pgo.sh --check || echo "bench: measuring with a stale profile" >&2
cargo build --release --quiet --bin dst --example bench_floor
scripts/pgo.sh --verify || echo "bench: measuring a build the profile does not reach" >&2
DST_PGO_OFF=1 cargo build --release --quiet --bin dst --target-dir target/bench-no-pgo
# The baseline's build is cached under target/ so a second run does not rebuild it.
base_target="target/bench-baseline-$rev"
(cd "$tree" && cargo build --release --quiet --bin dst --target-dir "$OLDPWD/$base_target")

python3 scripts/bench.py target/release/dst "$base_target/release/dst" "$rev" "$tree/scenarios" \
  target/release/examples/bench_floor target/bench-no-pgo/release/dst "${quick[@]}"
