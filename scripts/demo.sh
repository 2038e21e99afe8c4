#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds everything
# (packages land in dist/), then runs the demo.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${MMAPKIT_BUILD_DIR:-$repo/build}

"$repo/scripts/build.sh"

echo
echo "== C: a mapped file written, flushed, and read by a second process through named shared memory"
"$build/examples/c/shared_counter"

echo
echo "== Python, Java and .NET sharing one memory (examples/demo)"
MMAPKIT_BUILD_DIR="$build" "$repo/examples/demo/run.sh"
