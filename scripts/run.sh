#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job: installs what is needed, builds, and runs wechat-server on its embedded SQLite
# default (data in ./wechat-data, mail as files in ./wechat-data/mail). Ctrl-C stops it cleanly.
# Arguments are passed to wechat-server (see `wechat-server --help`).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
export CCACHE_DIR=${CCACHE_DIR:-$(pwd)/.cache/ccache}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "${WECHAT_JOBS:-2}" --target wechat-server

exec ./build/server_reference/wechat-server --data-dir wechat-data "$@"
