#!/usr/bin/env bash
# Git-reading benchmark: how fast `agentgate debug read-history` reads a whole history's changes
# (every commit, every file's added lines) next to `git log -p` on the same range.
#   scripts/bench-git.sh BIN [REPO]
# Without REPO (or $BENCH_REPO) a 20,000-commit history is generated with git fast-import in a temp
# directory. Prints commits/s, MB/s of added lines, peak memory, and the ratio git-time / our-time.
# Measured 2026-11-29 on 2 shared cores (load 1.5): generated 0.77 s vs 1.90 s (2.48x; CPU 1.41x;
# 111 MB); curl HEAD, 39,490 commits, 8.2 s vs 25.5 s (3.09x; CPU 1.60x; 167 MB vs git's 271 MB).
set -euo pipefail
BIN="${1:?usage: bench-git.sh PATH-TO-agentgate [REPO]}"
REPO="${2:-${BENCH_REPO:-}}"
COMMITS="${BENCH_COMMITS:-20000}"
# What to read: BENCH_RANGE (git log's syntax), else HEAD for a given repository (a mirror may hold
# refs whose objects a partial clone never fetched) and --all for the generated one.
RANGE="${BENCH_RANGE:-}"
work="$(mktemp -d "${TMPDIR:-/tmp}/agentgate-bench-git.XXXXXX")"
trap 'rm -rf "$work"' EXIT

generate() {
  # A deterministic history: 400 files in 20 directories; each commit edits one or two files
  # (a changed line and an inserted line) and every 50th commit adds a new file.
  python3 - "$COMMITS" <<'EOF'
import sys, random
n = int(sys.argv[1])
rnd = random.Random(42)
files = {}
out = sys.stdout.buffer
def data(b):
    out.write(b"data %d\n" % len(b)); out.write(b); out.write(b"\n")
def new_file(i):
    path = "src/mod%02d/file%04d.c" % (i % 20, i)
    files[path] = ["/* file %d line %d */ int v%d_%d = %d;" % (i, k, i, k, rnd.randrange(1 << 30)) for k in range(60)]
    return path
for i in range(400):
    new_file(i)
paths = sorted(files)
for c in range(1, n + 1):
    out.write(b"commit refs/heads/main\nmark :%d\n" % c)
    out.write(b"author Bench <bench@example.com> %d +0000\n" % (1600000000 + c * 60))
    out.write(b"committer Bench <bench@example.com> %d +0000\n" % (1600000000 + c * 60))
    data(b"change %d\n\nTouches a few lines.\n" % c)
    if c > 1:
        out.write(b"from :%d\n" % (c - 1))
    touched = paths if c == 1 else rnd.sample(paths, rnd.choice((1, 1, 2)))
    if c > 1 and c % 50 == 0:
        p = new_file(400 + c)
        paths.append(p)
        touched = touched + [p]
    for p in touched:
        lines = files[p]
        if c > 1:
            k = rnd.randrange(len(lines))
            lines[k] = "/* edited in %d */ int e%d = %d;" % (c, c, rnd.randrange(1 << 30))
            lines.insert(rnd.randrange(len(lines) + 1), "static const char *note_%d = \"commit %d\";" % (c, c))
        out.write(b"M 100644 inline %s\n" % p.encode())
        data(("\n".join(lines) + "\n").encode())
EOF
}

if [ -z "$REPO" ]; then
  command -v python3 >/dev/null || { echo "bench-git: python3 is needed to generate the history" >&2; exit 2; }
  REPO="$work/repo"
  git init -q -b main "$REPO"
  echo "generating $COMMITS commits with git fast-import..."
  generate | git -C "$REPO" fast-import --quiet
  git -C "$REPO" gc -q --aggressive --prune=now 2>/dev/null || git -C "$REPO" gc -q
fi

# Runs a command, prints "SECONDS MAXRSS_KB CPU_SECONDS" (wall time, peak resident memory, user +
# system time). CPU time is printed because on a shared machine the wall time mostly says how busy
# the other processes were (with autogroup scheduling a second thread may get no extra CPU at all).
measure() {
  local out="$1"; shift
  python3 - "$out" "$@" <<'EOF'
import resource, subprocess, sys, time
start = time.time()
with open(sys.argv[1], "wb") as f:
    subprocess.run(sys.argv[2:], stdout=f, check=True)
wall = time.time() - start
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f %d %.3f" % (wall, u.ru_maxrss, u.ru_utime + u.ru_stime))
EOF
}

[ -n "$RANGE" ] || { [ -n "${2:-${BENCH_REPO:-}}" ] && RANGE=HEAD || RANGE=--all; }
commits=$(git -C "$REPO" rev-list $RANGE --count)
echo "repository: $REPO, $RANGE ($commits commits), $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
# Warm the page cache so both readers start equal.
cat "$REPO"/.git/objects/pack/* "$REPO"/objects/pack/* > /dev/null 2>&1 || true

read -r ours_s ours_kb ours_cpu < <(measure "$work/ours.json" "$BIN" debug read-history --repo "$REPO" $RANGE)
read -r git_s git_kb git_cpu < <(measure "$work/gitlog.txt" git -C "$REPO" log -p $RANGE)
json="$(cat "$work/ours.json")"
python3 - "$json" "$ours_s" "$ours_kb" "$ours_cpu" "$git_s" "$git_kb" "$git_cpu" "$(wc -c < "$work/gitlog.txt")" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
ours, ours_kb, ours_cpu = float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
git, git_kb, git_cpu, git_bytes = float(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7]), int(sys.argv[8])
print("agentgate read-history: %d commits, %d files, %d added lines (%.1f MB) in %.2f s (CPU %.2f s)" % (
    r["commits"], r["files"], r["addedLines"], r["addedBytes"] / 1e6, ours, ours_cpu))
print("  %.0f commits/s, %.1f MB/s of added lines, peak RSS %.0f MB" % (
    r["commits"] / ours, r["addedBytes"] / 1e6 / ours, ours_kb / 1024))
print("git log -p: %.2f s (CPU %.2f s, %.1f MB of output), peak RSS %.0f MB" % (
    git, git_cpu, git_bytes / 1e6, git_kb / 1024))
print("ratio (git log -p time / agentgate time): %.2fx (goal >= 1.5x)" % (git / ours))
print("CPU-time ratio (git log -p CPU / agentgate CPU): %.2fx" % (git_cpu / ours_cpu))
EOF
