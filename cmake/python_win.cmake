# cmake/python_win.cmake: the CPython extension compiled and linked for
# win_amd64 (mingw-w64), a check that mmapkit._core builds for Windows; no
# Windows CPython runs here, so nothing is tested or packed (no wheel).
# Included by cmake/python.cmake in a Windows cross build, after the SWIG
# wrapper's rule (_py_wrap, _py_c_sources, _py_src, _py_bin).
#
# What it needs of the machine, found or the check is left out (said so):
#   MMAPKIT_WIN_PYTHON_INCLUDE  CPython 3.11's Include/ (pyenv's 3.11 by
#                               default); its POSIX pyconfig.h is replaced
#                               by python/native/win32/pyconfig.h
#   MMAPKIT_WIN_PYTHON_LIB      a libpython3.11.so whose exported symbols
#                               stand for python311.dll's (the same API)
# python311.dll's import library is made from a .def of those symbols with
# dlltool, so the link fails on any name CPython 3.11 does not export.

file(GLOB _pyw_inc_default "$ENV{HOME}/.pyenv/versions/3.11*/include/python3.11")
file(GLOB _pyw_lib_default "$ENV{HOME}/.pyenv/versions/3.11*/lib/libpython3.11.so")
foreach(_v IN ITEMS _pyw_inc_default _pyw_lib_default) # the newest 3.11
  if(${_v})
    list(SORT ${_v})
    list(GET ${_v} -1 ${_v})
  endif()
endforeach()
set(MMAPKIT_WIN_PYTHON_INCLUDE "${_pyw_inc_default}" CACHE PATH
  "CPython 3.11's Include/ for the win_amd64 link check")
set(MMAPKIT_WIN_PYTHON_LIB "${_pyw_lib_default}" CACHE FILEPATH
  "libpython3.11.so whose exports stand for python311.dll's")
find_program(MMK_DLLTOOL NAMES ${MMAPKIT_MINGW_PREFIX}-dlltool dlltool)
find_program(MMK_NM NAMES nm)
if(NOT EXISTS "${MMAPKIT_WIN_PYTHON_INCLUDE}/Python.h" OR
   NOT EXISTS "${MMAPKIT_WIN_PYTHON_LIB}" OR NOT MMK_DLLTOOL OR NOT MMK_NM)
  message(STATUS "Python (win_amd64): no CPython 3.11 headers and library, "
                 "or no dlltool: the link check is left out")
  return()
endif()

# Python.h includes "pyconfig.h" from its own directory first: the headers
# are staged without the POSIX one, ours comes first on the include path.
set(_pyw_dir "${_py_bin}/win_amd64")
file(REMOVE_RECURSE "${_pyw_dir}/include")
file(COPY "${MMAPKIT_WIN_PYTHON_INCLUDE}/" DESTINATION "${_pyw_dir}/include"
     PATTERN "pyconfig.h" EXCLUDE)

# python311.def: every Py*/_Py* symbol the library defines, data marked.
execute_process(COMMAND "${MMK_NM}" -D --defined-only "${MMAPKIT_WIN_PYTHON_LIB}"
  OUTPUT_VARIABLE _pyw_nm RESULT_VARIABLE _pyw_rc)
if(NOT _pyw_rc EQUAL 0)
  message(FATAL_ERROR "nm -D ${MMAPKIT_WIN_PYTHON_LIB} failed")
endif()
string(REPLACE "\n" ";" _pyw_lines "${_pyw_nm}")
set(_pyw_def "LIBRARY python311.dll\nEXPORTS\n")
foreach(_line IN LISTS _pyw_lines)
  if(_line MATCHES "^[0-9a-f]+ ([A-Za-z]) (_?Py[A-Za-z0-9_]*)$")
    set(_pyw_kind "${CMAKE_MATCH_1}")
    set(_pyw_name "${CMAKE_MATCH_2}")
    if(_pyw_kind MATCHES "^[TtWi]$")
      string(APPEND _pyw_def "  ${_pyw_name}\n")
    else()
      string(APPEND _pyw_def "  ${_pyw_name} DATA\n")
    endif()
  endif()
endforeach()
file(WRITE "${_pyw_dir}/python311.def" "${_pyw_def}")
set(_pyw_implib "${_pyw_dir}/libpython311.a")
add_custom_command(
  OUTPUT "${_pyw_implib}"
  COMMAND "${MMK_DLLTOOL}" -d "${_pyw_dir}/python311.def" -D python311.dll
          -l "${_pyw_implib}"
  DEPENDS "${_pyw_dir}/python311.def"
  COMMENT "Python (win_amd64): import library for python311.dll"
  VERBATIM)
add_custom_target(mmapkit_python_implib DEPENDS "${_pyw_implib}")

add_library(mmapkit_python MODULE "${_py_wrap}" ${_py_c_sources})
add_dependencies(mmapkit_python mmapkit_python_implib)
target_include_directories(mmapkit_python PRIVATE
  "${PROJECT_SOURCE_DIR}/python/native/win32" "${_pyw_dir}/include" "${_py_src}/src")
target_compile_options(mmapkit_python PRIVATE -Wno-unused-parameter
                       -Wno-missing-field-initializers)
# -static: no mingw runtime DLL; PyInit__core (PyMODINIT_FUNC: dllexport)
# is the only export.
set_target_properties(mmapkit_python PROPERTIES
  PREFIX "" OUTPUT_NAME _core SUFFIX ".cp311-win_amd64.pyd"
  LIBRARY_OUTPUT_DIRECTORY "${_py_bin}/lib")
target_link_libraries(mmapkit_python PRIVATE mmapkit::static "${_pyw_implib}")
target_link_options(mmapkit_python PRIVATE -static -Wl,--no-undefined)
