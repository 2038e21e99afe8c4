/*
 * Platform-independent part of the core: the error table and thread-local
 * last error, argument and range checks, shared-memory names, view
 * getters and the guarded copies.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *mmk_version(void) { return MMK_VERSION_STRING; }

/* ------------------------------------------------------------------------
 * Error table
 * ---------------------------------------------------------------------- */

const char *mmk_strerror(int code) {
  if (code == 0) return "success";
  switch (code) {
#define MMK__STRERROR(name, value, msg)                                       \
  case value:                                                                 \
    return msg;
    MMK_ERRNO_MAP(MMK__STRERROR)
#undef MMK__STRERROR
  default:
    return "unknown error";
  }
}

const char *mmk_err_name(int code) {
  if (code == 0) return "MMK_OK";
  switch (code) {
#define MMK__ERRNAME(name, value, msg)                                        \
  case value:                                                                 \
    return "MMK_" #name;
    MMK_ERRNO_MAP(MMK__ERRNAME)
#undef MMK__ERRNAME
  default:
    return "MMK_EUNKNOWN";
  }
}

/* The two codes of mmapkit's own have no errno: 0. Neither name is an
 * errno macro anywhere. */
#define EUNKNOWN 0
#define ECLOSED 0
int mmk_status_errno(int code) {
  switch (code) {
#define MMK__ERRNO(name, value, msg)                                            case value:                                                                     return name;
    MMK_ERRNO_MAP(MMK__ERRNO)
#undef MMK__ERRNO
  default:
    return 0;
  }
}
#undef EUNKNOWN
#undef ECLOSED

/* ------------------------------------------------------------------------
 * Thread-local last error
 * ---------------------------------------------------------------------- */

#define MMK__PATH_MAX 1024
#define MMK__MSG_MAX (MMK__PATH_MAX + 256)

struct mmk__tls_error {
  mmk_error pub;
  char path[MMK__PATH_MAX];
  char message[MMK__MSG_MAX];
};

/* The record lives on the heap; only a pointer is thread-local. The
 * library's whole TLS segment must stay tiny: the fault guard's TLS uses
 * the initial-exec model, which puts ALL of this library's TLS in the
 * static TLS block, and a dlopen'ed library (Python extension, JNI,
 * P/Invoke) only gets a few hundred spare bytes there. */
static _Thread_local struct mmk__tls_error *mmk__err;

/* When nothing was recorded yet, or allocating the record failed. */
static const mmk_error mmk__no_error = {0, 0, "", "", "no error"};
static const mmk_error mmk__oom_error = {
    MMK_ENOMEM, MMK__OS_ENOMEM, "", "",
    "not enough memory to record the error detail"};
static _Thread_local int mmk__err_oom;

static mmk__tls_key mmk__err_key;
static mmk__once mmk__err_once = MMK__ONCE_INIT;

static void mmk__err_free(void *p) {
  free(p);
  mmk__err = NULL; /* an error in a later destructor allocates anew */
}

static void mmk__err_key_init(void) {
  mmk__os_key_create(&mmk__err_key, mmk__err_free);
}

static struct mmk__tls_error *mmk__err_get(void) {
  struct mmk__tls_error *e = mmk__err;
  if (MMK__LIKELY(e != NULL)) return e;
  e = calloc(1, sizeof *e);
  if (!e) return NULL;
  mmk__os_once(&mmk__err_once, mmk__err_key_init);
  mmk__os_key_set(mmk__err_key, e);
  e->pub.path = e->path;
  e->pub.message = e->message;
  e->pub.op = "";
  mmk__err = e;
  return e;
}

int mmk__set_error(int code, int sys_errno, const char *op, const char *path,
                   const char *reason, const char *fmt, ...) {
  char rbuf[256];
  char detail[256];
  size_t plen;
  int saved = errno;
  struct mmk__tls_error *e = mmk__err_get();

  if (!e) {
    mmk__err_oom = 1;
    errno = saved;
    return code;
  }
  mmk__err_oom = 0;
  e->pub.code = code;
  e->pub.sys_errno = sys_errno;
  e->pub.op = op ? op : "";

  if (!path) path = "";
  plen = strlen(path);
  if (plen >= sizeof e->path) {
    /* Keep the end of a long path: it is the part that tells files apart. */
    const char *tail = path + plen - (sizeof e->path - 4);
    snprintf(e->path, sizeof e->path, "...%s", tail);
  } else {
    memmove(e->path, path, plen + 1);
  }

  detail[0] = '\0';
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
  }
  if (sys_errno != 0)
    reason = mmk__os_reason(sys_errno, rbuf, sizeof rbuf);
  else if (!reason)
    reason = mmk_strerror(code);

  /* Truncation is acceptable (the buffer fits a 1 KiB path and details).
   * A detail of a code alone (mmk_error_for) is its reason alone. */
  if (!e->pub.op[0] && !e->path[0] && !detail[0])
    snprintf(e->message, sizeof e->message, "%s", reason);
  else if (snprintf(e->message, sizeof e->message, "%s%s%s%s%s%s%s: %s",
               e->pub.op, e->path[0] ? " '" : "", e->path,
               e->path[0] ? "'" : "", detail[0] ? " [" : "", detail,
               detail[0] ? "]" : "", reason) < 0)
    e->message[0] = '\0';
  errno = saved;
  return code;
}

const mmk_error *mmk_last_error(void) {
  if (mmk__err_oom) return &mmk__oom_error;
  return mmk__err ? &mmk__err->pub : &mmk__no_error;
}
int mmk_last_error_code(void) { return mmk_last_error()->code; }
int mmk_last_error_errno(void) { return mmk_last_error()->sys_errno; }
const char *mmk_last_error_op(void) { return mmk_last_error()->op; }
const char *mmk_last_error_path(void) { return mmk_last_error()->path; }
const char *mmk_last_error_message(void) {
  return mmk_last_error()->message;
}

const mmk_error *mmk_error_for(int code) {
  const mmk_error *e = mmk_last_error();
  if (e->code == code) return e;
  mmk__set_error(code, 0, NULL, NULL, NULL, NULL);
  return mmk_last_error();
}

void mmk_clear_error(void) {
  struct mmk__tls_error *e = mmk__err;
  mmk__err_oom = 0;
  if (!e) return;
  e->pub.code = 0;
  e->pub.sys_errno = 0;
  e->pub.op = "";
  e->path[0] = '\0';
  snprintf(e->message, sizeof e->message, "no error");
}

/* ------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------- */

atomic_size_t mmk__page_size;
atomic_size_t mmk__gran_size;

size_t mmk__page_init(void) {
  size_t pg = mmk__os_page_size();
  size_t gran = mmk__os_map_granularity();
  /* The granularity first: whoever sees the page size set sees it too. */
  atomic_store_explicit(&mmk__gran_size, gran, memory_order_relaxed);
  atomic_store_explicit(&mmk__page_size, pg, memory_order_release);
  return pg;
}

int64_t mmk_page_size(void) { return (int64_t)mmk__page(); }

int mmk_shm_name_check(const char *name) {
  return mmk__shm_name_check(name, "shm_name_check");
}

int mmk__shm_name_check(const char *name, const char *op) {
  size_t i;
  if (!name) return mmk__arg_error(MMK_EINVAL, op, "", "name is NULL");
  if (name[0] == '\0')
    return mmk__arg_error(MMK_EINVAL, op, name, "name is empty");
  if (name[0] == '.')
    return mmk__arg_error(MMK_EINVAL, op, name,
                          "name must not start with '.'");
  for (i = 0; name[i]; i++) {
    char c = name[i];
    int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
             (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (i >= 200)
      return mmk__arg_error(MMK_EINVAL, op, name,
                            "name longer than 200 characters");
    if (!ok)
      return mmk__set_error(MMK_EINVAL, 0, op, name,
                            "names may only contain [A-Za-z0-9._-]",
                            "character %zu", i);
  }
  return 0;
}

int mmk__view_check(const mmk_view *v, const char *op) {
  if (MMK__UNLIKELY(!v))
    return mmk__arg_error(MMK_EINVAL, op, "", "view is NULL");
  if (MMK__UNLIKELY(atomic_load_explicit(&((mmk_view *)v)->state,
                                         memory_order_acquire) !=
                    MMK__VIEW_OPEN))
    return mmk__arg_error(MMK_ECLOSED, op, "", "view is closed");
  return 0;
}

int mmk__view_range(const mmk_view *v, const char *op, int64_t off,
                    int64_t *len, int zero_is_rest) {
  int64_t n = *len, length;
  if (off < 0 || n < 0)
    return mmk__set_error(MMK_EINVAL, 0, op, mmk__vpath(v),
                          "negative offset or length",
                          "offset %lld, length %lld", (long long)off,
                          (long long)n);
  length = MMK__LEN(v);
  if (off > length || n > length - off)
    return mmk__set_error(MMK_ERANGE, 0, op, mmk__vpath(v), NULL,
                          "offset %lld, length %lld, view size %lld",
                          (long long)off, (long long)n, (long long)length);
  if (n == 0 && zero_is_rest) *len = length - off;
  return 0;
}

/* ------------------------------------------------------------------------
 * View getters
 * ---------------------------------------------------------------------- */

static int mmk__open(const mmk_view *v) {
  return v && atomic_load_explicit(&((mmk_view *)v)->state,
                                   memory_order_acquire) == MMK__VIEW_OPEN;
}

void *mmk_view_data(const mmk_view *view) {
  return mmk__open(view) ? view->data : NULL;
}
int64_t mmk_view_size(const mmk_view *view) {
  return mmk__open(view) ? MMK__LEN(view) : 0;
}
int64_t mmk_view_offset(const mmk_view *view) {
  return mmk__open(view) ? view->offset : 0;
}
int64_t mmk_view_reserved(const mmk_view *view) {
  return mmk__open(view) ? view->reserve : 0;
}
int mmk_view_writable(const mmk_view *view) {
  return mmk__open(view) ? view->writable : 0;
}
int mmk_view_mode(const mmk_view *view) {
  if (!view) return MMK_EINVAL;
  return view->mode;
}
int mmk_view_closed(const mmk_view *view) {
  return view ? !mmk__open(view) : 1;
}

/* ------------------------------------------------------------------------
 * Fault-safe copies
 * ---------------------------------------------------------------------- */

static int mmk__copy_check(mmk_view *v, const char *op, int64_t off,
                           const void *buf, size_t n) {
  int64_t length;
  int r = mmk__view_check(v, op);
  if (r) return r;
  if (off < 0)
    return mmk__set_error(MMK_EINVAL, 0, op, mmk__vpath(v),
                          "negative offset", "offset %lld", (long long)off);
  if (n > 0 && !buf)
    return mmk__arg_error(MMK_EINVAL, op, mmk__vpath(v), "buffer is NULL");
  length = MMK__LEN(v);
  if (off > length || (uint64_t)n > (uint64_t)(length - off))
    return mmk__set_error(MMK_ERANGE, 0, op, mmk__vpath(v), NULL,
                          "offset %lld, length %zu, view size %lld",
                          (long long)off, n, (long long)length);
  return 0;
}

/* Why a copy was refused, with the exact status and detail (the fast
 * paths below only know that some check failed). */
static MMK__COLD int mmk__copy_refused(mmk_view *v, const char *op,
                                      int64_t off, const void *buf, size_t n,
                                      int write) {
  int r = mmk__copy_check(v, op, off, buf, n);
  if (r) return r;
  if (write && !v->writable)
    return mmk__arg_error(MMK_EACCES, op, mmk__vpath(v), "view is read-only");
  /* Nothing else can change inside the call: the view grew in place
   * between the fast check and this one (MMK_ERANGE was true then). */
  return mmk__set_error(MMK_ERANGE, 0, op, mmk__vpath(v),
                        "range beyond the view (a resize grew it meanwhile)",
                        "offset %lld, length %zu", (long long)off, n);
}

static MMK__COLD int mmk__copy_fault(mmk_view *v, int write, int64_t off,
                                     size_t n) {
  if (write)
    return mmk__set_error(MMK_EIO, 0, "write", mmk__vpath(v),
                          "fault while writing mapped memory (file truncated, "
                          "disk full or I/O error)",
                          "offset %lld, length %zu", (long long)off, n);
  return mmk__set_error(MMK_EIO, 0, "read", mmk__vpath(v),
                        "fault while reading mapped memory (file truncated "
                        "or I/O error)",
                        "offset %lld, length %zu", (long long)off, n);
}

/* Every check of mmk__copy_check (+ writable) in one branch-light test,
 * without a lock; when it fails, mmk__copy_refused finds out which. */
static inline int mmk__copy_ok(const mmk_view *v, int64_t off,
                               const void *buf, size_t n, int write) {
  int64_t length = mmk__open_length(v);
  return length >= 0 && off >= 0 && off <= length &&
         (uint64_t)n <= (uint64_t)(length - off) &&
         (buf != NULL || n == 0) && (!write || v->writable);
}

int mmk_view_read(mmk_view *view, int64_t offset, void *dst, size_t n) {
  const unsigned char *src;
  mmk__op op;
  int r = 0;
  if (MMK__UNLIKELY(!view))
    return mmk__copy_refused(view, "read", offset, dst, n, 0);
  r = mmk__op_enter(&op, view, "read");
  if (MMK__UNLIKELY(r)) return r;
  if (MMK__UNLIKELY(!mmk__copy_ok(view, offset, dst, n, 0))) {
    r = mmk__copy_refused(view, "read", offset, dst, n, 0);
  } else {
    src = view->data + offset;
    if (MMK__UNLIKELY(mmk__guarded_move(dst, src, n, src)))
      r = mmk__copy_fault(view, 0, offset, n);
  }
  mmk__op_exit(&op);
  return r;
}

int mmk_view_write(mmk_view *view, int64_t offset, const void *src,
                   size_t n) {
  unsigned char *dst;
  mmk__op op;
  int r = 0;
  if (MMK__UNLIKELY(!view))
    return mmk__copy_refused(view, "write", offset, src, n, 1);
  r = mmk__op_enter(&op, view, "write");
  if (MMK__UNLIKELY(r)) return r;
  if (MMK__UNLIKELY(!mmk__copy_ok(view, offset, src, n, 1))) {
    r = mmk__copy_refused(view, "write", offset, src, n, 1);
  } else {
    dst = view->data + offset;
    if (MMK__UNLIKELY(mmk__guarded_move(dst, src, n, dst)))
      r = mmk__copy_fault(view, 1, offset, n);
  }
  mmk__op_exit(&op);
  return r;
}
