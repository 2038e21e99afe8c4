# Python binding: the SWIG extension mmapkit._core (core linked statically),
# a wheel per CPython (dist/mmapkit-<version>-cp3XY-cp3XY-manylinux_2_N_<arch>.whl)
# and the sdist built offline by python/build_backend.py
# as part of the default build, and the tests run against that wheel
# installed into fresh venvs (label "python").
#
# Knobs:
#   Python3_EXECUTABLE        interpreter to build for (default: python3 on PATH,
#                             pyenv's 3.11 on the reference machine)
#   MMAPKIT_EXTRA_PYTHONS     other CPythons to build wheels for (default: pyenv's 3.11+)
#   MMAPKIT_NUMPY_PYTHON      interpreter that has numpy (Debian's python3)

find_package(SWIG 4.0 REQUIRED)


set(_py_bin "${CMAKE_BINARY_DIR}/python")
set(_py_src "${PROJECT_SOURCE_DIR}/python")

# --- SWIG -> C ------------------------------------------------------------
# SWIG generates the types and the constants; the C they call is in
# python/src (swig_shim.c is compiled inside the wrapper, see python.i).
set(_py_wrap "${_py_bin}/mmapkit_python_wrap.c")
file(GLOB _py_c_sources CONFIGURE_DEPENDS "${_py_src}/src/*.c")
list(FILTER _py_c_sources EXCLUDE REGEX "swig_shim\\.c$")
add_custom_command(
  OUTPUT "${_py_wrap}"
  COMMAND "${SWIG_EXECUTABLE}" -python -builtin -interface _core
          -I${PROJECT_SOURCE_DIR}/core/include -I${MMAPKIT_GEN_INCLUDE} -I${PROJECT_SOURCE_DIR}/bindings
          -outdir "${_py_bin}/swig" -o "${_py_wrap}"
          "${PROJECT_SOURCE_DIR}/bindings/python.i"
  COMMAND "${CMAKE_COMMAND}" -E make_directory "${_py_bin}/swig"
  DEPENDS "${PROJECT_SOURCE_DIR}/bindings/python.i"
          "${PROJECT_SOURCE_DIR}/bindings/mmapkit.i"
          "${PROJECT_SOURCE_DIR}/core/include/mmapkit.h" "${MMAPKIT_GEN_INCLUDE}/mmapkit_version.h"
          "${_py_src}/src/swig_shim.c" "${_py_src}/src/mmkpy.h"
  COMMENT "SWIG: bindings/python.i -> mmapkit._core"
  VERBATIM)
file(MAKE_DIRECTORY "${_py_bin}/swig")

# Windows cross build: the extension's compile and link check only.
if(WIN32)
  include("${CMAKE_CURRENT_LIST_DIR}/python_win.cmake")
  return()
endif()

# --- cross build: the extension alone, for a target CPython's headers ------
# scripts/arm64-sysroot.sh unpacks them from Debian's arm64 packages. No
# headers, no extension (the other natives still build).
if(MMAPKIT_NATIVES_ONLY)
  set(MMAPKIT_CROSS_PYTHON_INCLUDE "" CACHE PATH
    "Target CPython's include dir (with Python.h and the target's pyconfig.h)")
  set(MMAPKIT_CROSS_PYTHON_SOABI "" CACHE STRING
    "Target CPython's SOABI, e.g. cpython-311-aarch64-linux-gnu")
  if(NOT EXISTS "${MMAPKIT_CROSS_PYTHON_INCLUDE}/Python.h" OR NOT MMAPKIT_CROSS_PYTHON_SOABI)
    message(STATUS "Python: no target CPython headers (MMAPKIT_CROSS_PYTHON_INCLUDE): no extension")
    return()
  endif()
  add_library(mmapkit_python MODULE "${_py_wrap}" ${_py_c_sources})
  # Debian's python3.11/pyconfig.h includes <aarch64-linux-gnu/python3.11/pyconfig.h>.
  get_filename_component(_py_inc_root "${MMAPKIT_CROSS_PYTHON_INCLUDE}" DIRECTORY)
  target_include_directories(mmapkit_python PRIVATE "${_py_src}/src"
    "${MMAPKIT_CROSS_PYTHON_INCLUDE}" "${_py_inc_root}")
  set_target_properties(mmapkit_python PROPERTIES
    PREFIX "" OUTPUT_NAME _core SUFFIX ".${MMAPKIT_CROSS_PYTHON_SOABI}.so"
    LIBRARY_OUTPUT_DIRECTORY "${_py_bin}/lib"
    C_VISIBILITY_PRESET hidden)
  target_link_libraries(mmapkit_python PRIVATE mmapkit::static)
  target_link_options(mmapkit_python PRIVATE "LINKER:--exclude-libs,ALL")
  target_compile_options(mmapkit_python PRIVATE -Wno-unused-parameter -Wno-missing-field-initializers)
  mmk_export_native(mmapkit_python)
  return()
endif()

find_package(Python3 REQUIRED COMPONENTS Interpreter Development.Module)
# pyenv's shim picks the interpreter per directory: pin the real binary.
execute_process(COMMAND "${Python3_EXECUTABLE}" -c "import sys; print(sys.executable)"
  OUTPUT_VARIABLE _py_real OUTPUT_STRIP_TRAILING_WHITESPACE)
if(_py_real)
  set(_py_exe "${_py_real}")
else()
  set(_py_exe "${Python3_EXECUTABLE}")
endif()

# The numpy test needs an interpreter of the same CPython minor with numpy
# importable (Debian's python3 with python3-numpy): the first on PATH.
if(NOT DEFINED MMAPKIT_NUMPY_PYTHON)
  set(_py_numpy "")
  execute_process(COMMAND sh -c "which -a python3 python3.${Python3_VERSION_MINOR}"
    OUTPUT_VARIABLE _py_cands OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  string(REPLACE "\n" ";" _py_cands "${_py_cands}")
  foreach(_c IN LISTS _py_cands)
    execute_process(COMMAND "${_c}" -c
      "import sys, numpy; sys.exit(sys.version_info[:2] != (${Python3_VERSION_MAJOR}, ${Python3_VERSION_MINOR}))"
      RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
    if(_rc EQUAL 0)
      set(_py_numpy "${_c}")
      break()
    endif()
  endforeach()
  set(MMAPKIT_NUMPY_PYTHON "${_py_numpy}" CACHE FILEPATH
    "Interpreter with numpy for the numpy test (same CPython minor as Python3_EXECUTABLE)")
endif()
message(STATUS "Python: numpy test interpreter: ${MMAPKIT_NUMPY_PYTHON}")

Python3_add_library(mmapkit_python MODULE WITH_SOABI "${_py_wrap}" ${_py_c_sources})
target_include_directories(mmapkit_python PRIVATE "${_py_src}/src")
# The hot slots call across python/src's files (mmkpy_view_of in the shim,
# mmkpy_view_ok in view.c): link-time optimisation inlines them again, as
# when all of it sat in one generated file.
include(CheckIPOSupported)
check_ipo_supported(RESULT _py_ipo OUTPUT _py_ipo_why LANGUAGES C)
if(_py_ipo)
  set_property(TARGET mmapkit_python PROPERTY INTERPROCEDURAL_OPTIMIZATION TRUE)
endif()
set_target_properties(mmapkit_python PROPERTIES
  OUTPUT_NAME _core
  LIBRARY_OUTPUT_DIRECTORY "${_py_bin}/lib"
  C_VISIBILITY_PRESET hidden)
target_link_libraries(mmapkit_python PRIVATE mmapkit::static)
# Keep the static core's symbols out of the extension's dynamic table so
# they never clash with another copy (the JNI or .NET library) in-process.
target_link_options(mmapkit_python PRIVATE "LINKER:--exclude-libs,ALL")
if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
  # SWIG's generated code is not warning-clean; python/src is held to -Wall.
  set_source_files_properties("${_py_wrap}" PROPERTIES COMPILE_OPTIONS
    "-Wno-unused-parameter;-Wno-missing-field-initializers")
  set_source_files_properties(${_py_c_sources} PROPERTIES COMPILE_OPTIONS
    "-Wall;-Wextra;-Wno-missing-field-initializers")
endif()

# --- wheels and sdist ----------------------------------------------------------
# python/build_backend.py (the PEP 517 backend of pyproject.toml, standard
# library only) packs each built extension into a wheel tagged with its own
# cpXY and manylinux_2_N from the glibc versions it imports, and writes the
# sdist; `pip install .` goes through the same backend.
set(_py_backend "${_py_src}/build_backend.py")
file(GLOB _py_package_files CONFIGURE_DEPENDS
  "${_py_src}/mmapkit/*.py" "${_py_src}/mmapkit/*.pyi" "${_py_src}/mmapkit/py.typed")
set(_py_pack_deps "${_py_backend}" ${_py_package_files} "${PROJECT_SOURCE_DIR}/pyproject.toml"
    "${_py_src}/README.md" "${PROJECT_SOURCE_DIR}/LICENSE")

# mmk_python_wheel(<target> <extension target or file> <name>): dist/ gets
# the wheel; <target>'s stamp file holds its path.
function(mmk_python_wheel target ext name)
  set(stamp "${_py_bin}/${name}.wheel")
  set(stage "${_py_bin}/stage-${name}")
  if(TARGET ${ext})
    set(ext_file "$<TARGET_FILE:${ext}>")
    set(staged "${stage}/$<TARGET_FILE_NAME:${ext}>")
  else()
    set(ext_file "${ext}")
    get_filename_component(ext_name "${ext}" NAME)
    set(staged "${stage}/${ext_name}")
  endif()
  # The wheel ships the extension without debug info (the build tree keeps it).
  set(strip "")
  if(CMAKE_STRIP AND TARGET ${ext}) # a cross build's file is not for this strip
    set(strip COMMAND "${CMAKE_STRIP}" --strip-debug "${staged}")
  endif()
  add_custom_command(
    OUTPUT "${stamp}"
    COMMAND "${CMAKE_COMMAND}" -E rm -rf "${stage}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${stage}"
    COMMAND "${CMAKE_COMMAND}" -E copy "${ext_file}" "${staged}"
    ${strip}
    COMMAND "${_py_exe}" "${_py_backend}" wheel --ext "${staged}"
            --out "${MMAPKIT_DIST_DIR}" --stamp "${stamp}"
    DEPENDS ${ext} ${_py_pack_deps}
    COMMENT "Python: the ${name} wheel"
    VERBATIM)
  add_custom_target(${target} ALL DEPENDS "${stamp}")
endfunction()

mmk_python_wheel(mmapkit_python_wheel mmapkit_python
  "cp${Python3_VERSION_MAJOR}${Python3_VERSION_MINOR}")
set(MMAPKIT_WHEEL_STAMP "${_py_bin}/cp${Python3_VERSION_MAJOR}${Python3_VERSION_MINOR}.wheel")

# The other CPythons of this machine (3.11+, each with its headers): one
# extension and wheel each. MMAPKIT_EXTRA_PYTHONS lists their interpreters;
# by default the ones pyenv has.
if(NOT DEFINED MMAPKIT_EXTRA_PYTHONS)
  set(_py_found "")
  find_program(MMK_PYENV pyenv)
  if(MMK_PYENV)
    execute_process(COMMAND "${MMK_PYENV}" root OUTPUT_VARIABLE _py_root
      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    file(GLOB _py_cands "${_py_root}/versions/3.*/bin/python3")
    list(SORT _py_cands COMPARE NATURAL)
    foreach(_c IN LISTS _py_cands)
      if(_c MATCHES "/versions/3\\.([0-9]+)\\.[0-9]+/bin/python3$"
         AND CMAKE_MATCH_1 GREATER_EQUAL 11
         AND NOT CMAKE_MATCH_1 EQUAL Python3_VERSION_MINOR)
        list(APPEND _py_found "${_c}")
      endif()
    endforeach()
  endif()
  set(MMAPKIT_EXTRA_PYTHONS "${_py_found}" CACHE STRING
    "Other CPython 3.11+ interpreters to build a wheel for (default: pyenv's)")
endif()
set(MMAPKIT_EXTRA_WHEEL_STAMPS "")
set(MMAPKIT_EXTRA_WHEEL_PYTHONS "")
foreach(_x IN LISTS MMAPKIT_EXTRA_PYTHONS)
  execute_process(COMMAND "${_x}" -c
    "import sys,sysconfig as s;print(f'cp{sys.version_info[0]}{sys.version_info[1]}');print(s.get_paths()['include']);print(s.get_config_var('EXT_SUFFIX'))"
    OUTPUT_VARIABLE _xinfo RESULT_VARIABLE _xrc OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _xrc EQUAL 0)
    message(STATUS "Python: ${_x} does not run: no wheel for it")
    continue()
  endif()
  string(REPLACE "\n" ";" _xinfo "${_xinfo}")
  list(GET _xinfo 0 _xtag)
  list(GET _xinfo 1 _xinc)
  list(GET _xinfo 2 _xsuffix)
  if(NOT EXISTS "${_xinc}/Python.h")
    message(STATUS "Python: ${_x} has no Python.h: no ${_xtag} wheel")
    continue()
  endif()
  add_library(mmapkit_python_${_xtag} MODULE "${_py_wrap}" ${_py_c_sources})
  target_include_directories(mmapkit_python_${_xtag} PRIVATE "${_py_src}/src" "${_xinc}")
  set_target_properties(mmapkit_python_${_xtag} PROPERTIES
    PREFIX "" OUTPUT_NAME _core SUFFIX "${_xsuffix}"
    LIBRARY_OUTPUT_DIRECTORY "${_py_bin}/lib-${_xtag}"
    C_VISIBILITY_PRESET hidden)
  if(_py_ipo)
    set_property(TARGET mmapkit_python_${_xtag} PROPERTY INTERPROCEDURAL_OPTIMIZATION TRUE)
  endif()
  target_link_libraries(mmapkit_python_${_xtag} PRIVATE mmapkit::static)
  target_link_options(mmapkit_python_${_xtag} PRIVATE "LINKER:--exclude-libs,ALL")
  target_compile_options(mmapkit_python_${_xtag} PRIVATE
    -Wno-unused-parameter -Wno-missing-field-initializers)
  mmk_python_wheel(mmapkit_python_wheel_${_xtag} mmapkit_python_${_xtag} "${_xtag}")
  list(APPEND MMAPKIT_EXTRA_WHEEL_PYTHONS "${_x}")
  message(STATUS "Python: a ${_xtag} wheel too, for ${_x}")
endforeach()

# The cross builds' extensions (MMAPKIT_NATIVES_DIR): the same package for
# another platform.
mmk_foreign_natives("_core.cpython-*-linux-gnu.so" _py_foreign)
foreach(_pair IN LISTS _py_foreign)
  string(REGEX REPLACE "=.*" "" _platform "${_pair}")
  string(REGEX REPLACE "^[^=]*=" "" _ext "${_pair}")
  if(NOT _platform MATCHES "^linux-")
    continue()
  endif()
  mmk_python_wheel(mmapkit_python_wheel_${_platform} "${_ext}" "${_platform}")
  message(STATUS "Python: a ${_platform} wheel from ${_ext}")
endforeach()

set(MMAPKIT_SDIST "${MMAPKIT_DIST_DIR}/mmapkit-${PROJECT_VERSION}.tar.gz")
file(GLOB_RECURSE _py_sdist_inputs CONFIGURE_DEPENDS
  "${PROJECT_SOURCE_DIR}/core/*" "${PROJECT_SOURCE_DIR}/bindings/*" "${_py_src}/src/*")
add_custom_command(
  OUTPUT "${MMAPKIT_SDIST}"
  COMMAND "${_py_exe}" "${_py_backend}" sdist --out "${MMAPKIT_DIST_DIR}"
  DEPENDS ${_py_pack_deps} ${_py_sdist_inputs} "${PROJECT_SOURCE_DIR}/CMakeLists.txt"
  COMMENT "Python: ${MMAPKIT_SDIST}"
  VERBATIM)
add_custom_target(mmapkit_python_sdist ALL DEPENDS "${MMAPKIT_SDIST}")

# --- tests: against the wheel installed into fresh venvs ---------------------
if(BUILD_TESTING)
  set(_py_testenv "${_py_bin}/testenv")
  add_test(NAME python_install_wheel
    COMMAND "${CMAKE_COMMAND}"
            -DPYTHON=${_py_exe} -DVENV=${_py_testenv}
            -DDIST=${MMAPKIT_DIST_DIR} -DVERSION=${PROJECT_VERSION} -DSYSTEM_SITE=OFF
            -P "${PROJECT_SOURCE_DIR}/tests/python/install_wheel.cmake")
  set_tests_properties(python_install_wheel PROPERTIES
    LABELS python FIXTURES_SETUP mmapkit_py_venv)

  # One CTest test per module, run from a scratch directory so that nothing
  # but the installed package can be imported.
  file(GLOB _py_test_files CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/tests/python/test_*.py")
  list(FILTER _py_test_files EXCLUDE REGEX "test_numpy\\.py$")
  set(_py_scratch "${_py_bin}/testrun")
  file(MAKE_DIRECTORY "${_py_scratch}")
  foreach(_t IN LISTS _py_test_files)
    get_filename_component(_name "${_t}" NAME_WE)
    add_test(NAME python_${_name}
      COMMAND "${_py_testenv}/bin/python" -X faulthandler -m unittest -v "${_name}"
      WORKING_DIRECTORY "${_py_scratch}")
    set_tests_properties(python_${_name} PROPERTIES
      LABELS python FIXTURES_REQUIRED mmapkit_py_venv TIMEOUT 300
      ENVIRONMENT "PYTHONPATH=${PROJECT_SOURCE_DIR}/tests/python;PYTHONDONTWRITEBYTECODE=1")
  endforeach()

  # CPython's own test_mmap with mmap.mmap replaced by mmapkit.mmap.
  add_test(NAME python_cpython_test_mmap
    COMMAND "${_py_testenv}/bin/python" -X faulthandler
            "${PROJECT_SOURCE_DIR}/tests/python/cpython_test_mmap.py"
    WORKING_DIRECTORY "${_py_scratch}")
  set_tests_properties(python_cpython_test_mmap PROPERTIES
    LABELS python FIXTURES_REQUIRED mmapkit_py_venv TIMEOUT 300
    ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")

  # The other CPythons' wheels, and the sdist built by pip with CMake.
  set(_py_smoke "${PROJECT_SOURCE_DIR}/tests/python/wheel_smoke.py")
  foreach(_x IN LISTS MMAPKIT_EXTRA_WHEEL_PYTHONS)
    execute_process(COMMAND "${_x}" -c "import sys;print(f'cp{sys.version_info[0]}{sys.version_info[1]}')"
      OUTPUT_VARIABLE _xtag OUTPUT_STRIP_TRAILING_WHITESPACE)
    add_test(NAME python_wheel_${_xtag}
      COMMAND "${CMAKE_COMMAND}" -E env "VENV=${_py_bin}/venv-${_xtag}" sh -c
              "\"$0\" -DPYTHON=\"$1\" -DVENV=\"$VENV\" -DDIST=\"$2\" -DVERSION=\"$3\" -P \"$4\" && \"$VENV/bin/python\" \"$5\" \"$3\""
              "${CMAKE_COMMAND}" "${_x}" "${MMAPKIT_DIST_DIR}" "${PROJECT_VERSION}"
              "${PROJECT_SOURCE_DIR}/tests/python/install_wheel.cmake" "${_py_smoke}"
      WORKING_DIRECTORY "${_py_scratch}")
    set_tests_properties(python_wheel_${_xtag} PROPERTIES LABELS "python;packaging" TIMEOUT 300
      FIXTURES_SETUP mmapkit_py_${_xtag})
    # That CPython's own test_mmap against its wheel (3.13 adds trackfd & co).
    add_test(NAME python_cpython_test_mmap_${_xtag}
      COMMAND "${_py_bin}/venv-${_xtag}/bin/python" -X faulthandler
              "${PROJECT_SOURCE_DIR}/tests/python/cpython_test_mmap.py"
      WORKING_DIRECTORY "${_py_scratch}")
    set_tests_properties(python_cpython_test_mmap_${_xtag} PROPERTIES
      LABELS python FIXTURES_REQUIRED mmapkit_py_${_xtag} TIMEOUT 300
      ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
  endforeach()
  add_test(NAME python_sdist_install
    COMMAND "${CMAKE_COMMAND}" -E env "VENV=${_py_bin}/venv-sdist" sh -c
            "\"$0\" -DPYTHON=\"$1\" -DVENV=\"$VENV\" -DDIST=\"$2\" -DVERSION=\"$3\" -DSDIST=ON -P \"$4\" && \"$VENV/bin/python\" \"$5\" \"$3\""
            "${CMAKE_COMMAND}" "${_py_exe}" "${MMAPKIT_DIST_DIR}" "${PROJECT_VERSION}"
            "${PROJECT_SOURCE_DIR}/tests/python/install_wheel.cmake" "${_py_smoke}"
    WORKING_DIRECTORY "${_py_scratch}")
  set_tests_properties(python_sdist_install PROPERTIES LABELS "python;packaging" TIMEOUT 900)

  # numpy: Debian's python3 (same cp311 ABI) with its python3-numpy.
  if(EXISTS "${MMAPKIT_NUMPY_PYTHON}")
    set(_py_numpyenv "${_py_bin}/numpyenv")
    add_test(NAME python_install_wheel_numpy
      COMMAND "${CMAKE_COMMAND}"
              -DPYTHON=${MMAPKIT_NUMPY_PYTHON} -DVENV=${_py_numpyenv}
              -DDIST=${MMAPKIT_DIST_DIR} -DVERSION=${PROJECT_VERSION} -DSYSTEM_SITE=ON
              -P "${PROJECT_SOURCE_DIR}/tests/python/install_wheel.cmake")
    set_tests_properties(python_install_wheel_numpy PROPERTIES
      LABELS python FIXTURES_SETUP mmapkit_py_numpyenv)
    add_test(NAME python_test_numpy
      COMMAND "${_py_numpyenv}/bin/python" -m unittest -v test_numpy
      WORKING_DIRECTORY "${_py_scratch}")
    set_tests_properties(python_test_numpy PROPERTIES
      LABELS python FIXTURES_REQUIRED mmapkit_py_numpyenv TIMEOUT 300
      ENVIRONMENT "PYTHONPATH=${PROJECT_SOURCE_DIR}/tests/python;PYTHONDONTWRITEBYTECODE=1")
  endif()
endif()
