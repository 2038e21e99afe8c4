# Builds the wheel of another platform's extension (a cross build's, from
# MMAPKIT_NATIVES_DIR), tagged manylinux_2_<N>_<arch> where 2.<N> is the
# newest glibc symbol version the extension really imports. Run by
# cmake/python.cmake:
#   cmake -DPYTHON=<build venv python> -DOBJDUMP=<objdump> -DSRC=<python/>
#         -DSTAGE=<scratch dir> -DEXT=<_core....so> -DARCH=<aarch64>
#         -DDIST=<dist dir> -DVERSION=<x.y.z> -DSTAMP=<file> -P foreign_wheel.cmake
foreach(var PYTHON OBJDUMP SRC STAGE EXT ARCH DIST VERSION STAMP)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "foreign_wheel.cmake: -D${var}=... is required")
  endif()
endforeach()

execute_process(COMMAND "${OBJDUMP}" -T "${EXT}"
  OUTPUT_VARIABLE syms RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "foreign_wheel.cmake: ${OBJDUMP} -T ${EXT} failed")
endif()
string(REGEX MATCHALL "GLIBC_2\\.[0-9]+" versions "${syms}")
set(minor 17) # manylinux2014, the oldest tag aarch64 wheels use
foreach(v IN LISTS versions)
  string(REGEX REPLACE "GLIBC_2\\." "" m "${v}")
  if(m GREATER minor)
    set(minor ${m})
  endif()
endforeach()
set(tag "manylinux_2_${minor}_${ARCH}")

file(REMOVE_RECURSE "${STAGE}")
file(COPY "${SRC}/" DESTINATION "${STAGE}")
file(COPY "${EXT}" DESTINATION "${STAGE}/mmapkit")
file(GLOB old "${DIST}/mmapkit-${VERSION}-*_${ARCH}.whl")
if(old)
  file(REMOVE ${old})
endif()
# bdist_wheel takes the interpreter's cp3XX tags (same CPython minor as the
# target's) and the platform tag from --plat-name.
execute_process(
  COMMAND "${CMAKE_COMMAND}" -E env MMAPKIT_VERSION=${VERSION}
          "${PYTHON}" setup.py -q bdist_wheel --plat-name "${tag}"
          --dist-dir "${DIST}" --bdist-dir "${STAGE}/.bdist"
  WORKING_DIRECTORY "${STAGE}"
  OUTPUT_QUIET
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "foreign_wheel.cmake: bdist_wheel for ${tag} failed")
endif()
file(GLOB built "${DIST}/mmapkit-${VERSION}-*-${tag}.whl")
if(NOT built)
  message(FATAL_ERROR "foreign_wheel.cmake: no ${tag} wheel in ${DIST}")
endif()
file(WRITE "${STAMP}" "${built}\n")
