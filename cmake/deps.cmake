# Third-party sources fetched at configure time: pinned files with checked SHA-256 hashes,
# kept in one cache folder shared by every build directory and clone of this machine, so a
# rebuild (or a fresh CI clone) does not download or build them again.
#
#   LIBSQL_DEPS_CACHE  the cache folder: -D..., else $LIBSQL_DEPS_CACHE, else
#                      $XDG_CACHE_HOME/libsql-cpp, else ~/.cache/libsql-cpp
#
# Nothing fetched here is copied into the repository. Without network, a filled cache is
# enough; otherwise configure with the LIBSQL_SYSTEM_* options (system libraries).

if(NOT LIBSQL_DEPS_CACHE)
  if(DEFINED ENV{LIBSQL_DEPS_CACHE} AND NOT "$ENV{LIBSQL_DEPS_CACHE}" STREQUAL "")
    set(_cache "$ENV{LIBSQL_DEPS_CACHE}")
  elseif(DEFINED ENV{XDG_CACHE_HOME} AND NOT "$ENV{XDG_CACHE_HOME}" STREQUAL "")
    set(_cache "$ENV{XDG_CACHE_HOME}/libsql-cpp")
  elseif(DEFINED ENV{HOME} AND NOT "$ENV{HOME}" STREQUAL "")
    set(_cache "$ENV{HOME}/.cache/libsql-cpp")
  else()
    set(_cache "${CMAKE_BINARY_DIR}/_deps-cache")
  endif()
  set(LIBSQL_DEPS_CACHE "${_cache}" CACHE PATH "Where pinned third-party sources and builds are cached")
endif()
file(MAKE_DIRECTORY "${LIBSQL_DEPS_CACHE}/downloads")

# libsql_download(<url> <sha256> <out-var>): the file, from the cache or downloaded once.
function(libsql_download url sha256 out_var)
  get_filename_component(_name "${url}" NAME)
  set(_path "${LIBSQL_DEPS_CACHE}/downloads/${_name}")
  if(EXISTS "${_path}")
    file(SHA256 "${_path}" _sum)
    if(_sum STREQUAL sha256)
      set(${out_var} "${_path}" PARENT_SCOPE)
      return()
    endif()
    file(REMOVE "${_path}")
  endif()
  message(STATUS "Downloading ${url}")
  set(_tmp "${_path}.part-${sha256}")
  file(DOWNLOAD "${url}" "${_tmp}" STATUS _status TIMEOUT 300 INACTIVITY_TIMEOUT 60)
  list(GET _status 0 _code)
  if(NOT _code EQUAL 0)
    file(REMOVE "${_tmp}")
    list(GET _status 1 _msg)
    message(FATAL_ERROR "Cannot download ${url}: ${_msg}. Put the file in ${LIBSQL_DEPS_CACHE}/downloads/ "
                        "or configure with the system libraries (-DLIBSQL_SYSTEM_CURL=ON -DLIBSQL_SYSTEM_SIMDJSON=ON).")
  endif()
  file(SHA256 "${_tmp}" _sum)
  if(NOT _sum STREQUAL sha256)
    file(REMOVE "${_tmp}")
    message(FATAL_ERROR "${url}: SHA-256 ${_sum}, expected ${sha256}")
  endif()
  file(RENAME "${_tmp}" "${_path}")
  set(${out_var} "${_path}" PARENT_SCOPE)
endfunction()

# libsql_debian_source_build(<name> <version> <debian-revision> <orig-url> <orig-sha256>
#                            <debian-url> <debian-sha256> <skip-patches-regex> <prefix-var>
#                            <cmake options>...)
# Builds a Debian source package with its own CMake: the orig tarball, then Debian's patches
# in the order of debian/patches/series (those matching the regex left out), configured with
# the options given, compiled with this project's C compiler, installed into
# ${LIBSQL_DEPS_CACHE}/<name>-<version>-<key>/install, where the key hashes everything that
# decides the result. Done once: later configures (any build directory, any clone) find it.
function(libsql_debian_source_build name version revision orig_url orig_sha debian_url debian_sha skip_re prefix_var)
  set(_options ${ARGN})
  libsql_download("${orig_url}" ${orig_sha} _orig)
  libsql_download("${debian_url}" ${debian_sha} _debian)
  execute_process(COMMAND ${CMAKE_C_COMPILER} --version OUTPUT_VARIABLE _cc_version ERROR_QUIET)
  string(SHA256 _key "${orig_sha}|${debian_sha}|${skip_re}|${_options}|${CMAKE_C_COMPILER}|${_cc_version}|${CMAKE_SYSTEM_PROCESSOR}|v1")
  string(SUBSTRING "${_key}" 0 16 _key)
  set(_root "${LIBSQL_DEPS_CACHE}/${name}-${version}-${_key}")
  set(_prefix "${_root}/install")
  set(${prefix_var} "${_prefix}" PARENT_SCOPE)
  if(EXISTS "${_prefix}/.complete")
    return()
  endif()
  file(MAKE_DIRECTORY "${_root}")
  # Two configures at once (several build directories): one builds, the other waits.
  file(LOCK "${_root}" DIRECTORY GUARD FUNCTION TIMEOUT 3600 RESULT_VARIABLE _lock)
  if(NOT _lock STREQUAL "0")
    message(FATAL_ERROR "${name}: cannot lock ${_root}: ${_lock}")
  endif()
  if(EXISTS "${_prefix}/.complete")
    return()
  endif()
  message(STATUS "${name}: building ${version} (Debian ${revision}) into ${_root} (once per machine)")
  file(REMOVE_RECURSE "${_root}/src" "${_root}/build" "${_prefix}")
  file(MAKE_DIRECTORY "${_root}/src")
  file(ARCHIVE_EXTRACT INPUT "${_orig}" DESTINATION "${_root}/src")
  set(_srcdir "${_root}/src/${name}-${version}")
  file(ARCHIVE_EXTRACT INPUT "${_debian}" DESTINATION "${_srcdir}")
  find_program(LIBSQL_PATCH patch REQUIRED)
  file(STRINGS "${_srcdir}/debian/patches/series" _series)
  foreach(_p IN LISTS _series)
    string(STRIP "${_p}" _p)
    if(_p STREQUAL "" OR _p MATCHES "^#" OR _p MATCHES "${skip_re}")
      continue()
    endif()
    execute_process(COMMAND ${LIBSQL_PATCH} -p1 -s --no-backup-if-mismatch -i "debian/patches/${_p}"
      WORKING_DIRECTORY "${_srcdir}" RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
    if(NOT _rc EQUAL 0)
      message(FATAL_ERROR "${name}: Debian patch ${_p} does not apply: ${_out}")
    endif()
  endforeach()
  set(_gen)
  if(CMAKE_GENERATOR MATCHES "Ninja")
    set(_gen -G Ninja)
  endif()
  set(_launcher)
  if(CMAKE_C_COMPILER_LAUNCHER)
    set(_launcher "-DCMAKE_C_COMPILER_LAUNCHER=${CMAKE_C_COMPILER_LAUNCHER}")
  elseif(DEFINED ENV{CMAKE_C_COMPILER_LAUNCHER})
    set(_launcher "-DCMAKE_C_COMPILER_LAUNCHER=$ENV{CMAKE_C_COMPILER_LAUNCHER}")
  endif()
  # A cross build (--toolchain) builds the dependency for the same target.
  set(_toolchain)
  if(CMAKE_TOOLCHAIN_FILE)
    set(_toolchain "-DCMAKE_TOOLCHAIN_FILE=${CMAKE_TOOLCHAIN_FILE}")
  endif()
  foreach(_step
      "${CMAKE_COMMAND};-S;${_srcdir};-B;${_root}/build;${_gen};${_toolchain};-DCMAKE_C_COMPILER=${CMAKE_C_COMPILER};${_launcher};-DCMAKE_INSTALL_PREFIX=${_prefix};${_options}"
      "${CMAKE_COMMAND};--build;${_root}/build;-j2"
      "${CMAKE_COMMAND};--install;${_root}/build")
    execute_process(COMMAND ${_step} RESULT_VARIABLE _rc OUTPUT_FILE "${_root}/build.log" ERROR_FILE "${_root}/build.err")
    if(NOT _rc EQUAL 0)
      file(READ "${_root}/build.err" _err)
      message(FATAL_ERROR "${name}: build failed (${_step}); logs in ${_root}/build.log and build.err:\n${_err}")
    endif()
  endforeach()
  file(REMOVE_RECURSE "${_root}/src" "${_root}/build")
  file(TOUCH "${_prefix}/.complete")
endfunction()
