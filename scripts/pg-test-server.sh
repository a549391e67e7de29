#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A throwaway PostgreSQL server for the PG test suites (tests/integration/server_pg).
#
#   scripts/pg-test-server.sh start <dir> <port>   initdb in <dir>/data, start on 127.0.0.1:<port>
#   scripts/pg-test-server.sh stop  <dir> <port>   stop it and delete <dir>
#
# Connect as postgresql://wechat@127.0.0.1:<port>/postgres (trust authentication, loopback only).
# Durability is off (fsync, synchronous_commit, full_page_writes): tests only. PostgreSQL refuses
# to run as root, so as root (CI) the server runs as the `postgres` user (Debian's package makes
# it) or, failing that, a `wechat-pg` system user created here.
set -euo pipefail

usage() { echo "usage: $0 start|stop <dir> <port>" >&2; exit 2; }
(($# == 3)) || usage
action=$1 dir=$2 port=$3

bindir=${PG_BINDIR:-}
if [[ -z "$bindir" ]]; then
  for v in 17 16 15 14 13; do
    if [[ -x /usr/lib/postgresql/$v/bin/pg_ctl ]]; then bindir=/usr/lib/postgresql/$v/bin; break; fi
  done
fi
if [[ -z "$bindir" ]] && command -v pg_ctl >/dev/null; then bindir=$(dirname "$(command -v pg_ctl)"); fi
[[ -n "$bindir" ]] || { echo "pg-test-server: no PostgreSQL server binaries (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u "$owner" -- "$@"; else "$@"; fi
}

owner=$(id -un)
if [[ $(id -u) -eq 0 ]]; then
  if getent passwd postgres >/dev/null; then
    owner=postgres
  else
    getent passwd wechat-pg >/dev/null || useradd --system --no-create-home --shell /usr/sbin/nologin wechat-pg
    owner=wechat-pg
  fi
fi

data=$dir/data
case "$action" in
  start)
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown "$owner" "$dir"
    if as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      echo "pg-test-server: already running in $data" >&2
      exit 0
    fi
    if [[ ! -f "$data/PG_VERSION" ]]; then
      as_owner "$bindir/initdb" -D "$data" -U wechat --auth=trust --no-locale -E UTF8 --no-sync \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    if ! as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start -o \
      "-p $port -c listen_addresses=127.0.0.1 -k $dir -c fsync=off -c synchronous_commit=off \
       -c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB" >/dev/null; then
      cat "$dir/server.log" >&2 || true
      exit 1
    fi
    echo "pg-test-server: postgresql://wechat@127.0.0.1:$port/postgres ($data)"
    ;;
  stop)
    if [[ -d "$data" ]]; then
      as_owner "$bindir/pg_ctl" -D "$data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *) usage ;;
esac
