/*
 * bindings/python.i: the Python extension module mmapkit._core (SWIG, -builtin).
 *
 * Build: swig -python -builtin -interface _core -Icore/include -Ibindings
 *
 * Layout
 * - The raw C API (from mmapkit.i) with typemaps for the out-parameters
 *   (mmk_file **, mmk_view **, int64_t *, uint32_t *, uint64_t *) and for
 *   buffers ((void *dst, size_t n), (const void *src, size_t n)).
 * - Two small handle types the Python layer builds on:
 *     File: owns an mmk_file; close is deferred while a blocking call
 *           (a waiting lock) runs without the GIL in another thread.
 *     View: owns an mmk_view; its hot paths are C slots (len, indexing,
 *           slicing, slice assignment, buffer protocol) and C methods
 *           (the file-like read/readline/read_byte/write/write_byte/seek/
 *           tell and find/rfind of mmap.mmap), so that v[o:o+8] costs
 *           about what mmap.mmap's does (v[a:b] with small-int or None
 *           bounds skips slice unpacking and copies straight into the
 *           new bytes object). Every byte goes through the
 *           core's fault-safe copies, so a truncated file raises
 *           FaultError instead of killing the interpreter. mmapkit.View and
 *           mmapkit.mmap are Python subclasses that inherit the slots.
 * - Method descriptors bound by the Python layer so that open+map+close
 *   runs no Python frame: _file_map (MappedFile.map), _mmap_init and
 *   _mmap_close (mmapkit.mmap.__init__ / close: the standard library's
 *   constructor, checks and messages, in C).
 * - ONE error translation point: mmkpy_raise() turns a status code plus
 *   the thread's last-error detail into the Python exception; the single
 *   %exception below calls it for every wrapped call, the slot functions
 *   call it directly (they are not SWIG wrappers).
 *
 * The GIL is released around msync, populate, mlock, blocking locks,
 * futex waits and copies of 256 KiB or more. While it is released the
 * object counts an in-flight operation and (views) holds a core lease:
 * close() is then deferred to the end of the copies and flushes (a wait
 * is ended by it) and resize() is refused, so no call ever uses a freed
 * core handle or a moved mapping. Everything else runs under the GIL, so
 * it cannot race close or resize of the same object in this process.
 * Blocking locks and waits run the signal handlers (PEP 475).
 */
%module(package="mmapkit") _core

%begin %{
#define PY_SSIZE_T_CLEAN
%}

%{
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include "mmapkit.h"

/* Copies at least this long run without the GIL. */
#define MMKPY_NOGIL_COPY ((Py_ssize_t)256 * 1024)
/* Window for strided slices, searches and moves. */
#define MMKPY_CHUNK ((Py_ssize_t)64 * 1024)

static PyObject *mmkpy_FaultError = NULL;

/* ---------------------------------------------------------------------
 * The error translation point.
 *
 * `where` names the failing wrapper ("new_View", "View_read_into", ...,
 * or a slot name); it picks the exception where the code alone is
 * ambiguous: MMK_ERANGE is a ValueError when mapping or resizing (the
 * file is too short) and an IndexError when accessing; MMK_EIO is
 * mmapkit.FaultError when touching mapped memory and a plain OSError(EIO)
 * otherwise (an msync I/O error is not a fault).
 * ------------------------------------------------------------------- */
static int mmkpy_where_is(const char *where, const char *const *names)
{
  for (; *names; names++)
    if (strcmp(where, *names) == 0)
      return 1;
  return 0;
}

static const char *const mmkpy_map_ops[] = {
  "new_View", "View_resize", "mmk_map", "mmk_map_reserve", "mmk_view_resize",
  NULL
};
static const char *const mmkpy_access_ops[] = {
  "getitem", "setitem", "View_read_into", "View_write_from", "View_find",
  "View_move", "View_atomic_load", "View_atomic_store", "View_atomic_add",
  "View_atomic_cas", "View_wait", "View_wake", "mmk_view_read",
  "mmk_view_write", "mmk_atomic_load_u32", "mmk_atomic_load_u64",
  "mmk_atomic_store_u32", "mmk_atomic_store_u64", "mmk_atomic_fetch_add_u32",
  "mmk_atomic_fetch_add_u64", "mmk_atomic_cas_u32", "mmk_atomic_cas_u64",
  "mmk_wait_u32", "mmk_wake", NULL
};

static void mmkpy_raise(int code, const char *where)
{
  const char *op = "", *path = "", *message = NULL;
  int sys_errno = 0, own_refusal;
  PyObject *exc_type, *args, *filename, *text;
  char reason[512];

  if (mmk_last_error_code() == code) {
    op = mmk_last_error_op();
    path = mmk_last_error_path();
    message = mmk_last_error_message();
    sys_errno = mmk_last_error_errno();
  }
  if (!op) op = "";
  if (!path) path = "";
  if (!message || !*message) message = mmk_strerror(code);

  switch (code) {
  case MMK_EINVAL:
  case MMK_ECLOSED:
    PyErr_SetString(PyExc_ValueError, message);
    return;
  case MMK_ERANGE:
    PyErr_SetString(mmkpy_where_is(where, mmkpy_map_ops) ? PyExc_ValueError
                                                          : PyExc_IndexError,
                    message);
    return;
  case MMK_EBUSY:
    PyErr_SetString(PyExc_BufferError, message);
    return;
  default:
    break;
  }

  /* An OSError: errno, strerror, filename. Python's OSError constructor
   * picks the subclass from errno (FileNotFoundError, PermissionError,
   * FileExistsError, IsADirectoryError, BlockingIOError, TimeoutError...). */
  own_refusal = sys_errno <= 0 && mmk_last_error_code() == code;
  if (sys_errno <= 0)
    sys_errno = (code < 0 && code > -3000) ? -code : EIO;
  if (code == MMK_EIO && mmkpy_where_is(where, mmkpy_access_ops)) {
    exc_type = mmkpy_FaultError;
    sys_errno = EIO;
    PyOS_snprintf(reason, sizeof reason,
                  "fault while accessing mapped memory (%s)", message);
  } else {
    /* A refusal of mmapkit's own (no native errno) says why: keep that,
     * with the Python spelling of the flag it names. */
    const char *why = own_refusal ? message : "", *flag;
    char said[400];
    if ((flag = strstr(why, "pass MMK_ALLOW_FOREIGN")) != NULL) {
      PyOS_snprintf(said, sizeof said, "%.*spass allow_foreign=True%s",
                    (int)(flag - why), why, flag + strlen("pass MMK_ALLOW_FOREIGN"));
      why = said;
    }
    exc_type = PyExc_OSError;
    PyOS_snprintf(reason, sizeof reason, "%s%s%s%s%s%s", strerror(sys_errno),
                  *op ? " [" : "", op, *op ? "]" : "", *why ? ": " : "", why);
  }
  text = PyUnicode_DecodeLocale(reason, "surrogateescape");
  if (!text)
    return;
  if (*path) {
    filename = PyUnicode_DecodeFSDefault(path);
    if (!filename) {
      Py_DECREF(text);
      return;
    }
    args = Py_BuildValue("(iNN)", sys_errno, text, filename);
  } else {
    args = Py_BuildValue("(iN)", sys_errno, text);
  }
  if (!args)
    return;
  PyErr_SetObject(exc_type, args);
  Py_DECREF(args);
}

/* ---------------------------------------------------------------------
 * File handle
 * ------------------------------------------------------------------- */
typedef struct mmkpy_file {
  mmk_file *f;
  int inflight;   /* calls running without the GIL */
  int closing;    /* close() asked while inflight > 0 */
  int kind;       /* MMK_KIND_*, kept for after close */
  int created;    /* mmk_file_created: this call created the file */
  PyObject *name; /* path / shm name / "", kept for after close */
} mmkpy_file;

enum { MMKPY_KIND_PATH = 0, MMKPY_KIND_SHM = 1, MMKPY_KIND_ANON = 2,
       MMKPY_KIND_FD = 3 };

static int mmkpy_file_ok(mmkpy_file *pf)
{
  if (!pf || !pf->f || pf->closing) {
    PyErr_SetString(PyExc_ValueError, "I/O operation on closed file");
    return 0;
  }
  return 1;
}

static void mmkpy_file_done(mmkpy_file *pf)
{
  if (--pf->inflight == 0 && pf->closing && pf->f) {
    mmk_file_close(pf->f);
    pf->f = NULL;
  }
}

static int mmkpy_file_open_kind(int kind, const char *s, int mode,
                                unsigned flags, int64_t size, int fd,
                                mmk_file **f)
{
  switch (kind) {
  case MMKPY_KIND_PATH: return mmk_file_open(s, mode, flags, size, f);
  case MMKPY_KIND_SHM: return mmk_shm_open(s, mode, flags, size, f);
  case MMKPY_KIND_ANON: return mmk_anon_create(size, f);
  default: return mmk_file_from_fd(fd, mode, f);
  }
}

/* The C string of a path (str, bytes or os.PathLike; str in the
 * filesystem encoding, as os.open does) or of a shared-memory name (str
 * or bytes; str as UTF-8), for the call `op`. A NUL byte, which the OS
 * would take for the end of the string, is a ValueError naming the
 * argument and the call, before anything reaches the core. *keep holds
 * what the pointer lives in (release it with Py_XDECREF). */
static const char *mmkpy_path_arg(PyObject *o, int is_path, const char *op,
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

/* ---------------------------------------------------------------------
 * View handle
 * ------------------------------------------------------------------- */
typedef struct mmkpy_view {
  mmk_view *v;
  char *data;           /* mmk_view_data, refreshed after a resize */
  Py_ssize_t size;      /* mmk_view_size, refreshed after a resize */
  int writable;
  int compat;           /* 1: messages of the standard library's mmap */
  Py_ssize_t exports;   /* live Py_buffers */
  int leased;           /* holds the core lease that stands for them */
  int inflight;         /* calls running without the GIL */
  int waiting;          /* of which blocking waits (wait()) */
  int closing;          /* close() asked while inflight > 0 */
  Py_ssize_t pos;       /* file-like position (read/write/seek/tell) */
} mmkpy_view;

static const char *mmkpy_closed_msg(const mmkpy_view *pv)
{
  return pv && pv->compat ? "mmap closed or invalid"
                          : "I/O operation on closed view";
}

/* The view behind a View object, or NULL with ValueError if closed. */
static mmkpy_view *mmkpy_view_ok(mmkpy_view *pv)
{
  if (!pv || !pv->v || pv->closing) {
    PyErr_SetString(PyExc_ValueError, mmkpy_closed_msg(pv));
    return NULL;
  }
  return pv;
}

#define MMKPY_SELF_VIEW(self) ((mmkpy_view *)((SwigPyObject *)(self))->ptr)

#if defined(__GNUC__) || defined(__clang__)
#define MMKPY_LIKELY(x) __builtin_expect(!!(x), 1)
#define MMKPY_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define MMKPY_LIKELY(x) (x)
#define MMKPY_UNLIKELY(x) (x)
#endif

static void mmkpy_view_refresh(mmkpy_view *pv)
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
static void mmkpy_view_drop_lease(mmkpy_view *pv)
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

/* Brackets every call that runs without the GIL. The call is counted
 * (close() defers, resize() refuses) and holds a core lease of its own, so
 * the core never unmaps or moves the mapping under it whatever happens
 * meanwhile. NULL (with the exception set) if the view cannot be leased. */
static mmk_view *mmkpy_view_enter(mmkpy_view *pv, int is_wait)
{
  int rc = mmk_view_lease(pv->v);
  if (rc < 0) {
    mmkpy_raise(rc, "getbuffer");
    return NULL;
  }
  pv->inflight++;
  pv->waiting += is_wait;
  return pv->v;
}

static void mmkpy_view_leave(mmkpy_view *pv, mmk_view *v, int is_wait)
{
  pv->waiting -= is_wait;
  pv->inflight--;
  mmk_view_release(v); /* frees v if it was inert-closed meanwhile */
  mmkpy_view_close_deferred(pv);
}

/* Fault-safe copies; large ones run without the GIL. Raise on failure. */
static int mmkpy_read(mmkpy_view *pv, int64_t off, void *dst, Py_ssize_t n,
                      const char *where)
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
      mmkpy_raise(rc, where);
    mmkpy_view_leave(pv, v, 0);
    return rc < 0 ? -1 : 0;
  }
  if (rc < 0) {
    mmkpy_raise(rc, where);
    return -1;
  }
  return 0;
}

static int mmkpy_write(mmkpy_view *pv, int64_t off, const void *src,
                       Py_ssize_t n, const char *where)
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
    if (mmkpy_read(pv, (const char *)src - pv->data, tmp, n, where) < 0) {
      PyMem_Free(tmp);
      return -1;
    }
    src = tmp;
    if (!mmkpy_view_ok(pv)) { /* closed while the GIL was released */
      PyMem_Free(tmp);
      return -1;
    }
  }
  if (n < MMKPY_NOGIL_COPY) {
    rc = mmk_view_write(pv->v, off, src, (size_t)n);
    if (rc < 0)
      mmkpy_raise(rc, where);
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
      mmkpy_raise(rc, where);
    mmkpy_view_leave(pv, v, 0);
  }
  PyMem_Free(tmp);
  return rc < 0 ? -1 : 0;
}

/* ---- slots: len(), v[i], v[a:b:c], v[...] = x, buffer protocol ---- */

static Py_ssize_t mmkpy_view_length(PyObject *self)
{
  mmkpy_view *pv = mmkpy_view_ok(MMKPY_SELF_VIEW(self));
  return pv ? pv->size : -1;
}

static PyObject *mmkpy_view_item_at(mmkpy_view *pv, Py_ssize_t i)
{
  unsigned char b;
  if (i < 0 || i >= pv->size) {
    PyErr_SetString(PyExc_IndexError, pv->compat ? "mmap index out of range"
                                                 : "view index out of range");
    return NULL;
  }
  if (mmkpy_read(pv, i, &b, 1, "getitem") < 0)
    return NULL;
  return PyLong_FromLong(b);
}

static PyObject *mmkpy_view_item(PyObject *self, Py_ssize_t i)
{
  mmkpy_view *pv = mmkpy_view_ok(MMKPY_SELF_VIEW(self));
  if (!pv)
    return NULL;
  /* sq_item gets i already adjusted by len() for negative indices. */
  return mmkpy_view_item_at(pv, i);
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
      if (mmkpy_read(pv, lo, win, hi - lo, "getitem") < 0) {
        PyMem_Free(win);
        return -1;
      }
    }
    out[k] = (char)win[idx - lo];
  }
  PyMem_Free(win);
  return 0;
}

/* *out = o when o is an exact int small enough to read without a call
 * (one digit / compact); 0 otherwise (the caller takes the general path). */
static inline int mmkpy_small_int(PyObject *o, Py_ssize_t *out)
{
  if (!PyLong_CheckExact(o))
    return 0;
#if PY_VERSION_HEX >= 0x030C0000
  if (!PyUnstable_Long_IsCompact((PyLongObject *)o))
    return 0;
  *out = (Py_ssize_t)PyUnstable_Long_CompactValue((PyLongObject *)o);
  return 1;
#else
  {
    Py_ssize_t sz = Py_SIZE(o);
    if (sz == 0) {
      *out = 0;
      return 1;
    }
    if (sz != 1 && sz != -1)
      return 0;
    *out = sz * (Py_ssize_t)((PyLongObject *)o)->ob_digit[0];
    return 1;
  }
#endif
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

static PyObject *mmkpy_view_subscript(PyObject *self, PyObject *item)
{
  mmkpy_view *pv = MMKPY_SELF_VIEW(self);
  if (MMKPY_UNLIKELY(!pv || !pv->v || pv->closing)) {
    mmkpy_view_ok(pv); /* raises the closed error */
    return NULL;
  }
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
        mmkpy_raise(rc, "getitem");
        return NULL;
      }
    }
  }
  if (PySlice_Check(item)) {
    Py_ssize_t start, stop, step, n;
    PyObject *res;
    if (PySlice_Unpack(item, &start, &stop, &step) < 0)
      return NULL;
    n = PySlice_AdjustIndices(pv->size, &start, &stop, step);
    res = PyBytes_FromStringAndSize(NULL, n);
    if (!res || n == 0)
      return res;
    if (step == 1 ? mmkpy_read(pv, start, PyBytes_AS_STRING(res), n,
                               "getitem")
                  : mmkpy_gather(pv, PyBytes_AS_STRING(res), start, step, n)) {
      Py_DECREF(res);
      return NULL;
    }
    return res;
  }
  if (PyIndex_Check(item)) {
    Py_ssize_t i = PyNumber_AsSsize_t(item, PyExc_IndexError);
    if (i == -1 && PyErr_Occurred())
      return NULL;
    if (i < 0)
      i += pv->size;
    return mmkpy_view_item_at(pv, i);
  }
  PyErr_SetString(PyExc_TypeError, pv->compat
                                       ? "mmap indices must be integers"
                                       : "view indices must be integers or slices");
  return NULL;
}

static int mmkpy_view_ass_subscript(PyObject *self, PyObject *item,
                                    PyObject *value)
{
  mmkpy_view *pv = mmkpy_view_ok(MMKPY_SELF_VIEW(self));
  if (!pv)
    return -1;
  if (!pv->writable) {
    PyErr_SetString(PyExc_TypeError,
                    pv->compat ? "mmap can't modify a readonly memory map."
                               : "cannot modify a read-only view");
    return -1;
  }
  if (PySlice_Check(item)) {
    Py_ssize_t start, stop, step, n, k;
    Py_buffer buf;
    int rc = 0;
    if (PySlice_Unpack(item, &start, &stop, &step) < 0)
      return -1;
    n = PySlice_AdjustIndices(pv->size, &start, &stop, step);
    if (value == NULL) {
      PyErr_SetString(PyExc_TypeError,
                      pv->compat ? "mmap object doesn't support slice deletion"
                                 : "view doesn't support slice deletion");
      return -1;
    }
    if (PyObject_GetBuffer(value, &buf, PyBUF_SIMPLE) < 0)
      return -1;
    if (buf.len != n) {
      PyErr_SetString(PyExc_IndexError,
                      pv->compat ? "mmap slice assignment is wrong size"
                                 : "view slice assignment is wrong size");
      PyBuffer_Release(&buf);
      return -1;
    }
    if (step == 1) {
      rc = mmkpy_write(pv, start, buf.buf, n, "setitem");
    } else {
      /* Byte by byte: a read-modify-write of a window would overwrite the
       * bytes in between, which other processes may be changing. */
      for (k = 0; k < n && rc == 0; k++)
        rc = mmkpy_write(pv, start + k * step, (const char *)buf.buf + k, 1,
                         "setitem");
    }
    PyBuffer_Release(&buf);
    return rc;
  }
  if (PyIndex_Check(item)) {
    Py_ssize_t i = PyNumber_AsSsize_t(item, PyExc_IndexError);
    long b;
    unsigned char c;
    if (i == -1 && PyErr_Occurred())
      return -1;
    if (i < 0)
      i += pv->size;
    if (i < 0 || i >= pv->size) {
      PyErr_SetString(PyExc_IndexError, pv->compat ? "mmap index out of range"
                                                   : "view index out of range");
      return -1;
    }
    if (value == NULL) {
      PyErr_SetString(PyExc_TypeError,
                      pv->compat ? "mmap object doesn't support item deletion"
                                 : "view doesn't support item deletion");
      return -1;
    }
    if (!PyIndex_Check(value)) {
      PyErr_SetString(PyExc_TypeError, pv->compat
                                           ? "mmap item value must be an int"
                                           : "view item value must be an int");
      return -1;
    }
    b = PyLong_AsLong(value);
    if (b == -1 && PyErr_Occurred())
      return -1;
    if (b < 0 || b > 255) {
      PyErr_SetString(PyExc_ValueError,
                      pv->compat ? "mmap item value must be in range(0, 256)"
                                 : "byte must be in range(0, 256)");
      return -1;
    }
    c = (unsigned char)b;
    return mmkpy_write(pv, i, &c, 1, "setitem");
  }
  PyErr_SetString(PyExc_TypeError, pv->compat
                                       ? "mmap indices must be integer"
                                       : "view indices must be integers or slices");
  return -1;
}

static int mmkpy_view_ass_item(PyObject *self, Py_ssize_t i, PyObject *value)
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
static int mmkpy_view_getbuffer(PyObject *self, Py_buffer *view, int flags)
{
  mmkpy_view *pv = mmkpy_view_ok(MMKPY_SELF_VIEW(self));
  int rc;
  if (!pv) {
    view->obj = NULL;
    return -1;
  }
  if ((flags & PyBUF_WRITABLE) && !pv->writable) {
    PyErr_SetString(PyExc_BufferError, pv->compat ? "Object is not writable."
                                                  : "view is read-only");
    view->obj = NULL;
    return -1;
  }
  if (!pv->leased) {
    rc = mmk_view_lease(pv->v);
    if (rc < 0) {
      mmkpy_raise(rc, "getbuffer");
      view->obj = NULL;
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

static void mmkpy_view_releasebuffer(PyObject *self, Py_buffer *view)
{
  mmkpy_view *pv = MMKPY_SELF_VIEW(self);
  (void)view;
  if (pv && pv->v)
    pv->exports--; /* the lease stays: see mmkpy_view_drop_lease */
}

/* ---- atomics helpers ---- */
static int mmkpy_word(PyObject *o, int size, uint64_t *out)
{
  /* Accepts [-2**(bits-1), 2**bits): negative values wrap, as C does. */
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

static int mmkpy_size_ok(int size)
{
  if (size != 4 && size != 8) {
    PyErr_SetString(PyExc_ValueError, "size must be 4 or 8");
    return 0;
  }
  return 1;
}

static int mmkpy_find(mmkpy_view *pv, const char *nd, Py_ssize_t nn,
                      Py_ssize_t start, Py_ssize_t end, int reverse,
                      Py_ssize_t *found);

/* Py_ssize_t from an int-like object, as the "n" format converts it. */
static int mmkpy_ssize(PyObject *o, Py_ssize_t *out)
{
  Py_ssize_t v = PyNumber_AsSsize_t(o, PyExc_OverflowError);
  if (v == -1 && PyErr_Occurred())
    return -1;
  *out = v;
  return 0;
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
  if (mmkpy_find_bound(start, pv->pos, pv->size, &s) < 0 ||
      mmkpy_find_bound(end, pv->size, pv->size, &e) < 0) {
    PyBuffer_Release(&nb);
    return NULL;
  }
  rc = mmkpy_find(pv, nb.buf, nb.len, s, e, reverse, &found);
  PyBuffer_Release(&nb);
  return rc < 0 ? NULL : PyLong_FromSsize_t(found);
}

static int mmkpy_writable_ok(mmkpy_view *pv)
{
  if (!pv->writable) {
    PyErr_SetString(PyExc_TypeError,
                    pv->compat ? "mmap can't modify a readonly memory map."
                               : "cannot modify a read-only view");
    return 0;
  }
  return 1;
}

/* tp_new of File and View: an object whose __init__ has not run (yet)
 * carries its SWIG type and a NULL handle, so every method reports "closed"
 * instead of SWIG dereferencing a missing type. */
static PyObject *mmkpy_tp_new_common(PyTypeObject *t, swig_type_info *ty)
{
  PyObject *o = PyType_GenericNew(t, NULL, NULL);
  if (o) {
    ((SwigPyObject *)o)->ty = ty;
    ((SwigPyObject *)o)->own = 0;
  }
  return o;
}

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
%}

/* ---------------------------------------------------------------------
 * The one %exception: every wrapped call clears the thread's detail, runs
 * and, if the core recorded a failure (or a helper raised already),
 * becomes a Python exception through mmkpy_raise.
 * ------------------------------------------------------------------- */
%exception {
  mmk_clear_error();
  $action
  if (PyErr_Occurred())
    SWIG_fail;
  if (mmk_last_error_code() != 0) {
    mmkpy_raise(mmk_last_error_code(), "$symname");
    SWIG_fail;
  }
}
/* Pure getters: they never fail and must stay cheap. */
%noexception mmk_version;
%noexception mmk_strerror;
%noexception mmk_err_name;
%noexception mmk_last_error_code;
%noexception mmk_last_error_errno;
%noexception mmk_last_error_op;
%noexception mmk_last_error_path;
%noexception mmk_last_error_message;
%noexception mmk_clear_error;
%noexception mmk_page_size;

/* ---- typemaps for the raw API ---- */
%typemap(in, numinputs=0) mmk_file **out (mmk_file *tmp = NULL) {
  $1 = &tmp;
}
%typemap(argout) mmk_file **out {
  Py_XDECREF($result);
  $result = SWIG_NewPointerObj(SWIG_as_voidptr(*$1), $*1_descriptor, 0);
}
%typemap(in, numinputs=0) mmk_view **out (mmk_view *tmp = NULL) {
  $1 = &tmp;
}
%typemap(argout) mmk_view **out {
  Py_XDECREF($result);
  $result = SWIG_NewPointerObj(SWIG_as_voidptr(*$1), $*1_descriptor, 0);
}
%typemap(in, numinputs=0) int64_t *OUT64 (int64_t tmp = 0) { $1 = &tmp; }
%typemap(argout) int64_t *OUT64 {
  Py_XDECREF($result);
  $result = PyLong_FromLongLong((long long)*$1);
}
%typemap(in, numinputs=0) uint64_t *OUTU64 (uint64_t tmp = 0) { $1 = &tmp; }
%typemap(argout) uint64_t *OUTU64 {
  Py_XDECREF($result);
  $result = PyLong_FromUnsignedLongLong((unsigned long long)*$1);
}
%typemap(in, numinputs=0) uint32_t *OUTU32 (uint32_t tmp = 0) { $1 = &tmp; }
%typemap(argout) uint32_t *OUTU32 {
  Py_XDECREF($result);
  $result = PyLong_FromUnsignedLong((unsigned long)*$1);
}
%apply int64_t *OUT64 { int64_t *out, int64_t *resident_bytes };
%apply uint64_t *OUTU64 { uint64_t *out, uint64_t *old, uint64_t *current };
%apply uint32_t *OUTU32 { uint32_t *out, uint32_t *old, uint32_t *current };

/* Caller buffers for the raw fault-safe copies. */
%typemap(in) (void *dst, size_t n) (Py_buffer pybuf) {
  pybuf.obj = NULL;
  if (PyObject_GetBuffer($input, &pybuf, PyBUF_WRITABLE) < 0)
    SWIG_fail;
  $1 = pybuf.buf;
  $2 = (size_t)pybuf.len;
}
%typemap(freearg) (void *dst, size_t n) {
  if (pybuf$argnum.obj)
    PyBuffer_Release(&pybuf$argnum);
}
%typemap(in) (const void *src, size_t n) (Py_buffer pybuf) {
  pybuf.obj = NULL;
  if (PyObject_GetBuffer($input, &pybuf, PyBUF_SIMPLE) < 0)
    SWIG_fail;
  $1 = pybuf.buf;
  $2 = (size_t)pybuf.len;
}
%typemap(freearg) (const void *src, size_t n) {
  if (pybuf$argnum.obj)
    PyBuffer_Release(&pybuf$argnum);
}

/* Paths and shared-memory names of the raw API: as File takes them. */
%typemap(in) const char *path (PyObject *keep = NULL) {
  $1 = (char *)mmkpy_path_arg($input, 1, "$symname", &keep);
  if (!$1)
    SWIG_fail;
}
%typemap(freearg) const char *path { Py_XDECREF(keep$argnum); }
%typemap(in) const char *name (PyObject *keep = NULL) {
  $1 = (char *)mmkpy_path_arg($input, 0, "$symname", &keep);
  if (!$1)
    SWIG_fail;
}
%typemap(freearg) const char *name { Py_XDECREF(keep$argnum); }

/* Raw pointers are useless (and unsafe) from Python. */
%ignore mmk_view_data;

%include "mmapkit.i"

/* ---------------------------------------------------------------------
 * File: the handle type used by mmapkit.MappedFile and mmapkit.mmap.
 * File(kind, name, mode, flags, size, fd) with kind 0 path (bytes or
 * str), 1 shared-memory name, 2 anonymous (size), 3 descriptor (fd).
 * ------------------------------------------------------------------- */
%rename(File) mmkpy_file;
typedef struct mmkpy_file {} mmkpy_file;

%extend mmkpy_file {
  mmkpy_file(int kind, PyObject *name, int mode, unsigned flags,
             int64_t size, int fd) {
    mmk_file *f = NULL;
    const char *s = NULL;
    PyObject *encoded = NULL;
    mmkpy_file *pf;
    int rc;
    if (kind == MMKPY_KIND_PATH || kind == MMKPY_KIND_SHM) {
      s = mmkpy_path_arg(name, kind == MMKPY_KIND_PATH,
                         kind == MMKPY_KIND_PATH ? "open" : "shm_open",
                         &encoded);
      if (!s)
        return NULL;
    }
    if (kind < MMKPY_KIND_PATH || kind > MMKPY_KIND_FD) {
      Py_XDECREF(encoded);
      PyErr_SetString(PyExc_ValueError, "unknown file kind");
      return NULL;
    }
    /* A size means ftruncate + fallocate, which can take a while. */
    if (size > 0) {
      Py_BEGIN_ALLOW_THREADS
      rc = mmkpy_file_open_kind(kind, s, mode, flags, size, fd, &f);
      Py_END_ALLOW_THREADS
    } else {
      rc = mmkpy_file_open_kind(kind, s, mode, flags, size, fd, &f);
    }
    Py_XDECREF(encoded);
    if (rc < 0)
      return NULL; /* the detail is set: %exception raises */
    pf = (mmkpy_file *)calloc(1, sizeof *pf);
    if (!pf) {
      mmk_file_close(f);
      PyErr_NoMemory();
      return NULL;
    }
    pf->f = f;
    pf->kind = mmk_file_kind(f);
    pf->created = mmk_file_created(f) == 1;
    pf->name = PyUnicode_DecodeFSDefault(mmk_file_path(f));
    if (!pf->name) {
      mmk_file_close(f);
      free(pf);
      return NULL;
    }
    return pf;
  }
  ~mmkpy_file() {
    if ($self && $self->f)
      mmk_file_close($self->f);
    if ($self)
      Py_XDECREF($self->name);
    free($self);
  }
  /* Both stay available after close. */
  PyObject *_name() {
    if (!$self || !$self->name) return PyUnicode_FromString("");
    Py_INCREF($self->name);
    return $self->name;
  }
  int _kind() { return $self ? $self->kind : -1; }
  int _created() { return $self ? $self->created : 0; }
  /* Idempotent; deferred to the end of a blocking call in another thread. */
  int close() {
    int rc = 0;
    if (!$self || !$self->f || $self->closing)
      return 0;
    if ($self->inflight > 0) {
      $self->closing = 1;
      return 0;
    }
    rc = mmk_file_close($self->f);
    $self->f = NULL;
    return rc;
  }
  int size(int64_t *OUT64) {
    if (!mmkpy_file_ok($self)) return -1;
    return mmk_file_size($self->f, OUT64);
  }
  int resize(int64_t new_size) {
    int rc;
    mmk_file *f;
    if (!mmkpy_file_ok($self)) return -1;
    f = $self->f;
    $self->inflight++;
    Py_BEGIN_ALLOW_THREADS /* ftruncate + fallocate can take a while */
    rc = mmk_file_resize(f, new_size);
    Py_END_ALLOW_THREADS
    if (rc < 0)
      mmkpy_raise(rc, "File_resize");
    mmkpy_file_done($self);
    return rc;
  }
  /* A blocking lock runs without the GIL and, as PEP 475 asks, lets the
   * signal handlers run when a signal interrupts it: KeyboardInterrupt
   * (or whatever a handler raises) ends it with nothing locked, else it
   * waits again. */
  int lock(int64_t offset, int64_t length, int kind, int wait) {
    int rc;
    mmk_file *f;
    if (!mmkpy_file_ok($self)) return -1;
    if (!wait)
      return mmk_file_lock($self->f, offset, length, kind, MMK_LOCK_TRY);
    f = $self->f;
    $self->inflight++;
    for (;;) {
      Py_BEGIN_ALLOW_THREADS
      rc = mmk_file_lock(f, offset, length, kind, MMK_LOCK_WAIT_INTR);
      Py_END_ALLOW_THREADS
      if (rc != MMK_EINTR)
        break;
      if (PyErr_CheckSignals() < 0)
        break;
      mmk_clear_error(); /* %exception reads it: only the last try counts */
    }
    mmkpy_file_done($self);
    return rc;
  }
  int unlock(int64_t offset, int64_t length) {
    if (!mmkpy_file_ok($self)) return -1;
    return mmk_file_unlock($self->f, offset, length);
  }
  int mode() { if (!mmkpy_file_ok($self)) return -1; return mmk_file_mode($self->f); }
  int kind() { if (!mmkpy_file_ok($self)) return -1; return mmk_file_kind($self->f); }
  int fileno() { if (!mmkpy_file_ok($self)) return -1; return mmk_file_fd($self->f); }
  PyObject *path() {
    if (!mmkpy_file_ok($self)) return NULL;
    return PyUnicode_DecodeFSDefault(mmk_file_path($self->f));
  }
  int _closed() { return !$self || !$self->f || $self->closing; }
}

/* ---------------------------------------------------------------------
 * View: View(file, offset, length, reserve, options, compat)
 * ------------------------------------------------------------------- */
%rename(View) mmkpy_view;
%feature("python:mp_length") mmkpy_view "mmkpy_view_length";
%feature("python:sq_length") mmkpy_view "mmkpy_view_length";
%feature("python:mp_subscript") mmkpy_view "mmkpy_view_subscript";
%feature("python:mp_ass_subscript") mmkpy_view "mmkpy_view_ass_subscript";
%feature("python:sq_item") mmkpy_view "mmkpy_view_item";
%feature("python:sq_ass_item") mmkpy_view "mmkpy_view_ass_item";
%feature("python:bf_getbuffer", functype="getbufferproc") mmkpy_view "mmkpy_view_getbuffer";
%feature("python:bf_releasebuffer", functype="releasebufferproc") mmkpy_view "mmkpy_view_releasebuffer";

typedef struct mmkpy_view {} mmkpy_view;

%extend mmkpy_view {
  mmkpy_view(mmkpy_file *file, int64_t offset, int64_t length,
             int64_t reserve, unsigned options, int compat) {
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
      return NULL;
    pv = (mmkpy_view *)calloc(1, sizeof *pv);
    if (!pv) {
      mmk_view_close(v);
      PyErr_NoMemory();
      return NULL;
    }
    pv->v = v;
    pv->compat = compat != 0;
    mmkpy_view_refresh(pv);
    return pv;
  }
  ~mmkpy_view() {
    /* Buffers hold a reference to the object, so none is left here. */
    if ($self && $self->v) {
      mmkpy_view_drop_lease($self);
      mmk_view_close_inert($self->v);
    }
    free($self);
  }
  /* Idempotent. BufferError while exported (the view stays usable);
   * deferred to the end of a GIL-free call running in another thread. */
  int close() {
    int rc;
    if (!$self || !$self->v || $self->closing)
      return 0;
    if ($self->exports > 0) {
      PyErr_SetString(PyExc_BufferError,
                      $self->compat ? "cannot close exported pointers exist"
                                    : "cannot close a view while buffers exported from it are alive (release memoryviews / arrays first)");
      return -1;
    }
    if ($self->inflight > 0) {
      $self->closing = 1;
      mmkpy_view_close_deferred($self); /* now, if only waits run */
      return 0;
    }
    mmkpy_view_drop_lease($self);
    rc = mmk_view_close($self->v);
    if (rc == 0)
      $self->v = NULL;
    return rc;
  }
  int _closed() { return !$self || !$self->v || $self->closing; }
  /* 1 once __init__ has run (SWIG would chain a second handle, not
   * replace the first, so the Python layer refuses a second __init__). */
  int _initialized() { return $self != NULL; }
  int64_t _offset() {
    if (!mmkpy_view_ok($self)) return -1;
    return mmk_view_offset($self->v);
  }
  int64_t _size() {
    if (!mmkpy_view_ok($self)) return -1;
    return (int64_t)$self->size;
  }
  int64_t _reserved() {
    if (!mmkpy_view_ok($self)) return -1;
    return mmk_view_reserved($self->v);
  }
  int _writable() {
    if (!mmkpy_view_ok($self)) return -1;
    return $self->writable;
  }
  int _mode() {
    if (!mmkpy_view_ok($self)) return -1;
    return mmk_view_mode($self->v);
  }
  int64_t _exports() { return $self && $self->v ? (int64_t)$self->exports : 0; }
  int flush(int64_t offset, int64_t length, int how) {
    int rc;
    mmk_view *v;
    if (!mmkpy_view_ok($self)) return -1;
    if (!(v = mmkpy_view_enter($self, 0))) return -1;
    Py_BEGIN_ALLOW_THREADS
    rc = mmk_view_flush(v, offset, length, how);
    Py_END_ALLOW_THREADS
    if (rc < 0)
      mmkpy_raise(rc, "View_flush");
    mmkpy_view_leave($self, v, 0);
    return rc;
  }
  int advise(int64_t offset, int64_t length, int advice) {
    if (!mmkpy_view_ok($self)) return -1;
    return mmk_view_advise($self->v, offset, length, advice);
  }
  int lock_memory() {
    int rc;
    mmk_view *v;
    if (!mmkpy_view_ok($self)) return -1;
    if (!(v = mmkpy_view_enter($self, 0))) return -1;
    Py_BEGIN_ALLOW_THREADS
    rc = mmk_view_lock_memory(v);
    Py_END_ALLOW_THREADS
    if (rc < 0)
      mmkpy_raise(rc, "View_lock_memory");
    mmkpy_view_leave($self, v, 0);
    return rc;
  }
  int unlock_memory() {
    if (!mmkpy_view_ok($self)) return -1;
    return mmk_view_unlock_memory($self->v);
  }
  int resident(int64_t offset, int64_t length, int64_t *OUT64) {
    if (!mmkpy_view_ok($self)) return -1;
    return mmk_view_resident($self->v, offset, length, OUT64);
  }
  /* Grow or shrink. Refused while buffers are exported or another thread
   * is inside a GIL-free call on this view (the mapping could move). */
  int resize(int64_t new_length) {
    int rc;
    if (!mmkpy_view_ok($self)) return -1;
    if ($self->exports > 0 || $self->inflight > 0) {
      PyErr_SetString(PyExc_BufferError,
                      $self->compat ? "mmap can't resize with extant buffers exported."
                                    : "cannot resize a view while buffers exported from it are alive");
      return -1;
    }
    mmkpy_view_drop_lease($self);
    rc = mmk_view_resize($self->v, new_length);
    mmkpy_view_refresh($self);
    return rc;
  }
  /* Copies up to len(buf) bytes from offset into buf; returns the count
   * (short at the end of the view). */
  PyObject *read_into(PyObject *buf, int64_t offset) {
    Py_buffer b;
    Py_ssize_t n;
    int rc;
    if (!mmkpy_view_ok($self)) return NULL;
    if (PyObject_GetBuffer(buf, &b, PyBUF_WRITABLE) < 0) {
      if (PyErr_ExceptionMatches(PyExc_BufferError)) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     "read_into() argument must be a writable bytes-like object, not %.100s",
                     Py_TYPE(buf)->tp_name);
      }
      return NULL;
    }
    if (offset < 0 || offset > (int64_t)$self->size) {
      PyBuffer_Release(&b);
      PyErr_SetString(PyExc_IndexError, "offset out of range");
      return NULL;
    }
    n = $self->size - (Py_ssize_t)offset;
    if (b.len < n) n = b.len;
    rc = mmkpy_read($self, offset, b.buf, n, "View_read_into");
    PyBuffer_Release(&b);
    return rc < 0 ? NULL : PyLong_FromSsize_t(n);
  }
  /* Copies all of data to offset; IndexError if it does not fit. */
  PyObject *write_from(PyObject *data, int64_t offset) {
    Py_buffer b;
    int rc;
    if (!mmkpy_view_ok($self)) return NULL;
    if (!$self->writable) {
      PyErr_SetString(PyExc_TypeError,
                      $self->compat ? "mmap can't modify a readonly memory map."
                                    : "cannot modify a read-only view");
      return NULL;
    }
    if (PyObject_GetBuffer(data, &b, PyBUF_SIMPLE) < 0) return NULL;
    if (offset < 0 || offset > (int64_t)$self->size ||
        b.len > $self->size - (Py_ssize_t)offset) {
      PyBuffer_Release(&b);
      PyErr_SetString(PyExc_IndexError,
                      $self->compat ? "data out of range"
                                    : "write past the end of the view");
      return NULL;
    }
    rc = mmkpy_write($self, offset, b.buf, b.len, "View_write_from");
    PyBuffer_Release(&b);
    return rc < 0 ? NULL : PyLong_FromSsize_t(b.len);
  }
  /* find(sub[, start[, end]]) / rfind: lowest / highest index of sub in
   * [start, end), -1 if absent. start defaults to the position (0 unless
   * seek() moved it), end to the size; negative values count from the end,
   * as in slices. Windows are copied out fault-safely. */
  PyObject *find(PyObject *sub, PyObject *start = NULL, PyObject *end = NULL) {
    return mmkpy_find_method($self, sub, start, end, 0);
  }
  PyObject *rfind(PyObject *sub, PyObject *start = NULL, PyObject *end = NULL) {
    return mmkpy_find_method($self, sub, start, end, 1);
  }

  /* ---- file-like position methods (the mmap.mmap protocol) ---- */
  PyObject *read(PyObject *n = NULL) {
    Py_ssize_t want = -1, remaining;
    PyObject *res;
    if (!mmkpy_view_ok($self)) return NULL;
    if (n && n != Py_None && mmkpy_ssize(n, &want) < 0) return NULL;
    remaining = $self->pos < $self->size ? $self->size - $self->pos : 0;
    if (want < 0 || want > remaining) want = remaining;
    res = PyBytes_FromStringAndSize(NULL, want);
    if (!res || want == 0) return res;
    if (mmkpy_read($self, $self->pos, PyBytes_AS_STRING(res), want, "getitem") < 0) {
      Py_DECREF(res);
      return NULL;
    }
    $self->pos += want;
    return res;
  }
  PyObject *read_byte() {
    unsigned char b;
    if (!mmkpy_view_ok($self)) return NULL;
    if ($self->pos >= $self->size) {
      PyErr_SetString(PyExc_ValueError, "read byte out of range");
      return NULL;
    }
    if (mmkpy_read($self, $self->pos, &b, 1, "getitem") < 0) return NULL;
    $self->pos++;
    return PyLong_FromLong(b);
  }
  PyObject *readline() {
    Py_ssize_t nl, stop;
    PyObject *res;
    if (!mmkpy_view_ok($self)) return NULL;
    if ($self->pos >= $self->size) return PyBytes_FromStringAndSize(NULL, 0);
    if (mmkpy_find($self, "\n", 1, $self->pos, $self->size, 0, &nl) < 0) return NULL;
    stop = nl < 0 ? $self->size : nl + 1;
    res = PyBytes_FromStringAndSize(NULL, stop - $self->pos);
    if (!res) return NULL;
    if (mmkpy_read($self, $self->pos, PyBytes_AS_STRING(res), stop - $self->pos, "getitem") < 0) {
      Py_DECREF(res);
      return NULL;
    }
    $self->pos = stop;
    return res;
  }
  PyObject *write(PyObject *data) {
    Py_buffer b;
    Py_ssize_t pos;
    if (!mmkpy_view_ok($self)) return NULL;
    if (PyObject_GetBuffer(data, &b, PyBUF_SIMPLE) < 0) return NULL;
    if (!mmkpy_writable_ok($self)) {
      PyBuffer_Release(&b);
      return NULL;
    }
    pos = $self->pos;
    if (pos > $self->size || $self->size - pos < b.len) {
      PyBuffer_Release(&b);
      PyErr_SetString(PyExc_ValueError, "data out of range");
      return NULL;
    }
    if (mmkpy_write($self, pos, b.buf, b.len, "setitem") < 0) {
      PyBuffer_Release(&b);
      return NULL;
    }
    $self->pos = pos + b.len;
    PyBuffer_Release(&b);
    return PyLong_FromSsize_t(b.len);
  }
  PyObject *write_byte(PyObject *value) {
    long v;
    unsigned char c;
    if (!mmkpy_view_ok($self)) return NULL;
    if (!PyIndex_Check(value)) {
      PyErr_Format(PyExc_TypeError, "'%.100s' object cannot be interpreted as an integer",
                   Py_TYPE(value)->tp_name);
      return NULL;
    }
    v = PyLong_AsLong(value);
    if (v == -1 && PyErr_Occurred()) return NULL;
    if (v < 0) {
      PyErr_SetString(PyExc_OverflowError, "unsigned byte integer is less than minimum");
      return NULL;
    }
    if (v > 255) {
      PyErr_SetString(PyExc_OverflowError, "unsigned byte integer is greater than maximum");
      return NULL;
    }
    if (!mmkpy_writable_ok($self)) return NULL;
    if ($self->pos >= $self->size) {
      PyErr_SetString(PyExc_ValueError, "write byte out of range");
      return NULL;
    }
    c = (unsigned char)v;
    if (mmkpy_write($self, $self->pos, &c, 1, "setitem") < 0) return NULL;
    $self->pos++;
    Py_RETURN_NONE;
  }
  PyObject *seek(PyObject *pos, PyObject *whence = NULL) {
    Py_ssize_t dist, where, how = 0;
    if (!mmkpy_view_ok($self)) return NULL;
    if (mmkpy_ssize(pos, &dist) < 0) return NULL;
    if (whence) {
      long w;
      if (!PyIndex_Check(whence)) {
        PyErr_Format(PyExc_TypeError, "'%.100s' object cannot be interpreted as an integer",
                     Py_TYPE(whence)->tp_name);
        return NULL;
      }
      w = PyLong_AsLong(whence);
      if (w == -1 && PyErr_Occurred()) return NULL;
      if (w < INT_MIN || w > INT_MAX) {
        PyErr_SetString(PyExc_OverflowError, "signed integer is out of range");
        return NULL;
      }
      how = w;
    }
    switch (how) {
    case 0: where = dist; break;
    case 1:
      if (dist > 0 && PY_SSIZE_T_MAX - dist < $self->pos) goto range;
      where = $self->pos + dist;
      break;
    case 2:
      if (dist > 0 && PY_SSIZE_T_MAX - dist < $self->size) goto range;
      where = $self->size + dist;
      break;
    default:
      PyErr_SetString(PyExc_ValueError, "unknown seek type");
      return NULL;
    }
    if (where > $self->size || where < 0) goto range;
    $self->pos = where;
    Py_RETURN_NONE;
  range:
    PyErr_SetString(PyExc_ValueError, "seek out of range");
    return NULL;
  }
  PyObject *tell() {
    if (!mmkpy_view_ok($self)) return NULL;
    return PyLong_FromSsize_t($self->pos);
  }
  /* memmove inside the view, through bounded fault-safe windows. The
   * caller checked the ranges. */
  int move(int64_t dest, int64_t src, int64_t count) {
    char *win;
    int64_t done = 0;
    if (!mmkpy_view_ok($self)) return -1;
    if (!$self->writable) {
      PyErr_SetString(PyExc_TypeError,
                      $self->compat ? "mmap can't modify a readonly memory map."
                                    : "cannot modify a read-only view");
      return -1;
    }
    if (dest < 0 || src < 0 || count < 0 || src > (int64_t)$self->size ||
        count > (int64_t)$self->size - src || dest > (int64_t)$self->size ||
        count > (int64_t)$self->size - dest) {
      PyErr_SetString(PyExc_ValueError, "source, destination, or count out of range");
      return -1;
    }
    if (count == 0 || dest == src) return 0;
    win = PyMem_Malloc((size_t)MMKPY_CHUNK);
    if (!win) { PyErr_NoMemory(); return -1; }
    while (done < count) {
      int64_t k = count - done < MMKPY_CHUNK ? count - done : MMKPY_CHUNK;
      /* Moving down: copy from the front; moving up: from the back, so a
       * window never reads bytes an earlier window overwrote. */
      int64_t at = dest < src ? done : count - done - k;
      if (mmkpy_read($self, src + at, win, (Py_ssize_t)k, "View_move") < 0 ||
          mmkpy_write($self, dest + at, win, (Py_ssize_t)k, "View_move") < 0) {
        PyMem_Free(win);
        return -1;
      }
      done += k;
    }
    PyMem_Free(win);
    return 0;
  }

  /* The atomics and wait/wake are METH_FASTCALL methods (mmkpy_view_fast_defs
   * below), bound as View's methods by _api.py. */
}

%init %{
  mmkpy_FaultError = PyErr_NewExceptionWithDoc(
      "mmapkit.FaultError",
      "Mapped memory faulted (e.g. the file was truncated by another "
      "process). An OSError with errno EIO; the interpreter keeps running.",
      PyExc_OSError, NULL);
  if (!mmkpy_FaultError || PyModule_AddObjectRef(m, "FaultError", mmkpy_FaultError) < 0)
    return NULL;
  SwigPyBuiltin__mmkpy_view_type.ht_type.tp_new = mmkpy_view_tp_new;
  SwigPyBuiltin__mmkpy_file_type.ht_type.tp_new = mmkpy_file_tp_new;
  /* The Python subclasses (View, mmap, MappedFile) are collected, but
   * their __dict__ is the SWIG base's, which nothing traversed: a view in
   * a cycle through its attributes was never freed, nor unmapped. Set
   * before any subclass exists (they inherit these through
   * subtype_traverse / subtype_clear). */
  SwigPyBuiltin__mmkpy_view_type.ht_type.tp_traverse = mmkpy_traverse_dict;
  SwigPyBuiltin__mmkpy_view_type.ht_type.tp_clear = mmkpy_clear_dict;
  SwigPyBuiltin__mmkpy_file_type.ht_type.tp_traverse = mmkpy_traverse_dict;
  SwigPyBuiltin__mmkpy_file_type.ht_type.tp_clear = mmkpy_clear_dict;
  mmkpy_str_h = PyUnicode_InternFromString("_h");
  mmkpy_str_anon = PyUnicode_InternFromString("_anon");
  mmkpy_str_access = PyUnicode_InternFromString("_access");
  if (!mmkpy_str_h || !mmkpy_str_anon || !mmkpy_str_access)
    return NULL;
  {
    /* A method descriptor of View, so mmapkit.mmap can bind it as its
     * __init__. */
    PyObject *d = PyDescr_NewMethod(&SwigPyBuiltin__mmkpy_view_type.ht_type,
                                    &mmkpy_mmap_init_def);
    if (!d || PyModule_AddObject(m, "_mmap_init", d) < 0) {
      Py_XDECREF(d);
      return NULL;
    }
    d = PyDescr_NewMethod(&SwigPyBuiltin__mmkpy_view_type.ht_type,
                          &mmkpy_mmap_close_def);
    if (!d || PyModule_AddObject(m, "_mmap_close", d) < 0) {
      Py_XDECREF(d);
      return NULL;
    }
    d = PyDescr_NewMethod(&SwigPyBuiltin__mmkpy_view_type.ht_type,
                          &mmkpy_mmap_resize_def);
    if (!d || PyModule_AddObject(m, "_mmap_resize", d) < 0) {
      Py_XDECREF(d);
      return NULL;
    }
    d = PyDescr_NewMethod(&SwigPyBuiltin__mmkpy_file_type.ht_type,
                          &mmkpy_file_map_def);
    if (!d || PyModule_AddObject(m, "_file_map", d) < 0) {
      Py_XDECREF(d);
      return NULL;
    }
    {
      PyMethodDef *md;
      char attr[32];
      for (md = mmkpy_view_fast_defs; md->ml_name; md++) {
        snprintf(attr, sizeof attr, "_view_%s", md->ml_name);
        d = PyDescr_NewMethod(&SwigPyBuiltin__mmkpy_view_type.ht_type, md);
        if (!d || PyModule_AddObject(m, attr, d) < 0) {
          Py_XDECREF(d);
          return NULL;
        }
      }
    }
  }
  mmkpy_empty_tuple = PyTuple_New(0);
  if (!mmkpy_empty_tuple || PyModule_AddFunctions(m, mmkpy_module_defs) < 0)
    return NULL;
  mmk_fault_guard_install();
%}

%wrapper %{
/* Search [start, end) of the view for nd (nn bytes) through fault-safe
 * windows that overlap by nn-1 bytes. *found: index or -1. */
static int mmkpy_find(mmkpy_view *pv, const char *nd, Py_ssize_t nn,
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
      if (mmkpy_read(pv, lo, win, hi - lo, "View_find") < 0) goto fail;
      p = memmem(win, (size_t)(hi - lo), nd, (size_t)nn);
      if (p) { *found = lo + (p - win); break; }
      if (hi == end) break;
    }
  } else {
    for (hi = end; hi - nn >= start; hi -= w - nn + 1) {
      const char *p;
      lo = hi - start < w ? start : hi - w;
      if (mmkpy_read(pv, lo, win, hi - lo, "View_find") < 0) goto fail;
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

/* ---------------------------------------------------------------------
 * mmapkit.mmap.__init__ in C: the standard library's constructor
 * (arguments, checks, messages and their order) without a Python frame,
 * so that open+map+close costs what mmap.mmap's does.
 * ------------------------------------------------------------------- */
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(MAP_SHARED == 1 && (PROT_WRITE | PROT_READ) == 3,
               "mmap.__init__'s text signature spells these defaults");
#endif
enum { MMKPY_ACCESS_DEFAULT = 0, MMKPY_ACCESS_READ = 1,
       MMKPY_ACCESS_WRITE = 2, MMKPY_ACCESS_COPY = 3 };
static PyObject *mmkpy_str_h, *mmkpy_str_anon, *mmkpy_str_access;
static PyObject *mmkpy_empty_tuple;

/* The standard library's size checks for a regular file (others are not
 * checked). -1 with ValueError when the range does not fit. */
static int mmkpy_compat_range(int fd, Py_ssize_t length, long long offset)
{
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    return 0;
  if (length == 0) {
    if (st.st_size == 0) {
      PyErr_SetString(PyExc_ValueError, "cannot mmap an empty file");
      return -1;
    }
    if (offset >= (long long)st.st_size) {
      PyErr_SetString(PyExc_ValueError, "mmap offset is greater than file size");
      return -1;
    }
  } else if (offset > (long long)st.st_size ||
             (long long)st.st_size - offset < (long long)length) {
    PyErr_SetString(PyExc_ValueError, "mmap length is greater than file size");
    return -1;
  }
  return 0;
}

/* After a failed core call (NULL from new_mmkpy_*): the Python error. */
static void mmkpy_compat_fail(const char *where)
{
  if (!PyErr_Occurred())
    mmkpy_raise(mmk_last_error_code() ? mmk_last_error_code() : MMK_EUNKNOWN,
                where);
}

static PyObject *mmkpy_mmap_init(PyObject *self, PyObject *args, PyObject *kw)
{
  static char *kwlist[] = {"fileno", "length", "flags", "prot", "access",
                           "offset", NULL};
  int fd, flags = MAP_SHARED, prot = PROT_WRITE | PROT_READ;
  int access = MMKPY_ACCESS_DEFAULT, mode, anon;
  Py_ssize_t length;
  long long offset = 0;
  mmkpy_file *pf = NULL;
  mmkpy_view *pv = NULL;
  PyObject *fileobj = NULL, *tmp;

  if (((SwigPyObject *)self)->ptr) {
    PyErr_SetString(PyExc_TypeError, "mmap.__init__ called twice");
    return NULL;
  }
  if (!PyArg_ParseTupleAndKeywords(args, kw, "in|iiiL:mmap", kwlist, &fd,
                                   &length, &flags, &prot, &access, &offset))
    return NULL;
  if (length < 0) {
    PyErr_SetString(PyExc_OverflowError, "memory mapped length must be positive");
    return NULL;
  }
  if (offset < 0) {
    PyErr_SetString(PyExc_OverflowError, "memory mapped offset must be positive");
    return NULL;
  }
  if (access != MMKPY_ACCESS_DEFAULT &&
      (flags != MAP_SHARED || prot != (PROT_WRITE | PROT_READ))) {
    PyErr_SetString(PyExc_ValueError, "mmap can't specify both access and flags, prot.");
    return NULL;
  }
  switch (access) {
  case MMKPY_ACCESS_READ: mode = MMK_READ; break;
  case MMKPY_ACCESS_WRITE: mode = MMK_WRITE; break;
  case MMKPY_ACCESS_COPY: mode = MMK_COPY; break;
  case MMKPY_ACCESS_DEFAULT:
    mode = !(prot & PROT_WRITE) ? MMK_READ
         : (flags & MAP_PRIVATE) ? MMK_COPY : MMK_WRITE;
    break;
  default:
    PyErr_SetString(PyExc_ValueError, "mmap invalid access parameter.");
    return NULL;
  }
  anon = fd == -1;
  tmp = PyLong_FromLong(access);
  if (!tmp || PyObject_SetAttr(self, mmkpy_str_access, tmp) < 0) {
    Py_XDECREF(tmp);
    return NULL;
  }
  Py_DECREF(tmp);
  if (PyObject_SetAttr(self, mmkpy_str_anon, anon ? Py_True : Py_False) < 0)
    return NULL;

  mmk_clear_error();
  if (anon) {
    if (length == 0) {
      errno = EINVAL;
      return PyErr_SetFromErrno(PyExc_OSError);
    }
    pf = new_mmkpy_file(MMKPY_KIND_ANON, Py_None, MMK_WRITE, 0, length, -1);
    if (!pf) {
      mmkpy_compat_fail("new_File");
      return NULL;
    }
  } else {
    /* The standard library checks the range against the file size before
     * mapping; here without an extra fstat on the common path: the core
     * refuses a read-only or copy-on-write range past the end (the size
     * is then looked up to word the error as the standard library does),
     * length 0 maps to the end, and only a writable map with a length,
     * which the core would grow the file for, needs the size first. */
    if (length && mode == MMK_WRITE && mmkpy_compat_range(fd, length, offset) < 0)
      return NULL;
    pf = new_mmkpy_file(MMKPY_KIND_FD, Py_None, mode, 0, 0, fd);
    if (!pf) {
      PyObject *et, *ev, *tb;
      mmkpy_compat_fail("new_File");
      PyErr_Fetch(&et, &ev, &tb);
      if (mmkpy_compat_range(fd, length, offset) < 0) { /* its error first */
        Py_XDECREF(et);
        Py_XDECREF(ev);
        Py_XDECREF(tb);
      } else {
        PyErr_Restore(et, ev, tb);
      }
      return NULL;
    }
  }
  fileobj = SWIG_NewPointerObj(SWIG_as_voidptr(pf), SWIGTYPE_p_mmkpy_file,
                               SWIG_POINTER_OWN);
  if (!fileobj || fileobj == Py_None) {
    Py_XDECREF(fileobj);
    delete_mmkpy_file(pf);
    return NULL;
  }
  if (PyObject_SetAttr(self, mmkpy_str_h, fileobj) < 0)
    goto fail;
  pv = new_mmkpy_view(pf, offset, length, 0,
                      mode == MMK_READ ? MMK_MAP_READONLY : 0, 1);
  if (!pv) {
    mmkpy_compat_fail("new_View");
    if (!anon && PyErr_ExceptionMatches(PyExc_ValueError)) {
      PyObject *et, *ev, *tb;
      PyErr_Fetch(&et, &ev, &tb);
      if (mmkpy_compat_range(mmk_file_fd(pf->f), length, offset) < 0) {
        Py_XDECREF(et);
        Py_XDECREF(ev);
        Py_XDECREF(tb);
      } else {
        PyErr_Restore(et, ev, tb);
      }
    }
    goto fail;
  }
  if (!anon && length == 0 && pv->size == 0) {
    /* Empty file, or offset at its end: mapped nothing. */
    delete_mmkpy_view(pv);
    if (mmkpy_compat_range(mmk_file_fd(pf->f), length, offset) == 0)
      PyErr_SetString(PyExc_ValueError, "mmap offset is greater than file size");
    goto fail;
  }
  SWIG_Python_NewPointerObj(self, SWIG_as_voidptr(pv), SWIGTYPE_p_mmkpy_view,
                            SWIG_BUILTIN_INIT);
  Py_DECREF(fileobj);
  Py_RETURN_NONE;
fail:
  if (pf->f) {
    mmk_file_close(pf->f);
    pf->f = NULL;
  }
  Py_DECREF(fileobj);
  return NULL;
}

/* After a call into the bindings' C functions: the Python error, as the
 * %exception of the SWIG wrappers makes it. -1 when one is set. */
static int mmkpy_check(const char *where)
{
  if (PyErr_Occurred())
    return -1;
  if (mmk_last_error_code() != 0) {
    mmkpy_raise(mmk_last_error_code(), where);
    return -1;
  }
  return 0;
}

/* mmapkit.mmap.close(): the view, then the duplicated descriptor. */
static PyObject *mmkpy_mmap_close(PyObject *self, PyObject *unused)
{
  PyObject *h;
  (void)unused;
  mmk_clear_error();
  mmkpy_view_close(MMKPY_SELF_VIEW(self));
  if (mmkpy_check("View_close") < 0)
    return NULL;
  h = PyObject_GetAttr(self, mmkpy_str_h);
  if (!h)
    return NULL;
  if (h != Py_None) {
    void *pf = NULL;
    if (!SWIG_IsOK(SWIG_ConvertPtr(h, &pf, SWIGTYPE_p_mmkpy_file, 0))) {
      Py_DECREF(h);
      PyErr_SetString(PyExc_TypeError, "mmap._h is not a file handle");
      return NULL;
    }
    mmk_clear_error();
    mmkpy_file_close((mmkpy_file *)pf);
    if (mmkpy_check("File_close") < 0) {
      Py_DECREF(h);
      return NULL;
    }
  }
  Py_DECREF(h);
  Py_RETURN_NONE;
}

/* The handle in mmap._h (new reference), or NULL with the exception. */
static mmkpy_file *mmkpy_mmap_handle(PyObject *self, PyObject **ref)
{
  void *pf = NULL;
  *ref = PyObject_GetAttr(self, mmkpy_str_h);
  if (!*ref)
    return NULL;
  if (!SWIG_IsOK(SWIG_ConvertPtr(*ref, &pf, SWIGTYPE_p_mmkpy_file, 0)) || !pf) {
    Py_CLEAR(*ref);
    PyErr_SetString(PyExc_TypeError, "mmap._h is not a file handle");
    return NULL;
  }
  return (mmkpy_file *)pf;
}

/* mmapkit.mmap.resize(newsize): the map and the file to offset + newsize,
 * with the standard library's checks and messages. Every refusal comes
 * before the first change, and the whole call keeps the GIL (as the
 * standard library's does), so no other thread can export, start a
 * GIL-free copy or close between the checks and the changes. The file
 * and the map change in the order that a failure of the second step can
 * undo: a shrink cuts the map before the file, a grow the file before the
 * map. */
static PyObject *mmkpy_mmap_resize(PyObject *self, PyObject *arg)
{
  mmkpy_view *pv = mmkpy_view_ok(MMKPY_SELF_VIEW(self));
  mmkpy_file *pf;
  PyObject *ref = NULL, *acc;
  Py_ssize_t newsize;
  int64_t offset, old_file = 0, cur;
  long access;
  int rc;
  if (!pv)
    return NULL;
  if (!PyArg_Parse(arg, "n:resize", &newsize))
    return NULL;
  acc = PyObject_GetAttr(self, mmkpy_str_access);
  if (!acc)
    return NULL;
  access = PyLong_AsLong(acc);
  Py_DECREF(acc);
  if (access == -1 && PyErr_Occurred())
    return NULL;
  if (access == MMKPY_ACCESS_READ || access == MMKPY_ACCESS_COPY ||
      !pv->writable) {
    PyErr_SetString(PyExc_TypeError,
                    "mmap can't resize a readonly or copy-on-write memory map.");
    return NULL;
  }
  if (pv->exports > 0 || pv->inflight > 0) {
    PyErr_SetString(PyExc_BufferError,
                    "mmap can't resize with extant buffers exported.");
    return NULL;
  }
  offset = mmk_view_offset(pv->v);
  if (newsize < 0 || PY_SSIZE_T_MAX - newsize < offset) {
    PyErr_SetString(PyExc_ValueError, "new size out of range");
    return NULL;
  }
  if (newsize == 0) {
    errno = EINVAL;
    return PyErr_SetFromErrno(PyExc_OSError);
  }
  if (!(pf = mmkpy_mmap_handle(self, &ref)))
    return NULL;
  if (!mmkpy_file_ok(pf))
    goto fail;
  mmk_clear_error();
  if ((rc = mmk_file_size(pf->f, &old_file)) < 0)
    goto core_fail;
  cur = pv->size;
  mmkpy_view_drop_lease(pv); /* no exports: the core may move the map */
  if (newsize < cur) {
    if ((rc = mmk_view_resize(pv->v, newsize)) < 0)
      goto core_fail;
    mmkpy_view_refresh(pv);
    if ((rc = mmk_file_resize(pf->f, offset + newsize)) < 0) {
      mmkpy_raise(rc, "File_resize");
      mmk_view_resize(pv->v, cur); /* back to where it was */
      mmkpy_view_refresh(pv);
      goto fail;
    }
  } else {
    if ((rc = mmk_file_resize(pf->f, offset + newsize)) < 0)
      goto core_fail;
    if ((rc = mmk_view_resize(pv->v, newsize)) < 0) {
      int64_t now = -1;
      mmkpy_raise(rc, "View_resize");
      /* Undo our own change only: not if another process moved the size. */
      if (mmk_file_size(pf->f, &now) == 0 && now == offset + newsize)
        mmk_file_resize(pf->f, old_file);
      goto fail;
    }
    mmkpy_view_refresh(pv);
  }
  Py_DECREF(ref);
  Py_RETURN_NONE;
core_fail:
  mmkpy_raise(rc, "View_resize");
fail:
  Py_XDECREF(ref);
  return NULL;
}

/* ---------------------------------------------------------------------
 * mmapkit.MappedFile.map in C (the other half of open+map+close).
 * ------------------------------------------------------------------- */
static PyObject *mmkpy_view_class; /* mmapkit.View, registered at import */

/* An integer argument as MappedFile.map's Python signature converts it:
 * None -> dflt when allowed; negatives refused when nonneg. */
static int mmkpy_arg64(PyObject *o, const char *what, int none_ok,
                       int nonneg, int64_t *out)
{
  PyObject *n;
  long long v;
  if (!o || (none_ok && o == Py_None)) {
    *out = 0;
    return 0;
  }
  if (!PyIndex_Check(o)) {
    PyErr_Format(PyExc_TypeError, "%s must be an integer, not %.100s", what,
                 Py_TYPE(o)->tp_name);
    return -1;
  }
  int overflow = 0;
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

static int mmkpy_flag(PyObject *o, unsigned bit, unsigned *opts)
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

static PyObject *mmkpy_file_map(PyObject *self, PyObject *args, PyObject *kw)
{
  static char *kwlist[] = {"offset", "length", "populate", "reserve",
                           "readonly", "hugepage", NULL};
  PyObject *o_off = NULL, *o_len = NULL, *o_pop = NULL, *o_res = NULL;
  PyObject *o_ro = NULL, *o_huge = NULL, *obj;
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
  obj = ((PyTypeObject *)mmkpy_view_class)->tp_new(
      (PyTypeObject *)mmkpy_view_class, mmkpy_empty_tuple, NULL);
  if (!obj)
    return NULL;
  mmk_clear_error();
  pv = new_mmkpy_view((mmkpy_file *)((SwigPyObject *)self)->ptr, off, n, res,
                      opts, 0);
  if (!pv) {
    if (!PyErr_Occurred())
      mmkpy_raise(mmk_last_error_code() ? mmk_last_error_code() : MMK_EUNKNOWN,
                  "new_View");
    Py_DECREF(obj);
    return NULL;
  }
  SWIG_Python_NewPointerObj(obj, SWIG_as_voidptr(pv), SWIGTYPE_p_mmkpy_view,
                            SWIG_BUILTIN_INIT);
  return obj;
}

static PyObject *mmkpy_register_view(PyObject *mod, PyObject *cls)
{
  (void)mod;
  SwigPyClientData *cd = (SwigPyClientData *)SWIGTYPE_p_mmkpy_view->clientdata;
  if (!cd || !cd->pytype || !PyType_Check(cls) ||
      !PyType_IsSubtype((PyTypeObject *)cls, cd->pytype)) {
    PyErr_SetString(PyExc_TypeError, "expected a subclass of View");
    return NULL;
  }
  Py_INCREF(cls);
  Py_XSETREF(mmkpy_view_class, cls);
  Py_RETURN_NONE;
}

/* ---- atomics and wait/wake without a Python frame ----
 * A ping-pong between processes makes four of these calls per round trip;
 * as Python wrappers over the SWIG methods each cost a frame and a second
 * argument parse (about 60 ns). These are METH_FASTCALL methods with the
 * API's own signatures and defaults, bound as View's methods by _api.py. */

/* Matches fastcall arguments to names: out[i] = the i-th parameter or
 * NULL when omitted. The first `required` ones must be given. */
static int mmkpy_fast_args(const char *fname, PyObject *const *args,
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

static int mmkpy_fast_int(PyObject *o, const char *what, int dflt, int *out)
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

static PyObject *mmkpy_fast_atomic_load(PyObject *self, PyObject *const *args,
                                        Py_ssize_t nargs, PyObject *kwnames)
{
  static const char *const names[] = {"offset", "size"};
  PyObject *a[2];
  int64_t off;
  int size, rc;
  mmkpy_view *pv;
  if (mmkpy_fast_args("atomic_load", args, nargs, kwnames, names, 2, 1, a) < 0 ||
      mmkpy_fast_offset(a[0], &off) < 0 ||
      mmkpy_fast_int(a[1], "size", 8, &size) < 0)
    return NULL;
  pv = mmkpy_view_ok(MMKPY_SELF_VIEW(self));
  if (!pv || !mmkpy_size_ok(size))
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
  mmkpy_raise(rc, "View_atomic_load");
  return NULL;
}

static PyObject *mmkpy_fast_atomic_store(PyObject *self, PyObject *const *args,
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
      mmkpy_fast_int(a[2], "size", 8, &size) < 0)
    return NULL;
  pv = mmkpy_view_ok(MMKPY_SELF_VIEW(self));
  if (!pv || !mmkpy_size_ok(size) || mmkpy_word(a[1], size, &w) < 0)
    return NULL;
  rc = size == 4 ? mmk_atomic_store_u32(pv->v, off, (uint32_t)w)
                 : mmk_atomic_store_u64(pv->v, off, w);
  if (MMKPY_LIKELY(rc == 0))
    Py_RETURN_NONE;
  mmkpy_raise(rc, "View_atomic_store");
  return NULL;
}

static PyObject *mmkpy_fast_atomic_add(PyObject *self, PyObject *const *args,
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
      mmkpy_fast_int(a[2], "size", 8, &size) < 0)
    return NULL;
  pv = mmkpy_view_ok(MMKPY_SELF_VIEW(self));
  if (!pv || !mmkpy_size_ok(size) || mmkpy_word(a[1], size, &d) < 0)
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
  mmkpy_raise(rc, "View_atomic_add");
  return NULL;
}

static PyObject *mmkpy_fast_atomic_cas(PyObject *self, PyObject *const *args,
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
      mmkpy_fast_int(a[3], "size", 8, &size) < 0)
    return NULL;
  pv = mmkpy_view_ok(MMKPY_SELF_VIEW(self));
  if (!pv || !mmkpy_size_ok(size) || mmkpy_word(a[1], size, &e) < 0 ||
      mmkpy_word(a[2], size, &d) < 0)
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
  mmkpy_raise(rc, "View_atomic_cas");
  return NULL;
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

static PyObject *mmkpy_fast_wait(PyObject *self, PyObject *const *args,
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
  pv = mmkpy_view_ok(MMKPY_SELF_VIEW(self));
  if (!pv || mmkpy_word(a[1], 4, &e) < 0)
    return NULL;
  if (!(v = mmkpy_view_enter(pv, 1)))
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
    mmkpy_raise(rc, "View_wait");
  mmkpy_view_leave(pv, v, 1);
  if (rc < 0 && rc != MMK_ETIMEDOUT)
    return NULL;
  return PyBool_FromLong(rc == 0);
}

static PyObject *mmkpy_fast_wake(PyObject *self, PyObject *const *args,
                                 Py_ssize_t nargs, PyObject *kwnames)
{
  static const char *const names[] = {"offset", "count"};
  PyObject *a[2];
  int64_t off;
  int count, rc;
  mmkpy_view *pv;
  if (mmkpy_fast_args("wake", args, nargs, kwnames, names, 2, 1, a) < 0 ||
      mmkpy_fast_offset(a[0], &off) < 0 ||
      mmkpy_fast_int(a[1], "count", 1, &count) < 0)
    return NULL;
  pv = mmkpy_view_ok(MMKPY_SELF_VIEW(self));
  if (!pv)
    return NULL;
  rc = mmk_wake(pv->v, off, count);
  if (rc < 0) {
    mmkpy_raise(rc, "View_wake");
    return NULL;
  }
  return PyLong_FromLong(rc);
}

static PyMethodDef mmkpy_view_fast_defs[] = {
  {"atomic_load", (PyCFunction)(void (*)(void))mmkpy_fast_atomic_load,
   METH_FASTCALL | METH_KEYWORDS,
   "atomic_load($self, /, offset, size=8)\n--\n\n"
   "Acquire load of the aligned 4- or 8-byte word at offset."},
  {"atomic_store", (PyCFunction)(void (*)(void))mmkpy_fast_atomic_store,
   METH_FASTCALL | METH_KEYWORDS,
   "atomic_store($self, /, offset, value, size=8)\n--\n\n"
   "Release store (negative values wrap)."},
  {"atomic_add", (PyCFunction)(void (*)(void))mmkpy_fast_atomic_add,
   METH_FASTCALL | METH_KEYWORDS,
   "atomic_add($self, /, offset, delta, size=8)\n--\n\n"
   "Sequentially consistent fetch-add (wrapping); returns the old value."},
  {"atomic_cas", (PyCFunction)(void (*)(void))mmkpy_fast_atomic_cas,
   METH_FASTCALL | METH_KEYWORDS,
   "atomic_cas($self, /, offset, expected, desired, size=8)\n--\n\n"
   "Compare-exchange; returns (swapped, value found)."},
  {"wait", (PyCFunction)(void (*)(void))mmkpy_fast_wait,
   METH_FASTCALL | METH_KEYWORDS,
   "wait($self, /, offset, expected, timeout=None)\n--\n\n"
   "Sleeps, without the GIL, while the 32-bit word at offset equals\n"
   "expected (a futex shared across processes). True once it differs,\n"
   "False when timeout seconds pass first. Signal handlers run meanwhile\n"
   "(Ctrl-C: KeyboardInterrupt); a close() of the view ends it with\n"
   "ValueError."},
  {"wake", (PyCFunction)(void (*)(void))mmkpy_fast_wake,
   METH_FASTCALL | METH_KEYWORDS,
   "wake($self, /, offset, count=1)\n--\n\n"
   "Wakes up to count waiters on the word (count <= 0: all); returns how\n"
   "many were woken."},
  {NULL, NULL, 0, NULL}
};

static PyMethodDef mmkpy_mmap_close_def = {
  "close", mmkpy_mmap_close, METH_NOARGS,
  "close($self, /)\n--\n\n"
  "Closes the map and its descriptor. BufferError while exported."
};
static PyMethodDef mmkpy_mmap_resize_def = {
  "resize", mmkpy_mmap_resize, METH_O,
  "resize($self, newsize, /)\n--\n\n"
  "Resizes the map and the underlying file (anonymous: the memory).\n"
  "A refused or failed call changes neither."
};
static PyMethodDef mmkpy_file_map_def = {
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
static PyMethodDef mmkpy_module_defs[] = {
  {"_register_view_class", mmkpy_register_view, METH_O,
   "Registers mmapkit.View, the class MappedFile.map returns."},
  {NULL, NULL, 0, NULL}
};

static PyMethodDef mmkpy_mmap_init_def = {
  "__init__", (PyCFunction)(void (*)(void))mmkpy_mmap_init,
  METH_VARARGS | METH_KEYWORDS,
  /* Literal defaults (inspect cannot evaluate names): MAP_SHARED,
   * PROT_WRITE|PROT_READ, ACCESS_DEFAULT; checked below. */
  "__init__($self, /, fileno, length, flags=1, prot=3, access=0, "
  "offset=0)\n--\n\n"
  "The standard library's mmap.mmap constructor (see mmapkit.mmap):\n"
  "flags=MAP_SHARED, prot=PROT_WRITE|PROT_READ, access=ACCESS_DEFAULT."
};

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

static PyObject *mmkpy_view_tp_new(PyTypeObject *t, PyObject *a, PyObject *k)
{
  (void)a; (void)k;
  return mmkpy_tp_new_common(t, SWIGTYPE_p_mmkpy_view);
}
static PyObject *mmkpy_file_tp_new(PyTypeObject *t, PyObject *a, PyObject *k)
{
  (void)a; (void)k;
  return mmkpy_tp_new_common(t, SWIGTYPE_p_mmkpy_file);
}
%}
