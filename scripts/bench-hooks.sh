#!/usr/bin/env bash
# Hook benchmarks (issue 9), on real git:
#   1. push gate: a bare repository with the installed pre-receive (agentgate install), and a real
#      `git push` of a new branch with 1,000 commits (small realistic diffs made with git
#      fast-import, some by an agent), judged with scans only (replay async, the default). The
#      push's wall time is compared with the 5 s GitHub Enterprise gives pre-receive hooks, and with
#      the same push to a repository without hooks (git's own cost). The branch deleted and pushed
#      again shows the verdict cache (pre-receive finds every judgement in the git dir).
#   2. pre-commit latency: one staged change in a real repository (BENCH_REPO, cloned; else a
#      generated one): `agentgate pre-commit` (what the installed hook runs) against
#      `betterleaks git --staged`, mean of N runs, as a ratio (goal: 1/3 or less).
#
# Usage: scripts/bench-hooks.sh PATH-TO-agentgate
#   BENCH_REPO=/path/to/repo     repository for the pre-commit latency (cloned into a temp dir)
#   BENCH_PUSH_COMMITS=1000      commits in the pushed branch
#   BENCH_PRECOMMIT_RUNS=10      runs averaged for pre-commit
#   BENCH_PUSH=0                 skip the push measurements (pre-commit only)
#   BENCH_TIMEOUT=600            seconds allowed per command
set -uo pipefail

# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
BIN="$(bench_binary bench-hooks "${1:?usage: bench-hooks.sh PATH-TO-agentgate}")" || exit 2
COMMITS="${BENCH_PUSH_COMMITS:-1000}"
RUNS="${BENCH_PRECOMMIT_RUNS:-10}"
LIMIT="${BENCH_TIMEOUT:-600}"
work="$(mktemp -d /tmp/agentgate-bench-hooks.XXXXXX)"
cleanup() {
  # End the background replay jobs this run started (by their recorded pid), then the temp dir.
  for pidfile in "$work"/state/agentgate/jobs/*/pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT

# A quiet, deterministic git for every step (no user config, no system config).
export HOME="$work/home" XDG_CONFIG_HOME="$work/xdg" XDG_STATE_HOME="$work/state" GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME" "$XDG_CONFIG_HOME"
git config --global user.name "Bench Human"
git config --global user.email "human@example.com"
git config --global init.defaultBranch main
git config --global advice.detachedHead false

now() { date +%s.%N; }
secs() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }

# --- 1. The push gate ---------------------------------------------------------------------------
echo "push gate: a new branch of $COMMITS commits pushed to a bare repository with the installed pre-receive"
client="$work/client"
git init -q "$client"
# A base tree of 300 source files on main, then the branch: each commit edits 1-3 files with a few
# added and changed lines; one in four carries an agent's trailer; a few add risky or secret-like lines.
python3 - "$COMMITS" <<'PY' | git -C "$client" fast-import --quiet
import random, sys
n = int(sys.argv[1])
rng = random.Random(11)
words = ("value count index result buffer offset length config request response handler error status "
         "client server session token cache entry record table column field option parser writer reader").split()
def line():
    k = rng.randint(2, 6)
    name = "_".join(rng.choice(words) for _ in range(2))
    return rng.choice([
        f"    {name} = {rng.randint(0, 9999)}",
        f"    if {name} > {rng.randint(0, 99)}:",
        f"        return {name}({', '.join(rng.choice(words) for _ in range(k))})",
        f"    # {' '.join(rng.choice(words) for _ in range(k + 4))}",
        f"    log.debug(\"{' '.join(rng.choice(words) for _ in range(k))}\", {name})",
    ])
files = {}
for d in range(15):
    for f in range(20):
        files[f"src/pkg{d}/mod{f}.py"] = [f"def f{i}():" if i % 8 == 0 else line() for i in range(rng.randint(40, 160))]
out = sys.stdout.buffer
def blob(text):
    data = text.encode()
    out.write(b"data %d\n" % len(data) + data + b"\n")
def commit(ref, msg, t, changes, parent=None, author=None):
    out.write(f"commit {ref}\n".encode())
    if author:
        out.write(f"author {author} {t} +0000\n".encode())
    out.write(f"committer Bench Human <human@example.com> {t} +0000\n".encode())
    blob(msg)
    if parent:
        out.write(f"from {parent}\n".encode())
    for path, text in changes:
        out.write(f"M 100644 inline {path}\n".encode())
        blob(text)
    out.write(b"\n")
t = 1_700_000_000
commit("refs/heads/main", "Initial import\n", t, [(p, "\n".join(l) + "\n") for p, l in sorted(files.items())])
names = sorted(files)
agent = "\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n"
for c in range(n):
    t += 97
    changes = []
    for path in rng.sample(names, rng.randint(1, 3)):
        lines = files[path]
        for _ in range(rng.randint(1, 4)):
            lines[rng.randrange(len(lines))] = line()
        at = rng.randrange(len(lines))
        lines[at:at] = [line() for _ in range(rng.randint(2, 12))]
        if c % 4 != 1 and rng.random() < 0.01:
            lines.append("    run('curl -fsSL https://get.example.com/install.sh | sh')")
        changes.append((path, "\n".join(lines) + "\n"))
    msg = f"Change {c}: {' '.join(rng.choice(words) for _ in range(4))}\n"
    if c % 4 == 1:
        msg += agent
    commit("refs/heads/feature", msg, t, changes, parent="refs/heads/main" if c == 0 else None)
PY
git -C "$client" checkout -q main

if [ "${BENCH_PUSH:-1}" != 0 ]; then
server="$work/server.git"
floor="$work/floor.git"
git init -q --bare "$server"
git init -q --bare "$floor"
"$BIN" install --hook pre-receive --repo "$server" >"$work/install.log" 2>&1 || {
  echo "bench-hooks: agentgate install failed:" >&2
  cat "$work/install.log" >&2
  exit 2
}
# The starter server policy: scans at the gate, replay after the push (async), as on GitHub Enterprise.
grep -q '^pre-receive = "async"' "$server/hooks/agentgate.toml" || {
  echo "bench-hooks: the installed server policy does not say pre-receive = \"async\"" >&2
  exit 2
}
git -C "$client" push -q "$server" main 2>"$work/push-main.err" || { cat "$work/push-main.err" >&2; exit 2; }
git -C "$client" push -q "$floor" main 2>/dev/null

# push NAME REPO REF: times `git push REPO feature:REF`; sets SECS and CODE.
push() {
  local t0 t1
  t0=$(now)
  timeout "$LIMIT" git -C "$client" push "$2" "feature:$3" >"$work/$1.out" 2>"$work/$1.err"
  CODE=$?
  t1=$(now)
  SECS=$(secs "$t0" "$t1")
}

push floor "$floor" refs/heads/feature
floor_secs=$SECS
push gate "$server" refs/heads/feature
gate_secs=$SECS
gate_code=$CODE
summary() {
  python3 -c "
import json, sys
lines = open(sys.argv[1]).read().splitlines()
print(json.loads(lines[-1])['summary'] if lines else '?')" "$server/agentgate/audit.jsonl" 2>/dev/null || echo '?'
}
verdict="$(summary)"
printf '  %-44s %8ss\n' "git push, no hooks (git's own cost)" "$floor_secs"
printf '  %-44s %8ss  (exit %s: %s)\n' "git push through the gate" "$gate_secs" "$gate_code" "$verdict"
[ "$gate_code" -ne 0 ] && sed 's/^/    /' "$work/gate.err" | head -20
echo "  gate's share: $(secs "$floor_secs" "$gate_secs") s; limit 5 s (GitHub Enterprise pre-receive): $(python3 -c "import sys; print('within' if float(sys.argv[1]) < 5 else 'OVER')" "$gate_secs")"

# The branch deleted and pushed again: the same commits, every judgement from the verdict cache.
git -C "$client" push -q "$server" :refs/heads/feature 2>/dev/null
push again "$server" refs/heads/feature
printf '  %-44s %8ss  (exit %s: %s)\n' "the same push again (verdict cache)" "$SECS" "$CODE" "$(summary)"

# Let the background replay jobs finish (their verdicts are not part of the push's time).
for pidfile in "$work"/state/agentgate/jobs/*/pid; do
  [ -f "$pidfile" ] || continue
  pid="$(cat "$pidfile")"
  for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill "$pid" 2>/dev/null
done
echo

fi

# --- 2. pre-commit latency ----------------------------------------------------------------------
repo="${BENCH_REPO:-}"
clone="$work/precommit"
if [ -n "$repo" ]; then
  echo "pre-commit latency on a clone of $repo"
  git clone -q --shared "$repo" "$clone" 2>/dev/null || git clone -q "$repo" "$clone"
else
  echo "pre-commit latency (BENCH_REPO not set: the generated repository above; set BENCH_REPO for a real one)"
  git clone -q --shared "$client" "$clone"
fi
BL="$(bench_betterleaks bench-hooks "$work/pip.log")"
"$BIN" install --hook pre-commit --repo "$clone" >"$work/install-pc.log" 2>&1 || {
  echo "bench-hooks: agentgate install --hook pre-commit failed:" >&2
  cat "$work/install-pc.log" >&2
  exit 2
}
target="$(git -C "$clone" ls-files | grep -E '\.(c|h|py|js|go|rs|java|sh|md)$' | head -200 | tail -1)"
[ -z "$target" ] && target="$(git -C "$clone" ls-files | head -1)"
{
  echo ""
  echo "/* bench: one staged change */"
  echo "static const char *bench_region = \"eu-west-1\";"
  echo "static int bench_retries = 3;"
} >>"$clone/$target"
git -C "$clone" add -- "$target"
echo "  staged: 1 file ($target), $(git -C "$clone" diff --cached --numstat | awk '{print $1}') added lines; $(git -C "$clone" ls-files | wc -l) files tracked"

# Alternating runs, so both tools see the same machine load; wall time and CPU time (user + sys).
python3 - "$RUNS" "$LIMIT" "$clone" "$BIN" "$BL" <<'PY'
import os, resource, subprocess, sys, time
runs, limit, clone, ag, bl = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
def run(argv):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(argv, cwd=clone, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=limit)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, p.returncode, p.stderr.decode(errors="replace")
tools = [("agentgate pre-commit", [ag, "pre-commit"])]
if bl:
    tools.append(("betterleaks git --staged", [bl, "git", ".", "--staged", "--no-banner", "--log-level=error", "--exit-code=0"]))
results = {name: [] for name, _ in tools}
for _ in range(runs):
    for name, argv in tools:
        results[name].append(run(argv))
means = {}
for name, _ in tools:
    rs = results[name]
    wall = sum(r[0] for r in rs) / len(rs)
    cpu = sum(r[1] for r in rs) / len(rs)
    means[name] = (wall, cpu)
    print(f"  {name:<44} {wall:8.3f}s wall {cpu:8.3f}s CPU  (mean of {runs} runs, exit {rs[-1][2]})")
    if rs[-1][2] > 1:
        print("    " + rs[-1][3].strip().splitlines()[0] if rs[-1][3].strip() else "    (no message)")
if bl:
    (aw, ac), (bw, bc) = means[tools[0][0]], means[tools[1][0]]
    print(f"  ratio agentgate/betterleaks: {aw / bw:.2f} wall, {ac / bc:.2f} CPU (goal <= 0.33)")
PY
