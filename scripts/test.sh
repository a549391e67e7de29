#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds and runs every test: the main suite (including the "slow" label), the same suite under
# AddressSanitizer + UndefinedBehaviorSanitizer, the client and transport suites under
# ThreadSanitizer, and a short run of every fuzz target.
# Installs what it needs first. Set WECHAT_SKIP_SANITIZE=1 or WECHAT_SKIP_FUZZ=1 to skip stages
# locally (WECHAT_SKIP_TSAN=1 and WECHAT_SKIP_BENCH=1 too); CI runs them all.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

./scripts/install-deps.sh

# One compiler cache for every clone on the machine: paths are taken relative to the clone, so
# a CI run in a fresh folder reuses what earlier builds compiled.
export CCACHE_BASEDIR=$root
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-4G}
jobs=${WECHAT_JOBS:-2}
# Tests start servers on 127.0.0.1; each test process stays well under the open-file limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

stage() { printf '\n== %s ==\n' "$*"; }

stage "build (RelWithDebInfo)"
# Optimised like a release, without debug info: the test build compiles faster that way.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG" \
  >/dev/null
cmake --build build -j "$jobs"

if [[ "${WECHAT_SKIP_SANITIZE:-0}" != 1 ]]; then
  stage "build (ASan + UBSan)"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DWECHAT_SANITIZE=ON \
    -DWECHAT_BUILD_EXAMPLES=ON >/dev/null
  cmake --build build-asan -j "$jobs"
  stage "tests (ASan + UBSan)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan -j "$jobs" --output-on-failure
fi

if [[ "${WECHAT_SKIP_TSAN:-0}" != 1 ]]; then
  # The client SDK promises calls from any thread; ThreadSanitizer checks the session engine,
  # the transport and the server under the client and transport suites. GCC, not clang: clang
  # 14 with libstdc++ gives Asio no C++20 coroutines, which the server is written in.
  stage "build (TSan)"
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -DNDEBUG" -DWECHAT_TSAN=ON \
    >/dev/null
  cmake --build build-tsan -j "$jobs" --target client_tests transport_tests
  stage "tests (TSan)"
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    ctest --test-dir build-tsan -j "$jobs" --output-on-failure -R '^(client_tests|transport_tests):'
fi

if [[ "${WECHAT_SKIP_BENCH:-0}" != 1 ]]; then
  # The benchmark harness must never rot: its smoke profile runs every workload briefly against
  # the main build. Figures from a shared CI machine mean nothing; the report stays in build/.
  stage "benchmark smoke (bench/run smoke)"
  BENCH_BUILD_DIR="$root/build" BENCH_DOC="$root/build/bench-smoke.md" ./bench/run smoke
fi

if [[ "${WECHAT_SKIP_FUZZ:-0}" != 1 ]]; then
  stage "fuzz (short run of every target)"
  ./fuzz/run.sh "${WECHAT_FUZZ_SECONDS:-20}"
fi

# The main suite runs last so that ctest's closing line (the count) ends the output.
stage "tests"
ctest --test-dir build -j "$jobs" --output-on-failure
