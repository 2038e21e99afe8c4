/*
 * bindings/python.i: the Python extension module mmapkit._core (SWIG,
 * -builtin). SWIG directives only; the C lives in python/src/ (see
 * python/README.md, "Maintainers", for the layout and why SWIG stays).
 *
 * Build: swig -python -builtin -interface _core -Icore/include -Ibindings
 *        -Ipython/src
 *
 * What SWIG generates from this file:
 * - the MMK_* constants of mmapkit.h and, of its functions, only the pure
 *   ones named in the whitelist below (version, strerror, err_name,
 *   page_size);
 * - the types File (struct mmkpy_file) and View (struct mmkpy_view): their
 *   tp_new/tp_init/tp_dealloc, method tables and argument conversion for
 *   the %extend declarations, each of which calls the C function of the
 *   same name in python/src (View.close -> mmkpy_view_close, the
 *   constructor -> new_mmkpy_view, ...), and View's slots, which are the
 *   functions named in the %feature lines;
 * - the module functions shm_unlink, shm_name_check, fault_guard_install.
 * The frame-free methods (mmap.__init__, File.map, the atomics...) are
 * PyMethodDefs in python/src, bound at import by python/src/module.c.
 *
 * Errors: every C function raises its own exception through mmkpy_raise
 * (python/src/errors.c) and returns NULL (or -1 / a value with the error
 * set); the one %exception below only hands that to Python.
 */
%module(package="mmapkit") _core

%begin %{
#define PY_SSIZE_T_CLEAN
%}

%{
#include "mmkpy.h"
%}

%exception {
  $action
  if (PyErr_Occurred())
    SWIG_fail;
}

/* 64-bit offsets and sizes: our conversion and its messages ("length does
 * not fit in 64 bits"), not SWIG's ("argument 5 of type 'int64_t'"). */
%typemap(in) int64_t {
  if (mmkpy_arg64($input, "$1_name", 0, 0, &$1) < 0)
    SWIG_fail;
}
%typemap(typecheck, precedence=SWIG_TYPECHECK_INT64) int64_t {
  $1 = PyIndex_Check($input);
}

/* The C API is a whitelist: every mmk_* function is left out but the pure
 * getters below (everything else Python does goes through the handles). */
%rename("$ignore", regextarget=1, %$isfunction) "^mmk_";
%rename("%s") mmk_version;
%rename("%s") mmk_strerror;
%rename("%s") mmk_err_name;
%rename("%s") mmk_page_size;
%include "mmapkit.i"

/* Module functions (python/src/file.c). */
%rename(shm_unlink) mmkpy_shm_unlink;
PyObject *mmkpy_shm_unlink(PyObject *name);
%rename(shm_name_check) mmkpy_shm_name_check;
PyObject *mmkpy_shm_name_check(PyObject *name);
%rename(fault_guard_install) mmkpy_fault_guard_install;
PyObject *mmkpy_fault_guard_install(void);

/* ---------------------------------------------------------------------
 * File(kind, name, mode, flags, size, fd): python/src/file.c
 * ------------------------------------------------------------------- */
%rename(File) mmkpy_file;
typedef struct mmkpy_file {} mmkpy_file;

%extend mmkpy_file {
  mmkpy_file(int kind, PyObject *name, int mode, unsigned flags,
             int64_t size, int fd);
  ~mmkpy_file();
  PyObject *_name();
  int _kind();
  int _created();
  int _closed();
  PyObject *close();
  PyObject *size();
  PyObject *resize(int64_t new_size);
  PyObject *lock(int64_t offset, int64_t length, int kind, int wait);
  PyObject *unlock(int64_t offset, int64_t length);
  PyObject *mode();
  PyObject *kind();
  PyObject *fileno();
  PyObject *path();
}

/* ---------------------------------------------------------------------
 * View(file, offset, length, reserve, options, compat): python/src/view.c,
 * slots.c (the slots) and filelike.c (mmap.mmap's file-like methods)
 * ------------------------------------------------------------------- */
%rename(View) mmkpy_view;
%feature("python:mp_length") mmkpy_view "mmkpy_view_length";
%feature("python:sq_length") mmkpy_view "mmkpy_view_length";
%feature("python:mp_subscript") mmkpy_view "mmkpy_view_subscript";
%feature("python:mp_ass_subscript") mmkpy_view "mmkpy_view_ass_subscript";
%feature("python:sq_item") mmkpy_view "mmkpy_view_item";
%feature("python:sq_ass_item") mmkpy_view "mmkpy_view_ass_item";
%feature("python:sq_contains") mmkpy_view "mmkpy_view_contains";
%feature("python:bf_getbuffer", functype="getbufferproc") mmkpy_view "mmkpy_view_getbuffer";
%feature("python:bf_releasebuffer", functype="releasebufferproc") mmkpy_view "mmkpy_view_releasebuffer";

typedef struct mmkpy_view {} mmkpy_view;

%extend mmkpy_view {
  mmkpy_view(mmkpy_file *file, int64_t offset, int64_t length,
             int64_t reserve, unsigned options, int compat);
  ~mmkpy_view();
  PyObject *close();
  int _closed();
  int _initialized();
  PyObject *_offset();
  PyObject *_size();
  PyObject *_reserved();
  PyObject *_writable();
  PyObject *_mode();
  int64_t _exports();
  PyObject *flush(int64_t offset, int64_t length, int how);
  PyObject *advise(int64_t offset, int64_t length, int advice);
  PyObject *lock_memory();
  PyObject *unlock_memory();
  PyObject *resident(int64_t offset, int64_t length);
  PyObject *resize(int64_t new_length);
  PyObject *read_into(PyObject *buf, int64_t offset);
  PyObject *write_from(PyObject *data, int64_t offset);
  PyObject *find(PyObject *sub, PyObject *start = NULL, PyObject *end = NULL);
  PyObject *rfind(PyObject *sub, PyObject *start = NULL, PyObject *end = NULL);
  PyObject *read(PyObject *n = NULL);
  PyObject *read_byte();
  PyObject *readline();
  PyObject *write(PyObject *data);
  PyObject *write_byte(PyObject *value);
  PyObject *seek(PyObject *pos, PyObject *whence = NULL);
  PyObject *tell();
  PyObject *move(int64_t dest, int64_t src, int64_t count);
}

/* The only code that sees SWIG's runtime; it needs the names above. */
%wrapper %{
#include "swig_shim.c"
%}

%init %{
  if (mmkpy_module_init(m) < 0)
    return NULL;
%}
