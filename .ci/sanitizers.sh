#!/usr/bin/env bash
# The sanitizer stages of the test suite, run after .ci/test.sh (which installs what they need):
#   1. an AddressSanitizer + UndefinedBehaviorSanitizer build (Debug at -O1) and every test again;
#   2. a ThreadSanitizer build of the concurrency tests (store, engine, tasks, sql) and those tests.
# Build folders: build-asan, build-tsan. Sanitizer reports fail the run. Called by .ci/test.sh
# after the plain and fuzz stages (it relies on the packages install-deps --test brings).
#
# Measured from a clean clone on the 2-core development machine while other builds ran
# (load average 5-8): ASan+UBSan build 13 min + 572 tests 7.5 min; TSan build 18 min, its four
# test programs 38 s. On an idle machine the builds take about half that.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

# -O1: Debug without optimisation makes the sanitized tests several times slower.
sanitizer_build=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" -DSTEPD_BUILD_BENCH=OFF)

step "AddressSanitizer + UndefinedBehaviorSanitizer build and tests"
cmake -S . -B build-asan -DSTEPD_SANITIZE=ON "${sanitizer_build[@]}"
cmake --build build-asan -j2
LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
  ASAN_OPTIONS="detect_leaks=1" \
  ctest --test-dir build-asan --output-on-failure -j2 --timeout 1200

step "ThreadSanitizer build and concurrency tests"
concurrency_tests=(store_test engine_test tasks_test sql_test)
cmake -S . -B build-tsan -DSTEPD_SANITIZE=thread "${sanitizer_build[@]}"
cmake --build build-tsan -j2 --target "${concurrency_tests[@]}"
for t in "${concurrency_tests[@]}"; do
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/sanitizers/tsan.supp" \
    "build-tsan/tests/$t" --gtest_brief=1
done
step "sanitizer stages passed"
