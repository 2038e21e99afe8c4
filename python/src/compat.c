/*
 * python/src/compat.c: mmapkit.mmap's constructor, close() and resize():
 * the standard library's arguments, checks, messages and their order, in
 * C so that open+map+close runs no Python frame (it costs what
 * mmap.mmap's does). Bound by python/mmapkit/_mmap.py as
 * _core._mmap_init / _mmap_close / _mmap_resize.
 */
#include "mmkpy.h" /* Python.h first, as it asks */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#if defined(_WIN32)
/* No mmap(2): mmapkit.mmap keeps the POSIX signature there for now (the
 * extension is only compiled and linked for win_amd64, not run), with
 * Linux's values, which its text signature spells. */
#include <io.h>
#define MAP_SHARED 1
#define MAP_PRIVATE 2
#define MAP_ANONYMOUS 0x20
#define MAP_POPULATE 0x8000
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
/* An open descriptor: one the C runtime has a handle for. */
#define mmkpy_fd_open(fd) (_get_osfhandle(fd) != -1)
#else
#include <sys/mman.h>
#define mmkpy_fd_open(fd) (fcntl((fd), F_GETFD) != -1)
#endif

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(MAP_SHARED == 1 && (PROT_WRITE | PROT_READ) == 3,
               "mmap.__init__'s text signature spells these defaults");
#endif
enum { MMKPY_ACCESS_DEFAULT = 0, MMKPY_ACCESS_READ = 1,
       MMKPY_ACCESS_WRITE = 2, MMKPY_ACCESS_COPY = 3 };

PyObject *mmkpy_str_h, *mmkpy_str_anon, *mmkpy_str_access;

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

/* A failure is set: when the standard library would have refused the
 * range first, its ValueError replaces it. */
static void mmkpy_prefer_range_error(int fd, Py_ssize_t length,
                                     long long offset)
{
  PyObject *et, *ev, *tb;
  PyErr_Fetch(&et, &ev, &tb);
  if (mmkpy_compat_range(fd, length, offset) < 0) {
    Py_XDECREF(et);
    Py_XDECREF(ev);
    Py_XDECREF(tb);
  } else {
    PyErr_Restore(et, ev, tb);
  }
}

/* A flags or prot value mmapkit cannot honour is refused (the standard
 * library hands it to mmap(2)): OSError(EINVAL) naming what is supported. */
static int mmkpy_compat_unsupported(const char *what)
{
  PyObject *args = Py_BuildValue("(is)", EINVAL, what);
  if (args) {
    PyErr_SetObject(PyExc_OSError, args);
    Py_DECREF(args);
  }
  return -1;
}

/* access/flags/prot -> the core's mode, or -1 with the exception.
 * flags: MAP_SHARED or MAP_PRIVATE as mmap(2) wants (0 is its EINVAL),
 * with MAP_POPULATE (honoured) and MAP_ANONYMOUS (implied by fileno -1)
 * the only other bits; anything else would be ignored, so it is refused.
 * prot: PROT_EXEC is ignored (mmapkit never maps executable memory) and
 * PROT_NONE maps read-only (the standard library's map faults on access). */
static int mmkpy_compat_mode(int access, int flags, int prot)
{
  int type = flags & (MAP_SHARED | MAP_PRIVATE);
  if ((type != MAP_SHARED && type != MAP_PRIVATE) ||
      (flags & ~(MAP_SHARED | MAP_PRIVATE | MAP_POPULATE | MAP_ANONYMOUS)))
    return mmkpy_compat_unsupported(
        "mmapkit.mmap supports flags MAP_SHARED or MAP_PRIVATE, with "
        "MAP_POPULATE or MAP_ANONYMOUS");
  if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
    return mmkpy_compat_unsupported(
        "mmapkit.mmap supports prot PROT_READ, PROT_WRITE, PROT_EXEC");
  if (access != MMKPY_ACCESS_DEFAULT &&
      (flags != MAP_SHARED || prot != (PROT_WRITE | PROT_READ))) {
    PyErr_SetString(PyExc_ValueError,
                    "mmap can't specify both access and flags, prot.");
    return -1;
  }
  switch (access) {
  case MMKPY_ACCESS_READ: return MMK_READ;
  case MMKPY_ACCESS_WRITE: return MMK_WRITE;
  case MMKPY_ACCESS_COPY: return MMK_COPY;
  case MMKPY_ACCESS_DEFAULT:
    return !(prot & PROT_WRITE) ? MMK_READ
         : (flags & MAP_PRIVATE) ? MMK_COPY : MMK_WRITE;
  default:
    PyErr_SetString(PyExc_ValueError, "mmap invalid access parameter.");
    return -1;
  }
}

/* The standard library builds the map in tp_new (a subclass may override
 * __new__ and pass other arguments than its __init__ gets): so does
 * mmapkit.mmap. self is a View object without a handle. 0 or -1. */
static int mmkpy_mmap_construct(PyObject *self, PyObject *args, PyObject *kw)
{
  static char *kwlist[] = {"fileno", "length", "flags", "prot", "access",
                           "offset", "trackfd", NULL};
  int fd, flags = MAP_SHARED, prot = PROT_WRITE | PROT_READ;
  int access = MMKPY_ACCESS_DEFAULT, mode, anon, trackfd = 1;
  Py_ssize_t length;
  long long offset = 0;
  mmkpy_file *pf = NULL;
  mmkpy_view *pv = NULL;
  PyObject *fileobj = NULL, *tmp;

  /* trackfd= is 3.13's (keyword-only, any truth value), taken on every
   * version: adding it changes nothing for callers that do not pass it. */
  if (!PyArg_ParseTupleAndKeywords(args, kw, "in|iiiL$p:mmap", kwlist, &fd,
                                   &length, &flags, &prot, &access, &offset,
                                   &trackfd))
    return -1;
  if (length < 0) {
    PyErr_SetString(PyExc_OverflowError, "memory mapped length must be positive");
    return -1;
  }
  if (offset < 0) {
    PyErr_SetString(PyExc_OverflowError, "memory mapped offset must be positive");
    return -1;
  }
  if ((mode = mmkpy_compat_mode(access, flags, prot)) < 0)
    return -1;
  anon = fd == -1;
  tmp = PyLong_FromLong(access);
  if (!tmp || PyObject_SetAttr(self, mmkpy_str_access, tmp) < 0) {
    Py_XDECREF(tmp);
    return -1;
  }
  Py_DECREF(tmp);
  if (PyObject_SetAttr(self, mmkpy_str_anon, anon ? Py_True : Py_False) < 0)
    return -1;

  /* mmap(2) wants a page-aligned offset: the standard library's EINVAL,
   * after its size checks and its dup() of a bad descriptor (EBADF).
   * mmapkit.View maps at any offset. */
  if (offset % mmk_page_size() != 0 && (anon || mmkpy_fd_open(fd))) {
    if (!anon && mmkpy_compat_range(fd, length, offset) < 0)
      return -1;
    errno = EINVAL;
    PyErr_SetFromErrno(PyExc_OSError);
    return -1;
  }
  if (anon) {
    if (length == 0) {
      errno = EINVAL;
      PyErr_SetFromErrno(PyExc_OSError);
      return -1;
    }
    pf = new_mmkpy_file(MMKPY_KIND_ANON, Py_None, MMK_WRITE, 0, length, -1);
    if (!pf)
      return -1;
    pf->quiet = 1; /* the standard library's mmap gives no ResourceWarning */
  } else {
    /* The standard library checks the range against the file size before
     * mapping; here without an extra fstat on the common path: the core
     * refuses a read-only or copy-on-write range past the end (the size
     * is then looked up to word the error as the standard library does),
     * length 0 maps to the end, and only a writable map with a length,
     * which the core would grow the file for, needs the size first. */
    if (length && mode == MMK_WRITE && mmkpy_compat_range(fd, length, offset) < 0)
      return -1;
    pf = new_mmkpy_file(MMKPY_KIND_FD, Py_None, mode, 0, 0, fd);
    if (!pf) {
      mmkpy_prefer_range_error(fd, length, offset);
      return -1;
    }
    pf->quiet = 1;
  }
  /* trackfd=False keeps no descriptor: the handle goes once the view is
   * made, and _h stays None (size() is then EBADF, resize() refused, as
   * 3.13's). */
  if (trackfd) {
    if (!(fileobj = mmkpy_file_wrap(pf)))
      return -1;
    if (PyObject_SetAttr(self, mmkpy_str_h, fileobj) < 0)
      goto fail;
  }
  pv = new_mmkpy_view(pf, offset, length, 0,
                      (mode == MMK_READ ? MMK_MAP_READONLY : 0) |
                      (flags & MAP_POPULATE ? MMK_MAP_POPULATE : 0), 1);
  if (!pv) {
    if (!anon && PyErr_ExceptionMatches(PyExc_ValueError))
      mmkpy_prefer_range_error(mmk_file_fd(pf->f), length, offset);
    goto fail;
  }
  if (!anon && length == 0 && pv->size == 0) {
    /* Empty file, or offset at its end: mapped nothing. */
    delete_mmkpy_view(pv);
    if (mmkpy_compat_range(mmk_file_fd(pf->f), length, offset) == 0)
      PyErr_SetString(PyExc_ValueError, "mmap offset is greater than file size");
    goto fail;
  }
  if (mmkpy_view_attach(self, pv) < 0)
    goto fail;
  if (fileobj)
    Py_DECREF(fileobj);
  else
    delete_mmkpy_file(pf); /* the view keeps the mapping */
  return 0;
fail:
  if (fileobj) {
    if (pf->f) {
      mmk_file_close(pf->f);
      pf->f = NULL;
    }
    Py_DECREF(fileobj);
  } else {
    delete_mmkpy_file(pf);
  }
  return -1;
}

PyObject *mmkpy_mmap_new(PyTypeObject *t, PyObject *args, PyObject *kw)
{
  PyObject *self = mmkpy_view_alloc(t);
  if (self && mmkpy_mmap_construct(self, args, kw) < 0)
    Py_CLEAR(self);
  return self;
}

/* __init__ has nothing left to do (the standard library's mmap has no
 * __init__ of its own either). */
static PyObject *mmkpy_mmap_init(PyObject *self, PyObject *args, PyObject *kw)
{
  (void)self; (void)args; (void)kw;
  Py_RETURN_NONE;
}

/* The handle in mmap._h (new reference in *ref), or NULL with the
 * exception. */
static mmkpy_file *mmkpy_mmap_handle(PyObject *self, PyObject **ref)
{
  mmkpy_file *pf;
  *ref = PyObject_GetAttr(self, mmkpy_str_h);
  if (!*ref)
    return NULL;
  if (!(pf = mmkpy_file_from(*ref)))
    Py_CLEAR(*ref);
  return pf;
}

/* mmapkit.mmap.close(): the view, then the duplicated descriptor. */
static PyObject *mmkpy_mmap_close(PyObject *self, PyObject *unused)
{
  PyObject *h, *r;
  mmkpy_file *pf;
  (void)unused;
  if (!(r = mmkpy_view_close(mmkpy_view_of(self))))
    return NULL;
  Py_DECREF(r);
  h = PyObject_GetAttr(self, mmkpy_str_h);
  if (!h)
    return NULL;
  if (h == Py_None) { /* __init__ failed before it had a handle */
    Py_DECREF(h);
    Py_RETURN_NONE;
  }
  Py_DECREF(h);
  if (!(pf = mmkpy_mmap_handle(self, &h)))
    return NULL;
  r = mmkpy_file_close(pf);
  Py_DECREF(h);
  return r;
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
  mmkpy_view *pv = mmkpy_view_ok(mmkpy_view_of(self));
  mmkpy_file *pf;
  PyObject *ref = NULL, *acc;
  Py_ssize_t newsize;
  int64_t offset, old_file = 0, cur;
  long access;
  int rc, tracked;
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
  /* The standard library's order: exports, trackfd, access. */
  if (pv->exports > 0 || pv->inflight > 0) {
    PyErr_SetString(PyExc_BufferError,
                    "mmap can't resize with extant buffers exported.");
    return NULL;
  }
  if (!(ref = PyObject_GetAttr(self, mmkpy_str_h)))
    return NULL;
  tracked = ref != Py_None;
  Py_CLEAR(ref);
  if (!tracked) {
    PyErr_SetString(PyExc_ValueError, "mmap can't resize with trackfd=False.");
    return NULL;
  }
  if (access == MMKPY_ACCESS_READ || access == MMKPY_ACCESS_COPY ||
      !pv->writable) {
    PyErr_SetString(PyExc_TypeError,
                    "mmap can't resize a readonly or copy-on-write memory map.");
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
  if ((rc = mmk_file_size(pf->f, &old_file)) < 0)
    goto core_fail;
  cur = pv->size;
  mmkpy_view_drop_lease(pv); /* no exports: the core may move the map */
  if (newsize < cur) {
    if ((rc = mmk_view_resize(pv->v, newsize)) < 0)
      goto core_fail;
    mmkpy_view_refresh(pv);
    if ((rc = mmk_file_resize(pf->f, offset + newsize)) < 0) {
      mmkpy_raise(MMKPY_CTX_SYNC, rc);
      mmk_view_resize(pv->v, cur); /* back to where it was */
      mmkpy_view_refresh(pv);
      goto fail;
    }
  } else {
    if ((rc = mmk_file_resize(pf->f, offset + newsize)) < 0)
      goto core_fail;
    if ((rc = mmk_view_resize(pv->v, newsize)) < 0) {
      int64_t now = -1;
      mmkpy_raise(MMKPY_CTX_MAP, rc);
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
  mmkpy_raise(MMKPY_CTX_MAP, rc);
fail:
  Py_XDECREF(ref);
  return NULL;
}

PyMethodDef mmkpy_mmap_init_def = {
  "__init__", (PyCFunction)(void (*)(void))mmkpy_mmap_init,
  METH_VARARGS | METH_KEYWORDS,
  "__init__($self, /, *args, **kwargs)\n--\n\n"
  "Does nothing: the map is made by __new__, as the standard library's."
};
PyMethodDef mmkpy_mmap_close_def = {
  "close", mmkpy_mmap_close, METH_NOARGS,
  "close($self, /)\n--\n\n"
  "Closes the map and its descriptor. BufferError while exported."
};
PyMethodDef mmkpy_mmap_resize_def = {
  "resize", mmkpy_mmap_resize, METH_O,
  "resize($self, newsize, /)\n--\n\n"
  "Resizes the map and the underlying file (anonymous: the memory).\n"
  "A refused or failed call changes neither."
};
