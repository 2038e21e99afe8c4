#!/usr/bin/env bash
# SIGBUS handlers installed after mmapkit, through one language's INSTALLED
# package (the wheel pip-installed into a venv, the jar alone on the
# classpath), each case in its own process under a watchdog.
#   run.sh LANG DIST WORK      LANG: python | java
# Exit 77 (skip) when that package has not been built.
set -euo pipefail
lang=$1 dist=$(realpath "$2") work=$(realpath -m "$3")
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../../scripts/env.sh"
mkdir -p "$work"

case $lang in
  python)
    pkg=$(mmapkit_wheel "$dist")
    [[ -n $pkg ]] || { echo "skip: no wheel in $dist"; exit 77; }
    env=$work/python-venv
    if [[ ! -f $env/.stamp || $pkg -nt $env/.stamp ]]; then
      rm -rf "$env"
      python3 -m venv "$env"
      "$env/bin/python" -m pip install -q --no-index --no-deps "$pkg"
      touch "$env/.stamp"
    fi
    cd "$work" # never import the source tree
    exec "$env/bin/python" "$here/handlers.py" "$work/files"
    ;;
  java)
    pkg=$dist/mmapkit-$MMAPKIT_VERSION.jar
    [[ -f $pkg ]] || { echo "skip: no $pkg"; exit 77; }
    classes=$work/java-classes
    if [[ ! -f $classes/.stamp || $pkg -nt $classes/.stamp || $here/Handlers.java -nt $classes/.stamp ]]; then
      rm -rf "$classes" && mkdir -p "$classes"
      "$JAVA_HOME/bin/javac" -nowarn -XDignore.symbol.file -d "$classes" -cp "$pkg" \
        "$here/Handlers.java" 2>&1 | grep -v "internal proprietary API\|^Note:\|warning" || true
      touch "$classes/.stamp"
    fi
    failures=0
    for c in signal-bulk signal-small jdk-unsafe; do
      rc=0
      timeout -s KILL 60 "$JAVA_HOME/bin/java" -cp "$pkg:$classes" Handlers "$c" "$work/files" || rc=$?
      if [[ $rc -ne 0 ]]; then
        [[ $rc -eq 137 ]] && echo "FAIL $c: hung for 60 s (livelock), killed by the watchdog"
        echo "FAIL $c: exit $rc"
        failures=$((failures + 1))
      fi
    done
    exit $((failures > 0))
    ;;
  *) echo "run.sh: unknown language $lang" >&2; exit 2 ;;
esac
