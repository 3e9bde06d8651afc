#!/usr/bin/env bash
# Installs the Debian 12 packages Ketenpoort needs, if any are missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git openssl sqlite3
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libssl-dev libsqlite3-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev
  libabsl-dev libgtest-dev libgmock-dev libbenchmark-dev
  libglpk-dev  # the aggregates' disclosure audit (integer programming)
  clang libclang-rt-14-dev  # the sanitizer and fuzz builds (tools/test.sh, bench/fuzz.sh)
  libtcmalloc-minimal4  # the servers' allocator (cmake/Allocator.cmake)
  nginx  # bench/compare runs it as a plain mTLS gRPC proxy, with its own config
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
# Installing nginx must not start it: its default site listens on every
# address, and Ketenpoort's machines only use loopback. policy-rc.d tells
# the package scripts not to start services during this install.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  trap '$sudo rm -f "$policy"' EXIT
fi
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Nor at boot, where systemd runs.
if [ -d /run/systemd/system ] && dpkg-query -W nginx >/dev/null 2>&1; then
  $sudo systemctl disable --now nginx >/dev/null 2>&1 || true
fi
