/*
 * Files above the seam: every argument and mode check, the open sequence
 * (open, check what was opened, truncate, grow, undo a create that
 * failed), byte-range lock checks, handle reference counting and close.
 * The OS calls are the mmk__os_file_* / mmk__os_open functions of os.h.
 */
#include "internal.h"

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
  mmk__os_file_name(f, buf, sizeof buf);
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
    r = mmk__os_owner_check(&st, op, path);
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
  if (!r && size > st.size) r = mmk__os_file_grow(f, st.size, size, op);
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
  r = mmk__os_file_grow(f, 0, size, "anon_create");
  if (r) {
    mmk__file_destroy(f);
    return r;
  }
  *out = f;
  return 0;
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
  if (new_size > size)
    return mmk__os_file_grow(file, size, new_size, "resize");
  if (new_size < size) return mmk__os_file_truncate(file, new_size);
  return 0;
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
