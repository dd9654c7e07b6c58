#!/bin/sh
# The benchmark of GitHub issue 6, in one command:
#
#   bench/run.sh [--quick] [--remote] [--readme] [more bench.mjs options]
#
# Builds the Node addon and the C floor (cmake preset dev), generates the bench's Prisma Client,
# runs every workload against the C floor, libsql-cpp, @prisma/adapter-libsql and
# @prisma/adapter-better-sqlite3 at the adapter and the Prisma level, writes
# bench/results/latest.json and prints the Markdown table.
#   --quick    fewer, shorter runs (about two and a half minutes instead of about five)
#   --remote   also the remote rows, against tests/hrana_server/server.py (0 ms and +20 ms)
#   --readme   then put the table into bench/RESULTS.md (between <!-- bench:start --> and <!-- bench:end -->)
# Other options (--runs, --ms, --workloads, --levels, --modes, --adapters, --out) go to
# bench/bench.mjs; see bench/README.md.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

readme=0
for a in "$@"; do
  [ "$a" = "--readme" ] && readme=1
done

if [ ! -d node_modules/@prisma/adapter-libsql ] || [ ! -d node_modules/better-sqlite3 ]; then
  npm ci
fi
if [ ! -f build/dev/CMakeCache.txt ]; then
  cmake --preset dev >/dev/null
fi
cmake --build --preset dev --target libsql_node bench_floor >/dev/null
sh bench/prisma/generate.sh

# bench.mjs does not know --readme
for a in "$@"; do
  shift
  [ "$a" = "--readme" ] || set -- "$@" "$a"
done
node --expose-gc bench/bench.mjs "$@"
if [ "$readme" = 1 ]; then
  node bench/readme-table.mjs
fi
