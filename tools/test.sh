#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite three
# times: in the normal build; with clang under AddressSanitizer + UBSan,
# where the fuzz targets are built too and each runs briefly; and under
# ThreadSanitizer. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh

echo "== build and test (RelWithDebInfo) =="
BUILD_DIR=build tools/build.sh
ctest --test-dir build --output-on-failure --timeout 300 -j "$(nproc)"

echo "== build and test (clang, ASan + UBSan, fuzz targets) =="
CC=clang CXX=clang++ BUILD_DIR=build-asan tools/build.sh -DCMAKE_BUILD_TYPE=Debug \
  -DKETENPOORT_SANITIZE=ON -DKETENPOORT_FUZZ=ON -DKETENPOORT_BUILD_BENCH=OFF
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure --timeout 600 -j "$(nproc)"

echo "== build and test (ThreadSanitizer) =="
BUILD_DIR=build-tsan tools/build.sh -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKETENPOORT_TSAN=ON \
  -DKETENPOORT_BUILD_BENCH=OFF
# Our own threads are checked everywhere. In the integration tests the
# gateway runs under gRPC, whose hand-overs between threads TSan cannot
# see (decision 0022): those tests get the extra suppressions.
supp="$PWD/build-tsan/tsan.supp"
{
  cat tools/tsan.supp
  ldd build-tsan/gateway/ketenpoort-gateway build-tsan/tests/ketenpoort_integration_tests |
    awk '/libabsl_/ { print "called_from_lib:" $1 }' | sort -u
} >"$supp"
cat "$supp" tools/tsan-integration.supp >"$supp.integration"
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$supp" \
  ctest --test-dir build-tsan --output-on-failure --timeout 600 -j "$(nproc)" -LE integration
# suppress_equal_addresses=0: ThreadSanitizer remembers the address of
# every race it saw, suppressed ones too, in a list it scans for each new
# race. The suppressed races on gRPC's call objects add an address per
# call, so a test with a thousand calls spent minutes in that scan (the
# gateway seemed to hang on shutdown). Reports are still deduplicated by
# stack.
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppress_equal_addresses=0 suppressions=$supp.integration" \
  ctest --test-dir build-tsan --output-on-failure --timeout 600 -j "$(nproc)" -L integration
