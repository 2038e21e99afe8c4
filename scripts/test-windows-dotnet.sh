#!/usr/bin/env bash
# The .NET suite on Windows, under Wine: tests/dotnet published as a
# self-contained win-x64 xunit.v3 executable (tests/windows/dotnet) against
# the nupkg in dist/ (scripts/build.sh packs its runtimes/win-x64/native/
# mmapkit_native.dll), run in a private WINEPREFIX in its build directory,
# build-windows-dotnet/ (override with MMAPKIT_WINDOWS_DOTNET_DIR). Tests
# Wine cannot honour skip with their reason, listed at the end. Called by
# scripts/test-windows.sh; non-zero exit on any failure.
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

# The children (Child.Start) are this executable too: DOTNET_HOST_PATH is
# its Windows path (Wine's Z: drive is /).
exe=$dir/publish/MmapKit.Tests.Windows.exe
rc=0
(cd "$dir/run" && DOTNET_HOST_PATH="Z:${exe//\//\\}" timeout 600 /usr/lib/wine/wine64 "$exe" \
  -parallel none -noColor -reporter verbose "$@" >"$dir/run.log" 2>&1) || rc=$?
timeout 60 /usr/lib/wine/wineserver -k 2>/dev/null || true
grep -a -A2 '\[SKIP\]' "$dir/run.log" | grep -av '^--$' || true
if ((rc != 0)); then
  tail -80 "$dir/run.log"
  echo ".NET (win-x64, Wine): FAILED (exit $rc) in $((SECONDS - start)) s"
  exit 1
fi
echo ".NET (win-x64, Wine): $(grep -a 'Total:' "$dir/run.log" | tail -1 | sed 's/^ *//') in $((SECONDS - start)) s"
