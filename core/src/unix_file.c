/*
 * POSIX backend, files: open (paths, shm names), anonymous memory, stat,
 * the owner check, size, truncate, grow with reserved blocks, undo of a
 * failed create, byte-range locks (OFD locks where present), and what
 * mmk_file_from_fd (file.c) asks of a caller's descriptor: its duplicate
 * and facts (mmk__os_adopt), its name (mmk__os_fd_name).
 */
#include "internal.h"
#include "unix.h"

/* ------------------------------------------------------------------------
 * File handles
 * ---------------------------------------------------------------------- */

int mmk__os_close(mmk__os_fd fd) {
  /* Never retried: on Linux the descriptor is gone even on EINTR. */
  return close(fd) == 0 || errno == EINTR ? 0 : errno;
}

/* The portable fields of a struct stat. */
static void mmk__stat_fill(const struct stat *st, mmk__os_stat *out) {
  out->size = (int64_t)st->st_size;
  out->type = S_ISREG(st->st_mode)   ? MMK__OS_REG
              : S_ISDIR(st->st_mode) ? MMK__OS_DIR
                                     : MMK__OS_OTHER;
  out->dev = (uint64_t)st->st_dev;
  out->ino = (uint64_t)st->st_ino;
  out->uid = (long)st->st_uid;
  out->perm = (unsigned)(st->st_mode & 07777);
}

int mmk__os_stat_fd(mmk__os_fd fd, mmk__os_stat *out, const char *path) {
  struct stat st;
  if (fstat(fd, &st) != 0) return mmk__sys_error(errno, "fstat", path, NULL);
  mmk__stat_fill(&st, out);
  return 0;
}

/* Paths under /dev: opening a device may have side effects. */
int mmk__os_stat_device(const char *path, mmk__os_stat *out) {
  struct stat st;
  if (strncmp(path, "/dev/", 5) != 0 || stat(path, &st) != 0) return 0;
  mmk__stat_fill(&st, out);
  return 1;
}

/* These take the handle, not its path: a from_fd handle is named only
 * when an error needs it (mmk__fpath keeps errno). */
static int mmk__fstat(mmk_file *f, struct stat *st) {
  if (fstat(f->fd, st) != 0)
    return mmk__sys_error(errno, "fstat", mmk__fpath(f), NULL);
  return 0;
}

static int mmk__ftruncate(mmk_file *f, int64_t size) {
  int r;
  MMK__RETRY(r, ftruncate(f->fd, (off_t)size));
  if (r != 0)
    return mmk__sys_error(errno, "ftruncate", mmk__fpath(f), "size %lld",
                          (long long)size);
  return 0;
}

int mmk__os_file_truncate(mmk_file *f, int64_t size) {
  return mmk__ftruncate(f, size);
}

#if defined(__linux__)
/* The kind of pseudo file system fd lives on, or NULL for a real one.
 * Their "regular files" (/proc/self/status, /sys attributes, cgroup
 * knobs) report a made-up size, cannot be mapped, and writing to them has
 * side effects: they must never be grown, least of all by glibc's
 * posix_fallocate emulation, which writes a byte into every block. */
static const char *mmk__pseudo_fs(int fd) {
  struct statfs sfs;
  if (fstatfs(fd, &sfs) != 0) return NULL;
  switch ((unsigned long)sfs.f_type) {
  case 0x9fa0UL: return "procfs";
  case 0x62656572UL: return "sysfs";
  case 0x64626720UL: return "debugfs";
  case 0x74726163UL: return "tracefs";
  case 0x73636673UL: return "securityfs";
  case 0x27e0ebUL: return "cgroup";
  case 0x63677270UL: return "cgroup2";
  case 0x62656570UL: return "configfs";
  case 0xcafe4a11UL: return "bpf";
  case 0x6165676cUL: return "pstore";
  case 0xde5e81e4UL: return "efivarfs";
  case 0xf97cff8cUL: return "selinuxfs";
  case 0x43415d53UL: return "smackfs";
  case 0x65735543UL: return "fusectl";
  case 0x42494e4dUL: return "binfmt_misc";
  case 0x6e736673UL: return "nsfs";
  default: return NULL;
  }
}
#endif

/* Sets the size to new_size unless it is already at least that: the size
 * is read again right before, so that a size another process reached
 * meanwhile is not cut back to ours (a narrow window remains: ftruncate
 * cannot "grow only"). */
static int mmk__extend(mmk_file *f, int64_t new_size) {
  struct stat st;
  if (fstat(f->fd, &st) == 0 && (int64_t)st.st_size >= new_size) return 0;
  return mmk__ftruncate(f, new_size);
}

/* Grows the file from cur to at least new_size bytes, never shrinking it
 * (issue 11, number 7: another process may have grown it since cur was
 * read, and an "undo" that cut back to cur shrank its data away).
 * Regular files and named shared memory get their blocks reserved
 * (fallocate), so that a full disk or a full /dev/shm is an error here
 * and not a SIGBUS later. On Linux the blocks are reserved first without
 * changing the size (FALLOC_FL_KEEP_SIZE), then the size is raised by a
 * second fallocate over the reserved range, which is the kernel's own
 * "grow to at least": a failed reservation leaves the size as it was.
 * Only when the file system lacks fallocate is glibc's posix_fallocate
 * emulation used, after checking that this is not a pseudo-file
 * (MMK_ENODEV); it writes block by block, so a failure there may leave
 * the file partly grown (never shrunk). Without posix_fallocate (macOS)
 * or where nothing can reserve, the file is extended sparsely.
 * Anonymous memory stays sparse, like MAP_ANONYMOUS memory (reserving
 * would commit all of it at once). */
int mmk__os_file_grow(mmk_file *f, int64_t cur, int64_t new_size,
                      const char *op) {
#ifdef MMK__HAVE_POSIX_FALLOCATE
  if (f->kind != MMK_KIND_ANON) {
    int err;
    off_t n = (off_t)(new_size - cur);
#  if defined(__linux__)
    int rc;
    MMK__RETRY(rc, fallocate(f->fd, FALLOC_FL_KEEP_SIZE, (off_t)cur, n));
    if (rc == 0 || errno == EOPNOTSUPP)
      MMK__RETRY(rc, fallocate(f->fd, 0, (off_t)cur, n));
    err = rc == 0 ? 0 : errno;
    if (err == EOPNOTSUPP || err == ENOSYS) {
      const char *fs = f->kind == MMK_KIND_FILE ? mmk__pseudo_fs(f->fd) : NULL;
      if (fs) {
        char reason[96];
        snprintf(reason, sizeof reason,
                 "a %s pseudo-file cannot be grown or mapped", fs);
        return mmk__set_error(MMK_ENODEV, 0, op, mmk__fpath(f), reason,
                              "growing from %lld to %lld bytes",
                              (long long)cur, (long long)new_size);
      }
      MMK__RETRY_RC(err, posix_fallocate(f->fd, (off_t)cur, n));
    }
#  else
    MMK__RETRY_RC(err, posix_fallocate(f->fd, (off_t)cur, n));
#  endif
    if (err == 0) return 0;
    if (err != EINVAL && err != EOPNOTSUPP)
      return mmk__set_error(mmk__os_status(err), err, op, mmk__fpath(f),
                            NULL, "growing from %lld to %lld bytes",
                            (long long)cur, (long long)new_size);
  }
#endif
  return mmk__extend(f, new_size);
}

/* A call that fails after creating the file or object removes it again
 * (issue 11, number 9), so that a retry with MMK_EXCLUSIVE works; only
 * while the name still refers to what this call created (st: its fstat),
 * never to something another process put there since. */
void mmk__os_undo_create(int kind, const char *path, const mmk__os_stat *st) {
  struct stat now;
  char full[256];
  if (kind == MMK_KIND_SHM) {
#if defined(__linux__)
    snprintf(full, sizeof full, "/dev/shm/%s", path);
    if (lstat(full, &now) != 0 || (uint64_t)now.st_ino != st->ino ||
        (uint64_t)now.st_dev != st->dev)
      return;
#endif
    snprintf(full, sizeof full, "/%s", path);
    shm_unlink(full);
  } else if (kind == MMK_KIND_FILE) {
    if (lstat(path, &now) != 0 || (uint64_t)now.st_ino != st->ino ||
        (uint64_t)now.st_dev != st->dev)
      return;
    unlink(path);
  }
}

/* The owner and mode bits come from the fstat already made. */
void mmk__os_owner_of(mmk__os_fd fd, const mmk__os_stat *st,
                      mmk__os_owner *o) {
  (void)fd;
  o->uid = st->uid;
  o->self = (long)geteuid();
  o->ours = o->uid == o->self;
  o->perm = st->perm;
}

typedef int (*mmk__opener)(const char *name, int oflags, mode_t perm);

/* Opens name with `oflags`; with O_CREAT but not O_EXCL it tries an
 * exclusive create first and then opens the existing object, so *created
 * tells which happened (one failed open more when it exists). A name that
 * vanishes between the two tries is tried again; a name that keeps
 * answering "exists" to the create and "missing" to the open is a
 * dangling symlink (O_EXCL never follows one): then open(2)'s own
 * O_CREAT, which creates the target. */
static int mmk__open_created(mmk__opener op, const char *name, int oflags,
                             mode_t perm, int *created) {
  int fd, tries;
  *created = 0;
  if (!(oflags & O_CREAT)) return op(name, oflags, perm);
  if (!(oflags & O_EXCL)) {
    for (tries = 0; tries < 4; tries++) {
      fd = op(name, oflags | O_EXCL, perm);
      if (fd >= 0) {
        *created = 1;
        return fd;
      }
      if (errno != EEXIST) return -1;
      fd = op(name, oflags & ~O_CREAT, perm);
      if (fd >= 0 || errno != ENOENT) return fd;
    }
  }
  fd = op(name, oflags, perm);
  if (fd >= 0) *created = 1;
  return fd;
}

static int mmk__open_flags(int mode, unsigned flags) {
  int o = (mode == MMK_WRITE ? O_RDWR : O_RDONLY);
  if (flags & MMK_CREATE) o |= O_CREAT;
  if (flags & MMK_EXCLUSIVE) o |= O_EXCL;
  return o;
}

/* shm_open: POSIX sets FD_CLOEXEC itself and some systems reject flags
 * beyond the documented ones, so O_CLOEXEC is passed on Linux only (where
 * it is accepted) and FD_CLOEXEC is set explicitly elsewhere. */
static int mmk__shm_open(const char *name, int oflags, mode_t perm) {
  int fd;
  /* glibc adds O_NOFOLLOW: a symlink planted in /dev/shm is ELOOP. */
#if defined(__linux__)
  MMK__RETRY(fd, shm_open(name, oflags | O_CLOEXEC, perm));
#else
  MMK__RETRY(fd, shm_open(name, oflags, perm));
  if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
#endif
  return fd;
}

/* A FIFO is opened without blocking (O_NONBLOCK) and closed at once by
 * the check after open. O_NONBLOCK stays set: on a regular file it
 * changes no read, write, lock or mmap (open(2): "no effect for regular
 * files"), so clearing it would only cost two fcntl calls per open. */
static int mmk__open_path(const char *path, int oflags, mode_t perm) {
  int fd;
  MMK__RETRY(fd, open(path, oflags | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
                      perm));
  return fd;
}

int mmk__os_open(int kind, const char *name, int mode, unsigned flags,
                 int64_t size, mmk__os_fd *fd, int *created) {
  char full[256];
  (void)size; /* shared memory grows later (ftruncate) */
  int o = mmk__open_flags(mode, flags);
  if (kind == MMK_KIND_FILE) {
    *fd = mmk__open_created(mmk__open_path, name, o, 0666, created);
    if (*fd < 0) return mmk__sys_error(errno, "open", name, NULL);
    return 0;
  }
  snprintf(full, sizeof full, "/%s", name);
  *fd = mmk__open_created(mmk__shm_open, full, o, 0600, created);
  if (*fd < 0 && errno == ELOOP)
    return mmk__set_error(MMK_EACCES, ELOOP, "shm_open", name,
                          "a symbolic link, not a shared-memory object, has "
                          "this name (planted by someone else?)", NULL);
  if (*fd < 0) return mmk__sys_error(errno, "shm_open", name, NULL);
  return 0;
}

int mmk__os_shm_unlink(const char *name) {
  char full[256];
  snprintf(full, sizeof full, "/%s", name);
  if (shm_unlink(full) != 0)
    return mmk__sys_error(errno, "shm_unlink", name, NULL);
  return 0;
}

int mmk__os_anon_open(int64_t size, mmk__os_fd *out) {
  int fd = -1;
  (void)size; /* the common code grows it */
#if defined(__linux__) && defined(MFD_CLOEXEC)
  fd = memfd_create("mmapkit-anon", MFD_CLOEXEC);
  if (fd < 0 && errno != ENOSYS)
    return mmk__sys_error(errno, "memfd_create", "", NULL);
#endif
  if (fd < 0) {
    /* No memfd: a uniquely named shm object, unlinked at once. */
    static atomic_uint counter;
    char name[64];
    int tries;
    for (tries = 0; tries < 64 && fd < 0; tries++) {
      snprintf(name, sizeof name, "/mmapkit-anon-%ld-%u-%ld", (long)getpid(),
               atomic_fetch_add(&counter, 1),
               (long)(mmk__os_now_ns() % 1000000000));
      fd = mmk__shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
      if (fd >= 0) shm_unlink(name);
      else if (errno != EEXIST) break;
    }
    if (fd < 0) return mmk__sys_error(errno, "shm_open", "", NULL);
  }
  *out = fd;
  return 0;
}

/* What the system calls the file open as fd: /proc/self/fd's link on
 * Linux ("/tmp/x (deleted)", "/memfd:name (deleted)", "pipe:[1234]"),
 * F_GETPATH where it exists. errno is kept (the callers pass it to the
 * error they record). */
int mmk__os_fd_name(mmk__os_fd fd, char *buf, size_t len) {
  int saved = errno, named = 0;
#if defined(__linux__)
  char link[40];
  ssize_t n;
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  n = readlink(link, buf, len - 1);
  if (n > 0) {
    buf[n] = '\0';
    named = 1;
  }
#elif defined(F_GETPATH)
  named = len >= PATH_MAX && fcntl(fd, F_GETPATH, buf) == 0 && buf[0];
#else
  (void)fd, (void)buf, (void)len;
#endif
  errno = saved;
  return named;
}

/* The facts of the duplicate (never of the caller's number, which another
 * thread may close and reuse at any moment). O_NONBLOCK and the like are
 * the caller's business; the access mode and, for a write, the seals are
 * what a mapping needs. */
int mmk__os_adopt(mmk__os_fd callers, int want_write, mmk__os_fd *dup,
                  mmk__os_adopted *a) {
  struct stat st;
  int fl, acc;
  memset(a, 0, sizeof *a);
  *dup = fcntl(callers, F_DUPFD_CLOEXEC, 0);
  if (*dup < 0) {
    *dup = MMK__OS_FD_NONE;
    return errno;
  }
  fl = fcntl(*dup, F_GETFL);
  if (fl < 0) return errno;
#ifdef O_PATH
  if (fl & O_PATH) {
    a->kind = MMK__OS_ADOPT_PATH_ONLY;
    return 0;
  }
#endif
  if (fstat(*dup, &st) != 0) return errno;
  a->kind = S_ISREG(st.st_mode)    ? MMK__OS_ADOPT_REG
            : S_ISDIR(st.st_mode)  ? MMK__OS_ADOPT_DIR
            : S_ISFIFO(st.st_mode) ? MMK__OS_ADOPT_FIFO
            : S_ISSOCK(st.st_mode) ? MMK__OS_ADOPT_SOCKET
            : S_ISCHR(st.st_mode)  ? MMK__OS_ADOPT_CHAR
            : S_ISBLK(st.st_mode)  ? MMK__OS_ADOPT_BLOCK
                                   : MMK__OS_ADOPT_OTHER;
  acc = fl & O_ACCMODE;
  a->can_read = acc != O_WRONLY;
  a->can_write = acc == O_RDWR;
#ifdef F_GET_SEALS
  if (want_write && a->kind == MMK__OS_ADOPT_REG && a->can_write) {
    int seals = fcntl(*dup, F_GET_SEALS);
#  ifndef F_SEAL_FUTURE_WRITE
#    define F_SEAL_FUTURE_WRITE 0x0010
#  endif
    a->write_sealed =
        seals > 0 && (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE));
  }
#else
  (void)want_write;
#endif
  return 0;
}

int mmk__os_file_size(mmk_file *f, int64_t *size) {
  struct stat st;
  int r = mmk__fstat(f, &st);
  if (!r) *size = (int64_t)st.st_size;
  return r;
}

/* ------------------------------------------------------------------------
 * Byte-range locks
 * ---------------------------------------------------------------------- */

/* wait: MMK_LOCK_TRY, MMK_LOCK_WAIT (EINTR retried) or MMK_LOCK_WAIT_INTR
 * (EINTR returned). 0 or errno. */
static int mmk__fcntl_lock(int fd, int type, int64_t offset, int64_t length,
                           int wait) {
  struct flock fl;
  int r, cmd;
  memset(&fl, 0, sizeof fl);
  fl.l_type = (short)type;
  fl.l_whence = SEEK_SET;
  fl.l_start = (off_t)offset;
  fl.l_len = (off_t)length;
  fl.l_pid = 0; /* required 0 for OFD locks */
#ifdef F_OFD_SETLK
  cmd = wait ? F_OFD_SETLKW : F_OFD_SETLK;
#else
  /* Classic POSIX locks: per process, dropped when any descriptor of the
   * file is closed (weaker, documented in the header). */
  cmd = wait ? F_SETLKW : F_SETLK;
#endif
  if (wait == MMK_LOCK_WAIT_INTR)
    r = fcntl(fd, cmd, &fl);
  else
    MMK__RETRY(r, fcntl(fd, cmd, &fl));
  return r == 0 ? 0 : errno;
}

/* POSIX lets F_SETLK say a lock conflicts with EACCES or EAGAIN (some
 * systems say EACCES): both are the one native error os.h names for a
 * conflict, EAGAIN, which is recorded as the detail's native error. Which
 * errno values fcntl uses is a fact of this platform, and the common code
 * sees native errors only through mmk__os_status: it stays here. */
int mmk__os_file_lock(mmk_file *f, int kind, int64_t offset, int64_t length,
                      int wait) {
  int e = mmk__fcntl_lock(f->fd, kind == MMK_LOCK_SHARED ? F_RDLCK : F_WRLCK,
                          offset, length, wait);
  if (!wait && e == EACCES) e = EAGAIN;
  return e;
}

int mmk__os_file_unlock(mmk_file *f, int64_t offset, int64_t length) {
  return mmk__fcntl_lock(f->fd, F_UNLCK, offset, length, 0);
}
