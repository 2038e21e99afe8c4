# Python binding: the SWIG extension mmapkit._core (core linked statically),
# the wheel dist/mmapkit-<version>-cp311-cp311-linux_x86_64.whl built offline
# as part of the default build, and the tests run against that wheel
# installed into fresh venvs (label "python").
#
# Knobs:
#   Python3_EXECUTABLE        interpreter to build for (default: python3 on PATH,
#                             pyenv's 3.11 on the reference machine)
#   MMAPKIT_WHEEL_WHL         the offline `wheel` package for the build venv
#   MMAPKIT_NUMPY_PYTHON      interpreter that has numpy (Debian's python3)

find_package(SWIG 4.0 REQUIRED)

set(MMAPKIT_WHEEL_WHL "/usr/share/python-wheels/wheel-0.38.4-py3-none-any.whl"
  CACHE FILEPATH "Offline wheel of the `wheel` package (Debian python3-wheel-whl)")
set(MMAPKIT_NUMPY_PYTHON "/usr/bin/python3"
  CACHE FILEPATH "Interpreter with numpy for the numpy test (same ABI as Python3_EXECUTABLE)")

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
          -I${PROJECT_SOURCE_DIR}/core/include -I${PROJECT_SOURCE_DIR}/bindings
          -outdir "${_py_bin}/swig" -o "${_py_wrap}"
          "${PROJECT_SOURCE_DIR}/bindings/python.i"
  COMMAND "${CMAKE_COMMAND}" -E make_directory "${_py_bin}/swig"
  DEPENDS "${PROJECT_SOURCE_DIR}/bindings/python.i"
          "${PROJECT_SOURCE_DIR}/bindings/mmapkit.i"
          "${PROJECT_SOURCE_DIR}/core/include/mmapkit.h"
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

# --- wheel ------------------------------------------------------------------
# A build venv made from the target interpreter gets `wheel` from the offline
# Debian wheel file (nothing is installed into the interpreter itself); the
# package is staged in the build tree and `pip wheel` runs offline there.
set(_py_buildenv "${_py_bin}/buildenv")
set(_py_buildenv_stamp "${_py_buildenv}/.mmapkit-ready")
add_custom_command(
  OUTPUT "${_py_buildenv_stamp}"
  COMMAND "${CMAKE_COMMAND}" -E rm -rf "${_py_buildenv}"
  COMMAND "${_py_exe}" -m venv "${_py_buildenv}"
  COMMAND "${_py_buildenv}/bin/python" -m pip install --quiet --no-index
          --disable-pip-version-check "${MMAPKIT_WHEEL_WHL}"
  COMMAND "${CMAKE_COMMAND}" -E touch "${_py_buildenv_stamp}"
  COMMENT "Python: build venv with the offline `wheel` package"
  VERBATIM)

file(GLOB _py_package_files CONFIGURE_DEPENDS
  "${_py_src}/mmapkit/*.py" "${_py_src}/mmapkit/*.pyi" "${_py_src}/mmapkit/py.typed")
set(_py_stage "${_py_bin}/stage")
# The wheel ships the extension without debug info (the build tree keeps it).
set(_py_strip "")
if(CMAKE_STRIP)
  set(_py_strip COMMAND "${CMAKE_STRIP}" --strip-debug
      "${_py_stage}/mmapkit/$<TARGET_FILE_NAME:mmapkit_python>")
endif()
set(MMAPKIT_WHEEL "${MMAPKIT_DIST_DIR}/mmapkit-${PROJECT_VERSION}-cp${Python3_VERSION_MAJOR}${Python3_VERSION_MINOR}-cp${Python3_VERSION_MAJOR}${Python3_VERSION_MINOR}-linux_x86_64.whl")
add_custom_command(
  OUTPUT "${MMAPKIT_WHEEL}"
  COMMAND "${CMAKE_COMMAND}" -E rm -rf "${_py_stage}"
  COMMAND "${CMAKE_COMMAND}" -E copy_directory "${_py_src}" "${_py_stage}"
  COMMAND "${CMAKE_COMMAND}" -E copy "$<TARGET_FILE:mmapkit_python>" "${_py_stage}/mmapkit/"
  ${_py_strip}
  COMMAND "${CMAKE_COMMAND}" -E rm -f "${MMAPKIT_WHEEL}"
  COMMAND "${CMAKE_COMMAND}" -E env MMAPKIT_VERSION=${PROJECT_VERSION}
          "${_py_buildenv}/bin/python" -m pip wheel --quiet --no-build-isolation
          --no-index --no-deps --disable-pip-version-check
          --wheel-dir "${MMAPKIT_DIST_DIR}" "${_py_stage}"
  DEPENDS mmapkit_python "${_py_buildenv_stamp}" ${_py_package_files}
          "${_py_src}/setup.py" "${_py_src}/pyproject.toml"
  COMMENT "Python: ${MMAPKIT_WHEEL}"
  VERBATIM)
add_custom_target(mmapkit_python_wheel ALL DEPENDS "${MMAPKIT_WHEEL}")

# --- wheels of the cross builds' extensions (MMAPKIT_NATIVES_DIR) -----------
# Same package, another platform's _core: the ABI tag must match the host
# interpreter's (cp311 here), the platform tag comes from the glibc symbol
# versions the extension imports (cmake/foreign_wheel.cmake).
find_program(MMAPKIT_OBJDUMP objdump)
mmk_foreign_natives("_core.cpython-${Python3_VERSION_MAJOR}${Python3_VERSION_MINOR}-*.so" _py_foreign)
foreach(_pair IN LISTS _py_foreign)
  string(REGEX REPLACE "=.*" "" _platform "${_pair}")
  string(REGEX REPLACE "^[^=]*=" "" _ext "${_pair}")
  string(REGEX REPLACE "^linux-" "" _arch "${_platform}")
  if(NOT _platform MATCHES "^linux-" OR NOT MMAPKIT_OBJDUMP)
    continue()
  endif()
  set(_stamp "${_py_bin}/wheel-${_platform}.stamp")
  add_custom_command(
    OUTPUT "${_stamp}"
    COMMAND "${CMAKE_COMMAND}" -DPYTHON=${_py_buildenv}/bin/python
            -DOBJDUMP=${MMAPKIT_OBJDUMP} -DSRC=${_py_src}
            -DSTAGE=${_py_bin}/stage-${_platform} -DEXT=${_ext} -DARCH=${_arch}
            -DDIST=${MMAPKIT_DIST_DIR} -DVERSION=${PROJECT_VERSION} -DSTAMP=${_stamp}
            -P "${PROJECT_SOURCE_DIR}/cmake/foreign_wheel.cmake"
    DEPENDS "${_ext}" "${_py_buildenv_stamp}" ${_py_package_files}
            "${_py_src}/setup.py" "${PROJECT_SOURCE_DIR}/cmake/foreign_wheel.cmake"
    COMMENT "Python: the ${_platform} wheel"
    VERBATIM)
  add_custom_target(mmapkit_python_wheel_${_platform} ALL DEPENDS "${_stamp}")
  message(STATUS "Python: a ${_platform} wheel from ${_ext}")
endforeach()

# --- tests: against the wheel installed into fresh venvs ---------------------
if(BUILD_TESTING)
  set(_py_testenv "${_py_bin}/testenv")
  add_test(NAME python_install_wheel
    COMMAND "${CMAKE_COMMAND}"
            -DPYTHON=${_py_exe} -DVENV=${_py_testenv}
            -DWHEEL=${MMAPKIT_WHEEL} -DSYSTEM_SITE=OFF
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

  # numpy: Debian's python3 (same cp311 ABI) with its python3-numpy.
  if(EXISTS "${MMAPKIT_NUMPY_PYTHON}")
    set(_py_numpyenv "${_py_bin}/numpyenv")
    add_test(NAME python_install_wheel_numpy
      COMMAND "${CMAKE_COMMAND}"
              -DPYTHON=${MMAPKIT_NUMPY_PYTHON} -DVENV=${_py_numpyenv}
              -DWHEEL=${MMAPKIT_WHEEL} -DSYSTEM_SITE=ON
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
