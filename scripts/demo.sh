#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds the packages
# (into dist/) and the C example, then runs the demo. The build's output
# goes to a log file; a failed build prints its tail.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${MMAPKIT_BUILD_DIR:-$repo/build}
log=$build/demo-build.log
mkdir -p "$build"

printf '%-82s' "Build: the packages and the C example (log: ${log#"$repo"/})"
s=$SECONDS
if ! MMAPKIT_BUILD_TARGETS="mmapkit_packages shared_counter" "$repo/scripts/build.sh" >"$log" 2>&1; then
  echo "FAILED"; tail -n 40 "$log" >&2
  echo "demo: the build failed; its whole log is $log" >&2
  exit 1
fi
echo "$((SECONDS - s)) s"
echo "Packages in ${repo}/dist:"
(cd "$repo/dist" && ls -1 | sed 's/^/  /')

echo
echo "== C: a mapped file written, flushed, and read by a second process through named shared memory"
"$build/examples/c/shared_counter"

echo
echo "== Python, Java and .NET sharing one memory (examples/demo)"
MMAPKIT_BUILD_DIR="$build" "$repo/examples/demo/run.sh"
