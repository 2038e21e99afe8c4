#!/usr/bin/env bash
# Installs the Debian packages mmapkit needs to build and test, when missing.
# Idempotent and quiet when everything is already there. The .NET SDK, the
# JDK, cmake, gcc and pyenv's CPython are part of the machine image.
set -euo pipefail

packages=(
  swig                 # generates the Python, Java and C# wrappers
  junit5               # junit-platform-console-standalone.jar for tests/java
  python3-setuptools-whl
  python3-pip-whl
  python3-venv         # venvs from Debian's python3 (numpy test)
  python3-numpy        # numpy.frombuffer over a view (tests/python)
  clang                # libFuzzer harness
  libclang-rt-14-dev   # sanitizer and fuzzer runtimes for clang
  pkg-config           # checks the installed mmapkit.pc
  # A Maven consumer of the jar, offline (tests/packaging/maven_consumer.sh)
  maven
  libmaven-install-plugin-java
  libmaven-compiler-plugin-java
  libmaven-resources-plugin-java
  # Windows cross build, tested under Wine (scripts/test-windows.sh)
  gcc-mingw-w64-x86-64 # x86_64-w64-mingw32-gcc: the Win32 backend and its tests
  wine64               # /usr/lib/wine/wine64 runs the tests (CMAKE_CROSSCOMPILING_EMULATOR)
  wine                 # the wine loader scripts and the Win32 DLLs they need
  # Linux arm64 natives, their suites under emulation (scripts/test-arm64.sh)
  gcc-aarch64-linux-gnu   # cross compiler for cmake/toolchains/aarch64-linux-gnu.cmake
  libc6-dev-arm64-cross   # its glibc headers and libraries (the qemu -L sysroot)
  qemu-user-static        # qemu-aarch64 + /usr/lib/binfmt.d/qemu-aarch64.conf
)

missing=()
for p in "${packages[@]}"; do
  [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -o DPkg::Lock::Timeout=600 -y -qq --no-install-recommends "${missing[@]}" >/dev/null
