#!/usr/bin/env bash
# Packs the npm package with its prebuilt binaries: builds the addon and the CLI in a preset
# (default: release), copies the package (bindings/node) to build/<preset>/npm-package with the
# stripped binaries in prebuilds/linux-x64/, and runs `npm pack` there. The tarball lands in
# build/<preset>/ (its path is printed last). No install script, no binding.gyp: lib/locate.js
# picks prebuilds/<platform>-<arch>/ at run time.
#   scripts/pack.sh [preset]
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" --target libsql_node libsql-cpp
bdir="build/$preset"
# The addon still lands in bindings/node/build whatever the preset (the last build wins): the
# build above has just written it.
addon=bindings/node/build/libsql_node.node
cli="$bdir/src/cli/libsql-cpp"
[ -f "$addon" ] && [ -x "$cli" ] || { echo "pack: built binaries not found" >&2; exit 1; }
stage="$bdir/npm-package"
rm -rf "$stage" && mkdir -p "$stage/prebuilds/linux-x64"
cp -r bindings/node/package.json bindings/node/lib bindings/node/bin "$stage/"
strip --strip-unneeded -o "$stage/prebuilds/linux-x64/libsql_node.node" "$addon"
strip -o "$stage/prebuilds/linux-x64/libsql-cpp" "$cli"
(cd "$stage" && npm pack --silent --pack-destination .. >/dev/null)
ls "$bdir"/libsql-cpp-*.tgz
