#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the frame-decoder fuzzer with clang in build-fuzz/ and runs it for N seconds (default 60)
# over a scratch copy of the seed corpus (fuzz/corpus-run/, git-ignored), so the checked-in seeds
# stay small. Exits non-zero on a finding; the reproducer lands in build-fuzz/fuzz-artifacts/.
#   bash fuzz/run.sh [seconds]
set -euo pipefail

seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWECHAT_BUILD_FUZZERS=ON -DWECHAT_BUILD_TESTS=OFF -DWECHAT_BUILD_EXAMPLES=OFF
cmake --build "$build" -j2 --target fuzz_frame_decoder

corpus="$root/fuzz/corpus-run/frame_decoder"
artifacts="$build/fuzz-artifacts"
rm -rf "$corpus"
mkdir -p "$corpus" "$artifacts"
cp "$root"/fuzz/corpus/frame_decoder/* "$corpus"/

# -max_len: past the decoder's 1 KiB fuzzing limit, so frames at and over it are reachable.
"$build/fuzz/fuzz_frame_decoder" \
  -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus"
