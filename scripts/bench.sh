#!/usr/bin/env bash
# Runs every benchmark in one go and writes bench/results/latest.md,
# latest.json and chart.svg: mmapkit in each language against its peers and
# against the machine's limits (bench/report/limits.c), measured in the same
# run, with the page-cache state of first-touch figures controlled.
#
#   scripts/bench.sh [--no-build] [--only c,python,java,dotnet] [--limits-mib N]
#
# A language whose benchmark or package is missing is reported as such in
# the report; the script still succeeds. It fails only when nothing at all
# could be measured. Other knobs: MMAPKIT_BUILD_DIR (default build/),
# MMAPKIT_BENCH_TIMEOUT (seconds per suite, default 900).
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${MMAPKIT_BUILD_DIR:-$repo/build}
dist=${MMAPKIT_DIST_DIR:-$repo/dist}
timeout_s=${MMAPKIT_BENCH_TIMEOUT:-900}
do_build=1 only="limits,c,python,java,dotnet" limits_mib=256
while (($#)); do
  case $1 in
    --no-build) do_build=0; shift ;;
    --only) only="limits,$2"; shift 2 ;;
    --limits-mib) limits_mib=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
source "$repo/scripts/env.sh"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ((do_build)); then
  "$repo/scripts/build.sh" || { echo "bench.sh: build failed" >&2; exit 1; }
fi
work=$build/bench-report
rm -rf "$work/json"
mkdir -p "$work/json" "$work/logs" "$repo/bench/results"

declare -A status detail
want() { [[ ,$only, == *,$1,* ]]; }
note() { status[$1]=$2; detail[$1]=$3; echo "bench: $1: $2${3:+ ($3)}"; }

# run SUITE LOG CMD...: runs one benchmark with a timeout; records status.
run() {
  local suite=$1 log=$2; shift 2
  echo "bench: $suite: $*"
  if timeout "$timeout_s" "$@" >"$log" 2>&1; then
    return 0
  fi
  local rc=$?
  note "$suite" failed "exit $rc: $(tail -n 3 "$log" | tr '\n' ' ' | cut -c1-300)"
  return 1
}

# --- the machine's limits ---------------------------------------------------
if want limits; then
  cc=${CC:-cc}
  if "$cc" -O2 -pthread -o "$work/limits" "$repo/bench/report/limits.c" 2>"$work/logs/limits-build.log"; then
    run limits "$work/logs/limits.log" "$work/limits" --size "$limits_mib" --dir "$work" \
        --json "$work/json/limits.json" && note limits ok "${limits_mib} MiB file"
  else
    note limits failed "could not compile bench/report/limits.c"
  fi
fi

# --- C: every program the C benchmarks build ---------------------------------
if want c; then
  progs=()
  if [[ -d $build/bench/c ]]; then
    while IFS= read -r p; do progs+=("$p"); done < <(
      find "$build/bench/c" -maxdepth 1 -type f -perm -u+x ! -name '*.so' ! -name '*.a' | sort)
  fi
  if ((${#progs[@]} == 0)); then
    note c missing "no benchmark program in $build/bench/c (MMAPKIT_BENCH=OFF or not written yet)"
  else
    ok=0 parts=()
    for p in "${progs[@]}"; do
      n=$(basename "$p")
      if run c "$work/logs/c-$n.log" "$p" --json "$work/json/c-$n.json"; then
        ok=$((ok + 1)); parts+=("$work/json/c-$n.json")
      fi
    done
    if ((ok)); then
      python3 - "$work/json/c.json" "${parts[@]}" <<'EOF'
import json, os, sys
out = {"programs": {}}
for p in sys.argv[2:]:
    with open(p) as f:
        out["programs"][os.path.basename(p)[2:-5]] = json.load(f)
with open(sys.argv[1], "w") as f:
    json.dump(out, f)
EOF
      [[ ${status[c]:-} == failed ]] || note c ok "${progs[*]##*/}"
    fi
  fi
fi

# --- Python: the wheel in a fresh venv (with the system numpy for numpy.memmap)
if want python; then
  wheel=$(mmapkit_wheel "$dist")
  mapfile -t pyb < <(grep -l -- "--json" "$repo"/bench/python/*.py 2>/dev/null)
  if [[ -z $wheel ]]; then
    note python missing "no wheel in $dist"
  elif ((${#pyb[@]} == 0)); then
    note python missing "no benchmark in bench/python taking --json"
  else
    venv=$work/venv-py
    base_py=python3
    # Debian's python3 carries numpy (python3-numpy); same cp311 ABI as the wheel.
    if [[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c 'import numpy, sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      base_py=/usr/bin/python3
    fi
    rm -rf "$venv"
    if "$base_py" -m venv --system-site-packages "$venv" >"$work/logs/python-venv.log" 2>&1 &&
       "$venv/bin/python" -m pip install --no-index --no-deps --force-reinstall -q "$wheel" \
         >>"$work/logs/python-venv.log" 2>&1; then
      okp=0
      for b in "${pyb[@]}"; do
        n=$(basename "$b" .py)
        # Run from the work dir so `import mmapkit` finds the installed wheel,
        # not the source tree.
        if (cd "$work" && run python "$work/logs/python-$n.log" "$venv/bin/python" "$b" --json "$work/json/python-$n.json"); then
          okp=$((okp + 1))
        else
          note python failed "$(tail -n 3 "$work/logs/python-$n.log" | tr '\n' ' ' | cut -c1-300)"
        fi
      done
      if ((okp)); then
        python3 -c 'import json,sys,os; json.dump({os.path.basename(p)[7:-5]: json.load(open(p)) for p in sys.argv[2:]}, open(sys.argv[1], "w"))' \
          "$work/json/python.json" "$work"/json/python-*.json
        [[ ${status[python]:-} == failed ]] || note python ok "$(basename "$wheel")"
      fi
    else
      note python failed "could not install $(basename "$wheel") into a venv (see $work/logs/python-venv.log)"
    fi
  fi
fi

# --- Java: the jar alone on the classpath ------------------------------------
if want java; then
  jar=$dist/mmapkit-$MMAPKIT_VERSION.jar
  [[ -f $jar ]] || jar=$(ls -t "$dist"/mmapkit-*.jar 2>/dev/null | grep -v -- '-sources\|-javadoc' | head -n1)
  mapfile -t jsrc < <(find "$repo/bench/java" -name '*.java' 2>/dev/null | sort)
  if [[ -z $jar || ! -f $jar ]]; then
    note java missing "no jar in $dist"
  elif ((${#jsrc[@]} == 0)); then
    note java missing "no benchmark sources in bench/java"
  else
    classes=$work/java-classes
    rm -rf "$classes"; mkdir -p "$classes"
    main_src=$(grep -l "static void main" "${jsrc[@]}" | head -n1)
    main_cls=$(basename "$main_src" .java)
    pkg=$(sed -n 's/^package \([a-zA-Z0-9_.]*\);.*/\1/p' "$main_src" | head -n1)
    [[ -n $pkg ]] && main_cls=$pkg.$main_cls
    if "$JAVA_HOME/bin/javac" -nowarn -d "$classes" -cp "$jar" "${jsrc[@]}" >"$work/logs/java-build.log" 2>&1; then
      run java "$work/logs/java.log" "$JAVA_HOME/bin/java" -cp "$jar:$classes" "$main_cls" \
          --json "$work/json/java.json" && note java ok "$(basename "$jar"), $main_cls"
      # The same classes on the JDK 24+ the build found (cmake/java.cmake), as a user
      # starts it there: native access granted (the jar's JDK 24+ RawAccess, a MemorySegment).
      if [[ -f $build/java-next.txt ]]; then
        read -r next_v next_java <"$build/java-next.txt"
        run java_next "$work/logs/java_next.log" "$next_java" --enable-native-access=ALL-UNNAMED \
            -cp "$jar:$classes" "$main_cls" --json "$work/json/java_next.json" \
          && note java_next ok "JDK $next_v ($next_java), --enable-native-access=ALL-UNNAMED"
      else
        note java_next missing "no JDK 24+ found by the build (see cmake/java.cmake)"
      fi
    else
      note java failed "javac: $(tail -n 3 "$work/logs/java-build.log" | tr '\n' ' ' | cut -c1-300)"
    fi
  fi
fi

# --- .NET: the benchmark project (it consumes the nupkg from dist/) ----------
if want dotnet; then
  proj=$(find "$repo/bench/dotnet" -maxdepth 2 -name '*.csproj' 2>/dev/null | head -n1)
  nupkg=$(ls -t "$dist"/MmapKit.*.nupkg 2>/dev/null | head -n1)
  if [[ -z $nupkg ]]; then
    note dotnet missing "no nupkg in $dist"
  elif [[ -z $proj ]]; then
    note dotnet missing "no benchmark project in bench/dotnet"
  elif ! command -v dotnet >/dev/null; then
    note dotnet missing "no dotnet SDK"
  else
    run dotnet "$work/logs/dotnet.log" dotnet run -c Release --project "$proj" \
        -- --json "$work/json/dotnet.json" && note dotnet ok "$(basename "$nupkg")"
  fi
fi

# --- merge ---------------------------------------------------------------------
{
  echo "{"
  first=1
  for k in "${!status[@]}"; do
    ((first)) || echo ","
    first=0
    printf '  "%s": {"status": "%s", "detail": %s}' "$k" "${status[$k]}" \
      "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "${detail[$k]}")"
  done
  echo
  echo "}"
} >"$work/status.json"
python3 "$repo/bench/report/merge.py" --in "$work/json" --out "$repo/bench/results" \
  --status "$work/status.json" || exit 1
echo
cat "$repo/bench/results/latest.md"
n_ok=0
for k in "${!status[@]}"; do [[ ${status[$k]} == ok && $k != limits ]] && n_ok=$((n_ok + 1)); done
if ((n_ok == 0)) && [[ ${status[limits]:-} != ok ]]; then
  echo "bench.sh: nothing could be measured" >&2
  exit 1
fi
exit 0
