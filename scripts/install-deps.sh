#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs every build and test dependency from Debian 12 packages. Idempotent and quiet:
# packages already present are not reinstalled, and apt runs only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libasio-dev libprotobuf-dev protobuf-compiler libsqlite3-dev libssl-dev openssl libexpat1-dev
  libfmt-dev libcli11-dev doctest-dev libcurl4-openssl-dev libncurses-dev
  libpq-dev postgresql libhiredis-dev redis-server
  clang libclang-rt-14-dev
  python3 tmux gnutls-bin
)
if [[ "${WECHAT_DEPS_EXTRA:-}" != "" ]]; then
  read -r -a extra <<<"${WECHAT_DEPS_EXTRA}"
  packages+=("${extra[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
