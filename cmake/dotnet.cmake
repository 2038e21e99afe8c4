# .NET binding: SWIG C# wrapper -> libmmapkit_native.so (wrapper + static core)
# -> MmapKit.dll -> ${MMAPKIT_DIST_DIR}/MmapKit.<version>.nupkg, built by the
# default build. Tests (tests/dotnet, label "dotnet") restore that nupkg from
# the dist folder, as a user would.
#
# NuGet runs offline and reproducibly: tests and benchmarks get a NuGet.config
# generated here (dist folder + offline folder only; no user or machine config
# is read), and every dotnet call a packages folder inside this build
# directory (never ~/.nuget/packages, so no stale MmapKit can be picked up).

find_program(DOTNET_EXECUTABLE dotnet)
if(NOT DOTNET_EXECUTABLE AND NOT MMAPKIT_NATIVES_ONLY)
  message(FATAL_ERROR "MMAPKIT_DOTNET is ON but no `dotnet` was found; install the .NET SDK or configure with -DMMAPKIT_DOTNET=OFF")
endif()
find_package(SWIG 4.0 REQUIRED COMPONENTS csharp)

set(MMAPKIT_DOTNET_DIR "${CMAKE_BINARY_DIR}/dotnet")
set(_mmk_gen_dir "${MMAPKIT_DOTNET_DIR}/generated")
set(_mmk_wrap_c "${MMAPKIT_DOTNET_DIR}/mmapkit_csharp_wrap.c")
set(MMAPKIT_DOTNET_PACKAGES "${MMAPKIT_DOTNET_DIR}/packages")
set(MMAPKIT_NUPKG "${MMAPKIT_DIST_DIR}/MmapKit.${PROJECT_VERSION}.nupkg")
# Where the offline test packages (xunit, Microsoft.NET.Test.Sdk, ...) live.
set(MMAPKIT_NUGET_OFFLINE "/opt/nuget/packages" CACHE PATH "Offline NuGet folder with the .NET test packages")
# The library targets net8.0, whose reference pack (Microsoft.NETCore.App.Ref)
# is not part of the SDK: it is restored from the machine's configured NuGet
# feed, or from MMAPKIT_NUGET_FEED alone when that is set.
set(MMAPKIT_NUGET_FEED "" CACHE STRING "NuGet feed (URL or folder) for the net8.0 reference pack; empty: the machine's NuGet configuration")

# ---- NuGet configurations --------------------------------------------------
set(_mmk_pack_config_arg "")
if(MMAPKIT_NUGET_FEED)
  file(WRITE "${MMAPKIT_DOTNET_DIR}/NuGet.pack.config" "<?xml version=\"1.0\" encoding=\"utf-8\"?>
<configuration>
  <packageSources>
    <clear />
    <add key=\"feed\" value=\"${MMAPKIT_NUGET_FEED}\" />
  </packageSources>
</configuration>
")
  set(_mmk_pack_config_arg "-p:RestoreConfigFile=${MMAPKIT_DOTNET_DIR}/NuGet.pack.config")
endif()
# tests and benchmarks: MmapKit only from the dist folder, everything else
# from the offline folder.
file(WRITE "${MMAPKIT_DOTNET_DIR}/NuGet.test.config" "<?xml version=\"1.0\" encoding=\"utf-8\"?>
<configuration>
  <packageSources>
    <clear />
    <add key=\"dist\" value=\"${MMAPKIT_DIST_DIR}\" />
    <add key=\"offline\" value=\"${MMAPKIT_NUGET_OFFLINE}\" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key=\"dist\"><package pattern=\"MmapKit\" /></packageSource>
    <packageSource key=\"offline\"><package pattern=\"*\" /></packageSource>
  </packageSourceMapping>
</configuration>
")

# Environment of every dotnet call: no telemetry, no first-run work, no build
# servers left running after the build.
set(MMAPKIT_DOTNET_ENV
  DOTNET_CLI_TELEMETRY_OPTOUT=1
  DOTNET_NOLOGO=1
  DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
  DOTNET_CLI_USE_MSBUILD_SERVER=0
  MSBUILDDISABLENODEREUSE=1
  NUGET_PACKAGES=${MMAPKIT_DOTNET_PACKAGES})

# ---- SWIG wrapper and native library --------------------------------------
add_custom_command(
  OUTPUT "${_mmk_wrap_c}" "${_mmk_gen_dir}/Native.cs" "${_mmk_gen_dir}/NativePINVOKE.cs"
  # Start from an empty folder so no stale generated class is compiled in.
  COMMAND ${CMAKE_COMMAND} -E rm -rf "${_mmk_gen_dir}"
  COMMAND ${CMAKE_COMMAND} -E make_directory "${_mmk_gen_dir}"
  COMMAND ${SWIG_EXECUTABLE} -csharp -namespace MmapKit.Interop -dllimport mmapkit_native
          -DSWIG_CSHARP_NO_EXCEPTION_HELPER -DSWIG_CSHARP_NO_STRING_HELPER
          -I${PROJECT_SOURCE_DIR}/core/include -I${MMAPKIT_GEN_INCLUDE} -I${PROJECT_SOURCE_DIR}/bindings
          -outdir "${_mmk_gen_dir}" -o "${_mmk_wrap_c}"
          "${PROJECT_SOURCE_DIR}/bindings/csharp.i"
  DEPENDS "${PROJECT_SOURCE_DIR}/bindings/csharp.i" "${PROJECT_SOURCE_DIR}/bindings/mmapkit.i"
          "${PROJECT_SOURCE_DIR}/core/include/mmapkit.h" "${MMAPKIT_GEN_INCLUDE}/mmapkit_version.h"
  COMMENT "SWIG: generating the C# P/Invoke layer"
  VERBATIM)

add_library(mmapkit_native SHARED "${_mmk_wrap_c}")
target_link_libraries(mmapkit_native PRIVATE mmapkit::static)
# Only SWIG's CSharp_* entry points are exported; the core stays private.
set_target_properties(mmapkit_native PROPERTIES
  C_VISIBILITY_PRESET hidden
  LIBRARY_OUTPUT_DIRECTORY "${MMAPKIT_DOTNET_DIR}/native")
if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
  target_link_options(mmapkit_native PRIVATE -Wl,--no-undefined)
  if(NOT WIN32)
    # The core's MMK_EXTERN functions come from the static archive: keep
    # them out of the dynamic symbol table too.
    target_link_options(mmapkit_native PRIVATE "LINKER:--exclude-libs,ALL")
  endif()
endif()
# Windows: mmapkit_native.dll, the name .NET probes for (no lib prefix),
# linked -static so that it needs no mingw runtime DLL (winpthread, libgcc).
# The SWIG wrapper's dllexport entry points are its only exports.
if(WIN32)
  set_target_properties(mmapkit_native PROPERTIES PREFIX "")
  target_link_options(mmapkit_native PRIVATE -static)
endif()
if(MMAPKIT_NATIVES_ONLY)
  mmk_export_native(mmapkit_native)
  return()
endif()

# The cross builds' native libraries, staged as runtimes/<rid>/native/ for
# the nupkg (the jar's platform names mapped to .NET's RIDs).
set(_mmk_runtimes "${MMAPKIT_DOTNET_DIR}/runtimes")
set(_mmk_runtimes_stage COMMAND ${CMAKE_COMMAND} -E rm -rf "${_mmk_runtimes}")
set(_mmk_runtimes_files "")
# The jar's platform names (linux-x86_64) as .NET runtime identifiers (linux-x64).
function(mmk_dotnet_rid platform out)
  string(REGEX REPLACE "^windows-" "win-" rid "${platform}")
  string(REGEX REPLACE "-x86_64$" "-x64" rid "${rid}")
  string(REGEX REPLACE "-aarch64$" "-arm64" rid "${rid}")
  set(${out} "${rid}" PARENT_SCOPE)
endfunction()
mmk_dotnet_rid("${MMAPKIT_PLATFORM}" _mmk_host_rid)
set(_mmk_rids "${_mmk_host_rid}")
# The RIDs packed besides linux-x64 (tests/packaging checks each one).
set(MMAPKIT_DOTNET_RIDS "")
mmk_foreign_natives("*mmapkit_native.*" _mmk_native_foreign)
foreach(_pair IN LISTS _mmk_native_foreign)
  string(REGEX REPLACE "=.*" "" _platform "${_pair}")
  string(REGEX REPLACE "^[^=]*=" "" _file "${_pair}")
  mmk_dotnet_rid("${_platform}" _rid)
  list(APPEND _mmk_rids "${_rid}")
  list(APPEND _mmk_runtimes_stage
    COMMAND ${CMAKE_COMMAND} -E make_directory "${_mmk_runtimes}/${_rid}/native"
    COMMAND ${CMAKE_COMMAND} -E copy "${_file}" "${_mmk_runtimes}/${_rid}/native/")
  list(APPEND _mmk_runtimes_files "${_file}")
  list(APPEND MMAPKIT_DOTNET_RIDS "${_rid}")
  message(STATUS ".NET: the nupkg carries runtimes/${_rid}/native/ (${_file})")
endforeach()

# A consumer that builds or publishes for a RID outside that list gets a build
# error naming the list, not a DllNotFoundException at run time.
list(JOIN _mmk_rids ";" MMK_DOTNET_RIDS)
list(JOIN _mmk_rids ", " MMK_DOTNET_RIDS_TEXT)
list(GET _mmk_rids 0 MMK_DOTNET_RIDS_FIRST)
list(JOIN _mmk_rids " " MMK_DOTNET_RIDS_SPACED)
set(_mmk_targets "${MMAPKIT_DOTNET_DIR}/MmapKit.targets")
configure_file("${PROJECT_SOURCE_DIR}/dotnet/MmapKit.targets.in" "${_mmk_targets}" @ONLY)

# ---- MmapKit.dll and the nupkg --------------------------------------------
file(GLOB _mmk_cs_sources CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/dotnet/src/*.cs")
set(MMAPKIT_DOTNET_COMMON_ARGS
  -nologo
  -p:UseSharedCompilation=false
  -p:RestorePackagesPath=${MMAPKIT_DOTNET_PACKAGES})

add_custom_command(
  OUTPUT "${MMAPKIT_NUPKG}"
  COMMAND ${CMAKE_COMMAND} -E rm -f "${MMAPKIT_NUPKG}"
  ${_mmk_runtimes_stage}
  COMMAND ${CMAKE_COMMAND} -E env ${MMAPKIT_DOTNET_ENV}
          ${DOTNET_EXECUTABLE} pack "${PROJECT_SOURCE_DIR}/dotnet/MmapKit.csproj"
          -c Release -o "${MMAPKIT_DIST_DIR}" ${MMAPKIT_DOTNET_COMMON_ARGS}
          ${_mmk_pack_config_arg}
          -p:BaseIntermediateOutputPath=${MMAPKIT_DOTNET_DIR}/lib/obj/
          -p:BaseOutputPath=${MMAPKIT_DOTNET_DIR}/lib/bin/
          -p:MmapKitGeneratedDir=${_mmk_gen_dir}
          -p:MmapKitNativeLibrary=$<TARGET_FILE:mmapkit_native>
          -p:MmapKitRuntimesDir=${_mmk_runtimes}
          -p:MmapKitTargetsFile=${_mmk_targets}
          -p:MmapKitNativeRid=${_mmk_host_rid}
          "-p:MmapKitRuntimeIdentifiers=${MMK_DOTNET_RIDS_SPACED}"
          -p:MmapKitRepositoryUrl=${MMAPKIT_REPOSITORY_URL}
          -p:Version=${PROJECT_VERSION}
  DEPENDS mmapkit_native "${_mmk_gen_dir}/Native.cs" ${_mmk_cs_sources}
          ${_mmk_runtimes_files}
          "${PROJECT_SOURCE_DIR}/dotnet/MmapKit.csproj" "${_mmk_targets}"
  COMMENT "dotnet pack: ${MMAPKIT_NUPKG}"
  VERBATIM)
add_custom_target(mmapkit_nupkg ALL DEPENDS "${MMAPKIT_NUPKG}")

# ---- tests -----------------------------------------------------------------
if(BUILD_TESTING)
  add_test(NAME dotnet_tests
    COMMAND ${CMAKE_COMMAND}
      -DDOTNET=${DOTNET_EXECUTABLE}
      -DPROJECT=${PROJECT_SOURCE_DIR}/tests/dotnet/MmapKit.Tests.csproj
      -DWORK=${MMAPKIT_DOTNET_DIR}/tests
      -DPACKAGES=${MMAPKIT_DOTNET_DIR}/test-packages
      -DNUGET_CONFIG=${MMAPKIT_DOTNET_DIR}/NuGet.test.config
      -DNUPKG=${MMAPKIT_NUPKG}
      -DVERSION=${PROJECT_VERSION}
      -P ${PROJECT_SOURCE_DIR}/tests/dotnet/run-tests.cmake)
  set_tests_properties(dotnet_tests PROPERTIES LABELS dotnet TIMEOUT 900)
endif()

# ---- benchmarks (run by hand: cmake --build BUILD --target bench_dotnet) ----
add_custom_target(bench_dotnet
  COMMAND ${CMAKE_COMMAND} -E rm -rf "${MMAPKIT_DOTNET_DIR}/bench-packages/mmapkit"
  COMMAND ${CMAKE_COMMAND} -E env ${MMAPKIT_DOTNET_ENV}
          NUGET_PACKAGES=${MMAPKIT_DOTNET_DIR}/bench-packages
          ${DOTNET_EXECUTABLE} run -c Release
          --project "${PROJECT_SOURCE_DIR}/bench/dotnet/MmapKit.Bench.csproj"
          -p:UseSharedCompilation=false
          -p:RestoreConfigFile=${MMAPKIT_DOTNET_DIR}/NuGet.test.config
          -p:RestorePackagesPath=${MMAPKIT_DOTNET_DIR}/bench-packages
          -p:BaseIntermediateOutputPath=${MMAPKIT_DOTNET_DIR}/bench/obj/
          -p:BaseOutputPath=${MMAPKIT_DOTNET_DIR}/bench/bin/
          -p:MmapKitVersion=${PROJECT_VERSION}
          -- --json "${MMAPKIT_DOTNET_DIR}/bench-dotnet.json"
  DEPENDS mmapkit_nupkg
  USES_TERMINAL
  VERBATIM)
