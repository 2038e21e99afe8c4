/*
 * Files above the seam: every argument and mode check, the open sequence
 * (open, check what was opened, truncate, grow, undo a create that
 * failed), the handles of a caller's descriptor (mmk_file_from_fd,
 * mmk_file_from_handle), byte-range lock checks, handle reference
 * counting and close. The OS calls are the mmk__os_file_* / mmk__os_open /
 * mmk__os_adopt functions of os.h.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MMK__WRITE_FLAGS                                                      \
  ((unsigned)(MMK_CREATE | MMK_TRUNCATE | MMK_EXCLUSIVE))

int mmk__file_new(mmk__os_fd fd, int mode, int kind, int rdwr,
                  const char *path, const char *op, mmk_file **out) {
  mmk_file *f = calloc(1, sizeof *f);
  char *p = f && path ? strdup(path) : NULL;
  if (!f || (path && !p)) {
    free(f);
    free(p);
    mmk__os_close(fd);
    return mmk__sys_error(MMK__OS_ENOMEM, op, path, NULL);
  }
  atomic_init(&f->refs, 1);
  atomic_init(&f->closed, 0);
  atomic_init(&f->locked, 0);
  atomic_init(&f->path_, p);
  f->fd = fd;
  f->caller_fd = MMK__OS_FD_NONE;
  f->mode = mode;
  f->kind = kind;
  f->rdwr = rdwr;
  *out = f;
  return 0;
}

/* ------------------------------------------------------------------------
 * Handles of the caller's descriptor: mmk_file_from_fd (POSIX),
 * mmk_file_from_handle (Windows)
 *
 * One path for both (mmk__adopt): the backend duplicates the descriptor
 * and tells what the duplicate is (mmk__os_adopt); every decision and
 * every reason is here. The platform's own words for the same facts, as
 * mmapkit.h documents them for each function, are these:
 * ---------------------------------------------------------------------- */

#if defined(_WIN32)
#  define MMK__ADOPT_OP "from_handle"
#  define MMK__ADOPT_NOT_FD "NULL or INVALID_HANDLE_VALUE is no handle"
#  define MMK__ADOPT_DIR "a directory, not a regular file"
#  define MMK__ADOPT_CHAR                                                    \
    "a character device (console, NUL...), not a regular file"
#  define MMK__ADOPT_OTHER "not a file on disk"
#  define MMK__ADOPT_NO_READ                                                 \
    "the handle has no read access (every mapping needs FILE_READ_DATA)"
#  define MMK__ADOPT_NO_WRITE                                                \
    "MMK_WRITE needs a handle opened for reading and writing "               \
    "(FILE_WRITE_DATA); this one is read-only"
#  define MMK__ADOPT_DETAIL 0 /* a refusal names the path alone */
#else
#  define MMK__ADOPT_OP "from_fd"
#  define MMK__ADOPT_NOT_FD NULL /* EBADF's own words */
#  define MMK__ADOPT_DIR NULL    /* EISDIR's own words */
#  define MMK__ADOPT_CHAR "a character device, not a regular file"
#  define MMK__ADOPT_OTHER "not a regular file"
#  define MMK__ADOPT_NO_READ                                                 \
    "the descriptor is write-only (every mapping needs read)"
#  define MMK__ADOPT_NO_WRITE                                                \
    "MMK_WRITE needs a descriptor opened for reading and writing "           \
    "(O_RDWR); this one is read-only"
#  define MMK__ADOPT_DETAIL 1 /* "[fd N]" after a path the system named */
#endif

/* How the caller's value is spelled: "fd 3", "handle 0x1a4". */
static void mmk__adopt_label(mmk__os_fd callers, char *buf, size_t len) {
#if defined(_WIN32)
  snprintf(buf, len, "handle 0x%llx",
           (unsigned long long)(uintptr_t)callers);
#else
  snprintf(buf, len, "fd %d", callers);
#endif
}

/* The name of a descriptor the system tells nothing about. */
static void mmk__adopt_no_path(mmk__os_fd callers, char *buf, size_t len) {
  char label[48];
  mmk__adopt_label(callers, label, sizeof label);
  snprintf(buf, len, "%s (no path)", label);
}

/* Names a handle made without a path, once: threads that race here each
 * ask the system (same descriptor, same answer), one publishes, the
 * others free their copy; no lock, and the fast path (mmk__fpath) is one
 * acquire load. The handle's own descriptor is asked, which lives as
 * long as the handle or one of its views; only a failing close names it
 * after dropping it, and then gets the fallback. Without memory for the
 * copy, the answer is a constant and the next call asks again. */
const char *mmk__file_path_slow(mmk_file *f) {
  char buf[MMK__OS_NAME_MAX];
  char *mine, *cur = NULL;
  int saved = errno;
  if (f->fd == MMK__OS_FD_NONE || !mmk__os_fd_name(f->fd, buf, sizeof buf))
    mmk__adopt_no_path(f->caller_fd, buf, sizeof buf);
  mine = strdup(buf);
  errno = saved;
  if (!mine) return "(name unknown: out of memory)";
  if (atomic_compare_exchange_strong_explicit(&f->path_, &cur, mine,
                                              memory_order_acq_rel,
                                              memory_order_acquire))
    return mine;
  free(mine);
  return cur;
}

/* Closes the descriptor (if still open) and frees the handle. */
static void mmk__file_destroy(mmk_file *f) {
  if (f->fd != MMK__OS_FD_NONE) mmk__os_close(f->fd);
  free(atomic_load_explicit(&f->path_, memory_order_relaxed));
  free(f);
}

void mmk__file_ref(mmk_file *f) {
  atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
}

void mmk__file_unref(mmk_file *f) {
  if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1)
    mmk__file_destroy(f);
}

int mmk__check_mode(const char *op, const char *path, int mode,
                    unsigned flags, int64_t size) {
  if (mode != MMK_READ && mode != MMK_WRITE && mode != MMK_COPY)
    return mmk__set_error(MMK_EINVAL, 0, op, path, "unknown mode",
                          "mode %d", mode);
  if (flags & ~(MMK__WRITE_FLAGS | MMK_ALLOW_FOREIGN))
    return mmk__set_error(MMK_EINVAL, 0, op, path, "unknown flags",
                          "flags 0x%x", flags);
  if ((flags & MMK__WRITE_FLAGS) && mode != MMK_WRITE)
    return mmk__arg_error(MMK_EINVAL, op, path,
                          "create/truncate/exclusive flags need MMK_WRITE");
  if ((flags & MMK_EXCLUSIVE) && !(flags & MMK_CREATE))
    return mmk__arg_error(MMK_EINVAL, op, path,
                          "MMK_EXCLUSIVE needs MMK_CREATE");
  if (size < 0)
    return mmk__set_error(MMK_EINVAL, 0, op, path, "negative size",
                          "size %lld", (long long)size);
  if (size > 0 && mode != MMK_WRITE)
    return mmk__arg_error(MMK_EINVAL, op, path,
                          "a size is only valid with MMK_WRITE");
  return 0;
}

int mmk__check_stat(const mmk__os_stat *st, const char *op,
                    const char *path) {
  if (st->type == MMK__OS_DIR)
    return mmk__set_error(MMK_EISDIR, MMK__OS_EISDIR, op, path, NULL, NULL);
  if (st->type != MMK__OS_REG)
    return mmk__arg_error(MMK_ENODEV, op, path,
                          "not a regular file (FIFO, socket or device)");
  return 0;
}

int mmk__file_grow(mmk_file *f, int64_t cur, int64_t new_size,
                   const char *op) {
  return new_size > cur ? mmk__os_file_grow(f, cur, new_size, op) : 0;
}

/* An existing shared-memory object must be the caller's own and private:
 * another user may have created it first (mode 0666) to read or forge
 * what this process writes. 0, else MMK_EACCES naming its owner as far
 * as the platform tells (numeric ids and mode bits, or only "another
 * account"). */
static int mmk__owner_check(mmk__os_fd fd, const mmk__os_stat *st,
                            const char *op, const char *name) {
  mmk__os_owner o;
  char reason[160];
  mmk__os_owner_of(fd, st, &o);
  if (o.ours && !(o.perm & 077)) return 0;
  if (o.uid >= 0)
    snprintf(reason, sizeof reason,
             "existing object owned by uid %ld, mode %04o (this process: "
             "uid %ld); pass MMK_ALLOW_FOREIGN to share between users",
             o.uid, o.perm, o.self);
  else
    snprintf(reason, sizeof reason,
             "existing object owned by another account; pass "
             "MMK_ALLOW_FOREIGN to share between users");
  return mmk__arg_error(MMK_EACCES, op, name, reason);
}

/* Shared tail of the open functions: checks what was opened (and, for a
 * shared-memory object this call did not create, its owner, unless
 * MMK_ALLOW_FOREIGN), truncates and grows, wraps it. On failure fd is
 * closed and a file this call created is removed again (issue 11,
 * number 9). */
static int mmk__finish_open(mmk__os_fd fd, int mode, unsigned flags,
                            int64_t size, int kind, int created, const char *op,
                            const char *path, mmk_file **out) {
  mmk__os_stat st;
  mmk_file *f;
  int r;
  memset(&st, 0, sizeof st); /* identity 0: nothing to undo */
  r = mmk__os_stat_fd(fd, &st, path);
  if (!r) r = mmk__check_stat(&st, op, path);
  if (!r && kind == MMK_KIND_SHM && !created &&
      !(flags & MMK_ALLOW_FOREIGN))
    r = mmk__owner_check(fd, &st, op, path);
  if (r) {
    if (created) mmk__os_undo_create(kind, path, &st);
    mmk__os_close(fd);
    return r;
  }
  r = mmk__file_new(fd, mode, kind, mode == MMK_WRITE, path, op, &f);
  if (r) {
    if (created) mmk__os_undo_create(kind, path, &st);
    return r;
  }
  f->created = created;
  if (flags & MMK_TRUNCATE) {
    r = mmk__os_file_truncate(f, 0);
    st.size = 0;
  }
  if (!r) r = mmk__file_grow(f, st.size, size, op);
  if (r) {
    if (created) mmk__os_undo_create(kind, path, &st);
    mmk__file_destroy(f);
    return r;
  }
  *out = f;
  return 0;
}

int mmk_file_open(const char *path, int mode, unsigned flags, int64_t size,
                  mmk_file **out) {
  mmk__os_stat st;
  mmk__os_fd fd;
  int r, created;
  if (out) *out = NULL;
  if (!out) return mmk__arg_error(MMK_EINVAL, "open", path, "out is NULL");
  if (!path) return mmk__arg_error(MMK_EINVAL, "open", "", "path is NULL");
  if (!*path) return mmk__arg_error(MMK_EINVAL, "open", "", "path is empty");
  r = mmk__check_mode("open", path, mode, flags, size);
  if (r) return r;
  if (flags & MMK_ALLOW_FOREIGN)
    return mmk__arg_error(MMK_EINVAL, "open", path,
                          "MMK_ALLOW_FOREIGN is only for shared memory");
  /* The check after open is the one that counts, but opening a device
   * can have side effects (a watchdog arms, a tape rewinds on close): a
   * path the platform calls a device is checked before it is opened.
   * With MMK_EXCLUSIVE any existing path is MMK_EEXIST from the open. */
  if (!(flags & MMK_EXCLUSIVE) && mmk__os_stat_device(path, &st)) {
    r = mmk__check_stat(&st, "open", path);
    if (r) return r;
  }
  r = mmk__os_open(MMK_KIND_FILE, path, mode, flags, size, &fd,
                   &created);
  if (r) return r;
  return mmk__finish_open(fd, mode, flags, size, MMK_KIND_FILE, created,
                          "open", path, out);
}

int mmk_shm_open(const char *name, int mode, unsigned flags, int64_t size,
                 mmk_file **out) {
  mmk__os_fd fd;
  int r, created;
  if (out) *out = NULL;
  if (!out) return mmk__arg_error(MMK_EINVAL, "shm_open", name, "out is NULL");
  r = mmk__shm_name_check(name, "shm_open");
  if (r) return r;
  r = mmk__check_mode("shm_open", name, mode, flags, size);
  if (r) return r;
  r = mmk__os_open(MMK_KIND_SHM, name, mode, flags, size, &fd, &created);
  if (r) return r;
  return mmk__finish_open(fd, mode, flags, size, MMK_KIND_SHM, created,
                          "shm_open", name, out);
}

int mmk_shm_unlink(const char *name) {
  int r = mmk__shm_name_check(name, "shm_unlink");
  return r ? r : mmk__os_shm_unlink(name);
}

int mmk_anon_create(int64_t size, mmk_file **out) {
  mmk__os_fd fd;
  int r;
  mmk_file *f;
  if (out) *out = NULL;
  if (!out) return mmk__arg_error(MMK_EINVAL, "anon_create", "", "out is NULL");
  if (size <= 0)
    return mmk__set_error(MMK_EINVAL, 0, "anon_create", "",
                          "size must be positive", "size %lld",
                          (long long)size);
  r = mmk__os_anon_open(size, &fd);
  if (r) return r;
  r = mmk__file_new(fd, MMK_WRITE, MMK_KIND_ANON, 1, "", "anon_create", &f);
  if (r) return r;
  f->created = 1;
  r = mmk__file_grow(f, 0, size, "anon_create");
  if (r) {
    mmk__file_destroy(f);
    return r;
  }
  *out = f;
  return 0;
}

/* 1 and *code, *sys, *reason (NULL: the status's or native error's own
 * words) if what mmk__os_adopt found cannot be mapped in mode; else 0. */
static int mmk__adopt_refused(const mmk__os_adopted *a, int mode, int *code,
                              int *sys, const char **reason) {
  *code = MMK_ENODEV;
  *sys = 0;
  switch (a->kind) {
  case MMK__OS_ADOPT_REG: break;
  case MMK__OS_ADOPT_PATH_ONLY:
    *code = MMK_EBADF;
    *reason = "an O_PATH descriptor gives no access to the file's contents";
    return 1;
  case MMK__OS_ADOPT_DIR:
    *code = MMK_EISDIR;
    *sys = MMK__OS_EISDIR;
    *reason = MMK__ADOPT_DIR;
    return 1;
  case MMK__OS_ADOPT_FIFO:
    *reason = "a pipe or FIFO, not a regular file";
    return 1;
  case MMK__OS_ADOPT_SOCKET:
    *reason = "a socket, not a regular file";
    return 1;
  case MMK__OS_ADOPT_PIPE:
    *reason = "a pipe or socket, not a regular file";
    return 1;
  case MMK__OS_ADOPT_CHAR: *reason = MMK__ADOPT_CHAR; return 1;
  case MMK__OS_ADOPT_BLOCK:
    *reason = "a block device, not a regular file";
    return 1;
  default: *reason = MMK__ADOPT_OTHER; return 1;
  }
  *code = MMK_EACCES;
  if (!a->can_read) {
    *reason = MMK__ADOPT_NO_READ;
    return 1;
  }
  if (mode == MMK_WRITE && !a->can_write) {
    *reason = MMK__ADOPT_NO_WRITE;
    return 1;
  }
  if (mode == MMK_WRITE && a->write_sealed) {
    *reason = "the memfd is sealed against writing (F_SEAL_WRITE)";
    return 1;
  }
  return 0;
}

/* A handle of the caller's descriptor. The success path formats no name:
 * the handle is named on first need (mmk__fpath), from its duplicate;
 * only a refusal names it here, by what the system tells (with the
 * caller's value as detail where the platform says so) or by the
 * "(no path)" fallback. */
static int mmk__adopt(mmk__os_fd callers, int mode, mmk_file **out) {
  char name[MMK__OS_NAME_MAX], label[48];
  mmk__os_adopted a;
  mmk__os_fd dup;
  const char *reason = NULL;
  int r, code, sys, named;
  mmk_file *f;
  if (out) *out = NULL;
  if (!out || (mode != MMK_READ && mode != MMK_WRITE && mode != MMK_COPY) ||
      MMK__OS_FD_INVALID(callers)) {
    mmk__adopt_no_path(callers, name, sizeof name);
    if (!out)
      return mmk__arg_error(MMK_EINVAL, MMK__ADOPT_OP, name, "out is NULL");
    r = mmk__check_mode(MMK__ADOPT_OP, name, mode, 0, 0);
    if (r) return r;
    return mmk__set_error(MMK_EBADF, MMK__OS_EBADF, MMK__ADOPT_OP, name,
                          MMK__ADOPT_NOT_FD, NULL);
  }
  r = mmk__os_adopt(callers, mode == MMK_WRITE, &dup, &a);
  if (r && dup == MMK__OS_FD_NONE) {
    mmk__adopt_no_path(callers, name, sizeof name);
    return mmk__sys_error(r, MMK__ADOPT_OP, name, NULL);
  }
  if (r) {
    code = mmk__os_status(r);
    sys = r;
  } else if (!mmk__adopt_refused(&a, mode, &code, &sys, &reason)) {
    r = mmk__file_new(dup, mode, MMK_KIND_FILE,
                      a.can_write < 0 ? mode == MMK_WRITE : a.can_write,
                      NULL, MMK__ADOPT_OP, &f);
    if (r) return r;
    f->caller_fd = callers;
    *out = f;
    return 0;
  }
  mmk__adopt_label(callers, label, sizeof label);
  named = mmk__os_fd_name(dup, name, sizeof name); /* keeps errno */
  if (!named) mmk__adopt_no_path(callers, name, sizeof name);
  if (MMK__ADOPT_DETAIL && named)
    r = mmk__set_error(code, sys, MMK__ADOPT_OP, name, reason, "%s", label);
  else
    r = mmk__set_error(code, sys, MMK__ADOPT_OP, name, reason, NULL);
  mmk__os_close(dup);
  return r;
}

/* Each platform's public function for its own kind of descriptor; the
 * other one's exists too (MMK_ENOTSUP), so that the bindings link on
 * every platform. */
int mmk_file_from_fd(int fd, int mode, mmk_file **out) {
#if defined(_WIN32)
  (void)fd, (void)mode;
  if (out) *out = NULL;
  return mmk__arg_error(MMK_ENOTSUP, "from_fd", "",
                        "descriptors are POSIX-only: use mmk_file_from_handle");
#else
  return mmk__adopt(fd, mode, out);
#endif
}

int mmk_file_from_handle(void *handle, int mode, mmk_file **out) {
#if defined(_WIN32)
  return mmk__adopt(handle, mode, out);
#else
  (void)handle, (void)mode;
  if (out) *out = NULL;
  return mmk__arg_error(MMK_ENOTSUP, "from_handle", "",
                        "HANDLEs are Windows-only: use mmk_file_from_fd");
#endif
}

/* POSIX only: Windows has no int descriptor of its own to hand out. */
int mmk_file_fd(const mmk_file *file) {
#if defined(_WIN32)
  (void)file;
  return -1;
#else
  if (!file || atomic_load(&((mmk_file *)file)->closed)) return -1;
  return file->fd;
#endif
}

int mmk__file_check(const mmk_file *f, const char *op) {
  if (!f) return mmk__arg_error(MMK_EINVAL, op, "", "file is NULL");
  if (atomic_load(&((mmk_file *)f)->closed))
    return mmk__arg_error(MMK_ECLOSED, op, mmk__fpath(f), "file is closed");
  return 0;
}

int mmk_file_size(mmk_file *file, int64_t *out) {
  int r = mmk__file_check(file, "size");
  if (r) return r;
  if (!out)
    return mmk__arg_error(MMK_EINVAL, "size", mmk__fpath(file), "out is NULL");
  return mmk__os_file_size(file, out);
}

int mmk_file_resize(mmk_file *file, int64_t new_size) {
  int64_t size;
  int r = mmk__file_check(file, "resize");
  if (r) return r;
  if (new_size < 0)
    return mmk__set_error(MMK_EINVAL, 0, "resize", mmk__fpath(file),
                          "negative size", "size %lld", (long long)new_size);
  if (file->mode != MMK_WRITE)
    return mmk__arg_error(MMK_EACCES, "resize", mmk__fpath(file),
                          "file is not opened for writing");
  r = mmk__os_file_size(file, &size);
  if (r) return r;
  if (new_size < size) return mmk__os_file_truncate(file, new_size);
  return mmk__file_grow(file, size, new_size, "resize");
}

/* ------------------------------------------------------------------------
 * Byte-range locks
 * ---------------------------------------------------------------------- */

static int mmk__lock_range(const mmk_file *f, const char *op, int64_t offset,
                           int64_t length) {
  if (offset < 0 || length < 0 || offset > INT64_MAX - length)
    return mmk__set_error(MMK_EINVAL, 0, op, mmk__fpath(f),
                          "negative or overflowing range",
                          "offset %lld, length %lld", (long long)offset,
                          (long long)length);
  return 0;
}

int mmk_file_lock(mmk_file *file, int64_t offset, int64_t length, int kind,
                  int wait) {
  int r = mmk__file_check(file, "lock");
  if (r) return r;
  r = mmk__lock_range(file, "lock", offset, length);
  if (r) return r;
  if (kind != MMK_LOCK_SHARED && kind != MMK_LOCK_EXCLUSIVE)
    return mmk__set_error(MMK_EINVAL, 0, "lock", mmk__fpath(file),
                          "unknown lock kind", "kind %d", kind);
  if (wait != MMK_LOCK_TRY && wait != MMK_LOCK_WAIT &&
      wait != MMK_LOCK_WAIT_INTR)
    return mmk__set_error(MMK_EINVAL, 0, "lock", mmk__fpath(file),
                          "unknown wait mode", "wait %d", wait);
  if (kind == MMK_LOCK_EXCLUSIVE && !file->rdwr)
    return mmk__arg_error(MMK_EACCES, "lock", mmk__fpath(file),
                          "an exclusive lock needs a writable file");
  atomic_store(&file->locked, 1);
  r = mmk__os_file_lock(file, kind, offset, length, wait);
  if (r)
    return mmk__sys_error(r, "lock", mmk__fpath(file),
                          "offset %lld, length %lld", (long long)offset,
                          (long long)length);
  return 0;
}

int mmk_file_unlock(mmk_file *file, int64_t offset, int64_t length) {
  int r = mmk__file_check(file, "unlock");
  if (r) return r;
  r = mmk__lock_range(file, "unlock", offset, length);
  if (r) return r;
  r = mmk__os_file_unlock(file, offset, length);
  if (r)
    return mmk__sys_error(r, "unlock", mmk__fpath(file),
                          "offset %lld, length %lld", (long long)offset,
                          (long long)length);
  return 0;
}

/* ------------------------------------------------------------------------
 * Getters and close
 * ---------------------------------------------------------------------- */

int mmk_file_created(const mmk_file *file) {
  return file ? file->created : MMK_EINVAL;
}
int mmk_file_mode(const mmk_file *file) {
  return file ? file->mode : MMK_EINVAL;
}
int mmk_file_kind(const mmk_file *file) {
  return file ? file->kind : MMK_EINVAL;
}
const char *mmk_file_path(const mmk_file *file) {
  return file ? mmk__fpath(file) : "";
}

int mmk_file_close(mmk_file *file) {
  int e;
  if (!file) return 0;
  if (atomic_exchange(&file->closed, 1)) return 0;
  /* Views, or the caller's own descriptor of a handle made by
   * mmk_file_from_fd (a duplicate shares the open file description), may
   * keep the description and with it its locks alive: drop this handle's
   * locks explicitly. */
  if (atomic_load(&file->locked)) mmk__os_file_unlock(file, 0, 0);
  if (atomic_fetch_sub_explicit(&file->refs, 1, memory_order_acq_rel) != 1)
    return 0; /* the last view's close frees the rest */
  e = mmk__os_close(file->fd);
  file->fd = MMK__OS_FD_NONE;
  if (e) {
    int code =
        mmk__set_error(MMK_EIO, e, "close", mmk__fpath(file), NULL, NULL);
    mmk__file_destroy(file);
    return code;
  }
  mmk__file_destroy(file);
  return 0;
}
