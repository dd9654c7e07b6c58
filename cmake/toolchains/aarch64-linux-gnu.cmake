# Cross-compiling for linux-arm64 with Debian's g++-aarch64-linux-gnu. NOT WORKING YET (tried
# 2026-12-06): every source of the library, the CLI and the addon compiles for aarch64 with
# -Wall -Wextra -Werror (GCC 12.2 cross), and SQLite3MC and simdjson compile too, but configuring stops at
# cmake/curl.cmake: there is no static arm64 OpenSSL/zlib (needs libssl-dev:arm64 and
# zlib1g-dev:arm64, i.e. `dpkg --add-architecture arm64`, or OpenSSL built from source), and
# cmake/deps.cmake does not pass the toolchain file to the nested curl/nghttp2 builds yet.
# Nothing built this way can be tested on an x86-64 machine.
#   cmake -S . -B build/arm64 --toolchain cmake/toolchains/aarch64-linux-gnu.cmake \
#     -DCMAKE_BUILD_TYPE=Release -DLIBSQL_TESTS=OFF -DLIBSQL_NODE=OFF
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
