#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fails if a layer includes a header from a layer above it. The order, lowest first:
#   common, proto < transport, store < client, server
# (client and server are siblings: neither includes the other).
set -euo pipefail
root=${1:-$(dirname "$0")/..}
cd "$root/src"

declare -A allowed=(
  [common]="common"
  [proto]="common proto"
  [transport]="common proto transport"
  [store]="common store"
  [client]="common proto transport store client"
  [server]="common proto transport store server"
)
status=0
for layer in "${!allowed[@]}"; do
  [[ -d $layer ]] || continue
  while IFS= read -r line; do
    file=${line%%:*}
    inc=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$line")
    [[ $inc == wechat ]] && continue  # public headers and generated protobuf
    if ! grep -qw "$inc" <<<"${allowed[$layer]}"; then
      echo "layer violation: $file includes from '$inc' (allowed: ${allowed[$layer]})"
      status=1
    fi
  done < <(grep -rnE '#include "[a-z_]+/' "$layer" || true)
done
exit $status
