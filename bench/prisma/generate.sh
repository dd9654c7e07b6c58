#!/bin/sh
# Generates the Prisma Client for bench/prisma/schema.prisma into bench/prisma/generated/client
# (gitignored), offline, and renders bench/prisma/migration.sql (the SQL Prisma Migrate emits
# for the schema) with tests/e2e/make-migration.mjs. Idempotent: does nothing when the schema and
# the Prisma version are unchanged. Force with: FORCE=1 sh bench/prisma/generate.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$here/generated/client"
stamp="$here/generated/.stamp"

prisma="$root/node_modules/.bin/prisma"
if [ ! -x "$prisma" ]; then
  echo "bench/prisma/generate.sh: $prisma not found; run 'npm ci' in $root first" >&2
  exit 1
fi

version=$(node -p "require('$root/node_modules/prisma/package.json').version")
want="$version $(cksum <"$here/schema.prisma")"
if [ "${FORCE:-0}" != 1 ] && [ -f "$stamp" ] && [ -f "$out/index.js" ] && [ -f "$here/migration.sql" ] \
   && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

# See tests/e2e/generate.sh: Prisma 7's CLI otherwise tries to download engines `generate`
# does not need (the query compiler is WebAssembly inside @prisma/client).
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-/bin/true}"
export PRISMA_QUERY_ENGINE_LIBRARY="${PRISMA_QUERY_ENGINE_LIBRARY:-/bin/true}"
export PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1 PRISMA_GENERATE_NO_HINTS=1

rm -rf "$here/generated"
log="$here/.generate.log"
"$prisma" generate --schema "$here/schema.prisma" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
rm -f "$log"
(cd "$root" && node --input-type=module -e "
  import fs from 'node:fs'
  import { renderMigration } from './tests/e2e/make-migration.mjs'
  fs.writeFileSync('bench/prisma/migration.sql', await renderMigration('bench/prisma/schema.prisma'))
")
mkdir -p "$here/generated"
printf '%s\n' "$want" >"$stamp"
echo "bench/prisma/generate.sh: Prisma Client $version -> bench/prisma/generated/client, migration.sql rendered"
