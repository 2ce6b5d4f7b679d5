#!/bin/sh
# Sandbox benchmarks (`make bench`), with the real defaults: seccomp on; as root also the pooled
# cgroups, the per-run uid and the tmpfs quota mount.
#  1. start overhead: `agentgate sandbox run -- /bin/true` against a bare `/bin/true`, and the same
#     runs inside one process (`agentgate sandbox bench`, as a replay does them) so the binary's
#     own start-up is not counted; per phase; the disk-quota set-up on its own line. Goal < 30 ms.
#  2. tree export of a 5,000-file commit (`agentgate sandbox export-tree`, what a replay does)
#     against `git archive | tar -x`, as a ratio. Goal: faster (ratio < 1).
# Usage: scripts/bench-sandbox.sh path/to/agentgate [runs] [tree-export runs]
set -eu
BIN=${1:?usage: bench-sandbox.sh path/to/agentgate [runs]}
N=${2:-30}
D=$(mktemp -d /tmp/agentgate-bench.XXXXXX)
R=$(mktemp -d /tmp/agentgate-bench-repo.XXXXXX)
trap 'rm -rf "$D" "$R"' EXIT
chmod 755 "$D"
echo "tree" > "$D/README"

# Unprivileged, memory and CPU hold only per process or by time: the run must accept that.
WEAK=
[ "$(id -u)" = 0 ] || WEAK=--allow-weaker-limits

now() { date +%s%N; }
ms() { echo "$1" | awk '{ printf "%.1f", $1 / 1000000 }'; }

# mean_ns CMD...: runs CMD N times (after 3 warm-ups); sets MEAN and MIN (ns).
mean_ns() {
  i=0; while [ $i -lt 3 ]; do "$@" >/dev/null 2>&1 || true; i=$((i + 1)); done
  total=0; MIN=
  i=0
  while [ $i -lt "$N" ]; do
    t0=$(now); "$@" >/dev/null 2>&1 || { echo "command failed: $*" >&2; exit 1; }; t1=$(now)
    d=$((t1 - t0)); total=$((total + d))
    if [ -z "$MIN" ] || [ $d -lt $MIN ]; then MIN=$d; fi
    i=$((i + 1))
  done
  MEAN=$((total / N))
}
row() { printf '%-62s mean %7s ms   min %7s ms\n' "$1" "$(ms "$MEAN")" "$(ms "$MIN")"; }

echo "sandbox start overhead ($N runs each; $(id -un); $(nproc) cores; load $(cut -d' ' -f1 /proc/loadavg))"
mean_ns /bin/true; row "bare /bin/true (fork + exec from sh)"; BARE=$MEAN
mean_ns "$BIN" --version; row "agentgate --version (the binary's own start-up)"; START=$MEAN
mean_ns "$BIN" sandbox run $WEAK --dir "$D" -- /bin/true; row "agentgate sandbox run -- /bin/true (whole CLI)"; CLI=$MEAN
printf '%-62s %7s ms\n' "  CLI run minus bare exec" "$(ms $((CLI - BARE)))"
printf '%-62s %7s ms\n' "  CLI run minus bare exec minus the binary's start-up" "$(ms $((CLI - BARE - START)))"
echo "in-process ($N runs in one agentgate process, means per phase):"
"$BIN" sandbox bench $WEAK --runs "$N" --dir "$D" | tee "$R.bench"
SBX=$(awk '/SANDBOX without the quota/ { print $(NF-1) }' "$R.bench")
BARE_MS=$(ms "$BARE")
awk -v s="$SBX" -v b="$BARE_MS" 'BEGIN { printf "%-62s %7.1f ms (goal < 30 ms: %s)\n", "sandbox start overhead over a bare exec (in-process, no quota)", s - b, (s - b < 30 ? "met" : "NOT met") }'
rm -f "$R.bench"

N=${3:-10}
echo "tree export of a 5,000-file commit ($N runs each)"
git -C "$R" init -q
i=0
while [ $i -lt 50 ]; do
  mkdir -p "$R/d$i"
  j=0; while [ $j -lt 100 ]; do echo "file $i $j" > "$R/d$i/f$j.txt"; j=$((j + 1)); done
  i=$((i + 1))
done
git -C "$R" add -A
git -C "$R" -c user.name=bench -c user.email=bench@example.com commit -qm tree
k=0
# A replay exports into its quota'd tmpfs work dir: both exports write into a tmpfs too (/dev/shm),
# so the disk's write-back does not decide the ratio.
X="$D"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  X="$(mktemp -d /dev/shm/agentgate-bench-export.XXXXXX)"
  trap 'rm -rf "$D" "$R" "$X"' EXIT
  echo "  (writing into a tmpfs, $X, as a replay's work dir is)"
fi
export_agentgate() { k=$((k + 1)); "$BIN" sandbox export-tree --repo "$R" --commit HEAD --into "$X/a$k"; }
export_git() { k=$((k + 1)); mkdir "$X/g$k" && git -C "$R" archive HEAD | tar -x -C "$X/g$k"; }
mean_ns export_agentgate; row "agentgate sandbox export-tree (libgit2, incl. binary start)"; AG=$MEAN
mean_ns export_git; row "git archive | tar -x"; GA=$MEAN
awk -v a="$AG" -v g="$GA" 'BEGIN { printf "%-62s %7.2f (goal < 1: %s)\n", "tree export ratio agentgate / git archive|tar", a / g, (a < g ? "met" : "NOT met") }'
