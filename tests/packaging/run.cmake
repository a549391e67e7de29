# SPDX-License-Identifier: MIT
# The packaging test (cmake -P, arguments as -D, see tests/packaging/CMakeLists.txt):
#   1. cmake --install the library into a fresh prefix (components wechat_runtime and
#      wechat_development only), and check the tree: headers, SONAME links, package files;
#   2. configure, build and run tests/packaging/consumer (C++17) with find_package(wechat);
#   3. build and run the C example of docs/c-api.md with `pkg-config --cflags --libs wechat`.
# Both consumers start an in-process server and exchange one message between two clients.

foreach(var BUILD_DIR SOURCE_DIR WORK_DIR VERSION SOVERSION GENERATOR CXX_COMPILER C_COMPILER
            PKG_CONFIG)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run.cmake: -D${var}= is required")
  endif()
endforeach()

function(run)
  cmake_parse_arguments(R "" "OUTPUT" "COMMAND" ${ARGN})
  execute_process(COMMAND ${R_COMMAND} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    list(JOIN R_COMMAND " " shown)
    message(FATAL_ERROR "failed (${rc}): ${shown}\n${out}\n${err}")
  endif()
  message(STATUS "ok: ${R_COMMAND}\n${out}")
  if(R_OUTPUT)
    set(${R_OUTPUT} "${out}" PARENT_SCOPE)
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

# 1. Install.
foreach(component wechat_runtime wechat_development)
  run(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix} --component ${component})
endforeach()
file(GLOB_RECURSE pc_files ${prefix}/*/wechat.pc)
list(LENGTH pc_files n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one wechat.pc under ${prefix}, found: ${pc_files}")
endif()
get_filename_component(pc_dir ${pc_files} DIRECTORY)
get_filename_component(libdir ${pc_dir} DIRECTORY)
foreach(file
    include/wechat/c.h include/wechat/client.h include/wechat/events.h include/wechat/export.h
    include/wechat/status.h include/wechat/testing.h include/wechat/types.h
    include/wechat/version.h)
  if(NOT EXISTS ${prefix}/${file})
    message(FATAL_ERROR "not installed: ${file}")
  endif()
endforeach()
if(EXISTS ${prefix}/include/wechat/version.h.in OR EXISTS ${prefix}/include/wechat/c_abi)
  message(FATAL_ERROR "installed something that is not a public header")
endif()
foreach(file libwechat.so libwechat.so.${SOVERSION} libwechat.so.${VERSION}
             cmake/wechat/wechatConfig.cmake cmake/wechat/wechatConfigVersion.cmake
             cmake/wechat/wechatTargets.cmake)
  if(NOT EXISTS ${libdir}/${file})
    message(FATAL_ERROR "not installed: ${libdir}/${file}")
  endif()
endforeach()
file(GLOB private_headers ${prefix}/include/*/*.pb.h ${prefix}/include/asio*)
if(private_headers)
  message(FATAL_ERROR "internal headers installed: ${private_headers}")
endif()

# 2. A CMake consumer through find_package(wechat CONFIG).
run(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/packaging/consumer -B ${WORK_DIR}/cmake-build
            -G ${GENERATOR} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
            -DCMAKE_BUILD_TYPE=Release)
run(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/cmake-build)
file(MAKE_DIRECTORY ${WORK_DIR}/cmake-data)
run(COMMAND ${WORK_DIR}/cmake-build/consumer ${WORK_DIR}/cmake-data OUTPUT out)
if(NOT out MATCHES "bob got \"hello from an installed libwechat\"")
  message(FATAL_ERROR "the CMake consumer did not report the message")
endif()

# 3. A C consumer through pkg-config (the docs/c-api.md example).
set(pkg_env ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${pc_dir})
run(COMMAND ${pkg_env} ${PKG_CONFIG} --modversion wechat OUTPUT modversion)
string(STRIP "${modversion}" modversion)
if(NOT modversion STREQUAL VERSION)
  message(FATAL_ERROR "wechat.pc says version ${modversion}, the project ${VERSION}")
endif()
run(COMMAND ${pkg_env} ${PKG_CONFIG} --cflags --libs wechat OUTPUT flags)
string(STRIP "${flags}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
run(COMMAND ${C_COMPILER} -std=c99 -Wall -Wextra -Wpedantic -Werror
            ${SOURCE_DIR}/bindings/c/examples/chat.c ${flags} -Wl,-rpath,${libdir}
            -o ${WORK_DIR}/c-example)
file(MAKE_DIRECTORY ${WORK_DIR}/c-data)
run(COMMAND ${WORK_DIR}/c-example ${WORK_DIR}/c-data OUTPUT out)
if(NOT out MATCHES "bob got \"hello from C\" from alice")
  message(FATAL_ERROR "the pkg-config consumer did not report the message")
endif()

file(REMOVE_RECURSE ${WORK_DIR})
message(STATUS "packaging: install tree, find_package and pkg-config consumers all work")
