/*
 * python/src/slots.c: View's type slots: len(), v[i], v[a:b:c],
 * v[...] = x and the buffer protocol. SWIG installs them on the View type
 * (%feature("python:mp_subscript") ... in bindings/python.i); mmapkit.View
 * and mmapkit.mmap inherit them, so an access runs no Python frame. Every
 * byte goes through the core's fault-safe copies.
 */
#include "mmkpy.h"

#define MMKPY_NAME(pv, mmap_words, view_words) \
  ((pv)->compat ? (mmap_words) : (view_words))

Py_ssize_t mmkpy_view_length(PyObject *self)
{
  mmkpy_view *pv = mmkpy_view_ok(mmkpy_view_of(self));
  return pv ? pv->size : -1;
}

static PyObject *mmkpy_item_at(mmkpy_view *pv, Py_ssize_t i)
{
  unsigned char b;
  if (i < 0 || i >= pv->size) {
    PyErr_SetString(PyExc_IndexError, MMKPY_NAME(pv, "mmap index out of range",
                                                 "view index out of range"));
    return NULL;
  }
  if (mmkpy_read(pv, i, &b, 1) < 0)
    return NULL;
  return PyLong_FromLong(b);
}

PyObject *mmkpy_view_item(PyObject *self, Py_ssize_t i)
{
  mmkpy_view *pv = mmkpy_view_ok(mmkpy_view_of(self));
  /* sq_item gets i already adjusted by len() for negative indices. */
  return pv ? mmkpy_item_at(pv, i) : NULL;
}

/* `x in v`. View: as bytearray (an int is a byte value, a bytes-like
 * object a substring). mmapkit.mmap: as the standard library's, which has
 * no sq_contains and compares x with its 1-byte items: True only for a
 * 1-byte bytes-like x that occurs. Fault-safe, like find(). */
int mmkpy_view_contains(PyObject *self, PyObject *value)
{
  mmkpy_view *pv = mmkpy_view_ok(mmkpy_view_of(self));
  Py_buffer b;
  Py_ssize_t found = -1;
  int rc;
  if (!pv)
    return -1;
  if (!pv->compat && PyIndex_Check(value)) {
    Py_ssize_t x = PyNumber_AsSsize_t(value, NULL);
    unsigned char c;
    if ((x == -1 && PyErr_Occurred()) || !mmkpy_view_ok(pv))
      return -1;
    if (x < 0 || x > 255) {
      PyErr_SetString(PyExc_ValueError, "byte must be in range(0, 256)");
      return -1;
    }
    c = (unsigned char)x;
    return mmkpy_find(pv, (const char *)&c, 1, 0, pv->size, 0, &found) < 0
               ? -1 : found >= 0;
  }
  if (PyObject_GetBuffer(value, &b, PyBUF_SIMPLE) < 0) {
    if (!pv->compat || !PyErr_ExceptionMatches(PyExc_TypeError))
      return -1;
    PyErr_Clear(); /* never equal to a bytes item */
    return 0;
  }
  if (!mmkpy_view_ok(pv)) {
    PyBuffer_Release(&b);
    return -1;
  }
  if (pv->compat && b.len != 1) {
    PyBuffer_Release(&b);
    return 0;
  }
  rc = mmkpy_find(pv, b.buf, b.len, 0, pv->size, 0, &found);
  PyBuffer_Release(&b);
  return rc < 0 ? -1 : found >= 0;
}

/* Strided gather through a bounded window of fault-safe reads. */
static int mmkpy_gather(mmkpy_view *pv, char *out, Py_ssize_t start,
                        Py_ssize_t step, Py_ssize_t n)
{
  unsigned char *win;
  Py_ssize_t lo = 0, hi = 0, k, want;
  Py_ssize_t astep = step < 0 ? -step : step;
  want = astep > 256 ? 1 : MMKPY_CHUNK;
  win = PyMem_Malloc((size_t)want);
  if (!win) {
    PyErr_NoMemory();
    return -1;
  }
  for (k = 0; k < n; k++) {
    Py_ssize_t idx = start + k * step;
    if (idx < lo || idx >= hi) {
      if (step > 0) {
        lo = idx;
        hi = pv->size - lo < want ? pv->size : lo + want;
      } else {
        hi = idx + 1;
        lo = hi < want ? 0 : hi - want;
      }
      if (mmkpy_read(pv, lo, win, hi - lo) < 0) {
        PyMem_Free(win);
        return -1;
      }
    }
    out[k] = (char)win[idx - lo];
  }
  PyMem_Free(win);
  return 0;
}

/* Slice bound with step 1 (None, or an index clamped as slices do). */
static inline int mmkpy_fast_bound(PyObject *o, Py_ssize_t dflt,
                                   Py_ssize_t size, Py_ssize_t *out)
{
  Py_ssize_t v;
  if (o == Py_None) {
    *out = dflt;
    return 1;
  }
  if (!mmkpy_small_int(o, &v))
    return 0;
  if (v < 0) {
    v += size;
    if (v < 0)
      v = 0;
  } else if (v > size) {
    v = size;
  }
  *out = v;
  return 1;
}

PyObject *mmkpy_view_subscript(PyObject *self, PyObject *item)
{
  mmkpy_view *pv = mmkpy_view_ok(mmkpy_view_of(self));
  if (!pv)
    return NULL;
  /* The hot case, v[a:b] with small int or None bounds: no slice
   * unpacking calls, and the guarded copy goes straight into the new
   * bytes object. Anything else (steps, big or index-like bounds, large
   * copies that drop the GIL) takes the general path below. */
  if (Py_IS_TYPE(item, &PySlice_Type)) {
    PySliceObject *sl = (PySliceObject *)item;
    Py_ssize_t start, stop, n;
    if (sl->step == Py_None &&
        mmkpy_fast_bound(sl->start, 0, pv->size, &start) &&
        mmkpy_fast_bound(sl->stop, pv->size, pv->size, &stop)) {
      PyObject *res;
      int rc;
      n = stop > start ? stop - start : 0;
      if (n < MMKPY_NOGIL_COPY) {
        /* Uninitialised: the guarded copy fills it (no temporary). */
        res = PyBytes_FromStringAndSize(NULL, n);
        if (!res || n == 0)
          return res;
        rc = mmk_view_read(pv->v, start, PyBytes_AS_STRING(res), (size_t)n);
        if (MMKPY_LIKELY(rc == 0))
          return res;
        Py_DECREF(res);
        return mmkpy_raise(MMKPY_CTX_ACCESS, rc);
      }
    }
  }
  if (PySlice_Check(item)) {
    Py_ssize_t start, stop, step, n;
    PyObject *res;
    /* Converting the bounds may run Python code that closes the view. */
    if (PySlice_Unpack(item, &start, &stop, &step) < 0 || !mmkpy_view_ok(pv))
      return NULL;
    n = PySlice_AdjustIndices(pv->size, &start, &stop, step);
    res = PyBytes_FromStringAndSize(NULL, n);
    if (!res || n == 0)
      return res;
    if (step == 1 ? mmkpy_read(pv, start, PyBytes_AS_STRING(res), n)
                  : mmkpy_gather(pv, PyBytes_AS_STRING(res), start, step, n)) {
      Py_DECREF(res);
      return NULL;
    }
    return res;
  }
  if (PyIndex_Check(item)) {
    Py_ssize_t i = PyNumber_AsSsize_t(item, PyExc_IndexError);
    if ((i == -1 && PyErr_Occurred()) || !mmkpy_view_ok(pv))
      return NULL;
    if (i < 0)
      i += pv->size;
    return mmkpy_item_at(pv, i);
  }
  PyErr_SetString(PyExc_TypeError,
                  MMKPY_NAME(pv, "mmap indices must be integers",
                             "view indices must be integers or slices"));
  return NULL;
}

static int mmkpy_ass_slice(mmkpy_view *pv, PyObject *item, PyObject *value)
{
  Py_ssize_t start, stop, step, n, k;
  Py_buffer buf;
  int rc = 0;
  if (PySlice_Unpack(item, &start, &stop, &step) < 0 || !mmkpy_view_ok(pv))
    return -1;
  n = PySlice_AdjustIndices(pv->size, &start, &stop, step);
  if (value == NULL) {
    PyErr_SetString(PyExc_TypeError,
                    MMKPY_NAME(pv, "mmap object doesn't support slice deletion",
                               "view doesn't support slice deletion"));
    return -1;
  }
  if (PyObject_GetBuffer(value, &buf, PyBUF_SIMPLE) < 0)
    return -1;
  if (!mmkpy_view_ok(pv)) {
    PyBuffer_Release(&buf);
    return -1;
  }
  if (buf.len != n) {
    PyErr_SetString(PyExc_IndexError,
                    MMKPY_NAME(pv, "mmap slice assignment is wrong size",
                               "view slice assignment is wrong size"));
    PyBuffer_Release(&buf);
    return -1;
  }
  if (step == 1) {
    rc = mmkpy_write(pv, start, buf.buf, n);
  } else {
    /* Byte by byte: a read-modify-write of a window would overwrite the
     * bytes in between, which other processes may be changing. */
    for (k = 0; k < n && rc == 0; k++)
      rc = mmkpy_write(pv, start + k * step, (const char *)buf.buf + k, 1);
  }
  PyBuffer_Release(&buf);
  return rc;
}

static int mmkpy_ass_index(mmkpy_view *pv, PyObject *item, PyObject *value)
{
  Py_ssize_t i = PyNumber_AsSsize_t(item, PyExc_IndexError);
  long b;
  unsigned char c;
  if ((i == -1 && PyErr_Occurred()) || !mmkpy_view_ok(pv))
    return -1;
  if (i < 0)
    i += pv->size;
  if (i < 0 || i >= pv->size) {
    PyErr_SetString(PyExc_IndexError, MMKPY_NAME(pv, "mmap index out of range",
                                                 "view index out of range"));
    return -1;
  }
  if (value == NULL) {
    PyErr_SetString(PyExc_TypeError,
                    MMKPY_NAME(pv, "mmap object doesn't support item deletion",
                               "view doesn't support item deletion"));
    return -1;
  }
  if (!PyIndex_Check(value)) {
    PyErr_SetString(PyExc_TypeError,
                    MMKPY_NAME(pv, "mmap item value must be an int",
                               "view item value must be an int"));
    return -1;
  }
  b = PyLong_AsLong(value);
  if ((b == -1 && PyErr_Occurred()) || !mmkpy_view_ok(pv))
    return -1;
  if (b < 0 || b > 255) {
    PyErr_SetString(PyExc_ValueError,
                    MMKPY_NAME(pv, "mmap item value must be in range(0, 256)",
                               "byte must be in range(0, 256)"));
    return -1;
  }
  c = (unsigned char)b;
  return mmkpy_write(pv, i, &c, 1);
}

int mmkpy_view_ass_subscript(PyObject *self, PyObject *item, PyObject *value)
{
  mmkpy_view *pv = mmkpy_view_ok(mmkpy_view_of(self));
  if (!pv || !mmkpy_writable_ok(pv))
    return -1;
  if (PySlice_Check(item))
    return mmkpy_ass_slice(pv, item, value);
  if (PyIndex_Check(item))
    return mmkpy_ass_index(pv, item, value);
  PyErr_SetString(PyExc_TypeError,
                  MMKPY_NAME(pv, "mmap indices must be integer",
                             "view indices must be integers or slices"));
  return -1;
}

int mmkpy_view_ass_item(PyObject *self, Py_ssize_t i, PyObject *value)
{
  PyObject *key = PyLong_FromSsize_t(i);
  int rc;
  if (!key)
    return -1;
  rc = mmkpy_view_ass_subscript(self, key, value);
  Py_DECREF(key);
  return rc;
}

/* Buffer protocol: exports hold a core lease (see mmkpy_view_drop_lease),
 * so the core refuses to unmap (MMK_EBUSY) while a memoryview, numpy array
 * or similar is alive; close() reports that as BufferError. */
int mmkpy_view_getbuffer(PyObject *self, Py_buffer *view, int flags)
{
  mmkpy_view *pv = mmkpy_view_ok(mmkpy_view_of(self));
  int rc;
  view->obj = NULL;
  if (!pv)
    return -1;
  if ((flags & PyBUF_WRITABLE) && !pv->writable) {
    PyErr_SetString(PyExc_BufferError, MMKPY_NAME(pv, "Object is not writable.",
                                                  "view is read-only"));
    return -1;
  }
  if (!pv->leased) {
    rc = mmk_view_lease(pv->v);
    if (rc < 0) {
      mmkpy_raise(MMKPY_CTX_ACCESS, rc);
      return -1;
    }
    pv->leased = 1;
  }
  if (PyBuffer_FillInfo(view, self, pv->data, pv->size, !pv->writable,
                        flags) < 0)
    return -1; /* the lease stays for the next export */
  pv->exports++;
  return 0;
}

void mmkpy_view_releasebuffer(PyObject *self, Py_buffer *view)
{
  mmkpy_view *pv = mmkpy_view_of(self);
  (void)view;
  if (pv && pv->v)
    pv->exports--; /* the lease stays: see mmkpy_view_drop_lease */
}
