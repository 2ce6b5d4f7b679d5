#!/usr/bin/env bash
# `make bench`: every benchmark side by side, printed as ratios against the anchors and MB/s.
# BENCH_REPO=/path/to/repo measures on a real history too (the curl repository is a good one).
set -uo pipefail
BIN="${1:?usage: bench.sh PATH-TO-agentgate}"
here="$(cd "$(dirname "$0")" && pwd)"
status=0
for part in git attribution scan risk sandbox hooks; do
  script="$here/bench-$part.sh"
  [ -x "$script" ] || continue
  echo "== $part =="
  "$script" "$BIN" || { echo "bench-$part failed"; status=1; }
  echo
done
exit $status
