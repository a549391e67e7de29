#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets with clang in build-fuzz/ and gives each a short run over a scratch
# copy of its seed corpus (fuzz/corpus-run/<target>/, git-ignored), so the checked-in seeds stay
# small. The seconds (default 30) are the whole budget, shared out: the handler fuzzer, which
# runs a real server, gets two shares, the other targets one each. Every target runs even if an
# earlier one failed; the script exits non-zero if any found something. Reproducers land in
# build-fuzz/fuzz-artifacts/<target>/. Long runs and reproducing a crash: fuzz/README.md.
#   bash fuzz/run.sh [seconds] [target...]     (targets: frame_decoder handlers command_parser
#                                               tls13_records)
set -euo pipefail

seconds=${1:-30}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(frame_decoder handlers command_parser tls13_records)
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"

# Shares of the budget, and each target's own flags.
declare -A weight=([frame_decoder]=1 [handlers]=2 [command_parser]=1 [tls13_records]=1)
declare -A flags=(
  # Past the decoder's 1 KiB fuzzing limit, so frames at and over it are reachable.
  [frame_decoder]="-max_len=4096"
  # Room for a few long texts. No per-input leak check: the server's threads keep allocating
  # between inputs, so libFuzzer would run LeakSanitizer after nearly every input (a third of the
  # speed); the check at exit, after the server has stopped, still runs.
  [handlers]="-max_len=8192 -detect_leaks=0"
  [command_parser]="-max_len=1024"
  # Room for a full-size record (2^14 + 256 bytes) and a few small ones.
  [tls13_records]="-max_len=20000"
)
total=0
for t in "${targets[@]}"; do
  [[ -n ${weight[$t]:-} ]] || { echo "unknown fuzz target: $t" >&2; exit 2; }
  total=$((total + weight[$t]))
done

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWECHAT_BUILD_FUZZERS=ON -DWECHAT_BUILD_TESTS=OFF -DWECHAT_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j2 --target "${targets[@]/#/fuzz_}"

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
failed=()
for t in "${targets[@]}"; do
  budget=$((seconds * weight[$t] / total))
  ((budget >= 3)) || budget=3
  corpus="$root/fuzz/corpus-run/$t"
  artifacts="$build/fuzz-artifacts/$t"
  rm -rf "$corpus"
  mkdir -p "$corpus" "$artifacts"
  cp "$root/fuzz/corpus/$t"/* "$corpus"/
  printf '\n-- fuzz_%s for %s s\n' "$t" "$budget"
  # shellcheck disable=SC2086  # flags are words
  if ! "$build/fuzz/fuzz_$t" -max_total_time="$budget" ${flags[$t]} -timeout=60 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus"; then
    failed+=("$t")
  fi
done

if ((${#failed[@]} > 0)); then
  echo "fuzz: findings in ${failed[*]}; reproducers in $build/fuzz-artifacts/ (fuzz/README.md)" >&2
  exit 1
fi
