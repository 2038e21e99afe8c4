# Cross build for Linux arm64 with Debian's gcc-aarch64-linux-gnu, tests run
# under qemu-aarch64 (scripts/deps.sh installs both). Used with
# -DMMAPKIT_NATIVES_ONLY=ON; see scripts/build.sh and scripts/test-arm64.sh.
#
#   MMAPKIT_AARCH64_PREFIX   where the emulated loader and libraries are taken
#                            from (qemu's -L); the cross libc by default, the
#                            Debian arm64 sysroot of scripts/arm64-sysroot.sh
#                            works too.
#   MMAPKIT_AARCH64_CFLAGS   e.g. -march=armv8.1-a to build the LSE atomics
#                            instead of the baseline LL/SC ones.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_STRIP aarch64-linux-gnu-strip CACHE FILEPATH "")
set(MMAPKIT_AARCH64_CFLAGS "" CACHE STRING "Extra C flags for the aarch64 build (-march=...)")
set(CMAKE_C_FLAGS_INIT "${MMAPKIT_AARCH64_CFLAGS}")

set(MMAPKIT_AARCH64_PREFIX "/usr/aarch64-linux-gnu" CACHE PATH "qemu-aarch64 -L prefix")
# qemu takes the prefix from QEMU_LD_PREFIX too, and children inherit the
# variable: a test that forks and execs an aarch64 binary (run by the kernel
# through the binfmt_misc registration) finds the same loader.
set(CMAKE_CROSSCOMPILING_EMULATOR
    /usr/bin/env "QEMU_LD_PREFIX=${MMAPKIT_AARCH64_PREFIX}" qemu-aarch64-static)

# Headers and libraries of the target only; programs (swig, cmake) of the host.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
