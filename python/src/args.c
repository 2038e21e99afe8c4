/*
 * python/src/args.c: argument conversion shared by the hand-written
 * methods (paths and names, 64-bit integers, flags, atomic words, the
 * METH_FASTCALL argument matcher).
 */
#include "mmkpy.h" /* Python.h first, as it asks */
#include <limits.h>
#include <string.h>

/* The C string of a path (str, bytes or os.PathLike; str in the
 * filesystem encoding, as os.open does) or of a shared-memory name (str
 * or bytes; str as UTF-8), for the call `op`. A NUL byte, which the OS
 * would take for the end of the string, is a ValueError naming the
 * argument and the call, before anything reaches the core. *keep holds
 * what the pointer lives in (release it with Py_XDECREF). */
const char *mmkpy_path_arg(PyObject *o, int is_path, const char *op,
                           PyObject **keep)
{
  const char *what = is_path ? "path" : "name", *s;
  Py_ssize_t n;
  PyObject *p;
  *keep = NULL;
  if (is_path) {
    p = PyOS_FSPath(o); /* str/bytes as they are, else __fspath__ */
    if (!p)
      return NULL;
  } else if (PyUnicode_Check(o) || PyBytes_Check(o)) {
    p = Py_NewRef(o);
  } else {
    PyErr_Format(PyExc_TypeError, "%s: %s must be str or bytes, not %.100s",
                 op, what, Py_TYPE(o)->tp_name);
    return NULL;
  }
  if (PyUnicode_Check(p)) {
    PyObject *b = is_path ? PyUnicode_EncodeFSDefault(p)
                          : PyUnicode_AsUTF8String(p);
    Py_DECREF(p);
    if (!b)
      return NULL;
    p = b;
  }
  s = PyBytes_AS_STRING(p);
  n = PyBytes_GET_SIZE(p);
  if ((size_t)n != strlen(s)) {
    PyErr_Format(PyExc_ValueError,
                 "%s: embedded null byte in %s %R (the system would stop "
                 "reading the %s there)", op, what, o, what);
    Py_DECREF(p);
    return NULL;
  }
  *keep = p;
  return s;
}

/* An integer argument as MappedFile.map's Python signature converts it:
 * None (or omitted) -> 0 when allowed; negatives refused when nonneg. */
int mmkpy_arg64(PyObject *o, const char *what, int none_ok, int nonneg,
                int64_t *out)
{
  PyObject *n;
  long long v;
  int overflow = 0;
  if (!o || (none_ok && o == Py_None)) {
    *out = 0;
    return 0;
  }
  if (!PyIndex_Check(o)) {
    PyErr_Format(PyExc_TypeError, "%s must be an integer, not %.100s", what,
                 Py_TYPE(o)->tp_name);
    return -1;
  }
  n = PyNumber_Index(o);
  if (!n)
    return -1;
  v = PyLong_AsLongLongAndOverflow(n, &overflow);
  if (v == -1 && PyErr_Occurred()) {
    Py_DECREF(n);
    return -1;
  }
  if (nonneg && (overflow < 0 || (!overflow && v < 0))) {
    PyErr_Format(PyExc_ValueError, "%s must be >= 0, got %S", what, n);
    Py_DECREF(n);
    return -1;
  }
  Py_DECREF(n);
  if (overflow) {
    PyErr_Format(PyExc_OverflowError, "%s does not fit in 64 bits", what);
    return -1;
  }
  *out = (int64_t)v;
  return 0;
}

/* Py_ssize_t from an int-like object, as the "n" format converts it. */
int mmkpy_ssize(PyObject *o, Py_ssize_t *out)
{
  Py_ssize_t v = PyNumber_AsSsize_t(o, PyExc_OverflowError);
  if (v == -1 && PyErr_Occurred())
    return -1;
  *out = v;
  return 0;
}

/* A keyword flag: ORs `bit` into *opts when o is true (omitted: false). */
int mmkpy_flag(PyObject *o, unsigned bit, unsigned *opts)
{
  int t;
  if (!o)
    return 0;
  t = PyObject_IsTrue(o);
  if (t < 0)
    return -1;
  if (t)
    *opts |= bit;
  return 0;
}

/* An atomic word of `size` bytes: accepts [-2**(bits-1), 2**bits);
 * negative values wrap, as C does. */
int mmkpy_word(PyObject *o, int size, uint64_t *out)
{
  int overflow = 0;
  long long s;
  if (!PyLong_Check(o)) {
    PyErr_Format(PyExc_TypeError, "an integer is required, not %.100s",
                 Py_TYPE(o)->tp_name);
    return -1;
  }
  s = PyLong_AsLongLongAndOverflow(o, &overflow);
  if (overflow == 0) {
    if (s == -1 && PyErr_Occurred())
      return -1;
    if (size == 4 && (s < INT32_MIN || s > (long long)UINT32_MAX))
      goto range;
    *out = (uint64_t)s;
    if (size == 4)
      *out &= 0xffffffffu;
    return 0;
  }
  if (overflow > 0 && size == 8) {
    unsigned long long u = PyLong_AsUnsignedLongLong(o);
    if (u == (unsigned long long)-1 && PyErr_Occurred())
      goto range;
    *out = u;
    return 0;
  }
range:
  PyErr_Clear();
  PyErr_Format(PyExc_OverflowError, "value does not fit in %d bytes", size);
  return -1;
}

/* Matches METH_FASTCALL arguments to names: out[i] = the i-th parameter
 * or NULL when omitted. The first `required` ones must be given. */
int mmkpy_fast_args(const char *fname, PyObject *const *args,
                    Py_ssize_t nargs, PyObject *kwnames,
                    const char *const *names, int n, int required,
                    PyObject **out)
{
  Py_ssize_t i, nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  int k;
  if (nargs > n) {
    PyErr_Format(PyExc_TypeError,
                 "%s() takes at most %d positional arguments (%zd given)",
                 fname, n, nargs);
    return -1;
  }
  for (k = 0; k < n; k++)
    out[k] = k < nargs ? args[k] : NULL;
  for (i = 0; i < nkw; i++) {
    PyObject *key = PyTuple_GET_ITEM(kwnames, i);
    for (k = 0; k < n; k++)
      if (PyUnicode_CompareWithASCIIString(key, names[k]) == 0)
        break;
    if (k == n) {
      PyErr_Format(PyExc_TypeError,
                   "%s() got an unexpected keyword argument '%S'", fname, key);
      return -1;
    }
    if (out[k]) {
      PyErr_Format(PyExc_TypeError,
                   "%s() got multiple values for argument '%s'", fname,
                   names[k]);
      return -1;
    }
    out[k] = args[nargs + i];
  }
  for (k = 0; k < required; k++)
    if (!out[k]) {
      PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'",
                   fname, names[k]);
      return -1;
    }
  return 0;
}

/* A C int argument (omitted: dflt). */
int mmkpy_fast_int(PyObject *o, const char *what, int dflt, int *out)
{
  long v;
  if (!o) {
    *out = dflt;
    return 0;
  }
  if (!PyLong_Check(o)) {
    PyErr_Format(PyExc_TypeError, "%s must be an integer, not %.100s", what,
                 Py_TYPE(o)->tp_name);
    return -1;
  }
  v = PyLong_AsLong(o);
  if (v == -1 && PyErr_Occurred())
    return -1;
  if (v < INT_MIN || v > INT_MAX) {
    PyErr_Format(PyExc_OverflowError, "%s out of range", what);
    return -1;
  }
  *out = (int)v;
  return 0;
}
