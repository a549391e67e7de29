#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job: installs what is needed, builds, starts wechat-server on its embedded SQLite
# default (data in ./wechat-data, TLS with a generated certificate, mail written as files into
# ./wechat-data/mail) and opens wechat-cli on it. Leaving the CLI (/quit) stops the server.
#   ./scripts/run.sh                  server + wechat-cli (full screen in a terminal)
#   ./scripts/run.sh [cli flags...]   the same, passing flags to wechat-cli (e.g. --data-dir)
#   ./scripts/run.sh server [flags]   only the server, in the foreground (Ctrl-C stops it)
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
export CCACHE_BASEDIR=$(pwd)
# The same configuration as scripts/test.sh, so the two share one build folder.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG" \
  >/dev/null
cmake --build build -j "${WECHAT_JOBS:-2}" --target wechat-server wechat-cli

server=./build/server_reference/wechat-server
cli=./build/examples/cli/wechat-cli
data=wechat-data
listen=${WECHAT_LISTEN:-127.0.0.1:7600}

if [[ "${1:-}" == server ]]; then
  shift
  exec "$server" --data-dir "$data" --listen "$listen" "$@"
fi

mkdir -p "$data"
"$server" --data-dir "$data" --listen "$listen" >"$data/server.out" 2>"$data/server.log" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q "listening on" "$data/server.out" 2>/dev/null && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "wechat-server did not start:" >&2
    cat "$data/server.log" >&2
    exit 1
  fi
  sleep 0.1
done
cat "$data/server.out" >&2
echo "server log: $data/server.log; verification codes arrive as files in $data/mail/" >&2

"$cli" --server "$listen" --ca "$data/tls-cert.pem" --data-dir "$data/cli" "$@"
