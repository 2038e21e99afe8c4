#!/usr/bin/env bash
# The README's test command: installs what is missing, builds everything,
# leaves the wheel, jars and nupkg in dist/, and runs every test suite:
# C (plain and under ASan+UBSan), Python, Java, .NET, packaging.
# Non-zero exit on any failure.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${MMAPKIT_BUILD_DIR:-$repo/build}
asan_build=${MMAPKIT_ASAN_BUILD_DIR:-$repo/build-asan}
start=$SECONDS

"$repo/scripts/build.sh"
ctest --test-dir "$build" --output-on-failure --timeout 600

echo "== C suite under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S "$repo" -B "$asan_build" -DCMAKE_BUILD_TYPE=Debug \
  -DMMAPKIT_SANITIZE=address,undefined -DMMAPKIT_PYTHON=OFF \
  -DMMAPKIT_JAVA=OFF -DMMAPKIT_DOTNET=OFF -DMMAPKIT_BENCH=OFF >/dev/null
cmake --build "$asan_build" -j"$(nproc)"
ctest --test-dir "$asan_build" -L '^c$' --output-on-failure --timeout 600

echo "== all suites passed in $((SECONDS - start)) s; packages:"
ls -1 "$repo/dist"
