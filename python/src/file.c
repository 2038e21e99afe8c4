/*
 * python/src/file.c: the File handle (mmapkit._core.File, the base of
 * mmapkit.MappedFile) and the module functions on shared-memory names.
 *
 * A File owns one mmk_file. Calls that block (a size that fallocates, a
 * waiting lock) run without the GIL and count themselves in `inflight`;
 * close() during one is deferred to its end, so no call ever uses a freed
 * core handle.
 */
#include "mmkpy.h"

int mmkpy_file_ok(mmkpy_file *pf)
{
  if (!pf || !pf->f || pf->closing) {
    PyErr_SetString(PyExc_ValueError, "I/O operation on closed file");
    return 0;
  }
  return 1;
}

/* The end of a GIL-free call: runs a close() asked meanwhile. */
void mmkpy_file_done(mmkpy_file *pf)
{
  if (--pf->inflight == 0 && pf->closing && pf->f) {
    mmk_file_close(pf->f);
    pf->f = NULL;
  }
}

static int mmkpy_open_kind(int kind, const char *s, int mode, unsigned flags,
                           int64_t size, int fd, mmk_file **f)
{
  switch (kind) {
  case MMKPY_KIND_PATH: return mmk_file_open(s, mode, flags, size, f);
  case MMKPY_KIND_SHM: return mmk_shm_open(s, mode, flags, size, f);
  case MMKPY_KIND_ANON: return mmk_anon_create(size, f);
  default: return mmk_file_from_fd(fd, mode, f);
  }
}

/* File(kind, name, mode, flags, size, fd): kind MMKPY_KIND_PATH (name: a
 * path), _SHM (name: a shared-memory name), _ANON (size), _FD (fd). */
mmkpy_file *new_mmkpy_file(int kind, PyObject *name, int mode,
                           unsigned flags, int64_t size, int fd)
{
  mmk_file *f = NULL;
  const char *s = NULL;
  PyObject *encoded = NULL;
  mmkpy_file *pf;
  int rc;
  if (kind < MMKPY_KIND_PATH || kind > MMKPY_KIND_FD) {
    PyErr_SetString(PyExc_ValueError, "unknown file kind");
    return NULL;
  }
  if (kind == MMKPY_KIND_PATH || kind == MMKPY_KIND_SHM) {
    s = mmkpy_path_arg(name, kind == MMKPY_KIND_PATH,
                       kind == MMKPY_KIND_PATH ? "open" : "shm_open",
                       &encoded);
    if (!s)
      return NULL;
  }
  /* A size means ftruncate + fallocate, which can take a while. */
  if (size > 0) {
    Py_BEGIN_ALLOW_THREADS
    rc = mmkpy_open_kind(kind, s, mode, flags, size, fd, &f);
    Py_END_ALLOW_THREADS
  } else {
    rc = mmkpy_open_kind(kind, s, mode, flags, size, fd, &f);
  }
  Py_XDECREF(encoded);
  if (rc < 0)
    return (mmkpy_file *)mmkpy_raise(MMKPY_CTX_OPEN, rc);
  pf = (mmkpy_file *)PyMem_Calloc(1, sizeof *pf);
  if (!pf) {
    mmk_file_close(f);
    return (mmkpy_file *)PyErr_NoMemory();
  }
  pf->f = f;
  pf->kind = mmk_file_kind(f);
  pf->created = mmk_file_created(f) == 1;
  pf->fd = fd;
  /* Naming a descriptor costs the system a readlink, a quarter of a
   * small open+map+close: its name is asked for on first use. */
  if (kind != MMKPY_KIND_FD &&
      !(pf->name = PyUnicode_DecodeFSDefault(mmk_file_path(f)))) {
    mmk_file_close(f);
    PyMem_Free(pf);
    return NULL;
  }
  return pf;
}

/* Collected without close(): closed here, with the ResourceWarning a file
 * object gives (shown under -X dev); mmapkit.mmap's handle is quiet, as
 * the standard library's mmap is. */
void delete_mmkpy_file(mmkpy_file *pf)
{
  if (!pf)
    return;
  if (pf->f) {
    if (!pf->quiet && !pf->closing) {
      if (pf->kind == MMK_KIND_ANON) {
        mmkpy_warn_unclosed("unclosed mmapkit.MappedFile (anonymous)");
      } else {
        /* A descriptor's name may be asked for only now. */
        PyObject *et, *ev, *tb, *name;
        PyErr_Fetch(&et, &ev, &tb);
        name = mmkpy_file__name(pf);
        if (name)
          mmkpy_warn_unclosed("unclosed mmapkit.MappedFile %R", name);
        else
          PyErr_WriteUnraisable(NULL);
        Py_XDECREF(name);
        PyErr_Restore(et, ev, tb);
      }
    }
    mmk_file_close(pf->f);
  }
  Py_XDECREF(pf->name);
  PyMem_Free(pf);
}

/* _name, _kind, _created stay available after close. A descriptor's
 * name is what the system tells when first asked while the handle is
 * open; first asked after close, its fallback "fd N (no path)". */
PyObject *mmkpy_file__name(mmkpy_file *pf)
{
  if (!pf)
    return PyUnicode_FromString("");
  if (!pf->name) {
    pf->name = pf->f ? PyUnicode_DecodeFSDefault(mmk_file_path(pf->f))
                     : PyUnicode_FromFormat("fd %d (no path)", pf->fd);
    if (!pf->name)
      return NULL;
  }
  return Py_NewRef(pf->name);
}

int mmkpy_file__kind(mmkpy_file *pf) { return pf ? pf->kind : -1; }
int mmkpy_file__created(mmkpy_file *pf) { return pf ? pf->created : 0; }
int mmkpy_file__closed(mmkpy_file *pf)
{
  return !pf || !pf->f || pf->closing;
}

/* Idempotent; deferred to the end of a blocking call in another thread. */
PyObject *mmkpy_file_close(mmkpy_file *pf)
{
  int rc;
  if (!pf || !pf->f || pf->closing)
    Py_RETURN_NONE;
  if (pf->inflight > 0) {
    pf->closing = 1;
    Py_RETURN_NONE;
  }
  rc = mmk_file_close(pf->f);
  pf->f = NULL;
  if (rc < 0)
    return mmkpy_raise(MMKPY_CTX_SYNC, rc);
  Py_RETURN_NONE;
}

PyObject *mmkpy_file_size(mmkpy_file *pf)
{
  int64_t n = 0;
  int rc;
  if (!mmkpy_file_ok(pf))
    return NULL;
  if ((rc = mmk_file_size(pf->f, &n)) < 0)
    return mmkpy_raise(MMKPY_CTX_SYNC, rc);
  return PyLong_FromLongLong(n);
}

PyObject *mmkpy_file_resize(mmkpy_file *pf, int64_t new_size)
{
  int rc;
  mmk_file *f;
  if (!mmkpy_file_ok(pf))
    return NULL;
  f = pf->f;
  pf->inflight++;
  Py_BEGIN_ALLOW_THREADS /* ftruncate + fallocate can take a while */
  rc = mmk_file_resize(f, new_size);
  Py_END_ALLOW_THREADS
  if (rc < 0)
    mmkpy_raise(MMKPY_CTX_SYNC, rc);
  mmkpy_file_done(pf);
  if (rc < 0)
    return NULL;
  Py_RETURN_NONE;
}

/* A blocking lock runs without the GIL and, as PEP 475 asks, lets the
 * signal handlers run when a signal interrupts it: KeyboardInterrupt (or
 * whatever a handler raises) ends it with nothing locked, else it waits
 * again. */
PyObject *mmkpy_file_lock(mmkpy_file *pf, int64_t offset, int64_t length,
                          int kind, int wait)
{
  int rc;
  mmk_file *f;
  if (!mmkpy_file_ok(pf))
    return NULL;
  if (!wait) {
    rc = mmk_file_lock(pf->f, offset, length, kind, MMK_LOCK_TRY);
    if (rc < 0)
      return mmkpy_raise(MMKPY_CTX_SYNC, rc);
    Py_RETURN_NONE;
  }
  f = pf->f;
  pf->inflight++;
  for (;;) {
    Py_BEGIN_ALLOW_THREADS
    rc = mmk_file_lock(f, offset, length, kind, MMK_LOCK_WAIT_INTR);
    Py_END_ALLOW_THREADS
    if (rc != MMK_EINTR)
      break;
    if (PyErr_CheckSignals() < 0)
      break; /* the handler's exception stands */
  }
  if (rc < 0 && !PyErr_Occurred())
    mmkpy_raise(MMKPY_CTX_SYNC, rc);
  mmkpy_file_done(pf);
  if (rc < 0)
    return NULL;
  Py_RETURN_NONE;
}

PyObject *mmkpy_file_unlock(mmkpy_file *pf, int64_t offset, int64_t length)
{
  int rc;
  if (!mmkpy_file_ok(pf))
    return NULL;
  if ((rc = mmk_file_unlock(pf->f, offset, length)) < 0)
    return mmkpy_raise(MMKPY_CTX_SYNC, rc);
  Py_RETURN_NONE;
}

PyObject *mmkpy_file_mode(mmkpy_file *pf)
{
  return mmkpy_file_ok(pf) ? PyLong_FromLong(mmk_file_mode(pf->f)) : NULL;
}

PyObject *mmkpy_file_kind(mmkpy_file *pf)
{
  return mmkpy_file_ok(pf) ? PyLong_FromLong(mmk_file_kind(pf->f)) : NULL;
}

PyObject *mmkpy_file_fileno(mmkpy_file *pf)
{
  return mmkpy_file_ok(pf) ? PyLong_FromLong(mmk_file_fd(pf->f)) : NULL;
}

PyObject *mmkpy_file_path(mmkpy_file *pf)
{
  if (!mmkpy_file_ok(pf))
    return NULL;
  return PyUnicode_DecodeFSDefault(mmk_file_path(pf->f));
}

/* ---- module functions ---- */

PyObject *mmkpy_shm_unlink(PyObject *name)
{
  PyObject *keep;
  const char *s = mmkpy_path_arg(name, 0, "unlink_shared_memory", &keep);
  int rc;
  if (!s)
    return NULL;
  rc = mmk_shm_unlink(s);
  Py_DECREF(keep);
  if (rc < 0)
    return mmkpy_raise(MMKPY_CTX_SYNC, rc);
  Py_RETURN_NONE;
}

PyObject *mmkpy_shm_name_check(PyObject *name)
{
  PyObject *keep;
  const char *s = mmkpy_path_arg(name, 0, "shm_name_check", &keep);
  int rc;
  if (!s)
    return NULL;
  rc = mmk_shm_name_check(s);
  Py_DECREF(keep);
  if (rc < 0)
    return mmkpy_raise(MMKPY_CTX_SYNC, rc);
  Py_RETURN_NONE;
}

PyObject *mmkpy_fault_guard_install(void)
{
  int rc = mmk_fault_guard_install();
  if (rc < 0)
    return mmkpy_raise(MMKPY_CTX_SYNC, rc);
  Py_RETURN_NONE;
}
