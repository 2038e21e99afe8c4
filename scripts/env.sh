# Sourced by the scripts (not run): the project's version, read from the one
# place it is written (CMakeLists.txt's project(VERSION)), and a JAVA_HOME
# derived from the javac on PATH when the caller set none.
mmapkit_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MMAPKIT_VERSION=$(sed -n 's/^project(mmapkit VERSION \([0-9.]*\).*/\1/p' "$mmapkit_root/CMakeLists.txt")
[[ -n $MMAPKIT_VERSION ]] || { echo "env.sh: no project(mmapkit VERSION ...) in $mmapkit_root/CMakeLists.txt" >&2; return 1; }
if [[ -z ${JAVA_HOME:-} ]] && command -v javac >/dev/null; then
  JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
  export JAVA_HOME
fi

# mmapkit_wheel DIST [PYTHON]: the wheel in DIST for PYTHON (default python3)
# on this machine's architecture, or nothing (dist/ holds one per CPython
# and the cross builds' wheels).
mmapkit_wheel() {
  local tag
  tag=$("${2:-python3}" -c 'import sys; print("cp%d%d" % sys.version_info[:2])') || return 0
  ls "$1"/mmapkit-"$MMAPKIT_VERSION"-"$tag"-"$tag"-*_"$(uname -m)".whl 2>/dev/null | head -n1 || true
}
