#!/usr/bin/env bash
# Builds dist/agentgate_VERSION_ARCH.deb: the binary (Swift runtime linked statically),
# the hook shims and the docs; depends on the system libraries and bubblewrap.
set -euo pipefail
cd "$(dirname "$0")/.."
flags="--static-swift-stdlib"
swift build -c release $flags
bin="$(swift build -c release $flags --show-bin-path)/agentgate"
version="$("$bin" --version)"
arch="$(dpkg --print-architecture)"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
make install DESTDIR="$root" PREFIX=/usr BUILD_FLAGS="$flags" >/dev/null
mkdir -p "$root/DEBIAN"
cat > "$root/DEBIAN/control" <<CONTROL
Package: agentgate
Version: $version
Architecture: $arch
Maintainer: AgentGate developers <agentgate@example.invalid>
Depends: libgit2-1.5, libcurl4, libpcre2-8-0, libseccomp2, bubblewrap, git
Section: devel
Priority: optional
Description: gate for commits written by AI coding agents
 Attributes commits to AI agents, scans them for secrets and risky changes,
 replays their build and tests in a bubblewrap sandbox and posts a verdict.
CONTROL
mkdir -p dist
dpkg-deb --root-owner-group --build "$root" "dist/agentgate_${version}_${arch}.deb" >/dev/null
echo "dist/agentgate_${version}_${arch}.deb"
