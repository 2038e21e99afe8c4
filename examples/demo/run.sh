#!/usr/bin/env bash
# The cross-language demo: installs each package from dist/ the way a user
# would, then runs examples/demo/demo.py, which creates a named shared-memory
# region and a mapped file in Python and has a Java and a .NET process attach
# by name, write under byte-range locks, flush, count, and check each other.
#
#   examples/demo/run.sh            (scripts/demo.sh builds dist/ first)
#
# Python: a venv + pip install of the wheel; Java: the demo compiled with
# javac against the jar alone, run with `java -cp`; .NET: a console project
# that consumes the nupkg from a local package source. Everything it creates
# lives under MMAPKIT_DEMO_DIR (default build/demo).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
here=$repo/examples/demo
dist=${MMAPKIT_DIST_DIR:-$repo/dist}
work=${MMAPKIT_DEMO_DIR:-${MMAPKIT_BUILD_DIR:-$repo/build}/demo}
source "$repo/scripts/env.sh"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
mkdir -p "$work"

wheel=$(mmapkit_wheel "$dist")
jar=$dist/mmapkit-$MMAPKIT_VERSION.jar
nupkg=$(ls -t "$dist"/MmapKit.*.nupkg 2>/dev/null | head -n1 || true)
missing=()
[[ -n $wheel ]] || missing+=("the wheel (mmapkit-*.whl)")
[[ -f $jar ]] || missing+=("the jar ($(basename "$jar"))")
[[ -n $nupkg ]] || missing+=("the nupkg (MmapKit.*.nupkg)")
if ((${#missing[@]})); then
  echo "demo: $dist lacks ${missing[*]}; build first (scripts/build.sh)" >&2
  # Under ctest (tests/reliability) a missing package is a skip, not a failure.
  exit "${MMAPKIT_DEMO_MISSING_RC:-1}"
fi
version=$(basename "$nupkg" .nupkg); version=${version#MmapKit.}

step() { printf '%-82s' "$1"; }
t0=$SECONDS

step "Python: venv + pip install $(basename "$wheel")"
s=$SECONDS
if [[ ! -x $work/venv/bin/python ]]; then
  python3 -m venv "$work/venv" >"$work/venv.log" 2>&1
fi
"$work/venv/bin/python" -m pip install -q --no-index --no-deps --force-reinstall "$wheel" \
  >>"$work/venv.log" 2>&1 || { echo; cat "$work/venv.log" >&2; exit 1; }
echo "$((SECONDS - s)) s"

step "Java: javac Demo.java against $(basename "$jar")"
s=$SECONDS
rm -rf "$work/java" && mkdir -p "$work/java"
"$JAVA_HOME/bin/javac" -d "$work/java" -cp "$jar" "$here/java/Demo.java"
echo "$((SECONDS - s)) s"

step ".NET: console project on MmapKit $version (local source)"
s=$SECONDS
rm -rf "$work/dotnet" && mkdir -p "$work/dotnet"
cp "$here/dotnet/Demo.csproj" "$here/dotnet/Program.cs" "$work/dotnet/"
sed -i "s|<PackageReference Include=\"MmapKit\" Version=\"[^\"]*\"|<PackageReference Include=\"MmapKit\" Version=\"$version\"|" \
  "$work/dotnet/Demo.csproj"
cat >"$work/dotnet/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="mmapkit-dist" value="$dist" />
  </packageSources>
</configuration>
XML
# A private package folder: a rebuilt nupkg of the same version must not be
# shadowed by a cached copy.
export NUGET_PACKAGES=$work/nuget-packages
rm -rf "$NUGET_PACKAGES/mmapkit"
dotnet build "$work/dotnet/Demo.csproj" -c Release -o "$work/dotnet/out" -nologo -v quiet \
  >"$work/dotnet-build.log" 2>&1 || { echo; cat "$work/dotnet-build.log" >&2; exit 1; }
echo "$((SECONDS - s)) s"
echo

# Run from the work directory so Python imports the installed wheel.
cd "$work"
"$work/venv/bin/python" "$here/demo.py" run --dir "$work" \
  --java "$JAVA_HOME/bin/java -cp $jar:$work/java Demo" \
  --dotnet "dotnet $work/dotnet/out/Demo.dll" "$@"
echo "(demo total $((SECONDS - t0)) s)"
