#!/usr/bin/env bash
# The test command (README, "Build and run the whole test suite"), run by .ci/run:
#   1. installs what is missing (.ci/install-deps.sh --test);
#   2. the plain build (RelWithDebInfo) and every test: unit, integration, conformance;
# The sanitizer builds (.ci/sanitizers.sh) are not part of it yet: they join once their time on
# CI's two cores is measured (issue 5).
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/install-deps.sh --test

step() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "plain build and tests"
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build-test -j2
ctest --test-dir build-test --output-on-failure -j2 --timeout 600

step "all tests passed"
