#!/usr/bin/env bash
# The README's picture of a planted-bug run: seed 3 of crash-heavy with non-atomic-checkpoint,
# drawn by `dst report` (its first checkpoint_atomicity violation selected) and photographed by
# headless Chromium into results/reports/. Usage: scripts/report-screenshot.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium >/dev/null || { echo "needs chromium (apt-get install -y chromium)" >&2; exit 2; }
cargo build --release -q
name=crash-heavy+non-atomic-checkpoint-seed-3
png=report-crash-heavy-non-atomic-checkpoint-seed-3.png
target/release/dst run --seed 3 --scenario crash-heavy --bug non-atomic-checkpoint >/dev/null || [[ $? -eq 1 ]]
target/release/dst report "results/traces/$name.jsonl" >/dev/null
profile=$(mktemp -d); trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
  --user-data-dir="$profile" --window-size=1400,1000 \
  --screenshot="results/reports/$png" \
  "file://$PWD/results/traces/$name.html#invariant=checkpoint_atomicity" 2>/dev/null
echo "results/reports/$png"
