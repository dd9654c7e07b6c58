#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian 12 machine: compilers and
# libraries from apt (only the missing ones), and the npm packages of package-lock.json.
# SQLite is compiled in from the SQLite3 Multiple Ciphers amalgamation of the npm package
# better-sqlite3-multiple-ciphers (pinned in package.json, installed by `npm ci` below; see
# cmake/sqlite.cmake): libsqlite3-dev is only needed for LIBSQL_SYSTEM_SQLITE=ON builds
# (LIBSQL_SYSTEM_SQLITE=1 scripts/setup.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."

# libcurl (with nghttp2) and simdjson are built in from pinned Debian sources at configure time
# (cmake/curl.cmake, cmake/simdjson.cmake; cached in ~/.cache/libsql-cpp), linked with the static
# OpenSSL and zlib of libssl-dev and zlib1g-dev; LIBSQL_SYSTEM_CURL=1 / LIBSQL_SYSTEM_SIMDJSON=1
# install the system libraries' -dev packages instead.
APT_PACKAGES=(build-essential cmake pkg-config patch libgtest-dev libssl-dev zlib1g-dev clang libclang-rt-14-dev python3)
case "${LIBSQL_SYSTEM_SQLITE:-0}" in 1|ON|on|true) APT_PACKAGES+=(libsqlite3-dev) ;; esac
case "${LIBSQL_SYSTEM_CURL:-0}" in 1|ON|on|true) APT_PACKAGES+=(libcurl4-openssl-dev) ;; esac
case "${LIBSQL_SYSTEM_SIMDJSON:-0}" in 1|ON|on|true) APT_PACKAGES+=(libsimdjson-dev) ;; esac
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

# npm packages (reinstalled only when a lock file changed): the root's (Prisma 7, the official
# adapters, node-addon-api), tests/migrate's (Prisma 6.19, whose Migrate runs on adapters) and
# tests/prisma5's (Prisma 5.22, the 5.4–6.5 adapter interface).
npm_install() {
  local dir="$1" stamp="$1/node_modules/.libsql-cpp-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
    npm ci --prefix "$dir" --no-audit --no-fund
    cp "$dir/package-lock.json" "$stamp"
  fi
}
if [ "${SKIP_NPM:-0}" != 1 ]; then
  npm_install .
  npm_install tests/migrate
  npm_install tests/prisma5
  # The reference Turso Sync client: `npm install`, not `npm ci` (its optional packages for
  # other platforms are not published, and `npm ci` refuses a lock file without them).
  stamp=tests/replica/node_modules/.libsql-cpp-stamp
  if [ ! -f "$stamp" ] || ! cmp -s tests/replica/package.json "$stamp"; then
    npm install --prefix tests/replica --no-audit --no-fund
    cp tests/replica/package.json "$stamp"
  fi
fi
