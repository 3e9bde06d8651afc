#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite twice:
# once in the normal build, once under AddressSanitizer + UBSan.
# This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh

echo "== build and test (RelWithDebInfo) =="
BUILD_DIR=build tools/build.sh
ctest --test-dir build --output-on-failure --timeout 300 -j "$(nproc)"

echo "== build and test (ASan + UBSan) =="
BUILD_DIR=build-asan tools/build.sh -DCMAKE_BUILD_TYPE=Debug -DKETENPOORT_SANITIZE=ON \
  -DKETENPOORT_BUILD_BENCH=OFF
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure --timeout 600 -j "$(nproc)"
