#!/usr/bin/env bash
# The whole test suite, twice: an optimized build and an AddressSanitizer +
# UndefinedBehaviorSanitizer build (leak checking on).  Tests that need a GPU
# carry the ctest label "gpu" and run only through scripts/gpu_check.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

jobs=$(nproc 2>/dev/null || echo 2)
export EVALBENCH_DATA="${EVALBENCH_DATA:-$(cd .. && pwd)/shared/data}"

echo "== tests: optimized build"
ctest --test-dir build --output-on-failure -LE gpu -j"$jobs" --timeout 1200

echo "== tests: ASan + UBSan build"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEVALBENCH_SANITIZE=ON -DEVALBENCH_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -LE gpu -j"$jobs" --timeout 2400

# A packager's build type must build clean under -Werror too (-O3 finds
# warnings the other two do not); the C code is what differs, so the CUDA
# backend is left to the builds above.
echo "== build: Release"
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DEVALBENCH_BUILD_BENCH=OFF -DEVALBENCH_CUDA=OFF >/dev/null
cmake --build build-release -j"$jobs"
