# SQLite for the engine, the CLI, the addon and the tests: the target SQLite::SQLite3.
#
# Default: compiled in from the SQLite3 Multiple Ciphers amalgamation (SQLite 3.53.4 +
# SQLite3MC 2.4.0) carried by the npm package better-sqlite3-multiple-ciphers, pinned in the
# root package.json (devDependencies, exact version; it has no install script) and installed
# by scripts/setup.sh's `npm ci`. Nothing of it is copied into this repository; the two files
# used are checked against the hashes below at configure time.
#
# LIBSQL_SYSTEM_SQLITE=ON links the system library instead (for distributions that want it):
# no encryption then (encryptionKey is refused), and that library's own compile options.
#
# Every consumer sees LIBSQL_HAS_ENCRYPTION (1 or 0) through SQLite::SQLite3: features ask
# the build, never a version string.

option(LIBSQL_SYSTEM_SQLITE "Link the system SQLite library instead of the compiled-in SQLite3 Multiple Ciphers (no encryptionKey)" OFF)

set(LIBSQL_SQLITE3MC_PACKAGE better-sqlite3-multiple-ciphers)
set(LIBSQL_SQLITE3MC_PACKAGE_VERSION 13.0.3)
set(LIBSQL_SQLITE3MC_C_SHA256 ad84d2c24540cf62ea27ee414911a32963390769bd031f39a50aec0ad90614a0)
set(LIBSQL_SQLITE3MC_H_SHA256 eae796d67d1a8236ed47b3fff858beb2d2a34f3b7ca0d8b6ea97e21729967374)
set(LIBSQL_SQLITE_AMALGAMATION_DIR "" CACHE PATH
    "A folder with another SQLite3 Multiple Ciphers amalgamation (sqlite3.c, sqlite3.h); empty: the pinned npm package's")

# The compile options, on purpose and in one place.
set(LIBSQL_SQLITE_DEFINITIONS
  # Threads: serialized by default; the engine opens its connections with SQLITE_OPEN_NOMUTEX
  # (one thread at a time per connection), so only the shared structures take mutexes.
  SQLITE_THREADSAFE=1
  # No global malloc statistics (a mutex on every allocation); nothing here reads them.
  SQLITE_DEFAULT_MEMSTATUS=0
  # Features: full-text search, R*Tree (+ Geopoly), math functions, dbstat/dbpage/stmt
  # virtual tables, column metadata. JSON is built into SQLite since 3.38 (not omitted).
  SQLITE_ENABLE_FTS3 SQLITE_ENABLE_FTS3_PARENTHESIS SQLITE_ENABLE_FTS4 SQLITE_ENABLE_FTS5
  SQLITE_ENABLE_RTREE SQLITE_ENABLE_GEOPOLY
  SQLITE_ENABLE_MATH_FUNCTIONS
  SQLITE_ENABLE_DBSTAT_VTAB SQLITE_ENABLE_DBPAGE_VTAB SQLITE_ENABLE_STMTVTAB
  SQLITE_ENABLE_COLUMN_METADATA
  # Limits: bound parameters as many as Debian's 3.40.1 build allowed (the engine reports this
  # as the adapter's maxBindValues; libSQL's build allows 32766).
  SQLITE_MAX_VARIABLE_NUMBER=250000
  # SQL semantics as in the official client's libSQL build (its PRAGMA compile_options):
  # double-quoted strings are identifiers only, recursive triggers on, temporary tables and
  # sort spills in memory (SQLite3MC does not encrypt temporary files: with files, plaintext
  # rows of an encrypted database could land in /tmp).
  SQLITE_DQS=0
  SQLITE_DEFAULT_RECURSIVE_TRIGGERS=1
  SQLITE_TEMP_STORE=2
  # Query planner stability guarantee: plans never depend on bound values. Since about 3.47,
  # SQLite reads the value bound to `LIMIT ?` while planning, and re-binding it (Prisma sends
  # `LIMIT ? OFFSET ?` with every findUnique/findMany) expires the statement: every cached
  # statement was parsed and planned again on each run (point select 1.5 us -> 11 us in C).
  # The cost: `x LIKE ?` no longer uses an index through the LIKE optimisation.
  SQLITE_ENABLE_QPSG
  # `file:` names with URI parameters, as the system library allowed.
  SQLITE_USE_URI=1
  # No loading of extensions (no dlopen from SQL); nothing here needs it.
  SQLITE_OMIT_LOAD_EXTENSION
  # No shared-cache mode (deprecated; nothing here uses it); saves a mutex on every statement.
  SQLITE_OMIT_SHARED_CACHE
  # SQLite3 Multiple Ciphers: libSQL's scheme (wxSQLite3 AES-256-CBC), which is also the
  # default of a bare `PRAGMA key`, as in libSQL. ChaCha20 stays because SQLite3MC's
  # value-level encryption functions (always built) need it; the other ciphers are left out.
  HAVE_CIPHER_AES_256_CBC=1 HAVE_CIPHER_CHACHA20=1
  HAVE_CIPHER_AES_128_CBC=0 HAVE_CIPHER_SQLCIPHER=0 HAVE_CIPHER_RC4=0
  HAVE_CIPHER_ASCON128=0 HAVE_CIPHER_AEGIS=0
  CODEC_TYPE=CODEC_TYPE_AES256
)

if(LIBSQL_SYSTEM_SQLITE)
  find_package(SQLite3 REQUIRED)
  set_property(TARGET SQLite::SQLite3 APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS LIBSQL_HAS_ENCRYPTION=0)
  message(STATUS "SQLite: system library ${SQLite3_VERSION} (LIBSQL_SYSTEM_SQLITE=ON, no encryption)")
  return()
endif()

find_package(Threads REQUIRED)

set(_sqlite_dir "${LIBSQL_SQLITE_AMALGAMATION_DIR}")
if(NOT _sqlite_dir)
  set(_pkg "${PROJECT_SOURCE_DIR}/node_modules/${LIBSQL_SQLITE3MC_PACKAGE}")
  set(_sqlite_dir "${_pkg}/deps/sqlite3")
  if(NOT EXISTS "${_pkg}/package.json" OR NOT EXISTS "${_sqlite_dir}/sqlite3.c")
    message(FATAL_ERROR
      "SQLite: ${_pkg} is missing. The SQLite3 Multiple Ciphers amalgamation comes from the npm "
      "package ${LIBSQL_SQLITE3MC_PACKAGE}@${LIBSQL_SQLITE3MC_PACKAGE_VERSION} (a devDependency): "
      "run scripts/setup.sh (or `npm ci`) at the repository root, or configure with "
      "-DLIBSQL_SYSTEM_SQLITE=ON to use the system library (no encryption).")
  endif()
  file(READ "${_pkg}/package.json" _pkg_json)
  string(JSON _pkg_version GET "${_pkg_json}" version)
  if(NOT _pkg_version STREQUAL LIBSQL_SQLITE3MC_PACKAGE_VERSION)
    message(FATAL_ERROR "SQLite: node_modules has ${LIBSQL_SQLITE3MC_PACKAGE} ${_pkg_version}, the build "
                        "pins ${LIBSQL_SQLITE3MC_PACKAGE_VERSION}: run `npm ci` at the repository root")
  endif()
  foreach(_f c h)
    file(SHA256 "${_sqlite_dir}/sqlite3.${_f}" _sum)
    string(TOUPPER "${_f}" _F)
    if(NOT _sum STREQUAL LIBSQL_SQLITE3MC_${_F}_SHA256)
      message(FATAL_ERROR "SQLite: ${_sqlite_dir}/sqlite3.${_f} does not match the pinned hash "
                          "(${_sum}); reinstall with `npm ci`")
    endif()
  endforeach()
endif()
foreach(_f sqlite3.c sqlite3.h)
  if(NOT EXISTS "${_sqlite_dir}/${_f}")
    message(FATAL_ERROR "SQLite: ${_sqlite_dir}/${_f} not found")
  endif()
endforeach()
file(STRINGS "${_sqlite_dir}/sqlite3.h" _mc REGEX "sqlite3mc_config_cipher")
if(NOT _mc)
  message(FATAL_ERROR "SQLite: ${_sqlite_dir}/sqlite3.h is not an SQLite3 Multiple Ciphers amalgamation")
endif()
file(STRINGS "${_sqlite_dir}/sqlite3.h" _ver REGEX "^#define SQLITE_VERSION +\"")
string(REGEX REPLACE ".*\"(.*)\".*" "\\1" LIBSQL_SQLITE_VERSION "${_ver}")

# What the platform has (sqlite3.c has no configure step of its own). HAVE_USLEEP matters most:
# without it, the busy handler sleeps in whole seconds.
include(CheckSymbolExists)
set(_have_defs)
foreach(_sym_header usleep:unistd.h fdatasync:unistd.h localtime_r:time.h gmtime_r:time.h
                    strchrnul:string.h malloc_usable_size:malloc.h posix_fallocate:fcntl.h
                    isnan:math.h)
  string(REPLACE ":" ";" _pair "${_sym_header}")
  list(GET _pair 0 _sym)
  list(GET _pair 1 _hdr)
  string(TOUPPER "HAVE_${_sym}" _var)
  set(CMAKE_REQUIRED_DEFINITIONS -D_GNU_SOURCE)
  check_symbol_exists(${_sym} ${_hdr} LIBSQL_SQLITE_${_var})
  unset(CMAKE_REQUIRED_DEFINITIONS)
  if(LIBSQL_SQLITE_${_var})
    list(APPEND _have_defs ${_var}=1)
  endif()
endforeach()

add_library(libsql_sqlite3 STATIC "${_sqlite_dir}/sqlite3.c")
add_library(SQLite::SQLite3 ALIAS libsql_sqlite3)
target_include_directories(libsql_sqlite3 SYSTEM PUBLIC "${_sqlite_dir}")
target_compile_definitions(libsql_sqlite3 PRIVATE ${LIBSQL_SQLITE_DEFINITIONS} ${_have_defs}
  INTERFACE LIBSQL_HAS_ENCRYPTION=1)
# Third-party code: none of our warning flags, no sanitizers (this file is included before
# they are added, like the system library, which was not instrumented either), optimised even
# in Debug builds (the tests run through it), and no symbol visible outside what links it.
target_compile_options(libsql_sqlite3 PRIVATE -w $<$<CONFIG:Debug>:-O2>)
set_target_properties(libsql_sqlite3 PROPERTIES C_VISIBILITY_PRESET hidden POSITION_INDEPENDENT_CODE ON)
target_link_libraries(libsql_sqlite3 PUBLIC Threads::Threads m)
message(STATUS "SQLite: ${LIBSQL_SQLITE_VERSION} + SQLite3 Multiple Ciphers, compiled in from ${_sqlite_dir}")
