#!/usr/bin/env bash
# A C++ user's two ways in, built and run (tests/consumer/main.cpp: :memory: and a file database):
#   1. `cmake --install` of a preset's build (default: release) into a temporary prefix, then the
#      consumer built against it with find_package(libsql CONFIG) (the static library: it must
#      link with nothing but -pthread -ldl -lm) and with pkg-config (the shared library);
#   2. add_subdirectory(libsql-cpp) in a project without GoogleTest (only the library is built;
#      its build directory is kept in build/consumer-subdirectory, so a rerun is incremental).
#   tests/consumer/run.sh [preset]      (reuses build/<preset>: only the library targets are built)
set -euo pipefail
cd "$(dirname "$0")/../.."
src="$PWD"
preset="${1:-release}"
bdir="build/$preset"
start=$(date +%s)
[ -f "$bdir/CMakeCache.txt" ] || cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" --target libsql_static_bundle libsql_shared
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
cmake --install "$bdir" --prefix "$prefix" >/dev/null
echo "== installed: $(cd "$prefix" && find . -type f -o -type l | sort | tr '\n' ' ')"

# No library of the installed tree may need a bundled library at run time, nor export one's symbols.
so="$(ls "$prefix"/lib/liblibsql-cpp.so.*.*.*)"
if readelf -d "$so" | grep NEEDED | grep -E -v '\[(libc|libm|libstdc\+\+|libgcc_s|ld-linux[^]]*)\.so'; then
  echo "consumer: $so needs more than libc, libm, libstdc++, libgcc_s" >&2; exit 1
fi
if nm -D --defined-only "$so" | grep -E ' (sqlite3_|sqlite3mc_|curl_|Curl_|SSL_|EVP_|deflate|inflate|nghttp2_)'; then
  echo "consumer: $so exports a bundled library's symbols" >&2; exit 1
fi
# Nothing but libsql's own names (cmake/libsql-cpp.map): no simdjson or standard-library template code.
if nm -D --defined-only "$so" | c++filt | awk '$2 != "A"' | grep -v -E ' (libsql::|(typeinfo|typeinfo name|vtable|VTT|(non-)?virtual thunk to) (for )?libsql::)'; then
  echo "consumer: $so exports names outside libsql::" >&2; exit 1
fi

echo "== find_package(libsql CONFIG), static"
cmake -S tests/consumer -B "$work/package" -DLIBSQL_FROM=package -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/package" -j2 >/dev/null
if ldd "$work/package/consumer" | grep -E 'libsql|libcurl|libssl|libcrypto|libsqlite|libnghttp2|libz\.'; then
  echo "consumer: the static build needs a shared library it should not" >&2; exit 1
fi
"$work/package/consumer" "$work/static.db"

echo "== pkg-config libsql-cpp, shared"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046
c++ -std=c++20 -O1 -o "$work/pc-consumer" tests/consumer/main.cpp $(pkg-config --cflags --libs libsql-cpp)
LD_LIBRARY_PATH="$prefix/lib" ldd "$work/pc-consumer" >"$work/ldd.txt"
grep -q "liblibsql-cpp.so.* => $prefix/lib/" "$work/ldd.txt" || { echo "consumer: not linked to the shared library" >&2; exit 1; }
LD_LIBRARY_PATH="$prefix/lib" "$work/pc-consumer" "$work/shared.db"

echo "== add_subdirectory(libsql-cpp), no GoogleTest"
sub="build/consumer-subdirectory"
cmake -S tests/consumer -B "$sub" -DLIBSQL_FROM=subdirectory -DLIBSQL_SOURCE_DIR="$src" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
# (the library's own warnings are not this project's business: the log shows only on failure)
cmake --build "$sub" -j2 --target consumer >"$work/subdirectory.log" 2>&1 || { cat "$work/subdirectory.log"; exit 1; }
"$sub/consumer" "$work/subdirectory.db"
echo "consumer: OK ($(( $(date +%s) - start )) s)"
