# Runs the .NET suite against the built nupkg (registered by cmake/dotnet.cmake).
#   cmake -DDOTNET=... -DPROJECT=... -DWORK=... -DPACKAGES=... -DNUGET_CONFIG=...
#         -DNUPKG=... -DVERSION=... -P run-tests.cmake
# The packages folder is private to the tests, and its copy of MmapKit is
# dropped first: NuGet never re-extracts a version it already holds, so a
# rebuilt nupkg of the same version would otherwise be ignored.
foreach(var DOTNET PROJECT WORK PACKAGES NUGET_CONFIG NUPKG VERSION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run-tests.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT EXISTS "${NUPKG}")
  message(FATAL_ERROR "run-tests.cmake: ${NUPKG} is missing; build first (cmake --build BUILD)")
endif()

# The package layout users rely on.
execute_process(COMMAND "${CMAKE_COMMAND}" -E tar tf "${NUPKG}"
  OUTPUT_VARIABLE entries RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cannot list ${NUPKG}")
endif()
foreach(entry lib/net8.0/MmapKit.dll lib/net8.0/MmapKit.xml
              runtimes/linux-x64/native/libmmapkit_native.so README.md)
  string(FIND "${entries}" "${entry}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${NUPKG} lacks ${entry}; it has:\n${entries}")
  endif()
endforeach()

file(REMOVE_RECURSE "${PACKAGES}/mmapkit" "${WORK}/obj" "${WORK}/bin")

set(ENV{DOTNET_CLI_TELEMETRY_OPTOUT} 1)
set(ENV{DOTNET_NOLOGO} 1)
set(ENV{DOTNET_SKIP_FIRST_TIME_EXPERIENCE} 1)
set(ENV{DOTNET_CLI_USE_MSBUILD_SERVER} 0)
set(ENV{MSBUILDDISABLENODEREUSE} 1)
set(ENV{NUGET_PACKAGES} "${PACKAGES}")

execute_process(
  COMMAND "${DOTNET}" test "${PROJECT}" -nologo
          -p:UseSharedCompilation=false
          -p:RestoreConfigFile=${NUGET_CONFIG}
          -p:RestorePackagesPath=${PACKAGES}
          -p:BaseIntermediateOutputPath=${WORK}/obj/
          -p:BaseOutputPath=${WORK}/bin/
          -p:MmapKitVersion=${VERSION}
          --results-directory "${WORK}/results"
          --logger "console;verbosity=normal"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "dotnet test failed (exit ${rc})")
endif()
