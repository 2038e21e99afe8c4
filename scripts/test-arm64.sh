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
#   .NET     the tests/dotnet classes in DOTNET_CLASSES, as a self-contained
#            linux-arm64 xunit.v3 executable (tests/arm64/dotnet)
#   Java     the tests/java classes in JAVA_CLASSES, on the emulated JDK
#   atomics  the tests/atomics scenarios in ATOMICS_SCENARIOS, every worker
#            process emulated
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
# The emulated .NET and Java runs are slow (a JVM or .NET runtime start
# takes tens of seconds): these subsets cover views, copies, typed access,
# flush, resize, truncation faults (and the runtime's own report of a fault
# not ours), atomics and wait/wake across processes, locks, the loader and
# the guard's install call within the time budget. What qemu cannot
# reproduce skips at run time with the reason (Emulator.SkipRest).
DOTNET_CLASSES=${MMAPKIT_ARM64_DOTNET_CLASSES:-"MappedFileTests MappedViewTests AtomicsTests PinTests LockTests FaultTests FaultReportTests"}
JAVA_CLASSES=${MMAPKIT_ARM64_JAVA_CLASSES:-"MappedViewTest MappedFileTest AtomicsTest LockInterruptTest ChildProcessTest"}
# MMAPKIT_ARM64_SUITES picks suites when iterating on one (default: all).
SUITES=${MMAPKIT_ARM64_SUITES:-"packages c python dotnet java atomics"}
ATOMICS_SCENARIOS=${MMAPKIT_ARM64_ATOMICS_SCENARIOS:-"counter spinlock ring_python_java ring_dotnet_python ring_java_dotnet"}

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
# The whole listing is read before grep decides: `unzip -l | grep -q` stops
# reading at the first match, and under pipefail unzip's SIGPIPE (141) fails
# the run whenever the listing is larger than the pipe.
has_entry() {
  local listing
  listing=$(unzip -Z1 "$1") || return 1
  grep -Fxq "$2" <<<"$listing" || { echo "test-arm64: $1 lacks $2" >&2; return 1; }
}
check_packages() {
  local wheel jar=$dist/mmapkit-$version.jar nupkg=$dist/MmapKit.$version.nupkg
  wheel=$(ls "$dist"/mmapkit-"$version"-cp311-cp311-manylinux_2_*_aarch64.whl)
  has_entry "$jar" "org/mmapkit/native/linux-aarch64/libmmapkit_jni.so"
  has_entry "$nupkg" "runtimes/linux-arm64/native/libmmapkit_native.so"
  has_entry "$wheel" "mmapkit/_core.cpython-311-aarch64-linux-gnu.so"
  echo "$(basename "$jar"): linux-aarch64; $(basename "$nupkg"): linux-arm64; $(basename "$wheel")"
}

# A venv of the emulated CPython with the aarch64 wheel installed.
python_venv() {
  local venv=$1 wheel
  wheel=$(ls "$dist"/mmapkit-"$version"-cp311-cp311-manylinux_2_*_aarch64.whl)
  rm -rf "$venv"
  # --copies: a symlinked interpreter would point at the host's /usr/bin.
  "$sysroot/usr/bin/python3.11" -m venv --without-pip --copies "$venv"
  # The host's pip installs it, checking the wheel's tags against the target.
  python3 -m pip install -q --no-index --no-deps --disable-pip-version-check \
    --root-user-action=ignore --target "$venv/lib/python3.11/site-packages" \
    --platform "$(basename "$wheel" .whl | sed 's/.*-//')" --implementation cp \
    --python-version 3.11 --abi cp311 --only-binary=:all: "$wheel"
}

python_suite() {
  local venv=$work/py-venv run=$work/py-run logs=$work/py-logs
  rm -rf "$run" "$logs"
  mkdir -p "$run" "$logs"
  python_venv "$venv"
  local modules=()
  for t in "$repo"/tests/python/test_*.py; do
    t=$(basename "$t" .py)
    [[ $t == test_numpy || $t == test_races ]] || modules+=("$t")
  done
  # Two at a time (the machine has two cores), each module's log kept.
  printf '%s\n' "${modules[@]}" | (cd "$run" &&
    PYTHONPATH="$repo/tests/python" PYTHONDONTWRITEBYTECODE=1 \
      MMK_TEST_EMULATOR=qemu-aarch64 xargs -P2 -I{} \
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

# dotnet_publish PROJECT OUT: a self-contained linux-arm64 publish into OUT.
# MmapKit from dist/; the rest (xunit.v3, the linux-arm64 runtime pack) from
# the feed (the offline folder has neither); one packages folder for every
# publish, its MmapKit dropped first (NuGet never re-extracts a version it
# holds).
dotnet_publish() {
  local project=$1 out=$2 dir=$work/dotnet name
  name=$(basename "$project" .csproj)
  mkdir -p "$dir"
  cat >"$dir/NuGet.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="dist" value="$dist" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="dist"><package pattern="MmapKit" /></packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
CONFIG
  rm -rf "$dir/packages/mmapkit" "$out"
  DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
  DOTNET_CLI_USE_MSBUILD_SERVER=0 MSBUILDDISABLENODEREUSE=1 NUGET_PACKAGES="$dir/packages" \
    dotnet publish "$project" -nologo -v quiet \
      -c Release -r linux-arm64 --self-contained -p:UseSharedCompilation=false \
      -p:RestoreConfigFile="$dir/NuGet.config" -p:RestorePackagesPath="$dir/packages" \
      -p:BaseIntermediateOutputPath="$dir/obj-$name/" -p:BaseOutputPath="$dir/bin-$name/" \
      -p:MmapKitVersion="$version" -o "$out" >"$dir/publish-$name.log" ||
    { cat "$dir/publish-$name.log"; return 1; }
}

dotnet_suite() {
  local dir=$work/dotnet exe
  mkdir -p "$dir/run"
  dotnet_publish "$repo/tests/arm64/dotnet/MmapKit.Tests.Arm64.csproj" "$dir/publish"
  exe=$dir/publish/MmapKit.Tests.Arm64
  local args=()
  for c in $DOTNET_CLASSES; do args+=(-class "MmapKit.Tests.$c"); done
  # The children (Child.Start) are this executable too: see Arm64Entry.cs.
  (cd "$dir/run" && DOTNET_HOST_PATH=$exe MMK_TEST_EMULATOR=qemu-aarch64 "$exe" "${args[@]}" -parallel none -noColor >"$dir/run.log" 2>&1) ||
    { tail -60 "$dir/run.log"; echo ".NET (arm64): FAILED"; return 1; }
  echo ".NET (arm64): $(grep -a 'Total:' "$dir/run.log" | tail -1 | sed 's/^ *//')"
}

java_suite() {
  local dir=$work/java jdk=$sysroot/usr/lib/jvm/java-17-openjdk-arm64
  local cp=$dist/mmapkit-$version.jar:$build/java/mmapkit-tests.jar args=()
  mkdir -p "$dir"
  for c in $JAVA_CLASSES; do args+=(--select-class "org.mmapkit.tests.$c"); done
  # C1 only: the emulated C2 compiler costs more than it gains in a test run.
  (cd "$dir" && "$jdk/bin/java" -Xmx512m -XX:TieredStopAtLevel=1 \
    "-Dmmapkit.test.classpath=$cp" "-Dmmapkit.test.java=$jdk/bin/java" \
    "-Dmmapkit.test.planted=$arm64_build/java/planted/libmmapkit_jni.so" \
    -cp "$cp:/usr/share/java/junit-platform-console-standalone.jar" \
    org.junit.platform.console.ConsoleLauncher --disable-banner --disable-ansi-colors \
    --details=summary --fail-if-no-tests "${args[@]}" >"$dir/run.log" 2>&1) ||
    { tail -80 "$dir/run.log"; echo "Java (aarch64): FAILED"; return 1; }
  echo "Java (aarch64): $(grep -E 'tests (successful|failed|skipped)' "$dir/run.log" | tr -s ' []' ' ' | paste -sd,)"
}

# The cross-language atomics scenarios (tests/atomics) with every process
# emulated: processes of different machines share no memory, so mixing
# native workers in would test nothing. run_cross.py gets the emulated
# worker commands (--workers) instead of installing its own.
atomics_suite() {
  local dir=$work/atomics jdk=$sysroot/usr/lib/jvm/java-17-openjdk-arm64
  local jar=$dist/mmapkit-$version.jar src=$repo/tests/atomics
  rm -rf "$dir"
  mkdir -p "$dir/java"
  python_venv "$dir/py-venv"
  # Bytecode is the same for every machine: the host's javac compiles it.
  "${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}/bin/javac" --release 17 \
    -encoding UTF-8 -Xlint:all -Werror -d "$dir/java" -cp "$jar" "$src/java/AtomicsWorker.java"
  dotnet_publish "$src/dotnet/AtomicsWorker.csproj" "$dir/dotnet"
  python3 - "$dir" "$src" "$jdk" "$jar" <<'PY'
import json, sys
d, src, jdk, jar = sys.argv[1:]
json.dump({"python": [d + "/py-venv/bin/python", src + "/python/worker.py"],
           "java": [jdk + "/bin/java", "-Xmx256m", "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1", "-Xbatch", "-cp", jar + ":" + d + "/java",
                    "AtomicsWorker"],
           "dotnet": [d + "/dotnet/AtomicsWorker"]}, open(d + "/workers.json", "w"))
PY
  local args=()
  for s in $ATOMICS_SCENARIOS; do args+=(--scenario "$s"); done
  # Emulated JITs are slow enough that a runtime still compiling in the
  # background (.NET's tier-1 thread, HotSpot's C1 queue) spends a ring
  # reader's idle window: compile in the foreground, before the wait.
  DOTNET_TieredCompilation=0 python3 "$src/run_cross.py" --workers "$dir/workers.json" --build-dir "$dir/work" \
    --timeout 300 "${args[@]}" >"$dir/run.log" 2>&1 ||
    { cat "$dir/run.log"; echo "atomics (aarch64): FAILED"; return 1; }
  grep -v '^\[setup\]' "$dir/run.log"
}

section() { echo "== arm64 $1 ($((SECONDS - start)) s)"; }

register_binfmt
sysroot=$("$repo/scripts/arm64-sysroot.sh")
export QEMU_LD_PREFIX=$sysroot # inherited by every emulated child
mkdir -p "$work"

wanted() { [[ " $SUITES " == *" $1 "* ]]; }
if wanted packages; then section "packages"; check_packages; fi
if wanted c; then
  section "C suite under qemu-aarch64"
  ctest --test-dir "$arm64_build" -L '^c$' -j2 --output-on-failure --timeout 600
fi
if wanted python; then section "Python suite on the emulated CPython"; python_suite; fi
if wanted dotnet; then section ".NET suite, self-contained linux-arm64"; dotnet_suite; fi
if wanted java; then section "Java suite on the emulated JDK 17"; java_suite; fi
if wanted atomics; then section "cross-language atomics, all emulated"; atomics_suite; fi
echo "== arm64 suites passed in $((SECONDS - start)) s"
