#!/bin/sh
# Generates the Prisma Client for tests/e2e/schema.prisma into tests/e2e/generated/client
# (gitignored), offline. Idempotent: does nothing when the schema and the Prisma version are
# unchanged since the last run. Force with: FORCE=1 sh tests/e2e/generate.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$here/generated/client"
stamp="$here/generated/.stamp"

prisma="$root/node_modules/.bin/prisma"
if [ ! -x "$prisma" ]; then
  echo "generate.sh: $prisma not found; run 'npm ci' (or 'npm install') in $root first" >&2
  exit 1
fi

version=$(node -p "require('$root/node_modules/prisma/package.json').version")
want="$version $(cksum <"$here/schema.prisma")"
fresh() { [ -f "$stamp" ] && [ -f "$out/index.js" ] && [ "$(cat "$stamp")" = "$want" ]; }
if [ "${FORCE:-0}" != 1 ] && fresh; then
  exit 0
fi

# Several test files may ask for the client at once (node --test runs files in parallel).
lock="$here/.generate.lock"
tries=0
while ! mkdir "$lock" 2>/dev/null; do
  tries=$((tries + 1))
  if [ "$tries" -gt 600 ]; then
    echo "generate.sh: $lock held for over 60 s; remove it if no generate.sh is running" >&2
    exit 1
  fi
  sleep 0.1
done
trap 'rmdir "$lock"' EXIT
if [ "${FORCE:-0}" != 1 ] && fresh; then
  exit 0
fi

# Prisma 7's CLI resolves (and otherwise downloads) a native schema engine at start-up even
# for `generate`, which needs none: the client's query compiler is WebAssembly shipped inside
# @prisma/client. Pointing these at any executable stops the download attempt.
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-/bin/true}"
export PRISMA_QUERY_ENGINE_LIBRARY="${PRISMA_QUERY_ENGINE_LIBRARY:-/bin/true}"
export PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1 PRISMA_GENERATE_NO_HINTS=1

rm -rf "$here/generated"
"$prisma" generate --schema "$here/schema.prisma" >"$here/.generate.log" 2>&1 || {
  cat "$here/.generate.log" >&2
  exit 1
}
rm -f "$here/.generate.log"
printf '%s\n' "$want" >"$stamp"
echo "generate.sh: Prisma Client $version generated in tests/e2e/generated/client"
