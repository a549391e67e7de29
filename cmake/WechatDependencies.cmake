# SPDX-License-Identifier: MIT
# Every dependency comes from a Debian 12 package (scripts/install-deps.sh); nothing is vendored.

find_package(Threads REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(Protobuf REQUIRED)
find_package(fmt REQUIRED)

# Standalone Asio (libasio-dev) is header-only and ships no CMake package.
find_path(ASIO_INCLUDE_DIR asio.hpp REQUIRED)
add_library(wechat_asio INTERFACE)
target_include_directories(wechat_asio SYSTEM INTERFACE ${ASIO_INCLUDE_DIR})
# ASIO_DISABLE_STD_ALIGNED_ALLOC: Asio picks aligned_alloc/free or operator new/delete from a
# libstdc++ macro that exists only if a standard header came first, so translation units that
# include Asio first and those that do not disagreed (an ODR violation the handler fuzzer's
# ASan caught as a new/free mismatch). One choice for every unit.
target_compile_definitions(wechat_asio INTERFACE ASIO_STANDALONE ASIO_NO_DEPRECATED
                                                 ASIO_DISABLE_STD_ALIGNED_ALLOC=1)
target_link_libraries(wechat_asio INTERFACE Threads::Threads)

if(WECHAT_BUILD_TESTS OR WECHAT_BUILD_EXAMPLES)
  find_package(CLI11 REQUIRED)
endif()
if(WECHAT_BUILD_TESTS)
  find_package(doctest REQUIRED)
  include(doctest)
endif()
