#!/usr/bin/env bash
# A new user's install: the packed npm tarball (scripts/pack.sh <preset>, default ci) installed
# with npm's defaults into a clean Debian 12 root (debootstrap --variant=minbase: no compiler, no
# -dev packages, no libssl/libcurl/libsqlite3/libsimdjson) that has only node and npm copied in;
# then ldd of the addon, file: and :memory: databases and a query through the Prisma adapter,
# and `npx libsql-cpp --help`. The root is cached outside the clone (LIBSQL_CI_ROOT, default
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
chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt /bin/sh -ec '
  cd /app
  if ls /usr/lib/x86_64-linux-gnu | grep -E "^lib(ssl|curl|sqlite3|simdjson|nghttp2)\."; then echo "root is not clean" >&2; exit 1; fi
  npm init -y >/dev/null
  npm install --no-audit --no-fund ./libsql-cpp-*.tgz
  addon=node_modules/libsql-cpp/prebuilds/linux-x64/libsql_node.node
  ldd "$addon"
  if ldd "$addon" | grep -q "not found"; then exit 1; fi
  node check.cjs
  npx libsql-cpp --help | head -n 1'
echo "clean root: OK"
