# What `cmake --install` gives C++ users (LIBSQL_INSTALL, on when this is the top-level project):
#   include/libsql/*.hpp                 the public headers
#   lib/liblibsql-cpp.a                  the static library, self-contained: the bundled SQLite3MC,
#                                        simdjson, curl, nghttp2, OpenSSL and zlib are linked in
#                                        with their symbols made local (cmake/prelink.cmake), so
#                                        it needs only -pthread -ldl -lm (no -dev packages)
#   lib/liblibsql-cpp.so.<ver>           the shared library, from the same object: exports only
#                                        libsql's API (and inline/template code), nothing bundled
#   lib/cmake/libsql/                    find_package(libsql CONFIG) -> libsql::libsql (static;
#                                        set LIBSQL_SHARED=ON before it for the shared one), and
#                                        libsql::libsql_static / libsql::libsql_shared
#   lib/pkgconfig/libsql-cpp.pc          pkg-config (-llibsql-cpp: the shared library unless the
#                                        consumer links statically; --static adds the private libs)
# With LIBSQL_SYSTEM_SQLITE / _CURL / _SIMDJSON, that library is not bundled but linked from the
# system, and the CMake package and the .pc file name it.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(_core_deps)        # bundled static archives, linked into the installed libraries
set(_system_cmake)     # find_dependency() lines for the CMake package
set(_system_targets)   # the targets they give
set(_system_pc)        # pkg-config Requires.private
set(_system_libs)      # plain -l flags for the shared library and Libs.private
# One dependency: its bundled archives when it is built here (`bundled` true), else the system
# package the CMake package and the .pc file must name.
macro(_libsql_install_dep bundled archives package target pc)
  if(${bundled})
    list(APPEND _core_deps ${archives})
  else()
    string(APPEND _system_cmake "find_dependency(${package})\n")
    list(APPEND _system_targets ${target})
    list(APPEND _system_pc ${pc})
  endif()
endmacro()
set(_bundled_sqlite OFF)
set(_bundled_simdjson OFF)
set(_bundled_curl OFF)
if(TARGET libsql_sqlite3)
  set(_bundled_sqlite ON)
endif()
if(TARGET libsql_simdjson)
  set(_bundled_simdjson ON)
endif()
if(NOT LIBSQL_SYSTEM_CURL)
  set(_bundled_curl ON)
endif()
_libsql_install_dep(_bundled_sqlite "$<TARGET_FILE:libsql_sqlite3>" SQLite3 SQLite::SQLite3 sqlite3)
_libsql_install_dep(_bundled_simdjson "$<TARGET_FILE:libsql_simdjson>" simdjson simdjson::simdjson simdjson)
_libsql_install_dep(_bundled_curl "${LIBSQL_CURL_STATIC_PREFIX}/lib/libcurl.a;${LIBSQL_NGHTTP2_STATIC};${OPENSSL_SSL_LIBRARY};${OPENSSL_CRYPTO_LIBRARY};${LIBSQL_ZLIB_STATIC}"
  CURL CURL::libcurl libcurl)

# One argument for cmake -P: '|' between the archives (a ';' would split it).
list(JOIN _core_deps "|" _core_deps_arg)
set(_out "${CMAKE_CURRENT_BINARY_DIR}/install-libs")
set(LIBSQL_INSTALL_ARCHIVE "${_out}/liblibsql-cpp.a")
set(_object "${_out}/libsql-cpp.o")
add_custom_command(OUTPUT "${LIBSQL_INSTALL_ARCHIVE}" "${_object}"
  COMMAND ${CMAKE_COMMAND} -E make_directory "${_out}"
  COMMAND ${CMAKE_COMMAND} "-DLINKER=${CMAKE_LINKER}" "-DNM=${CMAKE_NM}" "-DOBJCOPY=${CMAKE_OBJCOPY}"
    "-DAR=${CMAKE_AR}" "-DCORE=$<TARGET_FILE:libsql>" "-DDEPS=${_core_deps_arg}"
    "-DOBJECT=${_object}" "-DARCHIVE=${LIBSQL_INSTALL_ARCHIVE}"
    -P "${PROJECT_SOURCE_DIR}/cmake/prelink.cmake"
  DEPENDS libsql "$<TARGET_FILE:libsql>" ${_core_deps} "${PROJECT_SOURCE_DIR}/cmake/prelink.cmake"
  COMMENT "Linking the self-contained static library liblibsql-cpp.a"
  VERBATIM)
add_custom_target(libsql_static_bundle ALL DEPENDS "${LIBSQL_INSTALL_ARCHIVE}")

# The shared library: the same object, so the sources are compiled once.
add_library(libsql_shared SHARED "${_object}")
set_source_files_properties("${_object}" PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
add_dependencies(libsql_shared libsql_static_bundle)
set_target_properties(libsql_shared PROPERTIES OUTPUT_NAME libsql-cpp LINKER_LANGUAGE CXX
  LIBRARY_OUTPUT_DIRECTORY "${_out}"
  VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
target_link_libraries(libsql_shared PRIVATE Threads::Threads ${CMAKE_DL_LIBS} m ${_system_targets})
target_link_options(libsql_shared PRIVATE -Wl,--gc-sections -Wl,-z,noexecstack -Wl,--as-needed
  -Wl,--no-undefined "-Wl,--version-script=${PROJECT_SOURCE_DIR}/cmake/libsql-cpp.map")
set_property(TARGET libsql_shared APPEND PROPERTY LINK_DEPENDS "${PROJECT_SOURCE_DIR}/cmake/libsql-cpp.map")

install(DIRECTORY include/libsql DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
  FILES_MATCHING PATTERN "*.hpp")
install(FILES "${LIBSQL_INSTALL_ARCHIVE}" DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(TARGETS libsql_shared LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT lib
  NAMELINK_COMPONENT dev)

set(LIBSQL_CONFIG_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/libsql")
set(LIBSQL_FIND_DEPENDENCIES "${_system_cmake}")
list(JOIN _system_targets ";" LIBSQL_SYSTEM_TARGETS)
set(LIBSQL_SHARED_SONAME "liblibsql-cpp.so.${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}")
configure_package_config_file(cmake/libsqlConfig.cmake.in "${_out}/libsqlConfig.cmake"
  INSTALL_DESTINATION "${LIBSQL_CONFIG_DIR}"
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR)
write_basic_package_version_file("${_out}/libsqlConfigVersion.cmake"
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES "${_out}/libsqlConfig.cmake" "${_out}/libsqlConfigVersion.cmake"
  DESTINATION "${LIBSQL_CONFIG_DIR}" COMPONENT dev)

# pkg-config: paths relative to the .pc file, so `cmake --install --prefix <any>` works.
set(_pc_dir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
if(IS_ABSOLUTE "${_pc_dir}")
  set(LIBSQL_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _rel "/prefix/${_pc_dir}" "/prefix")
  string(REGEX REPLACE "/$" "" _rel "${_rel}")
  set(LIBSQL_PC_PREFIX "\${pcfiledir}/${_rel}")
endif()
list(JOIN _system_pc " " LIBSQL_PC_REQUIRES_PRIVATE)
configure_file(cmake/libsql-cpp.pc.in "${_out}/libsql-cpp.pc" @ONLY)
install(FILES "${_out}/libsql-cpp.pc" DESTINATION "${_pc_dir}" COMPONENT dev)
