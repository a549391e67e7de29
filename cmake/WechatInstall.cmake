# SPDX-License-Identifier: MIT
# Install rules for libwechat (included from bindings/CMakeLists.txt): the library, the public
# headers, a relocatable CMake package (find_package(wechat CONFIG) -> wechat::wechat) and a
# relocatable pkg-config file (wechat.pc). tests/packaging builds consumers against the result.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(WECHAT_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/wechat
    CACHE STRING "Where wechatConfig.cmake goes, relative to the prefix")
set(WECHAT_PKGCONFIG_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig
    CACHE STRING "Where wechat.pc goes, relative to the prefix")

# Components: wechat_runtime (the shared library) and wechat_development (everything to build
# against it), so `cmake --install build --component ...` can split them like distributions do.
install(TARGETS wechat EXPORT wechatTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    COMPONENT wechat_runtime NAMELINK_COMPONENT wechat_development
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT wechat_development
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT wechat_runtime
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# The whole public surface. testing.h is included: wechat::testing::LocalServer lives in the
# library (the server half is part of it), so applications can test against a real server.
install(FILES
  ${PROJECT_SOURCE_DIR}/include/wechat/c.h
  ${PROJECT_SOURCE_DIR}/include/wechat/client.h
  ${PROJECT_SOURCE_DIR}/include/wechat/clock.h
  ${PROJECT_SOURCE_DIR}/include/wechat/events.h
  ${PROJECT_SOURCE_DIR}/include/wechat/export.h
  ${PROJECT_SOURCE_DIR}/include/wechat/log.h
  ${PROJECT_SOURCE_DIR}/include/wechat/server.h
  ${PROJECT_SOURCE_DIR}/include/wechat/status.h
  ${PROJECT_SOURCE_DIR}/include/wechat/testing.h
  ${PROJECT_SOURCE_DIR}/include/wechat/types.h
  ${PROJECT_BINARY_DIR}/include/wechat/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/wechat
  COMPONENT wechat_development)

install(EXPORT wechatTargets
  NAMESPACE wechat::
  FILE wechatTargets.cmake
  DESTINATION ${WECHAT_CMAKE_INSTALL_DIR}
  COMPONENT wechat_development)

# A static libwechat needs its dependencies at the consumer's link: the package finds them again.
if(WECHAT_BUILD_SHARED)
  set(WECHAT_STATIC_PACKAGE OFF)
else()
  set(WECHAT_STATIC_PACKAGE ON)
endif()
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/wechatConfig.cmake.in
  ${PROJECT_BINARY_DIR}/wechatConfig.cmake
  INSTALL_DESTINATION ${WECHAT_CMAKE_INSTALL_DIR})
# Before 1.0 a minor release may break compatibility.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(compatibility SameMinorVersion)
else()
  set(compatibility SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/wechatConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY ${compatibility})
install(FILES
  ${PROJECT_BINARY_DIR}/wechatConfig.cmake
  ${PROJECT_BINARY_DIR}/wechatConfigVersion.cmake
  DESTINATION ${WECHAT_CMAKE_INSTALL_DIR}
  COMPONENT wechat_development)

# wechat.pc finds its prefix from its own location (${pcfiledir}), so the tree can move.
file(RELATIVE_PATH WECHAT_PC_TO_PREFIX "/prefix/${WECHAT_PKGCONFIG_INSTALL_DIR}" "/prefix")
string(REGEX REPLACE "/$" "" WECHAT_PC_TO_PREFIX "${WECHAT_PC_TO_PREFIX}")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(WECHAT_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(WECHAT_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(WECHAT_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(WECHAT_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
# The shared library carries its dependencies. A static one needs them at every link of its
# users, whether those link the dependencies statically or not, so they are listed in Requires
# and Libs rather than the .private fields: `pkg-config --libs wechat` then works as is, while
# `--static` would demand static archives of curl's whole closure (nghttp2, ldap, ...), which
# Debian does not ship.
if(WECHAT_BUILD_SHARED)
  set(WECHAT_PC_CFLAGS "")
  set(WECHAT_PC_REQUIRES "")
  set(WECHAT_PC_LIBS "")
else()
  set(WECHAT_PC_CFLAGS " -DWECHAT_STATIC")
  set(WECHAT_PC_REQUIRES "protobuf, openssl >= 3.0, sqlite3, fmt, libcurl, libpq, hiredis")
  set(WECHAT_PC_LIBS " -pthread -lstdc++ -lm")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/wechat.pc.in ${PROJECT_BINARY_DIR}/wechat.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/wechat.pc DESTINATION ${WECHAT_PKGCONFIG_INSTALL_DIR}
        COMPONENT wechat_development)
