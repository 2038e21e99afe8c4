/*
 * python/src/filelike.c: the file-like methods of mmap.mmap on View
 * (find/rfind, read, read_byte, readline, write, write_byte, seek, tell,
 * move), with the standard library's arguments, checks and messages. Every
 * byte goes through the fault-safe copies in view.c.
 */
#include "mmkpy.h" /* Python.h first, as it asks */
#include <limits.h>
#include <string.h>

/* memmem backwards: last occurrence of needle in hay, or NULL. */
static const char *mmkpy_rmemmem(const char *hay, size_t hn, const char *nd,
                                 size_t nn)
{
  const char *p;
  if (nn > hn)
    return NULL;
  for (p = hay + (hn - nn);; p--) {
    if (memcmp(p, nd, nn) == 0)
      return p;
    if (p == hay)
      return NULL;
  }
}

#if defined(_WIN32)
/* Windows' C library has no memmem (a GNU and BSD extension). */
static const char *mmkpy_memmem(const char *hay, size_t hn, const char *nd,
                                size_t nn)
{
  const char *p;
  if (nn > hn)
    return NULL;
  for (p = hay; p <= hay + (hn - nn); p++)
    if (memcmp(p, nd, nn) == 0)
      return p;
  return NULL;
}
#define memmem(h, hn, n, nn) mmkpy_memmem((h), (hn), (n), (nn))
#endif

/* Search [start, end) of the view for nd (nn bytes) through fault-safe
 * windows that overlap by nn-1 bytes. *found: index or -1. */
int mmkpy_find(mmkpy_view *pv, const char *nd, Py_ssize_t nn,
               Py_ssize_t start, Py_ssize_t end, int reverse,
               Py_ssize_t *found)
{
  char *win;
  Py_ssize_t w, lo, hi;
  *found = -1;
  if (start < 0) start = 0;
  if (end > pv->size) end = pv->size;
  if (end - start < nn) return 0;
  if (nn == 0) {
    *found = reverse ? end : start;
    return 0;
  }
  w = MMKPY_CHUNK > 2 * nn ? MMKPY_CHUNK : 2 * nn;
  win = PyMem_Malloc((size_t)w);
  if (!win) {
    PyErr_NoMemory();
    return -1;
  }
  if (!reverse) {
    for (lo = start; lo + nn <= end; lo += w - nn + 1) {
      const char *p;
      hi = end - lo < w ? end : lo + w;
      if (mmkpy_read(pv, lo, win, hi - lo) < 0) goto fail;
      p = memmem(win, (size_t)(hi - lo), nd, (size_t)nn);
      if (p) { *found = lo + (p - win); break; }
      if (hi == end) break;
    }
  } else {
    for (hi = end; hi - nn >= start; hi -= w - nn + 1) {
      const char *p;
      lo = hi - start < w ? start : hi - w;
      if (mmkpy_read(pv, lo, win, hi - lo) < 0) goto fail;
      p = mmkpy_rmemmem(win, (size_t)(hi - lo), nd, (size_t)nn);
      if (p) { *found = lo + (p - win); break; }
      if (lo == start) break;
    }
  }
  PyMem_Free(win);
  return 0;
fail:
  PyMem_Free(win);
  return -1;
}

/* start/end of find(): omitted (NULL) gives the default; negative counts
 * from the end; both are clamped to [0, size] (slice rules). */
static int mmkpy_find_bound(PyObject *o, Py_ssize_t dflt, Py_ssize_t size,
                            Py_ssize_t *out)
{
  Py_ssize_t v;
  if (!o) {
    *out = dflt;
    return 0;
  }
  if (mmkpy_ssize(o, &v) < 0)
    return -1;
  if (v < 0) {
    v += size;
    if (v < 0)
      v = 0;
  } else if (v > size) {
    v = size;
  }
  *out = v;
  return 0;
}

static PyObject *mmkpy_find_method(mmkpy_view *pv, PyObject *sub,
                                   PyObject *start, PyObject *end, int reverse)
{
  Py_buffer nb;
  Py_ssize_t s, e, found = -1;
  int rc;
  if (!mmkpy_view_ok(pv))
    return NULL;
  if (PyObject_GetBuffer(sub, &nb, PyBUF_SIMPLE) < 0)
    return NULL;
  /* Each conversion may run Python code that closes the view. */
  if (mmkpy_find_bound(start, pv->pos, pv->size, &s) < 0 || !mmkpy_view_ok(pv) ||
      mmkpy_find_bound(end, pv->size, pv->size, &e) < 0 || !mmkpy_view_ok(pv)) {
    PyBuffer_Release(&nb);
    return NULL;
  }
  rc = mmkpy_find(pv, nb.buf, nb.len, s, e, reverse, &found);
  PyBuffer_Release(&nb);
  return rc < 0 ? NULL : PyLong_FromSsize_t(found);
}

/* find(sub[, start[, end]]) / rfind: lowest / highest index of sub in
 * [start, end), -1 if absent. start defaults to the position. */
PyObject *mmkpy_view_find(mmkpy_view *pv, PyObject *sub, PyObject *start,
                          PyObject *end)
{
  return mmkpy_find_method(pv, sub, start, end, 0);
}

PyObject *mmkpy_view_rfind(mmkpy_view *pv, PyObject *sub, PyObject *start,
                           PyObject *end)
{
  return mmkpy_find_method(pv, sub, start, end, 1);
}

PyObject *mmkpy_view_read(mmkpy_view *pv, PyObject *n)
{
  Py_ssize_t want = -1, remaining;
  PyObject *res;
  if (!mmkpy_view_ok(pv))
    return NULL;
  if (n && n != Py_None && (mmkpy_ssize(n, &want) < 0 || !mmkpy_view_ok(pv)))
    return NULL;
  remaining = pv->pos < pv->size ? pv->size - pv->pos : 0;
  if (want < 0 || want > remaining)
    want = remaining;
  res = PyBytes_FromStringAndSize(NULL, want);
  if (!res || want == 0)
    return res;
  if (mmkpy_read(pv, pv->pos, PyBytes_AS_STRING(res), want) < 0) {
    Py_DECREF(res);
    return NULL;
  }
  pv->pos += want;
  return res;
}

PyObject *mmkpy_view_read_byte(mmkpy_view *pv)
{
  unsigned char b;
  if (!mmkpy_view_ok(pv))
    return NULL;
  if (pv->pos >= pv->size) {
    PyErr_SetString(PyExc_ValueError, "read byte out of range");
    return NULL;
  }
  if (mmkpy_read(pv, pv->pos, &b, 1) < 0)
    return NULL;
  pv->pos++;
  return PyLong_FromLong(b);
}

PyObject *mmkpy_view_readline(mmkpy_view *pv)
{
  Py_ssize_t nl, stop;
  PyObject *res;
  if (!mmkpy_view_ok(pv))
    return NULL;
  if (pv->pos >= pv->size)
    return PyBytes_FromStringAndSize(NULL, 0);
  if (mmkpy_find(pv, "\n", 1, pv->pos, pv->size, 0, &nl) < 0)
    return NULL;
  stop = nl < 0 ? pv->size : nl + 1;
  res = PyBytes_FromStringAndSize(NULL, stop - pv->pos);
  if (!res)
    return NULL;
  if (mmkpy_read(pv, pv->pos, PyBytes_AS_STRING(res), stop - pv->pos) < 0) {
    Py_DECREF(res);
    return NULL;
  }
  pv->pos = stop;
  return res;
}

PyObject *mmkpy_view_write(mmkpy_view *pv, PyObject *data)
{
  Py_buffer b;
  Py_ssize_t pos;
  if (!mmkpy_view_ok(pv))
    return NULL;
  if (PyObject_GetBuffer(data, &b, PyBUF_SIMPLE) < 0)
    return NULL;
  if (!mmkpy_view_ok(pv) || !mmkpy_writable_ok(pv)) {
    PyBuffer_Release(&b);
    return NULL;
  }
  pos = pv->pos;
  if (pos > pv->size || pv->size - pos < b.len) {
    PyBuffer_Release(&b);
    PyErr_SetString(PyExc_ValueError, "data out of range");
    return NULL;
  }
  if (mmkpy_write(pv, pos, b.buf, b.len) < 0) {
    PyBuffer_Release(&b);
    return NULL;
  }
  pv->pos = pos + b.len;
  PyBuffer_Release(&b);
  return PyLong_FromSsize_t(b.len);
}

/* A C int as the standard library's "i"/"b" formats convert it. */
static int mmkpy_c_long(PyObject *o, long *out)
{
  if (!PyIndex_Check(o)) {
    PyErr_Format(PyExc_TypeError,
                 "'%.100s' object cannot be interpreted as an integer",
                 Py_TYPE(o)->tp_name);
    return -1;
  }
  *out = PyLong_AsLong(o);
  return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

PyObject *mmkpy_view_write_byte(mmkpy_view *pv, PyObject *value)
{
  long v;
  unsigned char c;
  if (!mmkpy_view_ok(pv) || mmkpy_c_long(value, &v) < 0 || !mmkpy_view_ok(pv))
    return NULL;
  if (v < 0) {
    PyErr_SetString(PyExc_OverflowError,
                    "unsigned byte integer is less than minimum");
    return NULL;
  }
  if (v > 255) {
    PyErr_SetString(PyExc_OverflowError,
                    "unsigned byte integer is greater than maximum");
    return NULL;
  }
  if (!mmkpy_writable_ok(pv))
    return NULL;
  if (pv->pos >= pv->size) {
    PyErr_SetString(PyExc_ValueError, "write byte out of range");
    return NULL;
  }
  c = (unsigned char)v;
  if (mmkpy_write(pv, pv->pos, &c, 1) < 0)
    return NULL;
  pv->pos++;
  Py_RETURN_NONE;
}

/* seek(pos[, whence]) -> the new position. */
PyObject *mmkpy_view_seek(mmkpy_view *pv, PyObject *pos, PyObject *whence)
{
  Py_ssize_t dist, where;
  long how = 0;
  if (!mmkpy_view_ok(pv) || mmkpy_ssize(pos, &dist) < 0)
    return NULL;
  if (whence) {
    if (mmkpy_c_long(whence, &how) < 0)
      return NULL;
    if (how < INT_MIN || how > INT_MAX) {
      PyErr_SetString(PyExc_OverflowError, "signed integer is out of range");
      return NULL;
    }
  }
  if (!mmkpy_view_ok(pv)) /* the conversions may have closed it */
    return NULL;
  switch (how) {
  case 0: where = dist; break;
  case 1:
    if (dist > 0 && PY_SSIZE_T_MAX - dist < pv->pos) goto range;
    where = pv->pos + dist;
    break;
  case 2:
    if (dist > 0 && PY_SSIZE_T_MAX - dist < pv->size) goto range;
    where = pv->size + dist;
    break;
  default:
    PyErr_SetString(PyExc_ValueError, "unknown seek type");
    return NULL;
  }
  if (where > pv->size || where < 0) goto range;
  pv->pos = where;
  return PyLong_FromSsize_t(where); /* the new position, as 3.13's does */
range:
  PyErr_SetString(PyExc_ValueError, "seek out of range");
  return NULL;
}

PyObject *mmkpy_view_tell(mmkpy_view *pv)
{
  return mmkpy_view_ok(pv) ? PyLong_FromSsize_t(pv->pos) : NULL;
}

/* memmove inside the view, through bounded fault-safe windows. */
PyObject *mmkpy_view_move(mmkpy_view *pv, int64_t dest, int64_t src,
                          int64_t count)
{
  char *win;
  int64_t done = 0;
  if (!mmkpy_view_ok(pv) || !mmkpy_writable_ok(pv))
    return NULL;
  if (dest < 0 || src < 0 || count < 0 || src > (int64_t)pv->size ||
      count > (int64_t)pv->size - src || dest > (int64_t)pv->size ||
      count > (int64_t)pv->size - dest) {
    PyErr_SetString(PyExc_ValueError,
                    "source, destination, or count out of range");
    return NULL;
  }
  if (count == 0 || dest == src)
    Py_RETURN_NONE;
  win = PyMem_Malloc((size_t)MMKPY_CHUNK);
  if (!win)
    return PyErr_NoMemory();
  while (done < count) {
    int64_t k = count - done < MMKPY_CHUNK ? count - done : MMKPY_CHUNK;
    /* Moving down: copy from the front; moving up: from the back, so a
     * window never reads bytes an earlier window overwrote. */
    int64_t at = dest < src ? done : count - done - k;
    if (mmkpy_read(pv, src + at, win, (Py_ssize_t)k) < 0 ||
        mmkpy_write(pv, dest + at, win, (Py_ssize_t)k) < 0) {
      PyMem_Free(win);
      return NULL;
    }
    done += k;
  }
  PyMem_Free(win);
  Py_RETURN_NONE;
}
