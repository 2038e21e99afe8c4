#!/usr/bin/env bash
# Installs what is missing, configures and builds everything into build/
# (override with MMAPKIT_BUILD_DIR); the packages land in dist/.
# Extra arguments go to the CMake configure step.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${MMAPKIT_BUILD_DIR:-$repo/build}

"$repo/scripts/deps.sh"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
