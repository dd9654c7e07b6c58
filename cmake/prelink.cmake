# Script mode (cmake -P), run by cmake/install.cmake at build time: makes the installed static
# library self-contained. The core archive (every member) and the bundled static libraries
# (SQLite3MC, simdjson, curl, nghttp2, OpenSSL, zlib: only the members it uses) are linked into
# one relocatable object (ld -r); every strong global symbol that the core does not define
# itself is then made local (objcopy --localize-symbols), so a consumer links only libsql's own
# API: no sqlite3_*, curl_*, SSL_* or deflate* symbol can clash with (or be taken for) the
# consumer's own copies. Weak symbols (inline and template code in COMDAT groups) stay as they
# are: localizing them breaks the linker's group deduplication ("defined in discarded section").
#
#   -DLINKER= -DNM= -DOBJCOPY= -DAR= -DCORE=<liblibsql.a> -DDEPS=<a|b|...> -DOBJECT=<out.o>
#   -DARCHIVE=<out.a>
foreach(_v LINKER NM OBJCOPY AR CORE OBJECT ARCHIVE)
  if(NOT ${_v})
    message(FATAL_ERROR "prelink.cmake: ${_v} not set")
  endif()
endforeach()

string(REPLACE "|" ";" DEPS "${DEPS}")

function(_run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc ERROR_VARIABLE _err OUTPUT_QUIET)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "prelink.cmake: `${ARGN}` failed (${_rc}): ${_err}")
  endif()
endfunction()

# Strong (non-weak) defined global symbols of a file, one per list item.
function(_strong_globals file out_var)
  execute_process(COMMAND "${NM}" --defined-only -g -P "${file}" OUTPUT_VARIABLE _out
    RESULT_VARIABLE _rc ERROR_QUIET)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "prelink.cmake: ${NM} ${file} failed")
  endif()
  # nm -P: "<name> <type> <value> [<size>]". Archive member headers ("lib.a[x.o]:") go first:
  # a '[' in a CMake list item would join the items up to the next ']'.
  string(REGEX REPLACE "[^\n]*[][][^\n]*" "" _out "${_out}")
  string(REGEX MATCHALL "[^\n]+" _lines "${_out}")
  set(_names)
  foreach(_l IN LISTS _lines)
    # Types W, V (weak) and U (undefined) are left out.
    if(_l MATCHES "^([^ ]+) [A-TX-Z] ")
      list(APPEND _names "${CMAKE_MATCH_1}")
    endif()
  endforeach()
  set(${out_var} "${_names}" PARENT_SCOPE)
endfunction()

_run("${LINKER}" -r -o "${OBJECT}.tmp" --whole-archive "${CORE}" --no-whole-archive ${DEPS})
_strong_globals("${CORE}" _keep)
_strong_globals("${OBJECT}.tmp" _all)
list(REMOVE_ITEM _all ${_keep})
list(JOIN _all "\n" _text)
file(WRITE "${OBJECT}.localize" "${_text}\n")
_run("${OBJCOPY}" "--localize-symbols=${OBJECT}.localize" "${OBJECT}.tmp" "${OBJECT}")
file(REMOVE "${OBJECT}.tmp")
file(REMOVE "${ARCHIVE}")
_run("${AR}" rcs "${ARCHIVE}" "${OBJECT}")
