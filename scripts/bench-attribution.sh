#!/usr/bin/env bash
# Attribution benchmark: how many commits per second the attribution rules judge, on top of
# reading (commit records are read first and timed on their own line).
#   scripts/bench-attribution.sh BIN [REPO]
# Without REPO (or $BENCH_REPO) a 20,000-commit history is generated with git fast-import: messages
# of several paragraphs, a third of them carrying agent markers (trailers, footers, identities,
# squash bodies) and the rest human, with human credit trailers. Goal (issue 4): over 200,000
# commits/s.
set -euo pipefail
BIN="${1:?usage: bench-attribution.sh PATH-TO-agentgate [REPO]}"
REPO="${2:-${BENCH_REPO:-}}"
COMMITS="${BENCH_COMMITS:-20000}"
work="$(mktemp -d "${TMPDIR:-/tmp}/agentgate-bench-attr.XXXXXX")"
trap 'rm -rf "$work"' EXIT

generate() {
  python3 - "$COMMITS" <<'PY'
import sys, random
n = int(sys.argv[1])
rnd = random.Random(7)
out = sys.stdout.buffer
humans = [("Ada Lovelace", "ada@example.org"), ("Jay Satiro", "jay@example.net"), ("Ren Ito", "ren@example.com")]
agents = [
    ("", "Co-Authored-By: Claude Opus 4.5 <noreply@anthropic.com>", "\U0001f916 Generated with [Claude Code](https://claude.com/claude-code)"),
    ("", "Co-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>", ""),
    ("", "Assisted-by: Crush:claude-sonnet-4-5", "\U0001f498 Generated with Crush"),
    ("", "Co-authored-by: Cursor Agent <cursoragent@cursor.com>", ""),
    ("aider: ", "", ""),
    ("", "Amp-Thread-ID: https://ampcode.com/threads/T-1234", ""),
    ("", "Generated-by: some-tool", ""),
]
body = ("This change reworks the parser so that nested tables keep their line numbers, and adds\n"
        "tests for the edge cases found in review. See the linked issue for the discussion.\n")
def data(b):
    out.write(b"data %d\n" % len(b)); out.write(b); out.write(b"\n")
for c in range(1, n + 1):
    name, mail = humans[c % len(humans)]
    subject = "parser: handle case %d" % c
    trailers = ["Reported-by: %s" % humans[(c + 1) % 3][0], "Closes #%d" % c]
    footer = ""
    if c % 3 == 0:
        prefix, trailer, footer = agents[(c // 3) % len(agents)]
        subject = prefix + subject
        if trailer:
            trailers.append(trailer)
    else:
        trailers.append("Assisted-by: %s" % humans[(c + 2) % 3][0])
    if c % 50 == 0:  # a squash merge with trailer-shaped lines mid-body
        body_text = "* first\n\nCo-authored-by: Devin AI <158243242+devin-ai-integration[bot]@users.noreply.github.com>\n\n* second\n"
    else:
        body_text = body
    msg = subject + "\n\n" + body_text + ("\n" + footer + "\n" if footer else "") + "\n" + "\n".join(trailers) + "\n"
    out.write(b"commit refs/heads/main\nmark :%d\n" % c)
    out.write(("author %s <%s> %d +0000\n" % (name, mail, 1600000000 + c * 60)).encode())
    out.write(("committer %s <%s> %d +0000\n" % (name, mail, 1600000000 + c * 60)).encode())
    data(msg.encode())
    if c > 1:
        out.write(b"from :%d\n" % (c - 1))
    out.write(b"M 100644 inline f.txt\n")
    data(b"%d\n" % c)
PY
}

if [ -z "$REPO" ]; then
  command -v python3 >/dev/null || { echo "bench-attribution: python3 is needed to generate the history" >&2; exit 2; }
  REPO="$work/repo"
  git init -q -b main "$REPO"
  echo "generating $COMMITS commits with agent and human messages (git fast-import)..."
  generate | git -C "$REPO" fast-import --quiet
fi

json="$("$BIN" debug attribute-history --repo "$REPO" --all --rounds 5)"
python3 - "$json" "$REPO" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print("repository: %s (%d commits)" % (sys.argv[2], r["commits"]))
print("  reading the commit records: %.3f s (%.0f commits/s)" % (r["readSeconds"], r["commits"] / max(r["readSeconds"], 1e-9)))
print("  attribution alone, one thread: %.4f s per pass (%.4f s of CPU), %d commits per CPU-second (goal > 200,000)" % (
    r["attributeSeconds"], r["attributeCPUSeconds"], r["commitsPerSecond"]))
agents = ", ".join("%s %d" % kv for kv in sorted(r["agents"].items())) or "none"
print("  %d commits attributed to an agent (%s)" % (r["agentCommits"], agents))
PY
