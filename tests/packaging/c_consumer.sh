#!/usr/bin/env bash
# Installs the core into a scratch prefix and builds a C program against it,
# once with find_package(mmapkit CONFIG) and once with pkg-config, each run
# without LD_LIBRARY_PATH as the README tells users to build (the CMake
# build carries an RPATH to the prefix; the pkg-config build is given one
# from the .pc file's libdir). Also checks the SONAME against the
# versioning policy (docs/VERSIONING.md): 0.<minor> before 1.0, the major
# after.
set -euo pipefail
build=$1 src=$(cd "$(dirname "$0")" && pwd)/c_consumer work=$2
version=$(sed -n 's/^project(mmapkit VERSION \([0-9.]*\).*/\1/p' "$src/../../../CMakeLists.txt")
IFS=. read -r major minor _ <<<"$version"
if ((major == 0)); then want=libmmapkit.so.0.$minor; else want=libmmapkit.so.$major; fi

rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
lib=$(find "$work/prefix" -name "libmmapkit.so.$version")
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[[ $soname == "$want" ]] || { echo "SONAME is '$soname', the policy says $want" >&2; exit 1; }
[[ -L $(dirname "$lib")/$soname ]] || { echo "no $soname link beside $lib" >&2; exit 1; }
echo "SONAME $soname for $version"

cmake -S "$src" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DMMAPKIT_WANT="$major.$minor" >/dev/null
# The package's compatibility rule is the SONAME's: the next minor (before
# 1.0) or the next major (after) is a different, incompatible library.
if ((major == 0)); then next=0.$((minor + 1)); else next=$((major + 1)).0; fi
if cmake -S "$src" -B "$work/cmake-next" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DMMAPKIT_WANT="$next" >"$work/next.log" 2>&1; then
  echo "find_package(mmapkit $next) accepted $version" >&2; exit 1
fi
cmake --build "$work/cmake-build" >/dev/null
env -u LD_LIBRARY_PATH "$work/cmake-build/consumer"

pcdir=$(dirname "$(find "$work/prefix" -name mmapkit.pc)")
export PKG_CONFIG_PATH="$pcdir"
libdir=$(pkg-config --variable=libdir mmapkit)
# shellcheck disable=SC2046 # pkg-config's flags are meant to split
cc -std=c11 "$src/consumer.c" $(pkg-config --cflags --libs mmapkit) \
  -Wl,-rpath,"$libdir" -o "$work/consumer-pc"
env -u LD_LIBRARY_PATH "$work/consumer-pc"
