# simdjson for the Hrana and Turso Sync decoders: the target simdjson::simdjson.
#
# Default (LIBSQL_SYSTEM_SIMDJSON=OFF): compiled in from simdjson 3.0.1's single-header
# amalgamation (singleheader/simdjson.cpp + simdjson.h), taken from Debian 12's source package
# (the orig tarball on deb.debian.org's pool, SHA-256 pinned below as in the signed .dsc of
# simdjson 3.0.1-1, the version libsimdjson-dev has), cached in ${LIBSQL_DEPS_CACHE}
# (cmake/deps.cmake). A static library with hidden symbols: nothing of it is exported.
#
# LIBSQL_SYSTEM_SIMDJSON=ON: the system library (find_package(simdjson)), for distributions.

option(LIBSQL_SYSTEM_SIMDJSON "Link the system simdjson library instead of compiling simdjson in" OFF)

if(LIBSQL_SYSTEM_SIMDJSON)
  find_package(simdjson REQUIRED)
  message(STATUS "simdjson: system library ${simdjson_VERSION} (LIBSQL_SYSTEM_SIMDJSON=ON)")
  return()
endif()

include(${CMAKE_CURRENT_LIST_DIR}/deps.cmake)
set(LIBSQL_SIMDJSON_VERSION 3.0.1)
libsql_download("http://deb.debian.org/debian/pool/main/s/simdjson/simdjson_${LIBSQL_SIMDJSON_VERSION}.orig.tar.gz"
  156b1bc5eb0561b2bd166b46d191fd3d95a3e709cc63761477d3b7aec2b6e9ed _simdjson_orig)
set(_dir "${LIBSQL_DEPS_CACHE}/simdjson-${LIBSQL_SIMDJSON_VERSION}")
if(NOT EXISTS "${_dir}/.complete")
  file(REMOVE_RECURSE "${_dir}")
  file(MAKE_DIRECTORY "${_dir}")
  file(ARCHIVE_EXTRACT INPUT "${_simdjson_orig}" DESTINATION "${_dir}"
    PATTERNS "simdjson-${LIBSQL_SIMDJSON_VERSION}/singleheader/simdjson.*" "simdjson-${LIBSQL_SIMDJSON_VERSION}/LICENSE")
  file(TOUCH "${_dir}/.complete")
endif()
set(_src "${_dir}/simdjson-${LIBSQL_SIMDJSON_VERSION}/singleheader")

add_library(libsql_simdjson STATIC "${_src}/simdjson.cpp")
add_library(simdjson::simdjson ALIAS libsql_simdjson)
target_include_directories(libsql_simdjson SYSTEM PUBLIC "$<BUILD_INTERFACE:${_src}>")
# Third-party code: no warnings of ours, no sanitizers (included before they are added),
# optimised even in Debug builds.
target_compile_options(libsql_simdjson PRIVATE -w $<$<CONFIG:Debug>:-O2>)
set_target_properties(libsql_simdjson PROPERTIES CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
  POSITION_INDEPENDENT_CODE ON)
message(STATUS "simdjson: ${LIBSQL_SIMDJSON_VERSION}, compiled in from ${_src}")
