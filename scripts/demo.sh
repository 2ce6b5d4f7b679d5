#!/usr/bin/env bash
# `make demo`: a repository with a human commit and an agent commit (a Claude trailer, a leaked
# token, a disabled test, a workflow edit), judged by the gate with replay in the sandbox; the
# verdict a person reads, and the JSON and SARIF written next to it.
set -uo pipefail
BIN="${1:?usage: demo.sh PATH-TO-agentgate}"
DEMO="${DEMO_DIR:-$(pwd)/demo}"
rm -rf "$DEMO"; mkdir -p "$DEMO"
cd "$DEMO"
git init -q -b main repo
cd repo
git config user.name "Dana Human"; git config user.email "dana@example.com"; git config commit.gpgsign false

mkdir -p calc tests .github/workflows
: > tests/__init__.py
cat > calc/__init__.py <<'PY'
def add(a, b):
    return a + b
PY
cat > tests/test_calc.py <<'PY'
import unittest
from calc import add

class AddTests(unittest.TestCase):
    def test_add(self):
        self.assertEqual(add(2, 3), 5)

if __name__ == "__main__":
    unittest.main()
PY
cat > .github/workflows/ci.yml <<'YML'
name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@8e5e7e5ab8b370d6c329ec480221332ada57f0ab
      - run: python3 -m unittest
YML
cat > .agentgate.toml <<'TOML'
[replay]
test = ["python3 -m unittest discover -s tests -t ."]
TOML
git add -A; git commit -qm "Add calculator with tests"
base=$(git rev-parse HEAD)

echo 'def sub(a, b):' >> calc/__init__.py; echo '    return a - b' >> calc/__init__.py
git commit -qam "Add subtraction"

# The agent's commit: a token (made up here, never a real one), a skipped test, a workflow edit.
token="ghp_$(python3 -c 'import random,string;r=random.Random(42);print("".join(r.choice(string.ascii_letters+string.digits) for _ in range(36)))')"
echo "GITHUB_TOKEN = \"$token\"" > calc/settings.py
sed -i 's/    def test_add(self):/    @unittest.skip("flaky")\n    def test_add(self):/' tests/test_calc.py
cat >> .github/workflows/ci.yml <<'YML'
      - uses: someone/deploy-action@v1
        continue-on-error: true
YML
git add -A
git commit -qm "Speed up CI

🤖 Generated with [Claude Code](https://claude.com/claude-code)

Co-Authored-By: Claude <noreply@anthropic.com>"

echo
echo "== agentgate detect $base..HEAD"
"$BIN" detect --repo . "$base..HEAD"
echo
echo "== agentgate ci $base..HEAD --policy-ref $base --replay on (the verdict a person reads)"
"$BIN" ci --repo . "$base..HEAD" --policy-ref "$base" --replay on --quiet \
  --output json="$DEMO/verdict.json" --output sarif="$DEMO/verdict.sarif"
code=$?
echo
echo "exit code $code (0 pass or warn, 1 blocked, 2 could not decide)"
echo "wrote $DEMO/verdict.json and $DEMO/verdict.sarif"
[ "$code" -eq 1 ] || { echo "demo: expected the agent commit to be blocked" >&2; exit 1; }
exit 0
