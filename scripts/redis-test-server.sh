#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A throwaway Redis server for the cluster test suites (tests/integration/cluster).
#
#   scripts/redis-test-server.sh start   <dir> <port>   start on 127.0.0.1:<port>, files in <dir>
#   scripts/redis-test-server.sh stop    <dir> <port>   stop it and delete <dir>
#   scripts/redis-test-server.sh restart <dir> <port>   stop it (keeping <dir>) and start it again
#
# Connect as redis://127.0.0.1:<port> (no password, loopback only). No persistence (no RDB, no
# AOF): every start is empty. DEBUG is allowed from loopback, for tests that stall the server.
# Each action is idempotent. Runs fine as root (CI).
set -euo pipefail

usage() { echo "usage: $0 start|stop|restart <dir> <port>" >&2; exit 2; }
(($# == 3)) || usage
action=$1 dir=$2 port=$3
[[ $port =~ ^[0-9]+$ ]] || usage

command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
  { echo "redis-test-server: no redis-server/redis-cli (apt-get install redis-server)" >&2; exit 1; }

pidfile=$dir/redis.pid

# The pid of our server, if it runs (a stale pidfile naming another process does not count).
server_pid() {
  [[ -f $pidfile ]] || return 1
  local pid
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ $(ps -o comm= -p "$pid" 2>/dev/null) == redis-server* ]] || return 1
  echo "$pid"
}

start_server() {
  mkdir -p "$dir"
  if server_pid >/dev/null; then
    echo "redis-test-server: already running on port $port ($dir)" >&2
    return 0
  fi
  rm -f "$pidfile"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --daemonize yes \
    --pidfile "$pidfile" --logfile "$dir/redis.log" --save "" --appendonly no \
    --protected-mode yes --enable-debug-command local >/dev/null ||
    { cat "$dir/redis.log" >&2 2>/dev/null || true; exit 1; }
  for _ in $(seq 100); do
    if [[ $(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null) == PONG ]]; then
      echo "redis-test-server: redis://127.0.0.1:$port ($dir)"
      return 0
    fi
    sleep 0.1
  done
  echo "redis-test-server: no PONG from 127.0.0.1:$port within 10 s" >&2
  cat "$dir/redis.log" >&2 2>/dev/null || true
  exit 1
}

stop_server() {
  local pid
  pid=$(server_pid) || return 0
  # SIGTERM rather than SHUTDOWN: it works whatever password or pause a test left behind.
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}

case "$action" in
  start) start_server ;;
  stop)
    stop_server
    rm -rf "$dir"
    ;;
  restart)
    stop_server
    start_server
    ;;
  *) usage ;;
esac
