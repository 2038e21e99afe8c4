/*
 * python/src/swig_shim.c: the only code that sees SWIG's Python runtime
 * (SwigPyObject, the SWIGTYPE_p_* descriptors, SWIG_NewPointerObj). It is
 * compiled inside the generated wrapper (bindings/python.i includes it in
 * its %wrapper block), since those names exist only there; the rest of
 * python/src reaches SWIG's objects through the functions below
 * (declared in mmkpy.h).
 */

static PyTypeObject *mmkpy_swig_type(swig_type_info *ty)
{
  SwigPyClientData *cd = (SwigPyClientData *)ty->clientdata;
  return cd ? cd->pytype : NULL;
}

PyTypeObject *mmkpy_view_type(void)
{
  return mmkpy_swig_type(SWIGTYPE_p_mmkpy_view);
}

PyTypeObject *mmkpy_file_type(void)
{
  return mmkpy_swig_type(SWIGTYPE_p_mmkpy_file);
}

/* self of a method of View / File: -builtin objects are SwigPyObjects
 * whose ptr is the handle (NULL before __init__). */
mmkpy_view *mmkpy_view_of(PyObject *self)
{
  return (mmkpy_view *)((SwigPyObject *)self)->ptr;
}

mmkpy_file *mmkpy_file_of(PyObject *self)
{
  return (mmkpy_file *)((SwigPyObject *)self)->ptr;
}

mmkpy_file *mmkpy_file_from(PyObject *obj)
{
  void *pf = NULL;
  if (!SWIG_IsOK(SWIG_ConvertPtr(obj, &pf, SWIGTYPE_p_mmkpy_file, 0)) || !pf) {
    PyErr_SetString(PyExc_TypeError, "mmap._h is not a file handle");
    return NULL;
  }
  return (mmkpy_file *)pf;
}

PyObject *mmkpy_file_wrap(mmkpy_file *pf)
{
  PyObject *o = SWIG_InternalNewPointerObj(SWIG_as_voidptr(pf),
                                           SWIGTYPE_p_mmkpy_file,
                                           SWIG_POINTER_OWN);
  if (!o || o == Py_None) {
    Py_XDECREF(o);
    pf->closing = 1; /* never handed out: no ResourceWarning */
    delete_mmkpy_file(pf);
    if (!PyErr_Occurred())
      PyErr_SetString(PyExc_RuntimeError, "cannot wrap a file handle");
    return NULL;
  }
  return o;
}

int mmkpy_view_attach(PyObject *obj, mmkpy_view *pv)
{
  PyObject *r = SWIG_Python_NewPointerObj(obj, SWIG_as_voidptr(pv),
                                          SWIGTYPE_p_mmkpy_view,
                                          SWIG_BUILTIN_INIT);
  if (!r) {
    pv->closing = 1; /* never handed out: no ResourceWarning */
    delete_mmkpy_view(pv);
    return -1;
  }
  return 0;
}

/* tp_new of File and View: an object whose __init__ has not run (yet)
 * carries its SWIG type and a NULL handle, so every method reports
 * "closed" instead of SWIG dereferencing a missing type. */
static PyObject *mmkpy_tp_new_common(PyTypeObject *t, swig_type_info *ty)
{
  PyObject *o = PyType_GenericNew(t, NULL, NULL);
  if (o) {
    ((SwigPyObject *)o)->ty = ty;
    ((SwigPyObject *)o)->own = 0;
  }
  return o;
}

PyObject *mmkpy_view_alloc(PyTypeObject *t)
{
  return mmkpy_tp_new_common(t, SWIGTYPE_p_mmkpy_view);
}

/* mmapkit.mmap and its subclasses map in __new__, as the standard
 * library's mmap does. */
static PyObject *mmkpy_view_tp_new(PyTypeObject *t, PyObject *a, PyObject *k)
{
  if (mmkpy_mmap_class && PyType_IsSubtype(t, (PyTypeObject *)mmkpy_mmap_class))
    return mmkpy_mmap_new(t, a, k);
  return mmkpy_view_alloc(t);
}

static PyObject *mmkpy_file_tp_new(PyTypeObject *t, PyObject *a, PyObject *k)
{
  (void)a; (void)k;
  return mmkpy_tp_new_common(t, SWIGTYPE_p_mmkpy_file);
}

/* The Python subclasses (View, mmap, MappedFile) are collected, but their
 * __dict__ is the SWIG base's, which nothing traversed: a view in a cycle
 * through its attributes was never freed, nor unmapped. */
static int mmkpy_traverse_dict(PyObject *self, visitproc visit, void *arg)
{
  Py_VISIT(((SwigPyObject *)self)->dict);
  return 0;
}

static int mmkpy_clear_dict(PyObject *self)
{
  Py_CLEAR(((SwigPyObject *)self)->dict);
  return 0;
}

/* SWIG's tp_init of a -builtin type chains a second handle onto an object
 * that has one (leaking the first mapping or descriptor): refuse it. */
static initproc mmkpy_swig_view_init, mmkpy_swig_file_init;

static int mmkpy_init_once(PyObject *self, PyObject *a, PyObject *k,
                           initproc swig_init, const char *what)
{
  if (((SwigPyObject *)self)->ptr) {
    PyErr_Format(PyExc_TypeError, "%s.__init__ called twice", what);
    return -1;
  }
  return swig_init(self, a, k);
}

static int mmkpy_view_tp_init(PyObject *self, PyObject *a, PyObject *k)
{
  return mmkpy_init_once(self, a, k, mmkpy_swig_view_init, "View");
}

static int mmkpy_file_tp_init(PyObject *self, PyObject *a, PyObject *k)
{
  return mmkpy_init_once(self, a, k, mmkpy_swig_file_init, "File");
}

/* The types' __init__ attributes are slot wrappers made from SWIG's
 * tp_init when SWIG readied the types: point them at the guard too, so that
 * _core.View.__init__(obj, ...) reaches it and subclasses inherit the guard
 * itself as their C tp_init (a method in the dict instead would give every
 * subclass the slower generic slot_tp_init). */
static int mmkpy_guard_init(PyTypeObject *t, initproc guard)
{
  PyObject *d = PyDict_GetItemString(t->tp_dict, "__init__");
  if (!d || !PyObject_TypeCheck(d, &PyWrapperDescr_Type)) {
    PyErr_SetString(PyExc_ImportError, "mmapkit._core: no SWIG __init__");
    return -1;
  }
  ((PyWrapperDescrObject *)d)->d_wrapped = (void *)guard;
  t->tp_init = guard;
  PyType_Modified(t);
  return 0;
}

/* What SwigPyObject (the -builtin base, this module's own static type)
 * and SWIG's getsets add to File and View: pointer comparison and hash
 * (two closed views were equal), int(v) giving an address, and handle
 * plumbing. None of it is API; help() and dir() show the public methods
 * only, and == / hash() are object's (identity), as on mmap.mmap. */
static const char *const mmkpy_swig_names[] = {
  "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__hash__",
  "__int__", "acquire", "append", "disown", "next", "own", "this", "thisown",
  NULL
};

static int mmkpy_strip_swig(PyTypeObject *t)
{
  const char *const *n;
  for (n = mmkpy_swig_names; *n; n++)
    if (PyDict_GetItemString(t->tp_dict, *n) &&
        PyDict_DelItemString(t->tp_dict, *n) < 0)
      return -1;
  t->tp_richcompare = PyBaseObject_Type.tp_richcompare;
  t->tp_hash = PyBaseObject_Type.tp_hash;
  if (t->tp_as_number)
    t->tp_as_number->nb_int = NULL;
  PyType_Modified(t);
  return 0;
}

/* Runs before any subclass exists (they inherit these slots). */
int mmkpy_shim_init(void)
{
  PyTypeObject *vt = mmkpy_view_type(), *ft = mmkpy_file_type();
  if (!vt || !ft) {
    PyErr_SetString(PyExc_ImportError, "mmapkit._core: SWIG types missing");
    return -1;
  }
  vt->tp_new = mmkpy_view_tp_new;
  ft->tp_new = mmkpy_file_tp_new;
  vt->tp_traverse = ft->tp_traverse = mmkpy_traverse_dict;
  vt->tp_clear = ft->tp_clear = mmkpy_clear_dict;
  mmkpy_swig_view_init = vt->tp_init;
  mmkpy_swig_file_init = ft->tp_init;
  if (mmkpy_strip_swig(vt) < 0 || mmkpy_strip_swig(ft) < 0 ||
      (vt->tp_base && mmkpy_strip_swig(vt->tp_base) < 0) ||
      (ft->tp_base && ft->tp_base != vt->tp_base &&
       mmkpy_strip_swig(ft->tp_base) < 0))
    return -1;
  return mmkpy_guard_init(vt, mmkpy_view_tp_init) < 0 ||
         mmkpy_guard_init(ft, mmkpy_file_tp_init) < 0 ? -1 : 0;
}
