#!/usr/bin/env bash
# Builds the project and runs the example against a local database file (example.db).
set -euo pipefail
cd "$(dirname "$0")/.."
SKIP_NPM=1 scripts/setup.sh
scripts/build.sh dev >/dev/null
db="${1:-file:example.db}"
echo "== examples/cpp against $db"
build/dev/example_cpp "$db"
