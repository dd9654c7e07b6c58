#!/bin/sh
# Generates the example's Prisma Client offline (see tests/e2e/generate.sh for why the engine
# variables point at /bin/true: Prisma 7 needs no native engine to generate a client).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-/bin/true}"
export PRISMA_QUERY_ENGINE_LIBRARY="${PRISMA_QUERY_ENGINE_LIBRARY:-/bin/true}"
export PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1 PRISMA_GENERATE_NO_HINTS=1
if [ -f "$here/generated/client/index.js" ] && [ "$here/generated/client/index.js" -nt "$here/prisma/schema.prisma" ]; then
  exit 0
fi
log=$(mktemp)
"$root/node_modules/.bin/prisma" generate --schema "$here/prisma/schema.prisma" >"$log" 2>&1 || { cat "$log" >&2; rm -f "$log"; exit 1; }
rm -f "$log"
