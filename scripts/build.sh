#!/usr/bin/env bash
# Installs what is missing, cross-builds the other platforms' natives, then
# configures and builds everything into build/ (override with
# MMAPKIT_BUILD_DIR); the packages land in dist/ and carry every native.
# Extra arguments go to the host's CMake configure step; its output (and the
# cross builds') is printed, so a suite that stops being registered shows.
#
# Cross builds (a toolchain file and MMAPKIT_NATIVES_ONLY=ON) write their
# natives to $build/natives/<platform>/, which the host build packs:
#   linux-aarch64   build-aarch64/ (MMAPKIT_ARM64_BUILD_DIR), with the CPython
#                   extension built against scripts/arm64-sysroot.sh's headers
#   windows-x86_64  build-windows-natives/ (MMAPKIT_WINDOWS_NATIVES_BUILD_DIR),
#                   mingw-w64; the languages in windows_langs only
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${MMAPKIT_BUILD_DIR:-$repo/build}
arm64_build=${MMAPKIT_ARM64_BUILD_DIR:-$repo/build-aarch64}
windows_build=${MMAPKIT_WINDOWS_NATIVES_BUILD_DIR:-$repo/build-windows-natives}
# The languages whose Windows native library the packages carry, and those
# libraries' targets (the C example forks: not built for Windows).
windows_langs=(-DMMAPKIT_DOTNET=ON -DMMAPKIT_JAVA=ON -DMMAPKIT_PYTHON=OFF)
windows_targets=(mmapkit_native mmapkit_jni)

"$repo/scripts/deps.sh"
source "$repo/scripts/env.sh"

sysroot=$("$repo/scripts/arm64-sysroot.sh")
cmake -S "$repo" -B "$arm64_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_TOOLCHAIN_FILE="$repo/cmake/toolchains/aarch64-linux-gnu.cmake" \
  -DMMAPKIT_NATIVES_ONLY=ON -DMMAPKIT_NATIVES_DIR="$build/natives" \
  -DMMAPKIT_CROSS_PYTHON_INCLUDE="$sysroot/usr/include/python3.11" \
  -DMMAPKIT_CROSS_PYTHON_SOABI=cpython-311-aarch64-linux-gnu
cmake --build "$arm64_build" -j"$(nproc)"

# Natives only: no tests, benchmarks or examples to configure or build.
cmake -S "$repo" -B "$windows_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_TOOLCHAIN_FILE="$repo/cmake/toolchains/x86_64-w64-mingw32.cmake" \
  -DMMAPKIT_NATIVES_ONLY=ON -DMMAPKIT_NATIVES_DIR="$build/natives" \
  -DBUILD_TESTING=OFF -DMMAPKIT_BENCH=OFF "${windows_langs[@]}"
cmake --build "$windows_build" -j"$(nproc)" --target "${windows_targets[@]}"

cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMMAPKIT_NATIVES_DIR="$build/natives" "$@"
# MMAPKIT_BUILD_TARGETS: only these (demo.sh: the packages and its example).
targets=()
for t in ${MMAPKIT_BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build" -j"$(nproc)" "${targets[@]}"
