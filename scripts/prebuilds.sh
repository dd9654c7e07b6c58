#!/usr/bin/env bash
# The npm package's `prepack` (bindings/node/package.json): builds the addon and the CLI in a
# CMake preset (LIBSQL_CPP_PACK_PRESET, default release) and puts them, stripped, in
# bindings/node/prebuilds/linux-x64/, which `npm pack` then packs; `postpack` removes that folder
# again, so a clone never keeps a prebuilt binary in front of its own builds (lib/locate.js
# prefers prebuilds/). Plain `npm pack` in bindings/node thus gives the complete tarball;
# scripts/pack.sh runs it with the tarball in build/<preset>/.
#   scripts/prebuilds.sh [preset]
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-${LIBSQL_CPP_PACK_PRESET:-release}}"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) platform=linux-x64 ;;
  *) echo "prebuilds: only linux-x64 is built here (this is $(uname -s)-$(uname -m))" >&2; exit 1 ;;
esac
# The build's output goes to stderr: npm pack's stdout is the tarball's name.
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" --target libsql_node libsql-cpp >&2
bdir="build/$preset"
addon="$bdir/bindings/node/libsql_node.node"
cli="$bdir/bindings/node/libsql-cpp"
[ -f "$addon" ] && [ -x "$cli" ] || { echo "prebuilds: built binaries not found in $bdir/bindings/node" >&2; exit 1; }
out=bindings/node/prebuilds
rm -rf "$out" && mkdir -p "$out/$platform"
strip --strip-unneeded -o "$out/$platform/libsql_node.node" "$addon"
strip -o "$out/$platform/libsql-cpp" "$cli"
echo "prebuilds: $out/$platform from $bdir" >&2
