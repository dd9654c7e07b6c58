#!/usr/bin/env bash
# Builds everything and runs the examples against local database files:
#   examples/prisma  — Prisma 7 with libsql-cpp's PrismaLibSql (examples/prisma/dev.db)
#   examples/cpp     — the C++ API (example.db)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh dev >/dev/null
sh examples/prisma/generate.sh
echo "== examples/prisma (Prisma Client + libsql-cpp) against file:examples/prisma/dev.db"
node examples/prisma/main.mjs "file:examples/prisma/dev.db"
echo
echo "== examples/cpp (libsql::Client) against file:example.db"
build/dev/example_cpp "file:example.db"
