#!/usr/bin/env bash
# Risk-rule cost (issue 6): the same full-history scan with the secret rules only and with the
# secret and risk rules, printed as the risk rules' share on top of the secrets. Goal: under 20%.
#
# "Secrets only" is a policy file (`--policy`) whose `[scanning] disabled_rules` lists every risk
# rule id that `agentgate rules --format json` reports; no special flag is needed. Both runs read the
# same history the same way, so the difference is the risk rules' own cost (line rules, the removed
# lines they read, and change rules); it is reported in CPU time (user + system), which a busy shared
# machine disturbs far less than wall time. Runs alternate and the fastest of each counts.
#
# Usage: scripts/bench-risk.sh PATH-TO-agentgate
#   BENCH_REPO=/path/to/repo   repository to measure (default: a synthetic multi-language history)
#   BENCH_RANGE="A..B"         revisions to scan (default: --all)
#   BENCH_RISK_RUNS=2          runs of each configuration (the fastest counts)
#   BENCH_TIMEOUT=1800         seconds allowed per command
set -uo pipefail

# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
BIN="$(bench_binary bench-risk "${1:?usage: bench-risk.sh PATH-TO-agentgate}")" || exit 2
RUNS="${BENCH_RISK_RUNS:-2}"
LIMIT="${BENCH_TIMEOUT:-1800}"
work="$(mktemp -d /tmp/agentgate-bench-risk.XXXXXX)"
trap 'rm -rf "$work"' EXIT

repo="${BENCH_REPO:-}"
if [ -z "$repo" ]; then
  repo="$work/synthetic"
  echo "BENCH_REPO not set: building a synthetic 3,000-commit multi-language repository"
  git init -q "$repo"
  python3 - <<'PY' | git -C "$repo" fast-import --quiet
import random, sys
rng = random.Random(11)
words = "the of and to in is for on with as by at from this that be are it was or an value count item".split()
def code(ext):
    w = lambda: "_".join(rng.choice(words) for _ in range(2))
    return {
        "py": lambda: f"    {w()} = compute({w()}, {rng.randint(0, 999)})  # {rng.choice(words)}",
        "js": lambda: f"  const {w()} = await fetch(`/api/{rng.choice(words)}`).then((r) => r.json());",
        "swift": lambda: f"    let {w()} = try await client.load(id: {rng.randint(0, 999)})",
        "go": lambda: f"\t{w()}, err := store.Get(ctx, \"{rng.choice(words)}\")",
        "rs": lambda: f"    let {w()} = self.map.get(&{rng.randint(0, 999)}).cloned();",
        "sh": lambda: f"echo \"{rng.choice(words)} {rng.choice(words)}\" >> \"$LOG\"",
        "yml": lambda: f"      - run: make {rng.choice(words)}",
        "md": lambda: " ".join(rng.choice(words) for _ in range(12)),
    }[ext]()
# Risky lines for the risk rules to find, spelled in pieces so this script does not trip them itself.
risky = [
    "cu" "rl -fsSL https://get.example.com/install.sh | s" "h", "requests.get(url, ver" "ify=False)",
    "ch" "mod 777 /srv/app", "  it" ".skip('works', () => {})", "rm -r" "f $HOME/.cache",
    "    InsecureSkip" "Verify: true,", "git commit --no-" "verify -m wip",
]
paths = []
for d, ext in [("app", "py"), ("web", "js"), ("Sources/Core", "swift"), ("svc", "go"), ("crate/src", "rs"),
               ("scripts", "sh"), (".github/workflows", "yml"), ("docs", "md")]:
    paths += [f"{d}/f{i}.{ext}" for i in range(12)]
paths += ["Dockerfile", "tests/test_app.py", "web/app.test.js"]
files = {p: [] for p in paths}
out = sys.stdout
mark = 0
for c in range(3000):
    blobs = []
    for path in rng.sample(paths, 3):
        ext = path.rsplit(".", 1)[-1] if "." in path else "sh"
        lines = files[path]
        for _ in range(rng.randint(5, 40)):
            lines.insert(rng.randint(0, len(lines)), code(ext if ext in
                ("py", "js", "swift", "go", "rs", "sh", "yml", "md") else "sh"))
        if len(lines) > 400:
            del lines[: rng.randint(20, 60)]
        if rng.random() < 0.03:
            lines.append(rng.choice(risky))
        mark += 1
        data = ("\n".join(lines) + "\n").encode()
        out.write(f"blob\nmark :{mark}\ndata {len(data)}\n"); out.flush()
        sys.stdout.buffer.write(data); out.write("\n")
        blobs.append((path, mark))
    msg = f"change {c}\n".encode()
    out.write(f"commit refs/heads/main\ncommitter Dev <dev@example.com> {1700000000 + c * 60} +0000\n")
    out.write(f"data {len(msg)}\n"); out.flush()
    sys.stdout.buffer.write(msg); out.write("\n")
    for path, m in blobs:
        out.write(f"M 100644 :{m} {path}\n")
    out.write("\n")
PY
fi
repo="$(cd "$repo" && pwd)"
range="${BENCH_RANGE:---all}"
echo "repository: $repo ($(git -C "$repo" rev-list --count $range) commits in '$range')"

if ! "$BIN" rules --format json >"$work/rules.json" 2>"$work/rules.err"; then
  echo "bench-risk: '$BIN rules --format json' failed:" >&2
  head -3 "$work/rules.err" >&2
  exit 1
fi
python3 - "$work/rules.json" "$work/secrets-only.toml" "$work/all.toml" <<'PY'
import json, sys
rules = json.load(open(sys.argv[1]))["rules"]
risk = sorted(r["id"] for r in rules if r["family"] == "risk")
with open(sys.argv[2], "w") as f:
    f.write("[scanning]\ndisabled_rules = [" + ", ".join(json.dumps(i) for i in risk) + "]\n")
with open(sys.argv[3], "w") as f:
    f.write("[scanning]\ndisabled_rules = []\n")
print(f"rules: {sum(r['family'] == 'secret' for r in rules)} secret, {len(risk)} risk")
PY

# run NAME POLICY: one scan; appends "wall user+sys rss_kb findings" to $work/NAME.runs.
run() {
  local name="$1" policy="$2"
  # shellcheck disable=SC2086
  /usr/bin/time -f "%e %U %S %M" -o "$work/$name.time" timeout "$LIMIT" \
    "$BIN" scan --repo "$repo" $range --policy "$policy" --format json --quiet >"$work/$name.json" 2>"$work/$name.err"
  local code=$?
  if [ "$code" -gt 1 ]; then
    echo "bench-risk: the $name scan failed (exit $code):" >&2
    head -5 "$work/$name.err" >&2
    exit 1
  fi
  python3 - "$work/$name.time" "$work/$name.json" >>"$work/$name.runs" <<'PY'
import json, sys
t = open(sys.argv[1]).read().split()[-4:]
fs = json.load(open(sys.argv[2]))["findings"]
risk = sum(f["category"] == "risk" for f in fs)
print(t[0], round(float(t[1]) + float(t[2]), 2), t[3], len(fs), risk)
PY
}

for _ in $(seq "$RUNS"); do
  run secrets "$work/secrets-only.toml"
  run all "$work/all.toml"
done

python3 - "$work/secrets.runs" "$work/all.runs" <<'PY'
import sys
def best(path):
    rows = [l.split() for l in open(path) if l.strip()]
    fastest = min(rows, key=lambda r: float(r[0]))
    return fastest, min(float(r[1]) for r in rows)
(s, cs), (a, ca) = best(sys.argv[1]), best(sys.argv[2])
ws, wa = float(s[0]), float(a[0])
print(f"  {'secret rules only':28} {ws:8.2f} s wall {cs:8.2f} s CPU {int(s[2]) // 1024:5} MB RSS  {s[3]} findings")
print(f"  {'secret + risk rules':28} {wa:8.2f} s wall {ca:8.2f} s CPU {int(a[2]) // 1024:5} MB RSS  {a[3]} findings ({a[4]} risk)")
wall = (wa - ws) / ws * 100 if ws > 0 else float("nan")
cpu = (ca - cs) / cs * 100 if cs > 0 else float("nan")
# CPU time is the measure: both runs read the same history, and wall time on a shared machine moves
# by more than the difference being measured.
print(f"  risk rules' cost on top of the secret rules: {cpu:+.1f}% CPU (goal < 20%); wall {wall:+.1f}%")
PY
