#!/usr/bin/env bash
# Cross-builds the core and its C tests for 64-bit Windows (mingw-w64) and
# runs them under Wine, in a private WINEPREFIX inside the build directory
# (created on the first run). Tests Wine cannot honour print their skip
# reason. Then the CPython extension's compile and link check for win_amd64
# (cmake/python_win.cmake: no Windows CPython runs here). The JNI and .NET
# DLLs are cross-built by scripts/build.sh and checked in tests/packaging;
# the .NET suite runs on the nupkg's win-x64 native (test-windows-dotnet.sh).
# Build dir: build-windows/ (override with MMAPKIT_WINDOWS_BUILD_DIR).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${MMAPKIT_WINDOWS_BUILD_DIR:-$repo/build-windows}
start=$SECONDS

"$repo/scripts/deps.sh"
export WINEPREFIX="$build/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
mkdir -p "$build"
if [[ ! -f "$WINEPREFIX/system.reg" ]]; then
  echo "== creating the Wine prefix $WINEPREFIX"
  /usr/lib/wine/wine64 wineboot --init >/dev/null 2>&1 || true
  /usr/lib/wine/wineserver -w || true
fi

echo "== Windows cross build (mingw-w64)"
cmake -S "$repo" -B "$build" \
  -DCMAKE_TOOLCHAIN_FILE="$repo/cmake/toolchains/x86_64-w64-mingw32.cmake" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMMAPKIT_PYTHON=ON -DMMAPKIT_JAVA=OFF \
  -DMMAPKIT_DOTNET=OFF -DMMAPKIT_BENCH=OFF >/dev/null
# The core and the C suite only: the binding packages of a cross build
# come with the cross convention's MMAPKIT_NATIVES_ONLY.
cmake --build "$build" -j2 --target mmapkit mmapkit_c_tests

echo "== C suite under Wine"
# Windows finds libmmapkit.dll through PATH (Wine: WINEPATH; Z: is /).
export WINEPATH="Z:${build//\//\\}\\core"
# One at a time: the cases of each suite already run as separate processes,
# and the machine's cores are shared.
rc=0
# (The C example forks: not built for Windows.)
ctest --test-dir "$build" -L '^c$' -E '^c[.]example' --output-on-failure --timeout 600 -V \
  >"$build/ctest-windows.log" 2>&1 || rc=$?
grep -E "^[0-9]+: (ok|not ok) .*|^[0-9]+:   SKIP|^[0-9]+:   FAIL|^[0-9]+: # " \
  "$build/ctest-windows.log" | sed 's/^[0-9]*: //' || true
tail -n 3 "$build/ctest-windows.log"
/usr/lib/wine/wineserver -k 2>/dev/null || true

echo "== CPython extension for win_amd64: compile and link check"
if grep -q '^mmapkit_python:' <(cmake --build "$build" --target help 2>/dev/null | sed 's/^\.\.\. //; s/ .*//; s/$/:/'); then
  if cmake --build "$build" -j2 --target mmapkit_python >"$build/python-win.log" 2>&1; then
    pyd=$(ls "$build"/python/lib/_core.cp311-win_amd64.pyd)
    dump=$(x86_64-w64-mingw32-objdump -p "$pyd")
    imports=$(grep 'DLL Name:' <<<"$dump" | awk '{print tolower($3)}' | sort | tr '\n' ' ')
    exports=$(sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/{/Table/d;p}' <<<"$dump" | grep -o '\] .*' | cut -c3- | tr '\n' ' ')
    echo "   $pyd imports: $imports"
    echo "   exports: $exports"
    for dll in $imports; do
      case $dll in
        kernel32.dll|advapi32.dll|msvcrt.dll|ntdll.dll|python311.dll) ;;
        *) echo "not ok: imports $dll (only Windows' own DLLs and python311.dll)"; rc=1 ;;
      esac
    done
    [[ $imports == *python311.dll* ]] || { echo "not ok: python311.dll not imported"; rc=1; }
    [[ $exports == "PyInit__core " ]] || { echo "not ok: exports beyond PyInit__core"; rc=1; }
  else
    tail -n 20 "$build/python-win.log"
    echo "not ok: the extension does not compile or link for win_amd64"
    rc=1
  fi
else
  echo "   SKIP: no CPython 3.11 headers and libpython3.11.so (pyenv) or no dlltool here"
fi
echo "== .NET suite under Wine (win-x64)"; "$repo/scripts/test-windows-dotnet.sh" || rc=$?
echo "== Windows suites: exit $rc in $((SECONDS - start)) s"
exit $rc
