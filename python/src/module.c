/*
 * python/src/module.c: what mmapkit._core adds at import to what SWIG
 * generates: mmapkit.FaultError, the frame-free methods as descriptors of
 * the handle types, _register_view_class, and the fault guard. Called from
 * the %init block of bindings/python.i.
 */
#include "mmkpy.h"

PyObject *mmkpy_mmap_class;

static int mmkpy_register(PyObject *cls, PyObject **slot)
{
  if (!PyType_Check(cls) ||
      !PyType_IsSubtype((PyTypeObject *)cls, mmkpy_view_type())) {
    PyErr_SetString(PyExc_TypeError, "expected a subclass of View");
    return -1;
  }
  Py_INCREF(cls);
  Py_XSETREF(*slot, cls);
  return 0;
}

static PyObject *mmkpy_register_view(PyObject *mod, PyObject *cls)
{
  (void)mod;
  if (mmkpy_register(cls, &mmkpy_view_class) < 0)
    return NULL;
  Py_RETURN_NONE;
}

static PyObject *mmkpy_register_mmap(PyObject *mod, PyObject *cls)
{
  (void)mod;
  if (mmkpy_register(cls, &mmkpy_mmap_class) < 0)
    return NULL;
  Py_RETURN_NONE;
}

static PyMethodDef mmkpy_module_defs[] = {
  {"_register_view_class", mmkpy_register_view, METH_O,
   "Registers mmapkit.View, the class MappedFile.map returns."},
  {"_register_mmap_class", mmkpy_register_mmap, METH_O,
   "Registers mmapkit.mmap, whose tp_new is the standard library's "
   "constructor."},
  {NULL, NULL, 0, NULL}
};

/* Module attribute -> method of File (on_view 0) or View (1). mmapkit's
 * Python classes bind them (MappedFile.map = _core._file_map, ...). */
static const struct {
  const char *attr;
  int on_view;
  PyMethodDef *def;
} mmkpy_descriptors[] = {
  {"_file_map", 0, &mmkpy_file_map_def},
  {"_mmap_init", 1, &mmkpy_mmap_init_def},
  {"_mmap_close", 1, &mmkpy_mmap_close_def},
  {"_mmap_resize", 1, &mmkpy_mmap_resize_def},
  {"_view_atomic_load", 1, &mmkpy_atomic_load_def},
  {"_view_atomic_store", 1, &mmkpy_atomic_store_def},
  {"_view_atomic_add", 1, &mmkpy_atomic_add_def},
  {"_view_atomic_cas", 1, &mmkpy_atomic_cas_def},
  {"_view_wait", 1, &mmkpy_wait_def},
  {"_view_wake", 1, &mmkpy_wake_def},
};

int mmkpy_module_init(PyObject *m)
{
  size_t i;
  mmkpy_FaultError = PyErr_NewExceptionWithDoc(
      "mmapkit.FaultError",
      "Mapped memory faulted (e.g. the file was truncated by another "
      "process). An OSError with errno EIO; the interpreter keeps running.",
      PyExc_OSError, NULL);
  if (!mmkpy_FaultError ||
      PyModule_AddObjectRef(m, "FaultError", mmkpy_FaultError) < 0)
    return -1;
  if (mmkpy_shim_init() < 0)
    return -1;
  mmkpy_str_h = PyUnicode_InternFromString("_h");
  mmkpy_str_anon = PyUnicode_InternFromString("_anon");
  mmkpy_str_access = PyUnicode_InternFromString("_access");
  if (!mmkpy_str_h || !mmkpy_str_anon || !mmkpy_str_access)
    return -1;
  for (i = 0; i < sizeof mmkpy_descriptors / sizeof *mmkpy_descriptors; i++) {
    PyTypeObject *t = mmkpy_descriptors[i].on_view ? mmkpy_view_type()
                                                   : mmkpy_file_type();
    PyObject *d = PyDescr_NewMethod(t, mmkpy_descriptors[i].def);
    if (!d || PyModule_AddObject(m, mmkpy_descriptors[i].attr, d) < 0) {
      Py_XDECREF(d);
      return -1;
    }
  }
  if (PyModule_AddFunctions(m, mmkpy_module_defs) < 0)
    return -1;
  mmk_fault_guard_install();
  return 0;
}
