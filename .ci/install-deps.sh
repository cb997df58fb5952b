#!/usr/bin/env bash
# Installs, with apt, the Debian 12 packages stepd needs to build (and, with --test, to run its
# tests), skipping every package that is already installed: on a machine that has everything
# this does no apt work at all. Runs as root, or through sudo when not root.
#
#   bash .ci/install-deps.sh          # build dependencies
#   bash .ci/install-deps.sh --test   # build dependencies + test tools (python3, curl, aws,
#                                     # the PostgreSQL server the SQL-step tests start themselves,
#                                     # clang with libFuzzer for the fuzz targets)
set -euo pipefail

with_test_tools=0
for arg in "$@"; do
  case "$arg" in
    --test) with_test_tools=1 ;;
    -h | --help)
      sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "install-deps.sh: unknown argument '$arg' (expected --test)" >&2
      exit 2
      ;;
  esac
done

packages=(
  # toolchain
  cmake make g++ pkg-config
  # libraries
  libcpprest-dev libpq-dev libsqlite3-dev nlohmann-json3-dev libspdlog-dev libssl-dev
  libgtest-dev libbenchmark-dev
)
if [[ $with_test_tools == 1 ]]; then
  # clang and its runtimes (libFuzzer, sanitizers) build the fuzz targets of tests/fuzz
  packages+=(python3 curl postgresql clang libclang-rt-14-dev)
  # The AWS CLI may come from elsewhere (pip, pyenv); Debian's package only when none works.
  if ! aws --version >/dev/null 2>&1; then
    packages+=(awscli)
  fi
  # boto3 runs the worker example (examples/workers) in the auth tests.
  if ! python3 -c 'import boto3' >/dev/null 2>&1; then
    packages+=(python3-boto3)
  fi
fi

installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
if [[ ${#missing[@]} == 0 ]]; then
  exit 0
fi

if [[ $(id -u) == 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-deps.sh: missing packages (${missing[*]}); run as root or install sudo" >&2
  exit 1
fi

echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps.sh: done"
