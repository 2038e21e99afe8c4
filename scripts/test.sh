#!/usr/bin/env bash
# The README's test command: installs what is missing, builds everything,
# leaves the wheel, jars and nupkg in dist/, and runs every test suite:
# C (plain, under ASan+UBSan, under ThreadSanitizer, and with the portable
# fault guard and Windows' 64 KiB granularity), Python, Java, .NET,
# packaging, the Windows C suites under Wine (scripts/test-windows.sh) and
# the Linux arm64 suites under qemu (scripts/test-arm64.sh).
# Non-zero exit on any failure.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${MMAPKIT_BUILD_DIR:-$repo/build}
asan_build=${MMAPKIT_ASAN_BUILD_DIR:-$repo/build-asan}
tsan_build=${MMAPKIT_TSAN_BUILD_DIR:-$repo/build-tsan}
portable_build=${MMAPKIT_PORTABLE_BUILD_DIR:-$repo/build-portable}
start=$SECONDS

"$repo/scripts/build.sh"
ctest --test-dir "$build" --output-on-failure --timeout 600
# Issue 15's measure: CPython's own test_mmap against mmapkit.mmap, per CPython.
grep -h "^test_mmap of CPython .* against mmapkit.mmap:" "$build/Testing/Temporary/LastTest.log" | sed 's/^/== /' || true

echo "== C suite under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S "$repo" -B "$asan_build" -DCMAKE_BUILD_TYPE=Debug \
  -DMMAPKIT_SANITIZE=address,undefined -DMMAPKIT_PYTHON=OFF \
  -DMMAPKIT_JAVA=OFF -DMMAPKIT_DOTNET=OFF -DMMAPKIT_BENCH=OFF
cmake --build "$asan_build" -j"$(nproc)"
ctest --test-dir "$asan_build" -L '^c$' --output-on-failure --timeout 600

# The leases, the in-place resize and wait/wake are lock-free between threads.
echo "== C suite under ThreadSanitizer"
cmake -S "$repo" -B "$tsan_build" -DCMAKE_BUILD_TYPE=Debug \
  -DMMAPKIT_SANITIZE=thread -DMMAPKIT_PYTHON=OFF \
  -DMMAPKIT_JAVA=OFF -DMMAPKIT_DOTNET=OFF -DMMAPKIT_BENCH=OFF
cmake --build "$tsan_build" -j"$(nproc)"
ctest --test-dir "$tsan_build" -L '^c$' --output-on-failure --timeout 600

# x86-64 Linux copies and atomics use assembly routines (core/src/arch/)
# that the fault handler recognises; elsewhere a sigsetjmp guard does that
# job, and Windows maps at a 64 KiB granularity, not the page. Run the C
# suite through both differences too, or they would never run here.
echo "== C suite with the portable (sigsetjmp) fault guard and 64 KiB granularity"
cmake -S "$repo" -B "$portable_build" -DCMAKE_BUILD_TYPE=Release \
  -DMMAPKIT_PORTABLE_GUARD=ON -DCMAKE_C_FLAGS=-DMMK_GRAN_TEST \
  -DMMAPKIT_PYTHON=OFF -DMMAPKIT_JAVA=OFF -DMMAPKIT_DOTNET=OFF \
  -DMMAPKIT_BENCH=OFF
cmake --build "$portable_build" -j"$(nproc)"
ctest --test-dir "$portable_build" -L '^c$' --output-on-failure --timeout 600

# The Windows core and its C suite, cross-built and run under Wine.
"$repo/scripts/test-windows.sh"

# build.sh cross-built build-aarch64/: its suites under qemu-aarch64.
echo "== Linux arm64 suites under emulation"
"$repo/scripts/test-arm64.sh"

echo "== all suites passed in $((SECONDS - start)) s; packages:"
ls -1 "$repo/dist"
