#!/usr/bin/env bash
# Records the profile that `cargo build --release` optimises `dst` with (profile-guided
# optimisation; scripts/rustc-pgo applies it), or checks that the recorded one is fresh.
#
#   scripts/pgo.sh           build an instrumented dst and benchmark floor (target/pgo-generate),
#                            run the training below, merge its counts into pgo/dst.profdata,
#                            note the toolchain (pgo/toolchain.txt) and the sources it was
#                            recorded for (src/, examples/, Cargo.toml, Cargo.lock:
#                            pgo/sources.sha256), then rebuild the release binary with the new
#                            profile. About 4 minutes.
#   scripts/pgo.sh --verify  exit 1 unless the built target/release/dst was compiled under the
#                            names the profile holds (the profile matches functions by their
#                            symbol names, which change with the crate's build settings and
#                            features; a mismatch silently leaves the build unoptimised).
#   scripts/pgo.sh --check   exit 1 when the sources or the toolchain changed since the profile
#                            was recorded (run by .ci/run). A stale profile still builds a correct
#                            binary: functions that changed are merely optimised without it.
#
# Needs llvm-profdata of the toolchain's own LLVM (rustup component llvm-tools); Debian's older
# llvm-profdata cannot read the counts this rustc writes.
set -euo pipefail
cd "$(dirname "$0")/.."

sources_hash() {
  find src examples Cargo.toml Cargo.lock -type f -print0 | LC_ALL=C sort -z |
    xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}
llvm_line() { grep '^LLVM version' || true; }

check() {
  local stale=()
  [[ -f pgo/dst.profdata ]] || stale+=("no pgo/dst.profdata")
  [[ -f pgo/sources.sha256 && $(cat pgo/sources.sha256) == "$(sources_hash)" ]] ||
    stale+=("the sources changed since it was recorded")
  [[ -f pgo/toolchain.txt && $(llvm_line <pgo/toolchain.txt) == "$(rustc -vV | llvm_line)" ]] ||
    stale+=("it was recorded with another LLVM than $(rustc -vV | llvm_line)")
  if ((${#stale[@]})); then
    printf 'pgo: the release profile is stale: %s.\npgo: record it again with scripts/pgo.sh (about 4 minutes).\n' \
      "$(IFS=';'; echo "${stale[*]}" | sed 's/;/; /g')" >&2
    return 1
  fi
  echo "pgo: the release profile matches these sources and this toolchain"
}

profdata_tool() {
  ls "$(rustc --print sysroot)"/lib/rustlib/*/bin/llvm-profdata 2>/dev/null | head -n1 || true
}

verify() {
  local profdata hot
  profdata=$(profdata_tool)
  [[ -x $profdata ]] || { echo "pgo: no llvm-profdata to verify with" >&2; return 1; }
  hot=$(nm target/release/dst | grep -o '_ZN3dst3run4seed12Run$LT$B$GT$5drive17h[0-9a-f]*E' | sort -u)
  [[ -n $hot ]] || { echo "pgo: target/release/dst has no Run::drive symbol to look up" >&2; return 1; }
  if ! "$profdata" show --all-functions pgo/dst.profdata | grep -F -f <(echo "$hot") >/dev/null; then
    echo "pgo: target/release/dst was compiled under names the profile does not hold: it is not optimised by it" >&2
    return 1
  fi
  echo "pgo: target/release/dst is optimised with the profile"
}

case "${1:-}" in
  --check) check; exit ;;
  --verify) verify; exit ;;
  "") ;;
  *) echo "usage: scripts/pgo.sh [--check | --verify]" >&2; exit 2 ;;
esac

profdata=$(profdata_tool)
[[ -x $profdata ]] || {
  echo "pgo: no llvm-profdata in $(rustc --print sysroot); install it with: rustup component add llvm-tools" >&2
  exit 1
}

target=$PWD/target/pgo-generate
raw=$target/profiles
rm -rf "$raw" && mkdir -p "$raw"
echo "pgo: building an instrumented dst in $target" >&2
DST_PGO_GENERATE=$raw cargo build --release --quiet --bin dst --example bench_floor \
  --target-dir "$target"

# The training run: what users run most, sweeps of every scenario, with the default the
# largest share, plus a traced run and its replay; and the benchmark's floor. Code generic over
# the store is compiled into each program that uses it, under that program's names, so the
# floor (examples/bench_floor.rs) needs counts of its own.
dst=$target/release/dst
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "pgo: training on every scenario" >&2
for scenario in scenarios/*.json; do
  name=$(basename "$scenario" .json)
  seeds=1..21
  [[ $name == default ]] && seeds=1..121
  status=0
  "$dst" sweep --seeds "$seeds" --scenario "$scenario" --jobs 2 --out "$work/$name" >/dev/null 2>&1 ||
    status=$?
  # Exit 1 (a failure found) is what a scenario expecting violations gives; its counts count.
  ((status <= 1)) || { echo "pgo: training sweep of $name failed (exit $status)" >&2; exit 1; }
done
"$dst" run --seed 7 --trace "$work/seed7.trace" >/dev/null
"$dst" replay "$work/seed7.trace" >/dev/null
for scenario in default contention; do
  for mode in full floor; do
    "$target/release/examples/bench_floor" --mode $mode --scenario $scenario --seeds 1..21 >/dev/null
  done
done

mkdir -p pgo
"$profdata" merge --sparse -o pgo/dst.profdata "$raw"/*.profraw
rustc -vV >pgo/toolchain.txt
sources_hash >pgo/sources.sha256
echo "pgo: recorded pgo/dst.profdata ($(du -h pgo/dst.profdata | cut -f1)); rebuilding the release binary" >&2
cargo build --release --quiet
check
verify
