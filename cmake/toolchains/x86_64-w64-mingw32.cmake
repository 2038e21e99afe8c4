# Cross build for 64-bit Windows with mingw-w64 (scripts/deps.sh installs
# it), its programs run through Wine: ctest runs the C tests as on Windows.
# scripts/test-windows.sh sets WINEPREFIX (a private prefix in the build
# directory) and WINEDEBUG before it runs ctest.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR AMD64)

set(MMAPKIT_MINGW_PREFIX x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${MMAPKIT_MINGW_PREFIX}-gcc)
set(CMAKE_CXX_COMPILER ${MMAPKIT_MINGW_PREFIX}-g++)
set(CMAKE_RC_COMPILER ${MMAPKIT_MINGW_PREFIX}-windres)
set(CMAKE_FIND_ROOT_PATH /usr/${MMAPKIT_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# C99 printf (%zu, %lld, %jd) from mingw's own stdio, not msvcrt's.
set(CMAKE_C_FLAGS_INIT "-D__USE_MINGW_ANSI_STDIO=1")

# The DLLs and tests must load without mingw's runtime DLLs beside them
# (libgcc_s_seh-1.dll): libgcc is linked in.
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static-libgcc")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static-libgcc")

find_program(MMAPKIT_WINE64 NAMES wine64 PATHS /usr/lib/wine NO_DEFAULT_PATH)
if(NOT MMAPKIT_WINE64)
  find_program(MMAPKIT_WINE64 NAMES wine64 wine)
endif()
if(MMAPKIT_WINE64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${MMAPKIT_WINE64})
endif()
