#!/usr/bin/env bash
# Runs every libFuzzer target for longer than CI does (default 300 s each,
# one after another), from the seed corpora in fuzz/corpus, and reports
# executions, coverage and findings. New inputs go to build-fuzz/corpus,
# crashes to build-fuzz/findings/<target>; a crash becomes a regression
# test by adding its input to fuzz/corpus/<target>.
#
#   bench/fuzz.sh [seconds-per-target] [target ...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
shift || true
build=build-fuzz
CC=clang CXX=clang++ BUILD_DIR="$build" tools/build.sh -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKETENPOORT_SANITIZE=ON -DKETENPOORT_FUZZ=ON -DKETENPOORT_BUILD_TESTS=OFF \
  -DKETENPOORT_BUILD_BENCH=OFF
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for dir in fuzz/corpus/*/; do targets+=("$(basename "$dir")"); done
fi
printf '%-22s %10s %8s %8s %s\n' target execs exec/s cov findings
for target in "${targets[@]}"; do
  corpus="$build/corpus/$target"
  findings="$build/findings/$target"
  mkdir -p "$corpus" "$findings"
  log="$build/findings/$target.log"
  status=0
  ASAN_OPTIONS=detect_leaks=1 "$build/fuzz/$target" -max_total_time="$seconds" -timeout=20 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$findings/" \
    "$corpus" "fuzz/corpus/$target" >"$log" 2>&1 || status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  found=$(find "$findings" -type f | wc -l)
  printf '%-22s %10s %8s %8s %s\n' "$target" "$execs" "$rate" "$cov" \
    "$([ "$status" -eq 0 ] && echo "$found" || echo "$found (exit $status, see $log)")"
done
