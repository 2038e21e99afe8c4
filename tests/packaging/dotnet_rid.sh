#!/usr/bin/env bash
# What a .NET user sees when the platform has no native library in the
# package: a build for a RID the nupkg does not carry fails with MMAPKIT001
# naming the RIDs it does carry, and an application whose native library is
# missing at run time gets a DllNotFoundException saying the same, not a
# list of probe paths. The consumer restores MmapKit from dist/ only.
set -euo pipefail
dotnet=$1 nuget_config=$2 version=$3 work=$4
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
  DOTNET_CLI_USE_MSBUILD_SERVER=0 MSBUILDDISABLENODEREUSE=1 NUGET_PACKAGES=$work/packages
rm -rf "$work" && mkdir -p "$work/app"
cat >"$work/app/App.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <InvariantGlobalization>true</InvariantGlobalization>
    <NuGetAudit>false</NuGetAudit>
    <RestoreConfigFile>$nuget_config</RestoreConfigFile>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="MmapKit" Version="$version" />
  </ItemGroup>
</Project>
XML
cat >"$work/app/Program.cs" <<'CS'
using System;
using var f = MmapKit.MappedFile.CreateShared($"mmapkit-rid-{Environment.ProcessId}", 4096);
Console.WriteLine("mapped " + f.Length);
MmapKit.MappedFile.DeleteShared($"mmapkit-rid-{Environment.ProcessId}");
CS

# 1. A RID the package lacks: the build stops, naming what it carries.
# (No apphost, framework-dependent: nothing else has to exist for that RID.)
if "$dotnet" build "$work/app/App.csproj" -r linux-riscv64 --self-contained false \
  -p:UseAppHost=false -o "$work/riscv" >"$work/riscv.log" 2>&1; then
  echo "dotnet_rid: a linux-riscv64 build succeeded without a native library" >&2; exit 1
fi
grep -q "error MMAPKIT001: MmapKit $version has no native library for the runtime identifier 'linux-riscv64': the package carries linux-x64" "$work/riscv.log" ||
  { tail -20 "$work/riscv.log" >&2; echo "dotnet_rid: no MMAPKIT001 error naming the carried RIDs" >&2; exit 1; }
echo "build for linux-riscv64: $(grep -o 'error MMAPKIT001[^[]*' "$work/riscv.log" | head -n1)"

# 2. A RID-less build (every native in the package): builds and runs.
"$dotnet" build "$work/app/App.csproj" -o "$work/out" >"$work/build.log" 2>&1 ||
  { tail -20 "$work/build.log" >&2; echo "dotnet_rid: the RID-less build failed" >&2; exit 1; }
out=$("$dotnet" "$work/out/App.dll")
[[ $out == "mapped 4096" ]] || { echo "dotnet_rid: the app printed '$out'" >&2; exit 1; }

# 3. The native library gone at run time: one clear message.
rm -rf "$work/out/runtimes"
if "$dotnet" "$work/out/App.dll" >"$work/run.log" 2>&1; then
  echo "dotnet_rid: ran without its native library" >&2; exit 1
fi
grep -q "DllNotFoundException: MmapKit has no native library (mmapkit_native) that loads on this platform, linux-x64" "$work/run.log" &&
  grep -q "the MmapKit package carries linux-x64" "$work/run.log" ||
  { cat "$work/run.log" >&2; echo "dotnet_rid: the run-time error does not say what is missing" >&2; exit 1; }
echo "run without the native: $(grep -o 'DllNotFoundException: [^.]*' "$work/run.log" | head -n1)"
