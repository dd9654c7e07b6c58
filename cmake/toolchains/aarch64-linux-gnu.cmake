# Cross-compiling for linux-arm64 with Debian's g++-aarch64-linux-gnu. Builds, but is NOT SHIPPED
# (2026-12-06): with the arm64 static OpenSSL and zlib installed (`dpkg --add-architecture arm64`,
# then `apt-get install libssl-dev:arm64 zlib1g-dev:arm64`) the library, the installed static and
# shared libraries and the CLI build and link (NEEDED: libc, libm, libstdc++, libgcc_s; glibc
# 2.34, GLIBCXX 3.4.30), and the CLI's --help runs under qemu-aarch64-static; but every database
# operation of the CLI and of example_cpp hangs there (a thread spins; not yet diagnosed: qemu-user
# or a real arm64 fault). The Node addon is not cross-built. Nothing built this way runs here
# natively, so no prebuilt arm64 binary goes into the npm tarball.
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
