# What makes the shipped binaries (the .node addon and the CLI) portable: libsql_portable_binary().
#   - every bundled static library (SQLite, libcurl, OpenSSL, nghttp2, zlib, simdjson) stays
#     private: -Wl,--exclude-libs,ALL hides their symbols; the addon also binds its own calls
#     to itself (-Wl,-Bsymbolic) and exports only Node-API's entry points (a version script),
#     so nothing clashes with the OpenSSL, zlib or nghttp2 that Node itself exports;
#   - unused sections dropped (-Wl,--gc-sections), no executable stack;
#   - LIBSQL_STATIC_LIBSTDCXX=ON (the release preset): libstdc++ and libgcc linked in, so the
#     binaries need only glibc (libc, libm) and no particular GLIBCXX version at run time. Off by
#     default: Debian 12's libstdc++.a raises the glibc floor from 2.34 to 2.36 (checked with
#     objdump -T), which costs more systems than the GLIBCXX_3.4.30 it saves.

option(LIBSQL_STATIC_LIBSTDCXX "Link libstdc++ and libgcc statically into the addon and the CLI" OFF)

function(libsql_portable_binary target)
  get_target_property(_type ${target} TYPE)
  target_link_options(${target} PRIVATE -Wl,--exclude-libs,ALL -Wl,--gc-sections -Wl,-z,noexecstack
    -Wl,--as-needed)
  if(_type STREQUAL "MODULE_LIBRARY")  # the addon (Node-API symbols resolve from node at load)
    target_link_options(${target} PRIVATE -Wl,-Bsymbolic
      -Wl,--version-script=${PROJECT_SOURCE_DIR}/cmake/node_addon.map)
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${PROJECT_SOURCE_DIR}/cmake/node_addon.map)
  endif()
  if(LIBSQL_STATIC_LIBSTDCXX)
    target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
  endif()
endfunction()
