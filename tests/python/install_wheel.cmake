# Installs mmapkit into a brand-new venv the way a user would, letting pip
# pick the file in DIST that fits the interpreter (a wheel; with
# SDIST=ON the sdist, which pip builds through pyproject.toml's backend):
#   cmake -DPYTHON=<interpreter> -DVENV=<dir> -DDIST=<dir> -DVERSION=<x.y.z>
#         [-DSYSTEM_SITE=ON] [-DSDIST=ON] -P install_wheel.cmake
foreach(var PYTHON VENV DIST VERSION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "install_wheel.cmake: ${var} is not set")
  endif()
endforeach()
file(REMOVE_RECURSE "${VENV}")
set(venv_args -m venv)
if(SYSTEM_SITE)
  list(APPEND venv_args --system-site-packages)
endif()
execute_process(COMMAND "${PYTHON}" ${venv_args} "${VENV}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install_wheel.cmake: '${PYTHON} -m venv ${VENV}' failed (${rc})")
endif()
if(SDIST)
  set(what "${DIST}/mmapkit-${VERSION}.tar.gz")
else()
  set(what --only-binary :all: --find-links "${DIST}" "mmapkit==${VERSION}")
endif()
execute_process(
  COMMAND "${VENV}/bin/python" -m pip install --no-index --no-deps
          --disable-pip-version-check --quiet ${what}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install_wheel.cmake: pip install ${what} failed (${rc})")
endif()
