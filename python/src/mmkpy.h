/*
 * python/src/mmkpy.h: what the C files of the extension mmapkit._core
 * share: the two handle structs, the error contexts, and the functions one
 * file calls in another. Every function Python reaches is declared here
 * (SWIG's %extend declarations in bindings/python.i call the ones named
 * new_mmkpy_*, delete_mmkpy_*, mmkpy_file_* and mmkpy_view_*).
 */
#ifndef MMKPY_H
#define MMKPY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include "mmapkit.h"

/* Copies at least this long run without the GIL. */
#define MMKPY_NOGIL_COPY ((Py_ssize_t)256 * 1024)
/* Window for strided slices, searches and moves. */
#define MMKPY_CHUNK ((Py_ssize_t)64 * 1024)

#if defined(__GNUC__) || defined(__clang__)
#define MMKPY_LIKELY(x) __builtin_expect(!!(x), 1)
#define MMKPY_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define MMKPY_LIKELY(x) (x)
#define MMKPY_UNLIKELY(x) (x)
#endif

/* ---- the handles ------------------------------------------------------ */

typedef struct mmkpy_file {
  mmk_file *f;
  int inflight;   /* calls running without the GIL */
  int closing;    /* close() asked while inflight > 0 */
  int kind;       /* MMK_KIND_*, kept for after close */
  int created;    /* mmk_file_created: this call created the file */
  int quiet;      /* no ResourceWarning if collected open (mmap's own) */
  int fd;         /* the caller's descriptor (MMKPY_KIND_FD) */
  PyObject *name; /* path / shm name / "", kept for after close; for a
                     descriptor NULL until first asked (mmkpy_file__name) */
} mmkpy_file;

/* What File(kind, ...) opens. */
enum { MMKPY_KIND_PATH = 0, MMKPY_KIND_SHM = 1, MMKPY_KIND_ANON = 2,
       MMKPY_KIND_FD = 3 };

typedef struct mmkpy_view {
  mmk_view *v;
  char *data;           /* mmk_view_data, refreshed after a resize */
  Py_ssize_t size;      /* mmk_view_size, refreshed after a resize */
  int writable;
  int compat;           /* 1: mmapkit.mmap (the standard library's words) */
  Py_ssize_t exports;   /* live Py_buffers */
  int leased;           /* holds the core lease that stands for them */
  int inflight;         /* calls running without the GIL */
  int waiting;          /* of which blocking waits (wait()) */
  int closing;          /* close() asked while inflight > 0 */
  Py_ssize_t pos;       /* file-like position (read/write/seek/tell) */
} mmkpy_view;

/* ---- errors.c: the one translation of a core status ------------------- */

/* What the failing call was doing. It decides only where the API contract
 * gives one status two meanings: MMK_ERANGE is a ValueError when mapping
 * (the file is too short) and an IndexError elsewhere; MMK_EIO is
 * mmapkit.FaultError when touching mapped bytes and a plain OSError(EIO)
 * elsewhere (an msync I/O error is not a fault). */
typedef enum mmkpy_ctx {
  MMKPY_CTX_OPEN,   /* open a file, shm, anonymous memory, descriptor */
  MMKPY_CTX_MAP,    /* map, resize a view */
  MMKPY_CTX_ACCESS, /* copies, atomics, wait/wake, buffer exports */
  MMKPY_CTX_SYNC    /* flush, advise, mlock, residency, file size/resize,
                       locks, unlink */
} mmkpy_ctx;

extern PyObject *mmkpy_FaultError;
/* Raises the exception for `status` (< 0) with the thread's error detail;
 * always returns NULL. */
PyObject *mmkpy_raise(mmkpy_ctx ctx, int status);
/* ResourceWarning "unclosed <what>" from a dealloc (keeps the exception
 * being handled; a warning turned into an error is reported unraisable). */
void mmkpy_warn_unclosed(const char *fmt, ...);
/* Refusals of the binding itself, one wording each (compat: mmap.mmap's). */
PyObject *mmkpy_raise_closed(const mmkpy_view *pv);
PyObject *mmkpy_raise_readonly(const mmkpy_view *pv);

/* ---- args.c: argument conversion -------------------------------------- */

const char *mmkpy_path_arg(PyObject *o, int is_path, const char *op,
                           PyObject **keep);
int mmkpy_arg64(PyObject *o, const char *what, int none_ok, int nonneg,
                int64_t *out);
int mmkpy_ssize(PyObject *o, Py_ssize_t *out);
int mmkpy_flag(PyObject *o, unsigned bit, unsigned *opts);
int mmkpy_word(PyObject *o, int size, uint64_t *out);
int mmkpy_fast_args(const char *fname, PyObject *const *args,
                    Py_ssize_t nargs, PyObject *kwnames,
                    const char *const *names, int n, int required,
                    PyObject **out);
int mmkpy_fast_int(PyObject *o, const char *what, int dflt, int *out);

/* *out = o when o is an exact int small enough to read without a call;
 * 0 otherwise (the caller takes the general path). Inline: slicing's hot
 * path. */
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

/* ---- file.c: the File handle (SWIG's %extend mmkpy_file) --------------- */

mmkpy_file *new_mmkpy_file(int kind, PyObject *name, int mode,
                           unsigned flags, int64_t size, int fd);
void delete_mmkpy_file(mmkpy_file *pf);
int mmkpy_file_ok(mmkpy_file *pf);
void mmkpy_file_done(mmkpy_file *pf);
PyObject *mmkpy_file__name(mmkpy_file *pf);
int mmkpy_file__kind(mmkpy_file *pf);
int mmkpy_file__created(mmkpy_file *pf);
int mmkpy_file__closed(mmkpy_file *pf);
PyObject *mmkpy_file_close(mmkpy_file *pf);
PyObject *mmkpy_file_size(mmkpy_file *pf);
PyObject *mmkpy_file_resize(mmkpy_file *pf, int64_t new_size);
PyObject *mmkpy_file_lock(mmkpy_file *pf, int64_t offset, int64_t length,
                          int kind, int wait);
PyObject *mmkpy_file_unlock(mmkpy_file *pf, int64_t offset, int64_t length);
PyObject *mmkpy_file_mode(mmkpy_file *pf);
PyObject *mmkpy_file_kind(mmkpy_file *pf);
PyObject *mmkpy_file_fileno(mmkpy_file *pf);
PyObject *mmkpy_file_path(mmkpy_file *pf);
/* Module functions on names. */
PyObject *mmkpy_shm_unlink(PyObject *name);
PyObject *mmkpy_shm_name_check(PyObject *name);
PyObject *mmkpy_fault_guard_install(void);

/* ---- view.c: the View handle (SWIG's %extend mmkpy_view) --------------- */

mmkpy_view *new_mmkpy_view(mmkpy_file *file, int64_t offset, int64_t length,
                           int64_t reserve, unsigned options, int compat);
void delete_mmkpy_view(mmkpy_view *pv);
mmkpy_view *mmkpy_view_ok(mmkpy_view *pv);
int mmkpy_writable_ok(mmkpy_view *pv);
void mmkpy_view_refresh(mmkpy_view *pv);
void mmkpy_view_drop_lease(mmkpy_view *pv);
mmk_view *mmkpy_view_enter(mmkpy_view *pv, int is_wait);
void mmkpy_view_leave(mmkpy_view *pv, mmk_view *v, int is_wait);
int mmkpy_read(mmkpy_view *pv, int64_t off, void *dst, Py_ssize_t n);
int mmkpy_write(mmkpy_view *pv, int64_t off, const void *src, Py_ssize_t n);
PyObject *mmkpy_view_close(mmkpy_view *pv);
int mmkpy_view__closed(mmkpy_view *pv);
int mmkpy_view__initialized(mmkpy_view *pv);
PyObject *mmkpy_view__offset(mmkpy_view *pv);
PyObject *mmkpy_view__size(mmkpy_view *pv);
PyObject *mmkpy_view__reserved(mmkpy_view *pv);
PyObject *mmkpy_view__writable(mmkpy_view *pv);
PyObject *mmkpy_view__mode(mmkpy_view *pv);
int64_t mmkpy_view__exports(mmkpy_view *pv);
PyObject *mmkpy_view_flush(mmkpy_view *pv, int64_t offset, int64_t length,
                           int how);
PyObject *mmkpy_view_advise(mmkpy_view *pv, int64_t offset, int64_t length,
                            int advice);
PyObject *mmkpy_view_lock_memory(mmkpy_view *pv);
PyObject *mmkpy_view_unlock_memory(mmkpy_view *pv);
PyObject *mmkpy_view_resident(mmkpy_view *pv, int64_t offset, int64_t length);
PyObject *mmkpy_view_resize(mmkpy_view *pv, int64_t new_length);
PyObject *mmkpy_view_read_into(mmkpy_view *pv, PyObject *buf, int64_t offset);
PyObject *mmkpy_view_write_from(mmkpy_view *pv, PyObject *data,
                                int64_t offset);

/* ---- filelike.c: mmap.mmap's file-like methods ------------------------ */

int mmkpy_find(mmkpy_view *pv, const char *nd, Py_ssize_t nn,
               Py_ssize_t start, Py_ssize_t end, int reverse,
               Py_ssize_t *found);
PyObject *mmkpy_view_find(mmkpy_view *pv, PyObject *sub, PyObject *start,
                          PyObject *end);
PyObject *mmkpy_view_rfind(mmkpy_view *pv, PyObject *sub, PyObject *start,
                           PyObject *end);
PyObject *mmkpy_view_read(mmkpy_view *pv, PyObject *n);
PyObject *mmkpy_view_read_byte(mmkpy_view *pv);
PyObject *mmkpy_view_readline(mmkpy_view *pv);
PyObject *mmkpy_view_write(mmkpy_view *pv, PyObject *data);
PyObject *mmkpy_view_write_byte(mmkpy_view *pv, PyObject *value);
PyObject *mmkpy_view_seek(mmkpy_view *pv, PyObject *pos, PyObject *whence);
PyObject *mmkpy_view_tell(mmkpy_view *pv);
PyObject *mmkpy_view_move(mmkpy_view *pv, int64_t dest, int64_t src,
                          int64_t count);

/* ---- slots.c: the type slots SWIG installs (%feature("python:...")) ---- */

Py_ssize_t mmkpy_view_length(PyObject *self);
PyObject *mmkpy_view_item(PyObject *self, Py_ssize_t i);
int mmkpy_view_contains(PyObject *self, PyObject *value);
PyObject *mmkpy_view_subscript(PyObject *self, PyObject *item);
int mmkpy_view_ass_subscript(PyObject *self, PyObject *item, PyObject *value);
int mmkpy_view_ass_item(PyObject *self, Py_ssize_t i, PyObject *value);
int mmkpy_view_getbuffer(PyObject *self, Py_buffer *view, int flags);
void mmkpy_view_releasebuffer(PyObject *self, Py_buffer *view);

/* ---- compat.c, fast.c: methods bound without a Python frame ----------- */

extern PyMethodDef mmkpy_mmap_init_def, mmkpy_mmap_close_def,
    mmkpy_mmap_resize_def;
extern PyMethodDef mmkpy_file_map_def, mmkpy_atomic_load_def,
    mmkpy_atomic_store_def, mmkpy_atomic_add_def, mmkpy_atomic_cas_def,
    mmkpy_wait_def, mmkpy_wake_def;
extern PyObject *mmkpy_view_class; /* mmapkit.View, what File.map returns */
extern PyObject *mmkpy_mmap_class; /* mmapkit.mmap, built by its tp_new */
/* tp_new of mmapkit.mmap (and subclasses): the standard library's
 * constructor. */
PyObject *mmkpy_mmap_new(PyTypeObject *t, PyObject *args, PyObject *kw);
extern PyObject *mmkpy_str_h, *mmkpy_str_anon, *mmkpy_str_access;

/* ---- module.c ---------------------------------------------------------- */

int mmkpy_module_init(PyObject *m);

/* ---- swig_shim.c: the only code that sees SWIG's runtime --------------- */

/* The handle inside a File / View object (self of a bound method). */
mmkpy_view *mmkpy_view_of(PyObject *self);
mmkpy_file *mmkpy_file_of(PyObject *self);
/* The handle of an object that must be a File (mmap._h), or NULL with
 * TypeError. */
mmkpy_file *mmkpy_file_from(PyObject *obj);
/* A new File object owning pf (on failure pf is freed). */
PyObject *mmkpy_file_wrap(mmkpy_file *pf);
/* A View object of type t without a handle (what tp_new makes). */
PyObject *mmkpy_view_alloc(PyTypeObject *t);
/* Puts pv into obj, an instance of View whose __init__ has not run. */
int mmkpy_view_attach(PyObject *obj, mmkpy_view *pv);
PyTypeObject *mmkpy_view_type(void);
PyTypeObject *mmkpy_file_type(void);
/* Type fix-ups SWIG has no directive for (tp_new, GC of __dict__). */
int mmkpy_shim_init(void);

#endif
