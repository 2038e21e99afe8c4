#!/usr/bin/env bash
# Installs the core into a scratch prefix and builds a C program against it,
# once with find_package(mmapkit CONFIG) and once with pkg-config.
set -euo pipefail
build=$1 src=$(cd "$(dirname "$0")" && pwd)/c_consumer work=$2
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
LD_LIBRARY_PATH="$work/prefix/lib" "$work/cmake-build/consumer"
pcdir=$(dirname "$(find "$work/prefix" -name mmapkit.pc | head -n1)")
flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs mmapkit)
cc -std=c11 "$src/consumer.c" $flags -o "$work/consumer-pc"
LD_LIBRARY_PATH="$work/prefix/lib" "$work/consumer-pc"
