#!/usr/bin/env bash
# Packs the npm package with its prebuilt binaries: `npm pack` in bindings/node, whose `prepack`
# (scripts/prebuilds.sh) builds the addon and the CLI in a preset (default: release) and puts them,
# stripped, in prebuilds/linux-x64/ for the tarball (`postpack` removes them again). The tarball
# lands in build/<preset>/ (its path is printed last). No install script, no binding.gyp:
# lib/locate.js picks prebuilds/<platform>-<arch>/ at run time.
#   scripts/pack.sh [preset]
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
dest="$PWD/build/$preset"
mkdir -p "$dest"
rm -f "$dest"/libsql-cpp-*.tgz
(cd bindings/node && LIBSQL_CPP_PACK_PRESET="$preset" npm pack --pack-destination "$dest" >&2)
ls "$dest"/libsql-cpp-*.tgz
