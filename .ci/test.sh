#!/usr/bin/env bash
# The test command (README, "Build and run the whole test suite"), run by .ci/run:
#   1. installs what is missing (.ci/install-deps.sh --test);
#   2. the plain build (RelWithDebInfo) and every test: unit, integration, conformance;
#   3. the libFuzzer targets (tests/fuzz) in a clang build with ASan and UBSan, each run for a
#      bounded time (label fuzz);
#   4. the sanitizer stages (.ci/sanitizers.sh): every test again under ASan + UBSan, and the
#      concurrency tests under TSan.
# Time on a 2-core machine: about 12 + 5 + 35 minutes (measured figures in .ci/sanitizers.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/install-deps.sh --test

step() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "plain build and tests"
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build-test -j2
ctest --test-dir build-test --output-on-failure -j2 --timeout 600

step "fuzz targets, bounded runs"
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DSTEPD_FUZZ=ON -DSTEPD_BUILD_BENCH=OFF
cmake --build build-fuzz -j2 --target fuzz_targets
ctest --test-dir build-fuzz -L fuzz --output-on-failure

bash .ci/sanitizers.sh

step "all tests passed"
