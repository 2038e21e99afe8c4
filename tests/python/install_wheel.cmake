# Installs the wheel into a brand-new venv, as a user would:
#   cmake -DPYTHON=<interpreter> -DVENV=<dir> -DWHEEL=<file> -DSYSTEM_SITE=ON|OFF -P install_wheel.cmake
foreach(var PYTHON VENV WHEEL)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "install_wheel.cmake: ${var} is not set")
  endif()
endforeach()
if(NOT EXISTS "${WHEEL}")
  message(FATAL_ERROR "install_wheel.cmake: ${WHEEL} does not exist (build first)")
endif()
file(REMOVE_RECURSE "${VENV}")
set(venv_args -m venv)
if(SYSTEM_SITE)
  list(APPEND venv_args --system-site-packages)
endif()
execute_process(COMMAND "${PYTHON}" ${venv_args} "${VENV}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install_wheel.cmake: '${PYTHON} -m venv ${VENV}' failed (${rc})")
endif()
execute_process(
  COMMAND "${VENV}/bin/python" -m pip install --no-index --no-deps
          --disable-pip-version-check --quiet "${WHEEL}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install_wheel.cmake: pip install ${WHEEL} failed (${rc})")
endif()
