#!/bin/sh
# Sandbox start overhead: `agentgate sandbox run --dir D -- /bin/true` against a bare `/bin/true`,
# with the real defaults (seccomp on; as root also cgroups, the per-run uid and the tmpfs quota
# mount), plus the disk-quota set-up measured on its own line. Goal: overhead under 30 ms.
# Usage: scripts/bench-sandbox.sh path/to/agentgate [runs]
set -eu
BIN=${1:?usage: bench-sandbox.sh path/to/agentgate [runs]}
N=${2:-40}
D=$(mktemp -d /tmp/agentgate-bench.XXXXXX)
Q=$(mktemp -d /tmp/agentgate-bench-quota.XXXXXX)
trap 'umount "$Q" 2>/dev/null || true; rm -rf "$D" "$Q"' EXIT
chmod 755 "$D"
echo "tree" > "$D/README"

now() { date +%s%N; }

# mean_ms LABEL CMD...: runs CMD N times (after 3 warm-ups) and prints the mean and min in ms.
mean_ms() {
  label=$1; shift
  i=0; while [ $i -lt 3 ]; do "$@" >/dev/null 2>&1 || true; i=$((i + 1)); done
  total=0; min=
  i=0
  while [ $i -lt "$N" ]; do
    t0=$(now); "$@" >/dev/null 2>&1 || { echo "$label: command failed: $*" >&2; exit 1; }; t1=$(now)
    d=$(( (t1 - t0) / 1000 )); total=$((total + d))
    if [ -z "$min" ] || [ $d -lt $min ]; then min=$d; fi
    i=$((i + 1))
  done
  mean=$((total / N))
  printf '%-58s mean %7.1f ms   min %7.1f ms\n' "$label" "$(echo "$mean / 1000" | bc -l)" "$(echo "$min / 1000" | bc -l)"
  LAST_MEAN=$mean
}

echo "sandbox start overhead ($N runs each; $(id -un); $(nproc) cores; load $(cut -d' ' -f1 /proc/loadavg))"
mean_ms "bare /bin/true" /bin/true
BARE=$LAST_MEAN
mean_ms "agentgate --version (binary start)" "$BIN" --version
mean_ms "agentgate sandbox run --backend none (quota+copy, no sandbox)" "$BIN" sandbox run --dir "$D" --backend none -- /bin/true
mean_ms "agentgate sandbox run (bwrap, seccomp, cgroups as root)" "$BIN" sandbox run --dir "$D" -- /bin/true
SBX=$LAST_MEAN
if [ "$(id -u)" = 0 ]; then
  mean_ms "disk-quota set-up alone (tmpfs size+nr_inodes mount+umount)" \
    sh -c "mount -t tmpfs -o size=1073741824,nr_inodes=262144,mode=0700 agentgate-bench '$Q' && umount '$Q'"
else
  echo "disk-quota set-up: not root (the quota is bwrap's in-sandbox --size tmpfs, part of the run above)"
fi
printf '%-58s %7.1f ms (goal < 30 ms)\n' "overhead over bare exec" "$(echo "($SBX - $BARE) / 1000" | bc -l)"
