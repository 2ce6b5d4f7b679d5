#!/usr/bin/env bash
# Builds a demo repository with a human commit and an agent commit, then runs the gate on it.
set -euo pipefail
BIN="${1:?usage: demo.sh PATH-TO-agentgate}"
DEMO="${DEMO_DIR:-$(pwd)/demo}"
rm -rf "$DEMO"; mkdir -p "$DEMO"
cd "$DEMO"
git init -q -b main repo
cd repo
git config user.name "Dana Human"; git config user.email "dana@example.com"; git config commit.gpgsign false
"$BIN" --version
