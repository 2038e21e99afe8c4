/*
 * python/src/view.c: the View handle (mmapkit._core.View, the base of
 * mmapkit.View and mmapkit.mmap): its life cycle, the leases that keep the
 * mapping in place while buffers are exported or a call runs without the
 * GIL, the fault-safe copies everything else is built on, and the methods
 * that are one core call each.
 *
 * While the GIL is released the view counts an in-flight call and holds a
 * core lease: close() is then deferred to the end of the copies and
 * flushes (a wait is ended by it) and resize() is refused, so no call ever
 * uses a freed core handle or a moved mapping. Everything else runs under
 * the GIL, so it cannot race close or resize of the same object.
 */
#include "mmkpy.h"

/* The view, or NULL with the closed error. */
mmkpy_view *mmkpy_view_ok(mmkpy_view *pv)
{
  if (MMKPY_UNLIKELY(!pv || !pv->v || pv->closing)) {
    mmkpy_raise_closed(pv);
    return NULL;
  }
  return pv;
}

int mmkpy_writable_ok(mmkpy_view *pv)
{
  if (!pv->writable) {
    mmkpy_raise_readonly(pv);
    return 0;
  }
  return 1;
}

void mmkpy_view_refresh(mmkpy_view *pv)
{
  pv->data = (char *)mmk_view_data(pv->v);
  pv->size = (Py_ssize_t)mmk_view_size(pv->v);
  pv->writable = mmk_view_writable(pv->v);
}

/* While buffers are exported the view holds one core lease, so the core
 * itself refuses to unmap or move the mapping. The lease is kept when the
 * last buffer goes (exports are counted under the GIL): a struct.unpack_from
 * or hashlib call per record then costs no locked instructions. It is
 * dropped here, before whatever needs the view unleased (close, resize). */
void mmkpy_view_drop_lease(mmkpy_view *pv)
{
  if (pv->leased && pv->exports == 0 && pv->v) {
    mmk_view_release(pv->v);
    pv->leased = 0;
  }
}

/* A deferred close() runs once only waits are left in flight: copies and
 * flushes finish on the real mapping (right bytes), while a wait, which
 * may never end by itself, is woken by the inert close and raises the
 * closed error. The waits' own leases keep the core handle alive; the
 * last of them frees it. No exports can exist: close() refused them and
 * getbuffer refuses once closing. close_inert never fails. */
static void mmkpy_view_close_deferred(mmkpy_view *pv)
{
  if (pv->closing && pv->v && pv->inflight == pv->waiting) {
    mmkpy_view_drop_lease(pv);
    mmk_view_close_inert(pv->v);
    pv->v = NULL;
  }
}

/* Brackets every call that runs without the GIL (see the top). NULL, with
 * the exception set, if the view cannot be leased. */
mmk_view *mmkpy_view_enter(mmkpy_view *pv, int is_wait)
{
  int rc = mmk_view_lease(pv->v);
  if (rc < 0) {
    mmkpy_raise(MMKPY_CTX_ACCESS, rc);
    return NULL;
  }
  pv->inflight++;
  pv->waiting += is_wait;
  return pv->v;
}

void mmkpy_view_leave(mmkpy_view *pv, mmk_view *v, int is_wait)
{
  pv->waiting -= is_wait;
  pv->inflight--;
  mmk_view_release(v); /* frees v if it was inert-closed meanwhile */
  mmkpy_view_close_deferred(pv);
}

/* Fault-safe copies; large ones run without the GIL. -1 with the
 * exception set on failure. */
int mmkpy_read(mmkpy_view *pv, int64_t off, void *dst, Py_ssize_t n)
{
  int rc;
  if (n < MMKPY_NOGIL_COPY) {
    rc = mmk_view_read(pv->v, off, dst, (size_t)n);
  } else {
    mmk_view *v = mmkpy_view_enter(pv, 0);
    if (!v)
      return -1;
    Py_BEGIN_ALLOW_THREADS
    rc = mmk_view_read(v, off, dst, (size_t)n);
    Py_END_ALLOW_THREADS
    if (rc < 0)
      mmkpy_raise(MMKPY_CTX_ACCESS, rc);
    mmkpy_view_leave(pv, v, 0);
    return rc < 0 ? -1 : 0;
  }
  if (rc < 0) {
    mmkpy_raise(MMKPY_CTX_ACCESS, rc);
    return -1;
  }
  return 0;
}

int mmkpy_write(mmkpy_view *pv, int64_t off, const void *src, Py_ssize_t n)
{
  int rc;
  void *tmp = NULL;
  /* A source inside this very mapping (a memoryview of the view) may
   * overlap the destination: copy it out first. */
  if (n > 0 && pv->data && (const char *)src < pv->data + pv->size &&
      (const char *)src + n > pv->data) {
    tmp = PyMem_Malloc((size_t)n);
    if (!tmp) {
      PyErr_NoMemory();
      return -1;
    }
    if (mmkpy_read(pv, (const char *)src - pv->data, tmp, n) < 0 ||
        !mmkpy_view_ok(pv)) { /* or closed while the GIL was released */
      PyMem_Free(tmp);
      return -1;
    }
    src = tmp;
  }
  if (n < MMKPY_NOGIL_COPY) {
    rc = mmk_view_write(pv->v, off, src, (size_t)n);
    if (rc < 0)
      mmkpy_raise(MMKPY_CTX_ACCESS, rc);
  } else {
    mmk_view *v = mmkpy_view_enter(pv, 0);
    if (!v) {
      PyMem_Free(tmp);
      return -1;
    }
    Py_BEGIN_ALLOW_THREADS
    rc = mmk_view_write(v, off, src, (size_t)n);
    Py_END_ALLOW_THREADS
    if (rc < 0)
      mmkpy_raise(MMKPY_CTX_ACCESS, rc);
    mmkpy_view_leave(pv, v, 0);
  }
  PyMem_Free(tmp);
  return rc < 0 ? -1 : 0;
}

/* ---- life cycle ---- */

/* View(file, offset, length, reserve, options, compat). */
mmkpy_view *new_mmkpy_view(mmkpy_file *file, int64_t offset, int64_t length,
                           int64_t reserve, unsigned options, int compat)
{
  mmk_view *v = NULL;
  mmkpy_view *pv;
  int rc;
  if (!mmkpy_file_ok(file))
    return NULL;
  if ((options & MMK_MAP_POPULATE) || mmk_file_mode(file->f) == MMK_WRITE) {
    /* Prefaulting reads the whole range, and a writable map may grow and
     * fallocate the file: no GIL. */
    mmk_file *f = file->f;
    file->inflight++;
    Py_BEGIN_ALLOW_THREADS
    rc = mmk_map_reserve(f, offset, length, reserve, options, &v);
    Py_END_ALLOW_THREADS
    mmkpy_file_done(file);
  } else {
    rc = mmk_map_reserve(file->f, offset, length, reserve, options, &v);
  }
  if (rc < 0)
    return (mmkpy_view *)mmkpy_raise(MMKPY_CTX_MAP, rc);
  pv = (mmkpy_view *)PyMem_Calloc(1, sizeof *pv);
  if (!pv) {
    mmk_view_close(v);
    return (mmkpy_view *)PyErr_NoMemory();
  }
  pv->v = v;
  pv->compat = compat != 0;
  mmkpy_view_refresh(pv);
  return pv;
}

/* Collected without close(): unmapped here, with a ResourceWarning as for
 * a file object (mmapkit.mmap is quiet, as the standard library's is). */
void delete_mmkpy_view(mmkpy_view *pv)
{
  /* Buffers hold a reference to the object, so none is left here. */
  if (pv && pv->v) {
    if (!pv->compat && !pv->closing)
      mmkpy_warn_unclosed("unclosed mmapkit.View (offset %lld, size %zd)",
                          (long long)mmk_view_offset(pv->v), pv->size);
    mmkpy_view_drop_lease(pv);
    mmk_view_close_inert(pv->v);
  }
  PyMem_Free(pv);
}

/* Idempotent. BufferError while exported (the view stays usable);
 * deferred to the end of a GIL-free call running in another thread. */
PyObject *mmkpy_view_close(mmkpy_view *pv)
{
  int rc;
  if (!pv || !pv->v || pv->closing)
    Py_RETURN_NONE;
  if (pv->exports > 0) {
    PyErr_SetString(PyExc_BufferError,
                    pv->compat ? "cannot close exported pointers exist"
                               : "cannot close a view while buffers exported "
                                 "from it are alive (release memoryviews / "
                                 "arrays first)");
    return NULL;
  }
  if (pv->inflight > 0) {
    pv->closing = 1;
    mmkpy_view_close_deferred(pv); /* now, if only waits run */
    Py_RETURN_NONE;
  }
  mmkpy_view_drop_lease(pv);
  rc = mmk_view_close(pv->v);
  if (rc < 0)
    return mmkpy_raise(MMKPY_CTX_SYNC, rc);
  pv->v = NULL;
  Py_RETURN_NONE;
}

int mmkpy_view__closed(mmkpy_view *pv) { return !pv || !pv->v || pv->closing; }

/* 1 once __init__ has run (the Python layer refuses a second __init__). */
int mmkpy_view__initialized(mmkpy_view *pv) { return pv != NULL; }

/* ---- getters (closed: ValueError) ---- */

PyObject *mmkpy_view__offset(mmkpy_view *pv)
{
  return mmkpy_view_ok(pv) ? PyLong_FromLongLong(mmk_view_offset(pv->v)) : NULL;
}

PyObject *mmkpy_view__size(mmkpy_view *pv)
{
  return mmkpy_view_ok(pv) ? PyLong_FromSsize_t(pv->size) : NULL;
}

PyObject *mmkpy_view__reserved(mmkpy_view *pv)
{
  return mmkpy_view_ok(pv) ? PyLong_FromLongLong(mmk_view_reserved(pv->v)) : NULL;
}

PyObject *mmkpy_view__writable(mmkpy_view *pv)
{
  return mmkpy_view_ok(pv) ? PyBool_FromLong(pv->writable) : NULL;
}

PyObject *mmkpy_view__mode(mmkpy_view *pv)
{
  return mmkpy_view_ok(pv) ? PyLong_FromLong(mmk_view_mode(pv->v)) : NULL;
}

int64_t mmkpy_view__exports(mmkpy_view *pv)
{
  return pv && pv->v ? (int64_t)pv->exports : 0;
}

/* ---- one core call each ---- */

PyObject *mmkpy_view_flush(mmkpy_view *pv, int64_t offset, int64_t length,
                           int how)
{
  int rc;
  mmk_view *v;
  if (!mmkpy_view_ok(pv) || !(v = mmkpy_view_enter(pv, 0)))
    return NULL;
  Py_BEGIN_ALLOW_THREADS
  rc = mmk_view_flush(v, offset, length, how);
  Py_END_ALLOW_THREADS
  if (rc < 0)
    mmkpy_raise(MMKPY_CTX_SYNC, rc);
  mmkpy_view_leave(pv, v, 0);
  if (rc < 0)
    return NULL;
  Py_RETURN_NONE;
}

PyObject *mmkpy_view_advise(mmkpy_view *pv, int64_t offset, int64_t length,
                            int advice)
{
  int rc;
  if (!mmkpy_view_ok(pv))
    return NULL;
  if ((rc = mmk_view_advise(pv->v, offset, length, advice)) < 0)
    return mmkpy_raise(MMKPY_CTX_SYNC, rc);
  Py_RETURN_NONE;
}

PyObject *mmkpy_view_lock_memory(mmkpy_view *pv)
{
  int rc;
  mmk_view *v;
  if (!mmkpy_view_ok(pv) || !(v = mmkpy_view_enter(pv, 0)))
    return NULL;
  Py_BEGIN_ALLOW_THREADS
  rc = mmk_view_lock_memory(v);
  Py_END_ALLOW_THREADS
  if (rc < 0)
    mmkpy_raise(MMKPY_CTX_SYNC, rc);
  mmkpy_view_leave(pv, v, 0);
  if (rc < 0)
    return NULL;
  Py_RETURN_NONE;
}

PyObject *mmkpy_view_unlock_memory(mmkpy_view *pv)
{
  int rc;
  if (!mmkpy_view_ok(pv))
    return NULL;
  if ((rc = mmk_view_unlock_memory(pv->v)) < 0)
    return mmkpy_raise(MMKPY_CTX_SYNC, rc);
  Py_RETURN_NONE;
}

PyObject *mmkpy_view_resident(mmkpy_view *pv, int64_t offset, int64_t length)
{
  int64_t n = 0;
  int rc;
  if (!mmkpy_view_ok(pv))
    return NULL;
  if ((rc = mmk_view_resident(pv->v, offset, length, &n)) < 0)
    return mmkpy_raise(MMKPY_CTX_SYNC, rc);
  return PyLong_FromLongLong(n);
}

/* Grow or shrink. Refused while buffers are exported or another thread
 * is inside a GIL-free call on this view (the mapping could move). */
PyObject *mmkpy_view_resize(mmkpy_view *pv, int64_t new_length)
{
  int rc;
  if (!mmkpy_view_ok(pv))
    return NULL;
  if (pv->exports > 0 || pv->inflight > 0) {
    PyErr_SetString(PyExc_BufferError,
                    pv->exports > 0
                        ? "cannot resize a view while buffers exported from "
                          "it are alive"
                        : "cannot resize a view while another thread copies, "
                          "flushes or waits on it without the GIL");
    return NULL;
  }
  mmkpy_view_drop_lease(pv);
  rc = mmk_view_resize(pv->v, new_length);
  mmkpy_view_refresh(pv);
  if (rc < 0)
    return mmkpy_raise(MMKPY_CTX_MAP, rc);
  Py_RETURN_NONE;
}

/* Copies up to len(buf) bytes from offset into buf; returns the count
 * (short at the end of the view). */
PyObject *mmkpy_view_read_into(mmkpy_view *pv, PyObject *buf, int64_t offset)
{
  Py_buffer b;
  Py_ssize_t n;
  int rc;
  if (!mmkpy_view_ok(pv))
    return NULL;
  if (PyObject_GetBuffer(buf, &b, PyBUF_WRITABLE) < 0) {
    if (PyErr_ExceptionMatches(PyExc_BufferError)) {
      PyErr_Clear();
      PyErr_Format(PyExc_TypeError,
                   "read_into() argument must be a writable bytes-like "
                   "object, not %.100s", Py_TYPE(buf)->tp_name);
    }
    return NULL;
  }
  if (offset < 0 || offset > (int64_t)pv->size) {
    PyBuffer_Release(&b);
    PyErr_SetString(PyExc_IndexError, "offset out of range");
    return NULL;
  }
  n = pv->size - (Py_ssize_t)offset;
  if (b.len < n)
    n = b.len;
  rc = mmkpy_read(pv, offset, b.buf, n);
  PyBuffer_Release(&b);
  return rc < 0 ? NULL : PyLong_FromSsize_t(n);
}

/* Copies all of data to offset; IndexError if it does not fit. */
PyObject *mmkpy_view_write_from(mmkpy_view *pv, PyObject *data,
                                int64_t offset)
{
  Py_buffer b;
  int rc;
  if (!mmkpy_view_ok(pv) || !mmkpy_writable_ok(pv))
    return NULL;
  if (PyObject_GetBuffer(data, &b, PyBUF_SIMPLE) < 0)
    return NULL;
  if (offset < 0 || offset > (int64_t)pv->size ||
      b.len > pv->size - (Py_ssize_t)offset) {
    PyBuffer_Release(&b);
    PyErr_SetString(PyExc_IndexError,
                    offset < 0 || offset > (int64_t)pv->size
                        ? "offset out of range"
                        : "write past the end of the view");
    return NULL;
  }
  rc = mmkpy_write(pv, offset, b.buf, b.len);
  PyBuffer_Release(&b);
  return rc < 0 ? NULL : PyLong_FromSsize_t(b.len);
}
