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
