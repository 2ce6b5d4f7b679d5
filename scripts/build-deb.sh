#!/usr/bin/env bash
# Builds agentgate_VERSION_ARCH.deb: the binary, the hook shims and the docs; depending on the
# system libraries it links and on bubblewrap and git, which it runs.
#
# Usage: scripts/build-deb.sh [--bin PATH] [--out DIR]
#   --bin PATH (or AGENTGATE_BIN): package this prebuilt binary instead of building one. Without
#              it, a release build with the Swift runtime linked statically (what `make deb` ships).
#   --out DIR  (or DEB_OUT_DIR):   where the package goes (default: dist/).
# Prints the package's path. Every shared library the binary needs must come from a declared
# dependency; a binary that links the Swift runtime dynamically is packaged with a warning (it runs
# only where that toolchain is installed).
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${AGENTGATE_BIN:-}"
out="${DEB_OUT_DIR:-dist}"
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="${2:?--bin needs a path}"; shift 2 ;;
    --out) out="${2:?--out needs a directory}"; shift 2 ;;
    *) echo "build-deb: unknown argument '$1'; usage: build-deb.sh [--bin PATH] [--out DIR]" >&2; exit 2 ;;
  esac
done

if [ -z "$bin" ]; then
  flags="--static-swift-stdlib"
  swift build -c release $flags >&2
  bin="$(swift build -c release $flags --show-bin-path)/agentgate"
fi
[ -x "$bin" ] || { echo "build-deb: $bin is not an executable" >&2; exit 2; }
version="$("$bin" --version)"
[[ "$version" =~ ^[0-9][0-9A-Za-z.+~-]*$ ]] || { echo "build-deb: '$bin --version' printed '$version', not a version" >&2; exit 2; }
arch="$(dpkg --print-architecture)"

# Runtime libraries (each NEEDED entry of the binary must be in one of these) and the tools it runs.
libraries=(libc6 libgcc-s1 libstdc++6 libgit2-1.5 libcurl4 libpcre2-8-0 libseccomp2 zlib1g libdeflate0)
tools=(bubblewrap git)
ldd "$bin" >/dev/null 2>&1 || { echo "build-deb: ldd cannot read $bin" >&2; exit 2; }
while read -r name path; do
  [ -n "$name" ] || continue
  if [[ "$name" == libswift* || "$name" == libFoundation* || "$name" == lib_Foundation* || "$name" == libdispatch* || "$name" == libBlocksRuntime* ]]; then
    echo "build-deb: warning: $bin links $name dynamically ($path); the package runs only where that Swift toolchain is installed (make deb links it statically)" >&2
    continue
  fi
  owner="$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1 || true)"
  if [ -z "$owner" ]; then
    real="$(readlink -f "$path" 2>/dev/null || echo "$path")"
    owner="$(dpkg -S "$real" 2>/dev/null | head -1 | cut -d: -f1 || true)"
  fi
  if [ -z "$owner" ] || [[ " ${libraries[*]} " != *" $owner "* ]]; then
    echo "build-deb: $bin needs $name ($path, package '${owner:-none}'), which no declared dependency provides; add it to the libraries in scripts/build-deb.sh" >&2
    exit 2
  fi
done < <(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | while read -r lib; do
  # ldd prints `NAME => PATH (ADDR)`, or `PATH (ADDR)` for the dynamic loader.
  echo "$lib $(ldd "$bin" | awk -v l="$lib" '{ n = $1; sub(".*/", "", n) } n == l { print ($2 == "=>" ? $3 : $1); exit }')"
done)

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"
install -d "$root/usr/bin" "$root/usr/share/agentgate/hooks" "$root/usr/share/doc/agentgate" "$root/DEBIAN"
install -m 0755 "$bin" "$root/usr/bin/agentgate"
# As dh_strip does: symbols and debug info out (the Swift runtime's metadata sections stay).
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/agentgate"
install -m 0755 hooks/* "$root/usr/share/agentgate/hooks/"
install -m 0644 README.md docs/*.md "$root/usr/share/doc/agentgate/"
size="$(du -k -s "$root/usr" | cut -f1)"
depends="$(printf '%s, ' "${libraries[@]}" "${tools[@]}")"
cat >"$root/DEBIAN/control" <<CONTROL
Package: agentgate
Version: $version
Architecture: $arch
Maintainer: AgentGate developers <agentgate@example.invalid>
Installed-Size: $size
Depends: ${depends%, }
Section: devel
Priority: optional
Homepage: https://example.invalid/agentgate
Description: gate for commits written by AI coding agents
 Attributes commits to AI agents, scans them for secrets and risky changes,
 replays their build and tests in a bubblewrap sandbox and posts a verdict.
 Hook shims for pre-commit, commit-msg, pre-push, pre-receive and
 post-receive are in /usr/share/agentgate/hooks.
CONTROL
mkdir -p "$out"
deb="$out/agentgate_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
echo "$deb"
