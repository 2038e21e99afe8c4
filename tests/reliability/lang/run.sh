#!/usr/bin/env bash
# Runs one reliability check through one language's INSTALLED package.
#   run.sh LANG WHAT MMK_CRASH DIST WORK
# LANG: python | java | dotnet; WHAT: crash | enospc | truncate | hostile.
# The package comes from DIST the way a user gets it: the wheel pip-installed
# into a venv, the jar alone on the classpath, the nupkg from a local package
# source. Exit 77 (skip) when that package has not been built.
set -euo pipefail
lang=$1 what=$2 crash=$(realpath "$3") dist=$(realpath "$4") work=$(realpath -m "$5")
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../scripts/env.sh"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
mkdir -p "$work"
iterations=${MMAPKIT_CRASH_ITERATIONS:-10}

# fresh PACKAGE STAMP: true when STAMP is missing or older than PACKAGE.
stale() { [[ ! -f $2 || $1 -nt $2 ]]; }

case $lang in
  python)
    pkg=$(mmapkit_wheel "$dist")
    [[ -n $pkg ]] || { echo "skip: no wheel in $dist"; exit 77; }
    env=$work/python
    if stale "$pkg" "$env/.stamp"; then
      rm -rf "$env"
      python3 -m venv "$env"
      "$env/bin/python" -m pip install -q --no-index --no-deps "$pkg"
      touch "$env/.stamp"
    fi
    cmd=("$env/bin/python" "$here/faults.py")
    cd "$work" # never import the source tree
    ;;
  java)
    pkg=$dist/mmapkit-$MMAPKIT_VERSION.jar
    [[ -f $pkg ]] || { echo "skip: no $pkg"; exit 77; }
    env=$work/java
    if stale "$pkg" "$env/.stamp" || [[ $here/Faults.java -nt $env/.stamp ]]; then
      rm -rf "$env" && mkdir -p "$env"
      "$JAVA_HOME/bin/javac" -d "$env" -cp "$pkg" "$here/Faults.java"
      touch "$env/.stamp"
    fi
    cmd=("$JAVA_HOME/bin/java" -cp "$pkg:$env" Faults)
    ;;
  dotnet)
    pkg=$(ls -t "$dist"/MmapKit.*.nupkg 2>/dev/null | head -n1 || true)
    [[ -n $pkg ]] || { echo "skip: no nupkg in $dist"; exit 77; }
    command -v dotnet >/dev/null || { echo "skip: no dotnet SDK"; exit 77; }
    env=$work/dotnet
    if stale "$pkg" "$env/.stamp" || [[ $here/dotnet/Program.cs -nt $env/.stamp ]]; then
      rm -rf "$env" && mkdir -p "$env/src"
      cp "$here/dotnet/Faults.csproj" "$here/dotnet/Program.cs" "$env/src/"
      version=$(basename "$pkg" .nupkg); version=${version#MmapKit.}
      sed -i "s|Include=\"MmapKit\" Version=\"[^\"]*\"|Include=\"MmapKit\" Version=\"$version\"|" "$env/src/Faults.csproj"
      printf '<?xml version="1.0" encoding="utf-8"?>\n<configuration><packageSources><clear />\n  <add key="dist" value="%s" />\n</packageSources></configuration>\n' \
        "$dist" >"$env/src/nuget.config"
      # A private package folder so a rebuilt nupkg of the same version is used.
      NUGET_PACKAGES=$env/packages dotnet build "$env/src/Faults.csproj" -c Release \
        -o "$env/out" -nologo -v quiet
      touch "$env/.stamp"
    fi
    cmd=(dotnet "$env/out/Faults.dll")
    ;;
  *) echo "run.sh: unknown language $lang" >&2; exit 2 ;;
esac

case $what in
  crash) exec "$crash" kill --iterations "$iterations" --label "$lang" --dir "$work/crash" -- "${cmd[@]}" writer ;;
  enospc) exec "$crash" sandbox 1024 -- "${cmd[@]}" enospc ;;
  truncate) exec "${cmd[@]}" truncate "$work/truncate" ;;
  hostile)
    [[ $lang == python ]] && exec "$env/bin/python" "$here/hostile.py" "$work/hostile"
    exec "${cmd[@]}" hostile "$work/hostile" ;;
  *) echo "run.sh: unknown check $what" >&2; exit 2 ;;
esac
