#!/usr/bin/env bash
# The .NET suite on Windows, under Wine: tests/dotnet published as a
# self-contained win-x64 xunit.v3 executable (tests/windows/dotnet) against
# the nupkg in dist/ (scripts/build.sh packs its runtimes/win-x64/native/
# mmapkit_native.dll), run in a private WINEPREFIX in its build directory,
# build-windows-dotnet/ (override with MMAPKIT_WINDOWS_DOTNET_DIR). Tests
# Wine cannot honour skip with their reason, listed at the end. Called by
# scripts/test-windows.sh; non-zero exit on any failure.
#   MMAPKIT_WINDOWS_DOTNET_CLASSES="FromHandleTests RaceTests": only these
#     classes (names of tests/dotnet/*Tests.cs; default: all of them)
#   MMAPKIT_WINDOWS_DOTNET_CLASS_TIMEOUT=180: seconds each class may take
# Rerunning after a change of the Windows native: cross-build it
# (build-windows-natives/, target mmapkit_native, see scripts/build.sh),
# then `cmake --build build --target mmapkit_nupkg` repacks dist/.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${MMAPKIT_WINDOWS_DOTNET_DIR:-$repo/build-windows-dotnet}
dist=$repo/dist
version=$(sed -n 's/^project(mmapkit VERSION \([0-9.]*\).*/\1/p' "$repo/CMakeLists.txt")
nupkg=$dist/MmapKit.$version.nupkg
start=$SECONDS

listing=$(unzip -Z1 "$nupkg") || { echo "test-windows-dotnet: no $nupkg: run scripts/build.sh" >&2; exit 1; }
grep -Fxq runtimes/win-x64/native/mmapkit_native.dll <<<"$listing" ||
  { echo "test-windows-dotnet: $nupkg lacks runtimes/win-x64/native/mmapkit_native.dll" >&2; exit 1; }

# mscoree stays enabled: Wine's loader needs it to map the IL-only
# assemblies (System.Runtime.dll's facade) the runtime loads as images; the
# prefix is created without Mono or Gecko (no installer prompt, headless).
export WINEPREFIX="$dir/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mshtml="
mkdir -p "$dir/run"
if [[ ! -f "$WINEPREFIX/system.reg" ]]; then
  WINEDLLOVERRIDES="mscoree,mshtml=" timeout 120 /usr/lib/wine/wine64 wineboot --init >/dev/null 2>&1 || true
  timeout 60 /usr/lib/wine/wineserver -w || true
fi

# MmapKit from dist/; xunit.v3 and the win-x64 runtime pack from the feed;
# a packages folder of its own, its MmapKit dropped first (NuGet never
# re-extracts a version it holds).
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
rm -rf "$dir/packages/mmapkit" "$dir/publish"
DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
DOTNET_CLI_USE_MSBUILD_SERVER=0 MSBUILDDISABLENODEREUSE=1 NUGET_PACKAGES="$dir/packages" \
  timeout 600 dotnet publish "$repo/tests/windows/dotnet/MmapKit.Tests.Windows.csproj" -nologo -v quiet \
    -c Release -r win-x64 --self-contained -p:UseSharedCompilation=false \
    -p:RestoreConfigFile="$dir/NuGet.config" -p:RestorePackagesPath="$dir/packages" \
    -p:BaseIntermediateOutputPath="$dir/obj/" -p:BaseOutputPath="$dir/bin/" \
    -p:MmapKitVersion="$version" -o "$dir/publish" >"$dir/publish.log" ||
  { cat "$dir/publish.log"; exit 1; }
echo "== .NET (win-x64): published in $((SECONDS - start)) s"

# One process per test class, each bounded: under Wine a failing test hangs
# its process (tests/windows/dotnet/MmapKit.Tests.Windows.csproj says why),
# so a hang is a failure of that class only, reported with its log. The
# children (Child.Start) are this executable too: DOTNET_HOST_PATH is its
# Windows path (Wine's Z: drive is /).
exe=$dir/publish/MmapKit.Tests.Windows.exe
export DOTNET_HOST_PATH="Z:${exe//\//\\}"
classes=${MMAPKIT_WINDOWS_DOTNET_CLASSES:-$(cd "$repo/tests/dotnet" && ls *Tests.cs | sed 's/[.]cs$//')}
failed=() total=0 skipped=0 passed=0 failures=0
rm -f "$dir"/run/*.log
for c in $classes; do
  log=$dir/run/$c.log rc=0
  (cd "$dir/run" && timeout "${MMAPKIT_WINDOWS_DOTNET_CLASS_TIMEOUT:-180}" /usr/lib/wine/wine64 "$exe" \
    -class "MmapKit.Tests.$c" -parallel none -noColor -reporter verbose >"$log" 2>&1) || rc=$?
  summary=$(grep -a 'Total:' "$log" | tail -1 || true)
  echo "$c: ${summary:-no summary (exit $rc)}" | sed 's/MmapKit.Tests.Windows *//; s/, Not Run.*//'
  if ((rc != 0)) || [[ -z $summary ]]; then
    ((rc == 124)) && echo "$c: timed out (a failing test hangs under Wine: see its [FAIL] above)" >>"$log"
    failed+=("$c")
    [[ -z $summary ]] && failures=$((failures + 1))
  fi
  if [[ $summary =~ Total:\ ([0-9]+),\ Errors:\ ([0-9]+),\ Failed:\ ([0-9]+),\ Skipped:\ ([0-9]+) ]]; then
    total=$((total + BASH_REMATCH[1])) skipped=$((skipped + BASH_REMATCH[4]))
    failures=$((failures + BASH_REMATCH[2] + BASH_REMATCH[3]))
    passed=$((passed + BASH_REMATCH[1] - BASH_REMATCH[2] - BASH_REMATCH[3] - BASH_REMATCH[4]))
  fi
done
timeout 60 /usr/lib/wine/wineserver -k 2>/dev/null || true
# Each skip with its reason.
cat "$dir"/run/*.log | grep -a -A1 '\[SKIP\]' | grep -av '^--$' | sed 's/^ *//' | paste -d' ' - - || true
for c in "${failed[@]}"; do
  echo "--- $c"; grep -a -A12 '\[FAIL\]' "$dir/run/$c.log" | head -60 || true; tail -5 "$dir/run/$c.log"
done
result="$passed passed, $failures failed, $skipped skipped"
if ((${#failed[@]})); then
  echo ".NET (win-x64, Wine): FAILED: ${failed[*]} ($total tests ran) in $((SECONDS - start)) s"
  echo "dotnet-windows: $result"
  exit 1
fi
echo ".NET (win-x64, Wine): $total tests in $((SECONDS - start)) s"
echo "dotnet-windows: $result"
