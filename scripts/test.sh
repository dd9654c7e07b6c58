#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test suite.
#   scripts/test.sh          C++ suites (ctest) in the `ci` preset (-Werror), then the Node suites
#   scripts/test.sh asan     C++ suites under AddressSanitizer + UBSan
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-ci}"
scripts/setup.sh
scripts/build.sh "$preset"
echo "== C++ suites ($preset)"
ctest --preset "$preset" -j2 --timeout 300
if [ "$preset" = ci ] && [ -d tests/node ] && ls tests/node/*.test.mjs >/dev/null 2>&1; then
  echo "== Node suites"
  node --test --test-concurrency=1 tests/node/ tests/e2e/
fi
