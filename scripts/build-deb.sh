#!/usr/bin/env bash
# Builds dist/agentgate_VERSION_ARCH.deb: the binary (with the Swift runtime libraries it needs),
# the hook shims and the docs; depends on the system libraries and bubblewrap.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release
bin="$(swift build -c release --show-bin-path)/agentgate"
version="$("$bin" --version)"
arch="$(dpkg --print-architecture)"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
make install DESTDIR="$root" PREFIX=/usr >/dev/null
# The Swift runtime is not a Debian package: ship the shared libraries the binary links from the toolchain.
libdir="$root/usr/lib/agentgate"
mkdir -p "$libdir"
swiftlib="$(dirname "$(dirname "$(command -v swift)")")/lib/swift/linux"
for lib in $(ldd "$bin" | awk '/=>/ {print $3}'); do
  case "$lib" in "$swiftlib"/*) cp "$lib" "$libdir/" ;; esac
done
mv "$root/usr/bin/agentgate" "$libdir/agentgate"
cat > "$root/usr/bin/agentgate" <<'SH'
#!/bin/sh
LD_LIBRARY_PATH="/usr/lib/agentgate${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec /usr/lib/agentgate/agentgate "$@"
SH
chmod 0755 "$root/usr/bin/agentgate"
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
