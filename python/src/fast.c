/*
 * python/src/fast.c: methods bound without a Python frame or a second
 * argument parse: MappedFile.map (the other half of open+map+close) and
 * View's atomics and wait/wake. A ping-pong between processes makes four
 * atomic calls per round trip; as Python wrappers over SWIG methods each
 * would cost a frame and a second parse (about 60 ns). These are
 * METH_FASTCALL methods with the API's own signatures and defaults; the
 * module binds them to the handle types (module.c) under the names
 * _core._file_map and _core._view_<name>, and mmapkit/_api.py makes them
 * MappedFile.map and View.<name>.
 */
#include "mmkpy.h" /* Python.h first, as it asks */
#include <time.h>

PyObject *mmkpy_view_class; /* mmapkit.View, registered at import */

static PyObject *mmkpy_file_map(PyObject *self, PyObject *args, PyObject *kw)
{
  static char *kwlist[] = {"offset", "length", "populate", "reserve",
                           "readonly", "hugepage", NULL};
  PyObject *o_off = NULL, *o_len = NULL, *o_pop = NULL, *o_res = NULL;
  PyObject *o_ro = NULL, *o_huge = NULL, *obj, *none;
  int64_t off, n, res;
  unsigned opts = 0;
  mmkpy_view *pv;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "|OO$OOOO:map", kwlist, &o_off,
                                   &o_len, &o_pop, &o_res, &o_ro, &o_huge))
    return NULL;
  if (mmkpy_arg64(o_off, "offset", 0, 0, &off) < 0 ||
      mmkpy_arg64(o_len, "length", 1, 1, &n) < 0 ||
      mmkpy_arg64(o_res, "reserve", 1, 1, &res) < 0 ||
      mmkpy_flag(o_pop, MMK_MAP_POPULATE, &opts) < 0 ||
      mmkpy_flag(o_ro, MMK_MAP_READONLY, &opts) < 0 ||
      mmkpy_flag(o_huge, MMK_MAP_HUGEPAGE, &opts) < 0)
    return NULL;
  if (!mmkpy_view_class) {
    PyErr_SetString(PyExc_RuntimeError, "mmapkit.View is not registered");
    return NULL;
  }
  if (!(none = PyTuple_New(0))) /* the empty-tuple singleton */
    return NULL;
  obj = ((PyTypeObject *)mmkpy_view_class)->tp_new(
      (PyTypeObject *)mmkpy_view_class, none, NULL);
  Py_DECREF(none);
  if (!obj)
    return NULL;
  pv = new_mmkpy_view(mmkpy_file_of(self), off, n, res, opts, 0);
  if (!pv || mmkpy_view_attach(obj, pv) < 0) {
    Py_DECREF(obj);
    return NULL;
  }
  return obj;
}

/* The view of a bound method's self, or NULL with the closed error. */
#define MMKPY_OPEN_VIEW(self) mmkpy_view_ok(mmkpy_view_of(self))

static int mmkpy_size_ok(int size)
{
  if (size != 4 && size != 8) {
    PyErr_SetString(PyExc_ValueError, "size must be 4 or 8");
    return 0;
  }
  return 1;
}

/* offset: any int (range and alignment are the core's to check). */
static int mmkpy_fast_offset(PyObject *o, int64_t *out)
{
  long long v;
  if (!PyLong_Check(o))
    return mmkpy_arg64(o, "offset", 0, 0, out);
  v = PyLong_AsLongLong(o);
  if (v == -1 && PyErr_Occurred())
    return -1;
  *out = (int64_t)v;
  return 0;
}

static PyObject *mmkpy_atomic_load(PyObject *self, PyObject *const *args,
                                   Py_ssize_t nargs, PyObject *kwnames)
{
  static const char *const names[] = {"offset", "size"};
  PyObject *a[2];
  int64_t off;
  int size, rc;
  mmkpy_view *pv;
  if (mmkpy_fast_args("atomic_load", args, nargs, kwnames, names, 2, 1, a) < 0 ||
      mmkpy_fast_offset(a[0], &off) < 0 ||
      mmkpy_fast_int(a[1], "size", 8, &size) < 0 ||
      !(pv = MMKPY_OPEN_VIEW(self)) || !mmkpy_size_ok(size))
    return NULL;
  if (size == 4) {
    uint32_t x = 0;
    rc = mmk_atomic_load_u32(pv->v, off, &x);
    if (MMKPY_LIKELY(rc == 0))
      return PyLong_FromUnsignedLong(x);
  } else {
    uint64_t x = 0;
    rc = mmk_atomic_load_u64(pv->v, off, &x);
    if (MMKPY_LIKELY(rc == 0))
      return PyLong_FromUnsignedLongLong(x);
  }
  return mmkpy_raise(MMKPY_CTX_ACCESS, rc);
}

static PyObject *mmkpy_atomic_store(PyObject *self, PyObject *const *args,
                                    Py_ssize_t nargs, PyObject *kwnames)
{
  static const char *const names[] = {"offset", "value", "size"};
  PyObject *a[3];
  int64_t off;
  int size, rc;
  uint64_t w;
  mmkpy_view *pv;
  if (mmkpy_fast_args("atomic_store", args, nargs, kwnames, names, 3, 2, a) < 0 ||
      mmkpy_fast_offset(a[0], &off) < 0 ||
      mmkpy_fast_int(a[2], "size", 8, &size) < 0 ||
      !(pv = MMKPY_OPEN_VIEW(self)) || !mmkpy_size_ok(size) ||
      mmkpy_word(a[1], size, &w) < 0)
    return NULL;
  rc = size == 4 ? mmk_atomic_store_u32(pv->v, off, (uint32_t)w)
                 : mmk_atomic_store_u64(pv->v, off, w);
  if (MMKPY_LIKELY(rc == 0))
    Py_RETURN_NONE;
  return mmkpy_raise(MMKPY_CTX_ACCESS, rc);
}

static PyObject *mmkpy_atomic_add(PyObject *self, PyObject *const *args,
                                  Py_ssize_t nargs, PyObject *kwnames)
{
  static const char *const names[] = {"offset", "delta", "size"};
  PyObject *a[3];
  int64_t off;
  int size, rc;
  uint64_t d;
  mmkpy_view *pv;
  if (mmkpy_fast_args("atomic_add", args, nargs, kwnames, names, 3, 2, a) < 0 ||
      mmkpy_fast_offset(a[0], &off) < 0 ||
      mmkpy_fast_int(a[2], "size", 8, &size) < 0 ||
      !(pv = MMKPY_OPEN_VIEW(self)) || !mmkpy_size_ok(size) ||
      mmkpy_word(a[1], size, &d) < 0)
    return NULL;
  if (size == 4) {
    uint32_t old = 0;
    rc = mmk_atomic_fetch_add_u32(pv->v, off, (uint32_t)d, &old);
    if (MMKPY_LIKELY(rc == 0))
      return PyLong_FromUnsignedLong(old);
  } else {
    uint64_t old = 0;
    rc = mmk_atomic_fetch_add_u64(pv->v, off, d, &old);
    if (MMKPY_LIKELY(rc == 0))
      return PyLong_FromUnsignedLongLong(old);
  }
  return mmkpy_raise(MMKPY_CTX_ACCESS, rc);
}

static PyObject *mmkpy_atomic_cas(PyObject *self, PyObject *const *args,
                                  Py_ssize_t nargs, PyObject *kwnames)
{
  static const char *const names[] = {"offset", "expected", "desired", "size"};
  PyObject *a[4];
  int64_t off;
  int size, rc;
  uint64_t e, d;
  mmkpy_view *pv;
  if (mmkpy_fast_args("atomic_cas", args, nargs, kwnames, names, 4, 3, a) < 0 ||
      mmkpy_fast_offset(a[0], &off) < 0 ||
      mmkpy_fast_int(a[3], "size", 8, &size) < 0 ||
      !(pv = MMKPY_OPEN_VIEW(self)) || !mmkpy_size_ok(size) ||
      mmkpy_word(a[1], size, &e) < 0 || mmkpy_word(a[2], size, &d) < 0)
    return NULL;
  if (size == 4) {
    uint32_t cur = 0;
    rc = mmk_atomic_cas_u32(pv->v, off, (uint32_t)e, (uint32_t)d, &cur);
    if (MMKPY_LIKELY(rc == 0))
      return Py_BuildValue("(Nk)", PyBool_FromLong(cur == (uint32_t)e),
                           (unsigned long)cur);
  } else {
    uint64_t cur = 0;
    rc = mmk_atomic_cas_u64(pv->v, off, e, d, &cur);
    if (MMKPY_LIKELY(rc == 0))
      return Py_BuildValue("(NK)", PyBool_FromLong(cur == e),
                           (unsigned long long)cur);
  }
  return mmkpy_raise(MMKPY_CTX_ACCESS, rc);
}

static int64_t mmkpy_now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Longest sleep between two looks at the view and at Python's signal
 * flags: a wait on a view closed meanwhile (inert, its futex never woken)
 * ends within this, and so does one whose signal came just before or
 * while it went to sleep, or that the core reported as a timeout. */
#define MMKPY_WAIT_SLICE_NS ((int64_t)100 * 1000 * 1000)

static PyObject *mmkpy_wait(PyObject *self, PyObject *const *args,
                            Py_ssize_t nargs, PyObject *kwnames)
{
  static const char *const names[] = {"offset", "expected", "timeout"};
  PyObject *a[3];
  int64_t off, ns = -1, deadline;
  uint64_t e;
  int rc;
  mmk_view *v;
  mmkpy_view *pv;
  if (mmkpy_fast_args("wait", args, nargs, kwnames, names, 3, 2, a) < 0 ||
      mmkpy_fast_offset(a[0], &off) < 0)
    return NULL;
  if (a[2] && a[2] != Py_None) {
    double t = PyFloat_AsDouble(a[2]);
    if (t == -1.0 && PyErr_Occurred())
      return NULL;
    if (!(t >= 0)) { /* negative or NaN */
      PyErr_SetString(PyExc_ValueError, "timeout must be >= 0 or None");
      return NULL;
    }
    ns = t * 1e9 >= 9.2e18 ? INT64_MAX : (int64_t)(t * 1e9);
  }
  if (!(pv = MMKPY_OPEN_VIEW(self)) || mmkpy_word(a[1], 4, &e) < 0 ||
      !(v = mmkpy_view_enter(pv, 1)))
    return NULL;
  /* PEP 475: sleep in slices without the GIL; between two, run the signal
   * handlers (KeyboardInterrupt ends the wait) and go on with the time
   * that remains. */
  deadline = ns < 0 ? -1 : mmkpy_now_ns() + (ns > INT64_MAX / 2 ? INT64_MAX / 2 : ns);
  for (;;) {
    int64_t slice = MMKPY_WAIT_SLICE_NS, left;
    int last = 0;
    if (deadline >= 0 && (left = deadline - mmkpy_now_ns()) <= slice) {
      slice = left > 0 ? left : 0;
      last = 1;
    }
    Py_BEGIN_ALLOW_THREADS
    rc = mmk_wait_u32_intr(v, off, (uint32_t)e, slice);
    Py_END_ALLOW_THREADS
    if ((rc != MMK_EINTR && (rc != MMK_ETIMEDOUT || last)) ||
        PyErr_CheckSignals() < 0)
      break;
  }
  if (PyErr_Occurred()) /* from a signal handler */
    rc = MMK_EINTR;
  else if (rc < 0 && rc != MMK_ETIMEDOUT)
    mmkpy_raise(MMKPY_CTX_ACCESS, rc);
  mmkpy_view_leave(pv, v, 1);
  if (rc < 0 && rc != MMK_ETIMEDOUT)
    return NULL;
  return PyBool_FromLong(rc == 0);
}

static PyObject *mmkpy_wake(PyObject *self, PyObject *const *args,
                            Py_ssize_t nargs, PyObject *kwnames)
{
  static const char *const names[] = {"offset", "count"};
  PyObject *a[2];
  int64_t off;
  int count, rc;
  mmkpy_view *pv;
  if (mmkpy_fast_args("wake", args, nargs, kwnames, names, 2, 1, a) < 0 ||
      mmkpy_fast_offset(a[0], &off) < 0 ||
      mmkpy_fast_int(a[1], "count", 1, &count) < 0 ||
      !(pv = MMKPY_OPEN_VIEW(self)))
    return NULL;
  if ((rc = mmk_wake(pv->v, off, count)) < 0)
    return mmkpy_raise(MMKPY_CTX_ACCESS, rc);
  return PyLong_FromLong(rc);
}

#define MMKPY_FAST(fn) (PyCFunction)(void (*)(void))(fn), METH_FASTCALL | METH_KEYWORDS

PyMethodDef mmkpy_file_map_def = {
  "map", (PyCFunction)(void (*)(void))mmkpy_file_map,
  METH_VARARGS | METH_KEYWORDS,
  "map($self, /, offset=0, length=None, *, populate=False, reserve=None, "
  "readonly=False, hugepage=False)\n--\n\n"
  "Maps [offset, offset+length) (length=None: to the end).\n\n"
  "Any offset works. In a writable mode a range past the end grows the\n"
  "file first; in \"r\"/\"c\" it is a ValueError. reserve reserves address\n"
  "space so that View.resize can grow the view in place up to that many\n"
  "bytes."
};
PyMethodDef mmkpy_atomic_load_def = {
  "atomic_load", MMKPY_FAST(mmkpy_atomic_load),
  "atomic_load($self, /, offset, size=8)\n--\n\n"
  "Acquire load of the aligned 4- or 8-byte word at offset."
};
PyMethodDef mmkpy_atomic_store_def = {
  "atomic_store", MMKPY_FAST(mmkpy_atomic_store),
  "atomic_store($self, /, offset, value, size=8)\n--\n\n"
  "Release store (negative values wrap)."
};
PyMethodDef mmkpy_atomic_add_def = {
  "atomic_add", MMKPY_FAST(mmkpy_atomic_add),
  "atomic_add($self, /, offset, delta, size=8)\n--\n\n"
  "Sequentially consistent fetch-add (wrapping); returns the old value."
};
PyMethodDef mmkpy_atomic_cas_def = {
  "atomic_cas", MMKPY_FAST(mmkpy_atomic_cas),
  "atomic_cas($self, /, offset, expected, desired, size=8)\n--\n\n"
  "Compare-exchange; returns (swapped, value found)."
};
PyMethodDef mmkpy_wait_def = {
  "wait", MMKPY_FAST(mmkpy_wait),
  "wait($self, /, offset, expected, timeout=None)\n--\n\n"
  "Sleeps, without the GIL, while the 32-bit word at offset equals\n"
  "expected (a futex shared across processes). True once it differs,\n"
  "False when timeout seconds pass first. Signal handlers run meanwhile\n"
  "(Ctrl-C: KeyboardInterrupt); a close() of the view ends it with\n"
  "ValueError."
};
PyMethodDef mmkpy_wake_def = {
  "wake", MMKPY_FAST(mmkpy_wake),
  "wake($self, /, offset, count=1)\n--\n\n"
  "Wakes up to count waiters on the word (count <= 0: all); returns how\n"
  "many were woken."
};
