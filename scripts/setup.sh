#!/usr/bin/env bash
# Installs the system packages AgentGate builds and runs with, when missing. Idempotent; run as root
# on Debian 12 (or with sudo). Says what it does.
set -euo pipefail
packages=(libgit2-dev zlib1g-dev libdeflate-dev libcurl4-openssl-dev libpcre2-dev libseccomp-dev bubblewrap pkg-config git openssl python3 uidmap iproute2 curl util-linux)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: system packages present (${packages[*]})"
else
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "setup: installed ${missing[*]}"
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6 toolchain needed)" >&2; exit 1; }
