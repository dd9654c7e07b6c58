# libcurl for the remote engine (src/remote/http_transport.cpp, the multi API): the target
# CURL::libcurl, and OpenSSL::SSL / OpenSSL::Crypto.
#
# Default (LIBSQL_SYSTEM_CURL=OFF): a static libcurl built at configure time, so the addon and
# the CLI need no libcurl, libssl or libnghttp2 at run time (docs: ../shared packaging notes,
# README "Install"):
#   - source: Debian 12's curl 7.88.1 (the orig tarball and Debian's patches, security fixes
#     included, from deb.debian.org's pool; SHA-256 pinned below, checked against the signed
#     .dsc of 7.88.1-10+deb12u15);
#   - built with curl's CMake: HTTP and HTTPS only (HTTP_ONLY), HTTP/2 (nghttp2) so requests to
#     one host are multiplexed on one connection, OpenSSL for TLS, zlib, the threaded resolver;
#     no libidn2, libpsl, libssh2, GSSAPI, LDAP, brotli or zstd;
#   - nghttp2 1.52.0 built the same way from Debian 12's source (Debian's libnghttp2.a is not
#     position-independent, so it cannot go into the addon);
#   - linked with Debian's static archives libssl.a, libcrypto.a (libssl-dev) and libz.a
#     (zlib1g-dev). OpenSSL::SSL / OpenSSL::Crypto are the static
#     archives too (OPENSSL_USE_STATIC_LIBS), so other code linking OpenSSL gets the same copy.
#   - hidden: everything is compiled into the addon and the CLI, which link with
#     -Wl,--exclude-libs,ALL (bindings/node/CMakeLists.txt): no bundled symbol is exported,
#     so Node's own OpenSSL and ours never meet.
#   - cached in ${LIBSQL_DEPS_CACHE}/curl-<version>-<key> (cmake/deps.cmake): built once per
#     machine and compiler, whatever the build directory.
# Certificates: verification is always on (http_transport.cpp); the CA bundle is looked up at
# run time (src/remote/ca_bundle.cpp: SSL_CERT_FILE, then the Debian/Ubuntu, RHEL/Fedora,
# openSUSE, Alpine and macOS paths), because a static build cannot know the target's path.
#
# LIBSQL_SYSTEM_CURL=ON: the system libcurl (find_package(CURL)), for distributions.

option(LIBSQL_SYSTEM_CURL "Link the system libcurl instead of the static one built from Debian's curl source" OFF)

if(LIBSQL_SYSTEM_CURL)
  find_package(CURL REQUIRED)
  find_package(OpenSSL REQUIRED)  # shared, as the system libcurl; the WebSocket client uses it too
  message(STATUS "libcurl: system library ${CURL_VERSION_STRING} (LIBSQL_SYSTEM_CURL=ON)")
  return()
endif()

include(${CMAKE_CURRENT_LIST_DIR}/deps.cmake)
find_package(Threads REQUIRED)

# OpenSSL: the static archives, for curl and for anything else here that links OpenSSL.
set(OPENSSL_USE_STATIC_LIBS TRUE)
find_package(OpenSSL REQUIRED)
if(NOT OPENSSL_SSL_LIBRARY MATCHES "\\.a$" OR NOT OPENSSL_CRYPTO_LIBRARY MATCHES "\\.a$")
  message(FATAL_ERROR "OpenSSL: static libssl.a/libcrypto.a not found (apt-get install libssl-dev), "
                      "or configure with -DLIBSQL_SYSTEM_CURL=ON")
endif()
find_library(LIBSQL_ZLIB_STATIC NAMES libz.a)
find_path(LIBSQL_ZLIB_INCLUDE_DIR zlib.h)
foreach(_v LIBSQL_ZLIB_STATIC LIBSQL_ZLIB_INCLUDE_DIR)
  if(NOT ${_v})
    message(FATAL_ERROR "libcurl: ${_v} not found (apt-get install zlib1g-dev; scripts/setup.sh), "
                        "or configure with -DLIBSQL_SYSTEM_CURL=ON")
  endif()
endforeach()

# nghttp2 (HTTP/2): Debian's libnghttp2.a is not position-independent (it cannot go into the
# .node addon), so libnghttp2 is built the same way from Debian 12's source (1.52.0-1+deb12u3).
set(_common
  -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON
  "-DCMAKE_C_FLAGS=-fvisibility=hidden -ffunction-sections -fdata-sections"
  -DCMAKE_INSTALL_LIBDIR=lib)
set(LIBSQL_NGHTTP2_VERSION 1.52.0)
libsql_debian_source_build(nghttp2 ${LIBSQL_NGHTTP2_VERSION} 1+deb12u3
  "http://deb.debian.org/debian/pool/main/n/nghttp2/nghttp2_${LIBSQL_NGHTTP2_VERSION}.orig.tar.gz"
  6b71561a9950b4a90fa36aa3160763f1437f3730d7a12434e416aa3f4ab145e0
  "http://deb.debian.org/debian/pool/main/n/nghttp2/nghttp2_${LIBSQL_NGHTTP2_VERSION}-1+deb12u3.debian.tar.xz"
  57aee32be437d31753cb36e6a518a48693f129cb884c17b0dcf323426331001d
  "^$"
  _nghttp2_prefix
  ${_common} -DENABLE_LIB_ONLY=ON -DENABLE_STATIC_LIB=ON -DENABLE_SHARED_LIB=OFF -DENABLE_DOC=OFF
  -DENABLE_FAILMALLOC=OFF -DWITH_LIBXML2=OFF -DWITH_JEMALLOC=OFF)
set(LIBSQL_NGHTTP2_STATIC "${_nghttp2_prefix}/lib/libnghttp2.a")

# curl: Debian's patches but the two that make its GnuTLS/NSS flavours; curl's own CMake options
# decide what is built.
set(LIBSQL_CURL_VERSION 7.88.1)
libsql_debian_source_build(curl ${LIBSQL_CURL_VERSION} 10+deb12u15
  "http://deb.debian.org/debian/pool/main/c/curl/curl_${LIBSQL_CURL_VERSION}.orig.tar.gz"
  cdb38b72e36bc5d33d5b8810f8018ece1baa29a8f215b4495e495ded82bbf3c7
  "http://deb.debian.org/debian/pool/main/c/curl/curl_${LIBSQL_CURL_VERSION}-10+deb12u15.debian.tar.xz"
  961b78bc48492c5693e4decb352ddd176f343260a8956f48b2887874048ef23b
  "gnutls|nss"
  _prefix
  ${_common}
  -DBUILD_SHARED_LIBS=OFF -DBUILD_CURL_EXE=OFF -DBUILD_TESTING=OFF -DENABLE_MANUAL=OFF
  -DPICKY_COMPILER=OFF
  -DHTTP_ONLY=ON -DCURL_DISABLE_COOKIES=ON -DCURL_DISABLE_NETRC=ON -DCURL_DISABLE_DOH=ON
  -DCURL_DISABLE_MIME=ON -DCURL_DISABLE_ALTSVC=ON -DCURL_DISABLE_HSTS=ON
  -DCURL_DISABLE_PROGRESS_METER=ON
  -DENABLE_THREADED_RESOLVER=ON -DENABLE_ARES=OFF -DENABLE_WEBSOCKETS=OFF
  -DCURL_USE_OPENSSL=ON -DOPENSSL_USE_STATIC_LIBS=ON
  -DUSE_NGHTTP2=ON -DNGHTTP2_LIBRARY=${LIBSQL_NGHTTP2_STATIC} -DNGHTTP2_INCLUDE_DIR=${_nghttp2_prefix}/include
  "-DCMAKE_C_FLAGS=-fvisibility=hidden -ffunction-sections -fdata-sections -DNGHTTP2_STATICLIB"
  -DCURL_ZLIB=ON -DZLIB_LIBRARY=${LIBSQL_ZLIB_STATIC} -DZLIB_INCLUDE_DIR=${LIBSQL_ZLIB_INCLUDE_DIR}
  -DCURL_BROTLI=OFF -DCURL_ZSTD=OFF -DUSE_LIBIDN2=OFF -DCURL_USE_LIBPSL=OFF
  -DCURL_USE_LIBSSH2=OFF -DCURL_USE_LIBSSH=OFF -DCURL_USE_GSSAPI=OFF
  -DCURL_CA_BUNDLE=none -DCURL_CA_PATH=none -DCURL_CA_FALLBACK=OFF
  # Static OpenSSL needs libdl and pthreads, also in curl's own configure checks.
  "-DCMAKE_C_STANDARD_LIBRARIES=-ldl -pthread")

add_library(CURL::libcurl STATIC IMPORTED GLOBAL)
set_target_properties(CURL::libcurl PROPERTIES
  IMPORTED_LOCATION "${_prefix}/lib/libcurl.a"
  INTERFACE_INCLUDE_DIRECTORIES "${_prefix}/include"
  INTERFACE_COMPILE_DEFINITIONS "CURL_STATICLIB;NGHTTP2_STATICLIB"
  INTERFACE_LINK_LIBRARIES "${LIBSQL_NGHTTP2_STATIC};OpenSSL::SSL;OpenSSL::Crypto;${LIBSQL_ZLIB_STATIC};Threads::Threads;${CMAKE_DL_LIBS}")
set(LIBSQL_CURL_STATIC_PREFIX "${_prefix}")
message(STATUS "libcurl: static curl ${LIBSQL_CURL_VERSION} (HTTP/HTTPS, HTTP/2, OpenSSL ${OPENSSL_VERSION} static) from ${_prefix}")
