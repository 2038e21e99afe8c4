/*
 * python/native/win32/pyconfig.h: the configuration CPython's headers
 * need to compile an extension for 64-bit Windows (win_amd64) with
 * mingw-w64, beside a CPython 3.11 Include/ taken from a POSIX install
 * (whose own pyconfig.h describes that POSIX build). It says what a
 * python311.dll built by python.org is: shared (its API imported with
 * __declspec(dllimport)), Windows threads, the LLP64 type sizes. Only
 * cmake/python_win.cmake uses it, for a compile and link check.
 */
#ifndef MMAPKIT_WIN32_PYCONFIG_H
#define MMAPKIT_WIN32_PYCONFIG_H

#define MS_WINDOWS
#define MS_WIN32
#define MS_WIN64
#define NT_THREADS
#define WITH_THREAD
#define WITH_DOC_STRINGS 1

/* The API lives in python311.dll: PyAPI_FUNC/DATA are dllimport there
 * and PyMODINIT_FUNC is dllexport. */
#define Py_ENABLE_SHARED 1
#define HAVE_DECLSPEC_DLL

/* LLP64: long is 32 bits, pointers and size_t 64. */
#define SIZEOF_SHORT 2
#define SIZEOF_INT 4
#define SIZEOF_LONG 4
#define SIZEOF_LONG_LONG 8
#define SIZEOF_LONG_DOUBLE 16
#define SIZEOF_FLOAT 4
#define SIZEOF_DOUBLE 8
#define SIZEOF_VOID_P 8
#define SIZEOF_SIZE_T 8
#define SIZEOF_TIME_T 8
#define SIZEOF_OFF_T 4
#define SIZEOF_FPOS_T 8
#define SIZEOF_WCHAR_T 2
#define SIZEOF__BOOL 1
#define SIZEOF_PID_T SIZEOF_INT
#define SIZEOF_UINTPTR_T 8
#define ALIGNOF_SIZE_T 8
#define ALIGNOF_LONG 4
#define HAVE_SSIZE_T 1
#define HAVE_WCHAR_H 1
#define HAVE_STDDEF_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_ERRNO_H 1
#define HAVE_FCNTL_H 1
#define HAVE_SIGNAL_H 1
#define HAVE_IO_H 1
#define STDC_HEADERS 1
#define DOUBLE_IS_LITTLE_ENDIAN_IEEE754 1
#define PLATFORM "win32"

#endif /* MMAPKIT_WIN32_PYCONFIG_H */
