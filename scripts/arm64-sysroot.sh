#!/usr/bin/env bash
# Builds (once) a Linux arm64 sysroot from Debian's own arm64 packages: the
# CPython 3.11 (with its headers, for cross-building the extension) and the
# OpenJDK 17 that scripts/test-arm64.sh runs under qemu-aarch64.
#
#   scripts/arm64-sysroot.sh [DIR]    default: build/arm64-sysroot
#
# Multiarch python3.11:arm64 cannot be installed beside the host's Python
# (apt would remove it), and nothing here may change the host's dpkg: apt
# runs with a private state (architecture arm64, empty status, the host's
# Debian sources) and only downloads; each .deb is unpacked with dpkg-deb -x,
# no maintainer script runs. A stamp naming the package list makes a second
# run a no-op.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-${MMAPKIT_ARM64_SYSROOT:-$repo/build/arm64-sysroot}}
packages=(python3.11 libpython3.11-dev openjdk-17-jre-headless)
stamp="$root/.mmapkit-sysroot"
if [[ -f $stamp && $(cat "$stamp") == "${packages[*]}" ]]; then
  echo "$root"
  exit 0
fi

apt=$root.apt
rm -rf "$root" "$apt"
mkdir -p "$apt/sources.list.d" "$apt/state/lists/partial" "$apt/cache/archives/partial" "$root"
cp /etc/apt/sources.list.d/debian.sources "$apt/sources.list.d/"
: >"$apt/sources.list"
: >"$apt/status"
opts=(
  -o "Dir::Etc::sourcelist=$apt/sources.list"
  -o "Dir::Etc::sourceparts=$apt/sources.list.d"
  -o "Dir::State=$apt/state"
  -o "Dir::State::status=$apt/status"
  -o "Dir::Cache=$apt/cache"
  -o "APT::Architecture=arm64"
  -o "APT::Architectures::=arm64"
  -o "APT::Install-Recommends=false"
  -o "Debug::NoLocking=true"
)
echo "arm64-sysroot: downloading ${packages[*]} and their dependencies" >&2
apt-get "${opts[@]}" -qq update
# With an empty status every dependency down to libc6 is downloaded.
apt-get "${opts[@]}" -qq -y --download-only install "${packages[@]}" >/dev/null
n=0
for deb in "$apt"/cache/archives/*.deb; do
  dpkg-deb -x "$deb" "$root"
  n=$((n + 1))
done
# Absolute symlinks (the JDK's conf/ and jvm.cfg point into /etc) are
# resolved by the host kernel, not by qemu's -L prefix: point them inside.
while IFS= read -r link; do
  target=$(readlink "$link")
  [[ $target == /* ]] && ln -sfn "$root$target" "$link"
done < <(find "$root" -type l)
echo "arm64-sysroot: $n packages ($(du -sh "$apt/cache/archives" | cut -f1) of .debs) in $root" >&2
rm -rf "$apt"
echo "${packages[*]}" >"$stamp"
echo "$root"
