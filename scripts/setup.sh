#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian 12 machine: compilers and
# libraries from apt (only the missing ones), and the npm packages of package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(build-essential cmake pkg-config libsqlite3-dev libgtest-dev libcurl4-openssl-dev libsimdjson-dev clang libclang-rt-14-dev python3)
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

if [ "${SKIP_NPM:-0}" != 1 ] && [ -f package-lock.json ]; then
  # Reinstall only when the lock file changed since the last install.
  stamp=node_modules/.libsql-cpp-lock
  if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
    npm ci --no-audit --no-fund
    cp package-lock.json "$stamp"
  fi
fi
