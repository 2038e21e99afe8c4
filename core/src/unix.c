/*
 * POSIX backend: files, named and anonymous shared memory, mappings,
 * flush/advise/mlock/mincore, byte-range locks and view resizing.
 *
 * Linux-only facilities (MAP_POPULATE, mremap, MADV_HUGEPAGE, memfd_create,
 * OFD locks, posix_fallocate) sit behind feature checks so that the file
 * still builds on macOS and the BSDs, with the fallbacks noted in place.
 */
#include "internal.h"

#include <fcntl.h>
#include <sched.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#  include <sys/syscall.h>
#  include <sys/vfs.h>
#endif

/* The one place EINTR is retried: res = expr until it is not a call
 * interrupted by a signal. MMK__RETRY for calls that return -1 and set
 * errno, MMK__RETRY_RC for those that return the error (posix_fallocate). */
#define MMK__RETRY(res, expr)                                                 \
  do {                                                                        \
    (res) = (expr);                                                           \
  } while ((res) == -1 && errno == EINTR)
#define MMK__RETRY_RC(res, expr)                                              \
  do {                                                                        \
    (res) = (expr);                                                           \
  } while ((res) == EINTR)

#if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
#  define MAP_ANONYMOUS MAP_ANON
#endif
#ifndef MAP_NORESERVE
#  define MAP_NORESERVE 0
#endif
#ifndef O_NOCTTY
#  define O_NOCTTY 0
#endif
#if defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__)
#  define MMK__HAVE_POSIX_FALLOCATE 1
#endif
#if defined(__linux__) || defined(__GLIBC__)
typedef unsigned char mmk__mincore_t;
#else
typedef char mmk__mincore_t;
#endif

/* ------------------------------------------------------------------------
 * Platform (os.h)
 * ---------------------------------------------------------------------- */

size_t mmk__os_page_size(void) {
  long r = sysconf(_SC_PAGESIZE);
  return r > 0 ? (size_t)r : 4096;
}

/* The one native error -> status translation (os.h). */
int mmk__os_status(int err) {
  switch (err) {
  case 0: return MMK_EUNKNOWN; /* a failure without errno: never "OK" */
  case EPERM: return MMK_EPERM;
  case ENOENT: return MMK_ENOENT;
  case ENOTDIR: return MMK_ENOENT; /* a path component is not a directory */
  case EINTR: return MMK_EINTR;
  case EIO: return MMK_EIO;
  case EFAULT: return MMK_EIO; /* kernel touched unbacked mapped memory */
  case EBADF: return MMK_EBADF;
  case EAGAIN: return MMK_EAGAIN;
#if defined(EWOULDBLOCK) && EWOULDBLOCK != EAGAIN
  case EWOULDBLOCK: return MMK_EAGAIN;
#endif
  case ENOMEM: return MMK_ENOMEM;
  case ENOLCK: return MMK_ENOMEM;
  case EACCES: return MMK_EACCES;
  case EBUSY: return MMK_EBUSY;
  case ETXTBSY: return MMK_EBUSY;
  case EEXIST: return MMK_EEXIST;
  case ENODEV: return MMK_ENODEV;
  case ENXIO: return MMK_ENODEV; /* FIFO without reader, missing device */
  /* Not seekable: a FIFO, or a pseudo-file (/proc, /sys) that cannot be
   * grown or written at an offset; as a mapping target it is "not a
   * mappable file". */
  case ESPIPE: return MMK_ENODEV;
  case EISDIR: return MMK_EISDIR;
  case EINVAL: return MMK_EINVAL;
  case EMFILE: return MMK_EMFILE;
  case ENFILE: return MMK_EMFILE;
  case EFBIG: return MMK_EFBIG;
  case EOVERFLOW: return MMK_EFBIG;
  case ENOSPC: return MMK_ENOSPC;
#ifdef EDQUOT
  case EDQUOT: return MMK_ENOSPC;
#endif
  case EROFS: return MMK_EROFS;
  case ERANGE: return MMK_ERANGE;
  case EDEADLK: return MMK_EDEADLK;
  case ENAMETOOLONG: return MMK_ENAMETOOLONG;
  case ENOTSUP: return MMK_ENOTSUP;
#if defined(EOPNOTSUPP) && EOPNOTSUPP != ENOTSUP
  case EOPNOTSUPP: return MMK_ENOTSUP;
#endif
  case ENOSYS: return MMK_ENOTSUP;
  case ETIMEDOUT: return MMK_ETIMEDOUT;
  default: return MMK_EUNKNOWN;
  }
}


const char *mmk__os_reason(int err, char *buf, size_t len) {
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
  return strerror_r(err, buf, len); /* GNU variant returns the string */
#else
  if (strerror_r(err, buf, len) != 0) snprintf(buf, len, "error %d", err);
  return buf;
#endif
}

void mmk__os_yield(void) { sched_yield(); }

int mmk__os_sleep_ns(int64_t ns) {
  struct timespec ts;
  ts.tv_sec = (time_t)(ns / 1000000000);
  ts.tv_nsec = (long)(ns % 1000000000);
  return nanosleep(&ts, NULL) == 0 ? 0 : -1;
}

int64_t mmk__os_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* membarrier(2): MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED (16), then
 * MEMBARRIER_CMD_PRIVATE_EXPEDITED (8). */
static int mmk__membarrier(int cmd) {
#if defined(__linux__) && defined(SYS_membarrier)
  return syscall(SYS_membarrier, cmd, 0, 0) == 0 ? 0 : MMK__OS_CANNOT;
#else
  (void)cmd;
  return MMK__OS_CANNOT;
#endif
}
int mmk__os_barrier_register(void) { return mmk__membarrier(16); }
int mmk__os_barrier(void) { return mmk__membarrier(8); }

/* ------------------------------------------------------------------------
 * File handles
 * ---------------------------------------------------------------------- */

static int mmk__close_fd(int fd) {
  /* Never retry close on EINTR: on Linux the descriptor is gone anyway. */
  return close(fd);
}

void mmk__os_file_destroy(mmk_file *f) {
  if (f->fd >= 0) mmk__close_fd(f->fd);
  free(f->path);
  free(f);
}

static int mmk__file_new(int fd, int mode, int kind, int rdwr,
                         const char *path, const char *op, mmk_file **out) {
  mmk_file *f = calloc(1, sizeof *f);
  char *p = f ? strdup(path ? path : "") : NULL;
  if (!f || !p) {
    free(f);
    free(p);
    mmk__close_fd(fd);
    return mmk__sys_error(ENOMEM, op, path, NULL);
  }
  atomic_init(&f->refs, 1);
  atomic_init(&f->closed, 0);
  atomic_init(&f->locked, 0);
  f->fd = fd;
  f->mode = mode;
  f->kind = kind;
  f->rdwr = rdwr;
  f->path = p;
  *out = f;
  return 0;
}

#define MMK__WRITE_FLAGS                                                      \
  ((unsigned)(MMK_CREATE | MMK_TRUNCATE | MMK_EXCLUSIVE))

static int mmk__check_mode(const char *op, const char *path, int mode,
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

/* Refuses what cannot be mapped as a file. */
static int mmk__check_stat(const struct stat *st, const char *op,
                           const char *path) {
  if (S_ISDIR(st->st_mode))
    return mmk__set_error(MMK_EISDIR, EISDIR, op, path, NULL, NULL);
  if (!S_ISREG(st->st_mode))
    return mmk__arg_error(MMK_ENODEV, op, path,
                          "not a regular file (FIFO, socket or device)");
  return 0;
}

static int mmk__fstat(int fd, struct stat *st, const char *path) {
  if (fstat(fd, st) != 0) return mmk__sys_error(errno, "fstat", path, NULL);
  return 0;
}

static int mmk__ftruncate(int fd, int64_t size, const char *path) {
  int r;
  MMK__RETRY(r, ftruncate(fd, (off_t)size));
  if (r != 0)
    return mmk__sys_error(errno, "ftruncate", path, "size %lld",
                          (long long)size);
  return 0;
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
  return mmk__ftruncate(f->fd, new_size, f->path);
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
static int mmk__grow(mmk_file *f, int64_t cur, int64_t new_size,
                     const char *op) {
  if (new_size <= cur) return 0;
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
        return mmk__set_error(MMK_ENODEV, 0, op, f->path, reason,
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
      return mmk__set_error(mmk__os_status(err), err, op, f->path,
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
static void mmk__undo_create(int kind, const char *path,
                             const struct stat *st) {
  struct stat now;
  char full[256];
  if (kind == MMK_KIND_SHM) {
#if defined(__linux__)
    snprintf(full, sizeof full, "/dev/shm/%s", path);
    if (lstat(full, &now) != 0 || now.st_ino != st->st_ino ||
        now.st_dev != st->st_dev)
      return;
#endif
    snprintf(full, sizeof full, "/%s", path);
    shm_unlink(full);
  } else if (kind == MMK_KIND_FILE) {
    if (lstat(path, &now) != 0 || now.st_ino != st->st_ino ||
        now.st_dev != st->st_dev)
      return;
    unlink(path);
  }
}

/* An existing shared-memory object must be the caller's own and private:
 * another user may have created it first (mode 0666) to read or forge
 * what this process writes. */
static int mmk__check_owner(const struct stat *st, const char *op,
                            const char *name) {
  char reason[160];
  if (st->st_uid == geteuid() && !(st->st_mode & 077)) return 0;
  snprintf(reason, sizeof reason,
           "existing object owned by uid %ld, mode %04o (this process: uid "
           "%ld); pass MMK_ALLOW_FOREIGN to share between users",
           (long)st->st_uid, (unsigned)(st->st_mode & 07777),
           (long)geteuid());
  return mmk__arg_error(MMK_EACCES, op, name, reason);
}

/* Shared tail of the open functions: checks the descriptor (and, for a
 * shared-memory object this call did not create, its owner, unless
 * MMK_ALLOW_FOREIGN), truncates and grows, wraps it. Closes fd on
 * failure. */
static int mmk__finish_open(int fd, int mode, unsigned flags, int64_t size,
                            int kind, int created, const char *op,
                            const char *path, mmk_file **out) {
  struct stat st;
  mmk_file *f;
  int r;
  memset(&st, 0, sizeof st); /* inode 0: nothing to undo if fstat fails */
  r = mmk__fstat(fd, &st, path);
  if (!r) r = mmk__check_stat(&st, op, path);
  if (!r && kind == MMK_KIND_SHM && !created &&
      !(flags & MMK_ALLOW_FOREIGN))
    r = mmk__check_owner(&st, op, path);
  if (r) {
    if (created) mmk__undo_create(kind, path, &st);
    mmk__close_fd(fd);
    return r;
  }
  r = mmk__file_new(fd, mode, kind, mode == MMK_WRITE, path, op, &f);
  if (r) {
    if (created) mmk__undo_create(kind, path, &st);
    return r;
  }
  f->created = created;
  if (flags & MMK_TRUNCATE) {
    r = mmk__ftruncate(fd, 0, path);
    st.st_size = 0;
  }
  if (!r && size > (int64_t)st.st_size)
    r = mmk__grow(f, (int64_t)st.st_size, size, op);
  if (r) {
    if (created) mmk__undo_create(kind, path, &st);
    mmk__os_file_destroy(f);
    return r;
  }
  *out = f;
  return 0;
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

static int mmk__open_path(const char *path, int oflags, mode_t perm) {
  int fd;
  MMK__RETRY(fd, open(path, oflags | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
                      perm));
  return fd;
}

int mmk_file_open(const char *path, int mode, unsigned flags, int64_t size,
                  mmk_file **out) {
  struct stat st;
  int fd, r, created;
  if (out) *out = NULL;
  if (!out) return mmk__arg_error(MMK_EINVAL, "open", path, "out is NULL");
  if (!path) return mmk__arg_error(MMK_EINVAL, "open", "", "path is NULL");
  if (!*path) return mmk__arg_error(MMK_EINVAL, "open", "", "path is empty");
  r = mmk__check_mode("open", path, mode, flags, size);
  if (r) return r;
  if (flags & MMK_ALLOW_FOREIGN)
    return mmk__arg_error(MMK_EINVAL, "open", path,
                          "MMK_ALLOW_FOREIGN is only for shared memory");

  /* The fstat after open is the check that counts (FIFOs, sockets and
   * character devices are refused there). Opening a device can have side
   * effects, though (a watchdog arms, a serial line raises DTR, a tape
   * rewinds on close), so paths under /dev are checked before they are
   * opened. Elsewhere that stat would be a third system call on every
   * open (0.4 us, a fifth of the whole open+close); a FIFO placed there
   * is opened without blocking (O_NONBLOCK) and closed at once, as by any
   * program that opens the path. With MMK_EXCLUSIVE any existing path is
   * MMK_EEXIST from open. */
  if (!(flags & MMK_EXCLUSIVE) && strncmp(path, "/dev/", 5) == 0 &&
      stat(path, &st) == 0) {
    r = mmk__check_stat(&st, "open", path);
    if (r) return r;
  }
  fd = mmk__open_created(mmk__open_path, path, mmk__open_flags(mode, flags),
                         0666, &created);
  if (fd < 0) return mmk__sys_error(errno, "open", path, NULL);
  /* O_NONBLOCK stays set: mmk__finish_open closes anything but a regular
   * file, and on a regular file it changes no read, write, lock or mmap
   * (open(2): "no effect for regular files"), so clearing it would only
   * cost two fcntl calls per open. */
  return mmk__finish_open(fd, mode, flags, size, MMK_KIND_FILE, created,
                          "open", path, out);
}

int mmk_shm_open(const char *name, int mode, unsigned flags, int64_t size,
                 mmk_file **out) {
  char full[256];
  int fd, r, created;
  if (out) *out = NULL;
  if (!out) return mmk__arg_error(MMK_EINVAL, "shm_open", name, "out is NULL");
  r = mmk__shm_name_check(name, "shm_open");
  if (r) return r;
  r = mmk__check_mode("shm_open", name, mode, flags, size);
  if (r) return r;
  snprintf(full, sizeof full, "/%s", name);
  fd = mmk__open_created(mmk__shm_open, full, mmk__open_flags(mode, flags),
                         0600, &created);
  if (fd < 0 && errno == ELOOP)
    return mmk__set_error(MMK_EACCES, ELOOP, "shm_open", name,
                          "a symbolic link, not a shared-memory object, has "
                          "this name (planted by someone else?)", NULL);
  if (fd < 0) return mmk__sys_error(errno, "shm_open", name, NULL);
  return mmk__finish_open(fd, mode, flags, size, MMK_KIND_SHM, created,
                          "shm_open", name, out);
}

int mmk_shm_unlink(const char *name) {
  char full[256];
  int r = mmk__shm_name_check(name, "shm_unlink");
  if (r) return r;
  snprintf(full, sizeof full, "/%s", name);
  if (shm_unlink(full) != 0)
    return mmk__sys_error(errno, "shm_unlink", name, NULL);
  return 0;
}

int mmk_anon_create(int64_t size, mmk_file **out) {
  int fd = -1, r;
  mmk_file *f;
  if (out) *out = NULL;
  if (!out) return mmk__arg_error(MMK_EINVAL, "anon_create", "", "out is NULL");
  if (size <= 0)
    return mmk__set_error(MMK_EINVAL, 0, "anon_create", "",
                          "size must be positive", "size %lld",
                          (long long)size);
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
      struct timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      snprintf(name, sizeof name, "/mmapkit-anon-%ld-%u-%ld", (long)getpid(),
               atomic_fetch_add(&counter, 1), (long)ts.tv_nsec);
      fd = mmk__shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
      if (fd >= 0) shm_unlink(name);
      else if (errno != EEXIST) break;
    }
    if (fd < 0) return mmk__sys_error(errno, "shm_open", "", NULL);
  }
  r = mmk__file_new(fd, MMK_WRITE, MMK_KIND_ANON, 1, "", "anon_create", &f);
  if (r) return r;
  f->created = 1;
  r = mmk__grow(f, 0, size, "anon_create");
  if (r) {
    mmk__os_file_destroy(f);
    return r;
  }
  *out = f;
  return 0;
}

int mmk_file_from_fd(int fd, int mode, mmk_file **out) {
  struct stat st;
  int fl, nfd, r, acc;
  if (out) *out = NULL;
  if (!out) return mmk__arg_error(MMK_EINVAL, "from_fd", "", "out is NULL");
  r = mmk__check_mode("from_fd", "", mode, 0, 0);
  if (r) return r;
  if (fd < 0)
    return mmk__set_error(MMK_EBADF, EBADF, "from_fd", "", NULL, "fd %d", fd);
  fl = fcntl(fd, F_GETFL);
  if (fl < 0) return mmk__sys_error(errno, "fcntl", "", "fd %d", fd);
#ifdef O_PATH
  if (fl & O_PATH)
    return mmk__set_error(MMK_EBADF, EBADF, "from_fd", "", NULL,
                          "fd %d is an O_PATH descriptor", fd);
#endif
  if (fstat(fd, &st) != 0)
    return mmk__sys_error(errno, "fstat", "", "fd %d", fd);
  r = mmk__check_stat(&st, "from_fd", "");
  if (r) return r;
  acc = fl & O_ACCMODE;
  if (acc == O_WRONLY)
    return mmk__arg_error(MMK_EACCES, "from_fd", "",
                          "descriptor is write-only (mapping needs read)");
  if (mode == MMK_WRITE && acc != O_RDWR)
    return mmk__arg_error(MMK_EACCES, "from_fd", "",
                          "MMK_WRITE needs a descriptor opened O_RDWR");
  nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (nfd < 0) return mmk__sys_error(errno, "dup", "", "fd %d", fd);
  return mmk__file_new(nfd, mode, MMK_KIND_FILE, acc == O_RDWR, "", "from_fd",
                       out);
}

static int mmk__file_check(const mmk_file *f, const char *op) {
  if (!f) return mmk__arg_error(MMK_EINVAL, op, "", "file is NULL");
  if (atomic_load(&((mmk_file *)f)->closed))
    return mmk__arg_error(MMK_ECLOSED, op, f->path, "file is closed");
  return 0;
}

int mmk_file_size(mmk_file *file, int64_t *out) {
  struct stat st;
  int r = mmk__file_check(file, "size");
  if (r) return r;
  if (!out)
    return mmk__arg_error(MMK_EINVAL, "size", file->path, "out is NULL");
  r = mmk__fstat(file->fd, &st, file->path);
  if (r) return r;
  *out = (int64_t)st.st_size;
  return 0;
}

int mmk_file_resize(mmk_file *file, int64_t new_size) {
  struct stat st;
  int r = mmk__file_check(file, "resize");
  if (r) return r;
  if (new_size < 0)
    return mmk__set_error(MMK_EINVAL, 0, "resize", file->path, "negative size",
                          "size %lld", (long long)new_size);
  if (file->mode != MMK_WRITE)
    return mmk__arg_error(MMK_EACCES, "resize", file->path,
                          "file is not opened for writing");
  r = mmk__fstat(file->fd, &st, file->path);
  if (r) return r;
  if (new_size > (int64_t)st.st_size)
    return mmk__grow(file, (int64_t)st.st_size, new_size, "resize");
  if (new_size < (int64_t)st.st_size)
    return mmk__ftruncate(file->fd, new_size, file->path);
  return 0;
}

/* ------------------------------------------------------------------------
 * Byte-range locks
 * ---------------------------------------------------------------------- */

static int mmk__lock_range(const mmk_file *f, const char *op, int64_t offset,
                           int64_t length) {
  if (offset < 0 || length < 0 || offset > INT64_MAX - length)
    return mmk__set_error(MMK_EINVAL, 0, op, f->path,
                          "negative or overflowing range",
                          "offset %lld, length %lld", (long long)offset,
                          (long long)length);
  return 0;
}

/* wait: MMK_LOCK_TRY, MMK_LOCK_WAIT (EINTR retried) or MMK_LOCK_WAIT_INTR
 * (EINTR returned). */
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
  return r;
}

int mmk_file_lock(mmk_file *file, int64_t offset, int64_t length, int kind,
                  int wait) {
  int r = mmk__file_check(file, "lock");
  if (r) return r;
  r = mmk__lock_range(file, "lock", offset, length);
  if (r) return r;
  if (kind != MMK_LOCK_SHARED && kind != MMK_LOCK_EXCLUSIVE)
    return mmk__set_error(MMK_EINVAL, 0, "lock", file->path,
                          "unknown lock kind", "kind %d", kind);
  if (wait != MMK_LOCK_TRY && wait != MMK_LOCK_WAIT &&
      wait != MMK_LOCK_WAIT_INTR)
    return mmk__set_error(MMK_EINVAL, 0, "lock", file->path,
                          "unknown wait mode", "wait %d", wait);
  if (kind == MMK_LOCK_EXCLUSIVE && !file->rdwr)
    return mmk__arg_error(MMK_EACCES, "lock", file->path,
                          "an exclusive lock needs a writable file");
  atomic_store(&file->locked, 1);
  if (mmk__fcntl_lock(file->fd, kind == MMK_LOCK_SHARED ? F_RDLCK : F_WRLCK,
                      offset, length, wait) != 0) {
    int e = errno;
    /* Some systems report a conflicting non-blocking lock as EACCES. */
    if (!wait && (e == EACCES || e == EAGAIN)) e = EAGAIN;
    return mmk__sys_error(e, "lock", file->path, "offset %lld, length %lld",
                          (long long)offset, (long long)length);
  }
  return 0;
}

int mmk_file_unlock(mmk_file *file, int64_t offset, int64_t length) {
  int r = mmk__file_check(file, "unlock");
  if (r) return r;
  r = mmk__lock_range(file, "unlock", offset, length);
  if (r) return r;
  if (mmk__fcntl_lock(file->fd, F_UNLCK, offset, length, 0) != 0)
    return mmk__sys_error(errno, "unlock", file->path,
                          "offset %lld, length %lld", (long long)offset,
                          (long long)length);
  return 0;
}

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
  return file ? file->path : "";
}
int mmk_file_fd(const mmk_file *file) {
  if (!file || atomic_load(&((mmk_file *)file)->closed)) return -1;
  return file->fd;
}

int mmk_file_close(mmk_file *file) {
  if (!file) return 0;
  if (atomic_exchange(&file->closed, 1)) return 0;
  if (atomic_fetch_sub_explicit(&file->refs, 1, memory_order_acq_rel) != 1) {
    /* Views keep the descriptor (and with it the open file description)
     * alive: drop this handle's locks explicitly. */
    if (atomic_load(&file->locked))
      mmk__fcntl_lock(file->fd, F_UNLCK, 0, 0, 0);
    /* The last view's close frees the rest. */
    return 0;
  }
  {
    int r = mmk__close_fd(file->fd);
    int e = errno;
    file->fd = -1;
    if (r != 0 && e != EINTR) {
      int code = mmk__set_error(MMK_EIO, e, "close", file->path, NULL, NULL);
      mmk__os_file_destroy(file);
      return code;
    }
    mmk__os_file_destroy(file);
  }
  return 0;
}

/* ------------------------------------------------------------------------
 * Views
 * ---------------------------------------------------------------------- */

/* The data pointer of an empty view without a reservation: valid, never
 * dereferenced (every access to an empty view is out of range). */
static unsigned char mmk__empty_view_byte;

static void *mmk__mmap(void *addr, size_t len, int prot, int flags, int fd,
                       int64_t off) {
  return mmap(addr, len, prot, flags, fd, (off_t)off);
}

static void mmk__after_map(void *p, size_t len, unsigned options) {
  if (!p || !len) return;
#if !defined(MAP_POPULATE) && defined(MADV_WILLNEED)
  if (options & MMK_MAP_POPULATE) madvise(p, len, MADV_WILLNEED);
#endif
#ifdef MADV_HUGEPAGE
  if (options & MMK_MAP_HUGEPAGE) madvise(p, len, MADV_HUGEPAGE);
#endif
  (void)options;
}

static int mmk__populate_flag(unsigned options) {
#ifdef MAP_POPULATE
  return (options & MMK_MAP_POPULATE) ? MAP_POPULATE : 0;
#else
  (void)options;
  return 0;
#endif
}

#define MMK__MAP_OPTIONS                                                      \
  ((unsigned)(MMK_MAP_POPULATE | MMK_MAP_HUGEPAGE | MMK_MAP_READONLY))

static int mmk__map(mmk_file *f, int64_t offset, int64_t length,
                    int64_t reserve, unsigned options, mmk_view **out) {
  struct stat st;
  mmk_view *v;
  size_t pg = mmk__page();
  int64_t size, end;
  int r;

  if (out) *out = NULL;
  r = mmk__file_check(f, "map");
  if (r) return r;
  if (!out) return mmk__arg_error(MMK_EINVAL, "map", f->path, "out is NULL");
  if (offset < 0 || length < 0 || reserve < 0)
    return mmk__set_error(MMK_EINVAL, 0, "map", f->path,
                          "negative offset, length or reserve",
                          "offset %lld, length %lld, reserve %lld",
                          (long long)offset, (long long)length,
                          (long long)reserve);
  if (options & ~MMK__MAP_OPTIONS)
    return mmk__set_error(MMK_EINVAL, 0, "map", f->path, "unknown options",
                          "options 0x%x", options);
  /* One sigaction query per map (no change: no install): a runtime that
   * replaced our SIGBUS handler since is noticed here. */
  r = mmk__fault_guard_install();
  if (r) return r;
  r = mmk__fstat(f->fd, &st, f->path);
  if (r) return r;
  size = (int64_t)st.st_size;

  if (length == 0) {
    if (offset > size)
      return mmk__set_error(MMK_ERANGE, 0, "map", f->path,
                            "offset past the end of the file",
                            "offset %lld, file size %lld", (long long)offset,
                            (long long)size);
    length = size - offset;
  } else {
    if (offset > INT64_MAX - length)
      return mmk__set_error(MMK_ERANGE, 0, "map", f->path,
                            "offset + length overflows",
                            "offset %lld, length %lld", (long long)offset,
                            (long long)length);
    end = offset + length;
    /* Only a writable shared view grows the file, after every check
     * (a refused map changes nothing). */
    if (end > size && (f->mode != MMK_WRITE || (options & MMK_MAP_READONLY)))
      return mmk__set_error(MMK_ERANGE, 0, "map", f->path,
                            "range past the end of the file (read-only "
                            "and copy-on-write views do not grow it)",
                            "offset %lld, length %lld, file size %lld",
                            (long long)offset, (long long)length,
                            (long long)size);
  }
  if (reserve && reserve < length)
    return mmk__set_error(MMK_EINVAL, 0, "map", f->path,
                          "reserve smaller than the mapped length",
                          "length %lld, reserve %lld", (long long)length,
                          (long long)reserve);
  /* Address-space arithmetic must fit size_t (matters on 32-bit). */
  if ((uint64_t)(reserve > length ? reserve : length) > SIZE_MAX - 2 * pg)
    return mmk__set_error(MMK_ENOMEM, 0, "map", f->path,
                          "range larger than the address space",
                          "offset %lld, length %lld", (long long)offset,
                          (long long)length);
  if (offset + length > size) {
    r = mmk__grow(f, size, offset + length, "map");
    if (r) return r;
  }

  /* malloc + memset, not calloc: glibc's calloc bypasses the per-thread
   * cache that free() fills, which made a map/close cycle pay two trips
   * through the main allocator. The barrier stops the compiler from
   * fusing the pair back into calloc. */
  v = malloc(sizeof *v);
  if (!v) return mmk__sys_error(ENOMEM, "map", f->path, NULL);
  MMK__BARRIER();
  memset(v, 0, sizeof *v);
  if (mmk__mutex_init(&v->mu) != 0) {
    free(v);
    return mmk__sys_error(ENOMEM, "map", f->path, NULL);
  }
  atomic_init(&v->state, MMK__VIEW_OPEN);
  atomic_init(&v->lw, 0);
  v->offset = offset;
  v->length = length;
  v->reserve = reserve;
  v->aligned_off = offset & ~(int64_t)(pg - 1);
  v->delta = (size_t)(offset - v->aligned_off);
  /* The mode "as mapped": the read-only option makes a MMK_READ view. */
  v->mode = (options & MMK_MAP_READONLY) ? MMK_READ : f->mode;
  v->kind = f->kind;
  v->options = options;
  v->writable = f->mode != MMK_READ && !(options & MMK_MAP_READONLY);
  v->prot = PROT_READ | (v->writable ? PROT_WRITE : 0);
  v->mflags = f->mode == MMK_COPY ? MAP_PRIVATE : MAP_SHARED;
  v->map_len = length ? mmk__round_up(v->delta + (size_t)length, pg) : 0;
  v->res_len = reserve ? mmk__round_up(v->delta + (size_t)reserve, pg) : 0;

  if (v->res_len) {
    void *b = mmk__mmap(NULL, v->res_len, PROT_NONE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (b == MAP_FAILED) {
      int e = errno;
      mmk__mutex_destroy(&v->mu);
      free(v);
      return mmk__sys_error(e, "mmap", f->path, "reserve %lld bytes",
                            (long long)reserve);
    }
    v->base = b;
    if (v->map_len) {
      void *p = mmk__mmap(v->base, v->map_len, v->prot,
                          v->mflags | MAP_FIXED | mmk__populate_flag(options),
                          f->fd, v->aligned_off);
      if (p == MAP_FAILED) {
        int e = errno;
        munmap(v->base, v->res_len);
        mmk__mutex_destroy(&v->mu);
        free(v);
        return mmk__sys_error(e, "mmap", f->path, "offset %lld, length %lld",
                              (long long)offset, (long long)length);
      }
    }
  } else if (v->map_len) {
    void *p = mmk__mmap(NULL, v->map_len, v->prot,
                        v->mflags | mmk__populate_flag(options), f->fd,
                        v->aligned_off);
    if (p == MAP_FAILED) {
      int e = errno;
      mmk__mutex_destroy(&v->mu);
      free(v);
      return mmk__sys_error(e, "mmap", f->path, "offset %lld, length %lld",
                            (long long)offset, (long long)length);
    }
    v->base = p;
  }
  v->data = v->base ? v->base + v->delta : &mmk__empty_view_byte;
  mmk__after_map(v->base, v->map_len, options);
  mmk__file_ref(f);
  v->file = f;
  *out = v;
  return 0;
}

int mmk_map(mmk_file *file, int64_t offset, int64_t length, unsigned options,
            mmk_view **out) {
  return mmk__map(file, offset, length, 0, options, out);
}

int mmk_map_reserve(mmk_file *file, int64_t offset, int64_t length,
                    int64_t reserve, unsigned options, mmk_view **out) {
  return mmk__map(file, offset, length, reserve, options, out);
}

void mmk__os_view_unmap(mmk_view *v) {
  size_t n = v->res_len ? v->res_len : v->map_len;
  if (v->base && n) munmap(v->base, n);
  v->base = NULL;
  v->map_len = v->res_len = 0;
}

int mmk__os_view_make_inert(mmk_view *v) {
  void *p;
  if (!v->base || !v->map_len) return 0;
  p = mmap(v->base, v->map_len, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  return p == MAP_FAILED ? -1 : 0;
}

/* The page-aligned start and length covering [off, off+len) of the view. */
static void mmk__page_span(const mmk_view *v, int64_t off, int64_t len,
                           void **start, size_t *n) {
  size_t pg = mmk__page();
  uintptr_t a = (uintptr_t)(v->data + off);
  uintptr_t s = a & ~(uintptr_t)(pg - 1);
  *start = (void *)s;
  *n = (size_t)(a + (size_t)len - s);
}

static int mmk__view_flush(mmk_view *view, int64_t offset, int64_t length,
                           int how) {
  void *start;
  size_t n;
  int r = mmk__view_check(view, "flush");
  if (r) return r;
  if (how != MMK_FLUSH_ASYNC && how != MMK_FLUSH_SYNC &&
      how != MMK_FLUSH_FULL)
    return mmk__set_error(MMK_EINVAL, 0, "flush", mmk__vpath(view),
                          "unknown flush mode", "how %d", how);
  r = mmk__view_range(view, "flush", offset, &length, 1);
  if (r) return r;
  /* Nothing of ours can reach the file from these. */
  if (view->mode != MMK_WRITE || !view->writable ||
      view->mflags != MAP_SHARED || view->kind == MMK_KIND_ANON ||
      length == 0)
    return 0;
  mmk__page_span(view, offset, length, &start, &n);
  if (msync(start, n, how == MMK_FLUSH_ASYNC ? MS_ASYNC : MS_SYNC) != 0)
    return mmk__sys_error(errno, "msync", mmk__vpath(view),
                          "offset %lld, length %lld", (long long)offset,
                          (long long)length);
#ifdef SYNC_FILE_RANGE_WRITE
  /* Linux: MS_ASYNC is a no-op (the kernel tracks dirty pages anyway), so
   * the range would wait for the periodic write-back. This starts it. */
  if (how == MMK_FLUSH_ASYNC &&
      sync_file_range(view->file->fd,
                      view->aligned_off +
                          (off_t)((unsigned char *)start - view->base),
                      (off_t)n, SYNC_FILE_RANGE_WRITE) != 0)
    return mmk__sys_error(errno, "sync_file_range", mmk__vpath(view),
                          "offset %lld, length %lld", (long long)offset,
                          (long long)length);
#endif
  if (how == MMK_FLUSH_FULL) {
    int fd = view->file->fd;
#ifdef F_FULLFSYNC
    /* macOS: fsync does not flush the drive cache; F_FULLFSYNC does. */
    if (fcntl(fd, F_FULLFSYNC) == 0) return 0;
#endif
    MMK__RETRY(r, fsync(fd));
    if (r != 0)
      return mmk__sys_error(errno, "fsync", mmk__vpath(view), NULL);
  }
  return 0;
}

static int mmk__view_advise(mmk_view *view, int64_t offset, int64_t length,
                            int advice) {
  void *start;
  size_t n;
  int adv;
  int r = mmk__view_check(view, "advise");
  if (r) return r;
  switch (advice) {
  case MMK_ADVICE_NORMAL: adv = MADV_NORMAL; break;
  case MMK_ADVICE_SEQUENTIAL: adv = MADV_SEQUENTIAL; break;
  case MMK_ADVICE_RANDOM: adv = MADV_RANDOM; break;
  case MMK_ADVICE_WILLNEED: adv = MADV_WILLNEED; break;
  case MMK_ADVICE_DONTNEED: adv = MADV_DONTNEED; break;
  case MMK_ADVICE_HUGEPAGE:
#ifdef MADV_HUGEPAGE
    adv = MADV_HUGEPAGE;
    break;
#else
    return mmk__arg_error(MMK_ENOTSUP, "madvise", mmk__vpath(view),
                          "huge pages are not supported on this system");
#endif
  default:
    return mmk__set_error(MMK_EINVAL, 0, "advise", mmk__vpath(view),
                          "unknown advice", "advice %d", advice);
  }
  r = mmk__view_range(view, "advise", offset, &length, 1);
  if (r) return r;
  if (length == 0) return 0;
  mmk__page_span(view, offset, length, &start, &n);
  /* madvise, not posix_madvise: glibc's POSIX_MADV_DONTNEED does nothing. */
  if (madvise(start, n, adv) != 0) {
    int e = errno;
    if (advice == MMK_ADVICE_HUGEPAGE && e == EINVAL)
      return mmk__arg_error(MMK_ENOTSUP, "madvise", mmk__vpath(view),
                            "transparent huge pages are not available");
    return mmk__sys_error(e, "madvise", mmk__vpath(view),
                          "offset %lld, length %lld", (long long)offset,
                          (long long)length);
  }
  return 0;
}

/* The mapped bytes of the view from base, for calls beside an in-place
 * growth (which changes map_len under mu): those of the length seen. */
static size_t mmk__mapped_len(const mmk_view *v) {
  int64_t n = MMK__LEN(v);
  return n ? mmk__round_up(v->delta + (size_t)n, mmk__page()) : 0;
}

static int mmk__view_mlock(mmk_view *view) {
  size_t len;
  int r = mmk__view_check(view, "mlock");
  if (r) return r;
  len = mmk__mapped_len(view);
  if (!len) return 0;
  if (mlock(view->base, len) != 0) {
    int e = errno == EAGAIN ? ENOMEM : errno;
    return mmk__sys_error(e, "mlock", mmk__vpath(view), "length %lld",
                          (long long)MMK__LEN(view));
  }
  return 0;
}

static int mmk__view_munlock(mmk_view *view) {
  size_t len;
  int r = mmk__view_check(view, "munlock");
  if (r) return r;
  len = mmk__mapped_len(view);
  if (!len) return 0;
  if (munlock(view->base, len) != 0)
    return mmk__sys_error(errno == EAGAIN ? ENOMEM : errno, "munlock",
                          mmk__vpath(view), NULL);
  return 0;
}

static int mmk__view_resident(mmk_view *view, int64_t offset,
                              int64_t length, int64_t *resident_bytes) {
  enum { CHUNK = 4096 };
  mmk__mincore_t vec[CHUNK];
  size_t pg = mmk__page();
  uintptr_t lo, hi, page;
  int64_t total = 0;
  int r = mmk__view_check(view, "mincore");
  if (r) return r;
  if (!resident_bytes)
    return mmk__arg_error(MMK_EINVAL, "mincore", mmk__vpath(view),
                          "out is NULL");
  r = mmk__view_range(view, "mincore", offset, &length, 1);
  if (r) return r;
  *resident_bytes = 0;
  if (length == 0) return 0;
  lo = (uintptr_t)(view->data + offset);
  hi = lo + (uintptr_t)length;
  page = lo & ~(uintptr_t)(pg - 1);
  while (page < hi) {
    size_t npages = (size_t)((hi - page + pg - 1) / pg);
    size_t i;
    if (npages > CHUNK) npages = CHUNK;
    if (mincore((void *)page, npages * pg, vec) != 0)
      return mmk__sys_error(errno, "mincore", mmk__vpath(view),
                            "offset %lld, length %lld", (long long)offset,
                            (long long)length);
    for (i = 0; i < npages; i++, page += pg) {
      if (vec[i] & 1) {
        uintptr_t s = page < lo ? lo : page;
        uintptr_t e = page + pg > hi ? hi : page + pg;
        total += (int64_t)(e - s);
      }
    }
  }
  *resident_bytes = total;
  return 0;
}

/* The public view calls above run as one in-flight call each (see
 * mmk__op_enter): a close or a moving resize waits for them. */
#define MMK__IN_VIEW(view, name, call)                                        \
  do {                                                                        \
    mmk__op op_;                                                              \
    int r_;                                                                   \
    if (!(view)) return mmk__view_check(view, name);                          \
    r_ = mmk__op_enter(&op_, view, name);                                     \
    if (r_) return r_;                                                        \
    r_ = (call);                                                              \
    mmk__op_exit(&op_);                                                       \
    return r_;                                                                \
  } while (0)

int mmk_view_flush(mmk_view *view, int64_t offset, int64_t length, int how) {
  MMK__IN_VIEW(view, "flush", mmk__view_flush(view, offset, length, how));
}
int mmk_view_advise(mmk_view *view, int64_t offset, int64_t length,
                    int advice) {
  MMK__IN_VIEW(view, "advise",
               mmk__view_advise(view, offset, length, advice));
}
int mmk_view_lock_memory(mmk_view *view) {
  MMK__IN_VIEW(view, "mlock", mmk__view_mlock(view));
}
int mmk_view_unlock_memory(mmk_view *view) {
  MMK__IN_VIEW(view, "munlock", mmk__view_munlock(view));
}
int mmk_view_resident(mmk_view *view, int64_t offset, int64_t length,
                      int64_t *resident_bytes) {
  MMK__IN_VIEW(view, "mincore",
               mmk__view_resident(view, offset, length, resident_bytes));
}

/* Maps [from, to) bytes of the view's page range (offsets from base) from
 * the file, over whatever is there (the reservation). */
static int mmk__map_more(mmk_view *v, size_t from, size_t to) {
  /* The view's options (populate, huge pages) apply to the new part too. */
  void *p = mmk__mmap(v->base + from, to - from, v->prot,
                      v->mflags | MAP_FIXED | mmk__populate_flag(v->options),
                      v->file->fd, v->aligned_off + (int64_t)from);
  if (p == MAP_FAILED) {
    int e = errno;
    /* A failed MAP_FIXED may already have unmapped the range: put the
     * reservation back so the view stays exactly as it was. */
    mmap(v->base + from, to - from, PROT_NONE,
         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    return mmk__sys_error(e, "mmap", mmk__vpath(v),
                          "offset %lld, length %lld",
                          (long long)(v->aligned_off + (int64_t)from),
                          (long long)(to - from));
  }
  mmk__after_map(p, to - from, v->options);
  return 0;
}

/* Maps the view's range afresh at a new address, new_map_len bytes. */
static void *mmk__map_fresh(mmk_view *v, size_t new_map_len) {
  return mmk__mmap(NULL, new_map_len, v->prot,
                   v->mflags | mmk__populate_flag(v->options), v->file->fd,
                   v->aligned_off);
}

/* Switches the view to the new mapping p (new_map_len bytes), unmapping
 * everything the old one held, reservation included. */
static void mmk__view_adopt(mmk_view *v, void *p, size_t new_map_len) {
  mmk__os_view_unmap(v);
  v->base = p;
  v->map_len = new_map_len;
  v->reserve = 0;
  mmk__after_map(p, new_map_len, v->options);
}

/* Moves the view to a new, larger mapping (no leases outstanding).
 * All or nothing: on failure the view keeps its address, its mapping and
 * its reservation. */
static int mmk__view_move(mmk_view *v, size_t new_map_len) {
  void *p;
#ifdef MREMAP_MAYMOVE
  if (v->base && v->map_len) {
    int e;
    /* mremap carries the pages over: for a copy-on-write view it is the
     * only way to keep its private changes. The reservation's unused tail
     * (a separate PROT_NONE mapping, never part of the moved range) is
     * given back only once the move has succeeded. */
    p = mremap(v->base, v->map_len, new_map_len, MREMAP_MAYMOVE);
    if (p != MAP_FAILED) {
      if (v->res_len > v->map_len)
        munmap(v->base + v->map_len, v->res_len - v->map_len);
      v->res_len = 0;
      v->reserve = 0;
      v->base = p;
      v->map_len = new_map_len;
      mmk__after_map(p, new_map_len, v->options & MMK_MAP_HUGEPAGE);
      return 0;
    }
    e = errno;
    /* EFAULT: the range is several kernel mappings (advice on part of the
     * view split it), which mremap cannot move as one. */
    if (v->mflags == MAP_PRIVATE) {
      if (e == EFAULT)
        return mmk__set_error(
            MMK_EBUSY, 0, "resize", mmk__vpath(v),
            "a copy-on-write view split by advice on part of it cannot "
            "move without losing its private changes (advise "
            "MMK_ADVICE_NORMAL over the whole view first, or reserve "
            "address space with mmk_map_reserve)",
            "length %lld", (long long)new_map_len);
      return mmk__sys_error(e, "mremap", mmk__vpath(v), "length %lld",
                            (long long)new_map_len);
    }
    /* Shared: the pages are the file's, a fresh mapping sees them all. */
    p = mmk__map_fresh(v, new_map_len);
    if (p == MAP_FAILED)
      return mmk__sys_error(errno, "mmap", mmk__vpath(v),
                            "offset %lld, length %lld",
                            (long long)v->aligned_off,
                            (long long)new_map_len);
    mmk__view_adopt(v, p, new_map_len);
    return 0;
  }
#endif
  /* Portable path: a fresh mapping; a private (copy-on-write) view keeps
   * its changes by copying them over. */
  p = mmk__map_fresh(v, new_map_len);
  if (p == MAP_FAILED)
    return mmk__sys_error(errno, "mmap", mmk__vpath(v),
                          "offset %lld, length %lld",
                          (long long)v->aligned_off, (long long)new_map_len);
  if (v->mflags == MAP_PRIVATE && v->map_len) {
    if (mmk__guarded_copy(p, v->base, v->map_len, v->base)) {
      munmap(p, new_map_len);
      return mmk__set_error(MMK_EIO, 0, "resize", mmk__vpath(v),
                            "fault while copying the view", NULL);
    }
  }
  mmk__view_adopt(v, p, new_map_len);
  return 0;
}

/* Sets MOVING if no lease is outstanding (under mu, so no other flag can
 * be set meanwhile): no lease and no call can start until
 * mmk__view_unblock, and the calls already inside have left on return.
 * Returns 0, or the lease count that prevented it. */
static uint64_t mmk__view_block(mmk_view *v) {
  uint64_t w = 0;
  if (atomic_compare_exchange_strong_explicit(&v->lw, &w, MMK__LW_MOVING,
                                              memory_order_seq_cst,
                                              memory_order_relaxed)) {
    mmk__view_drain(v, 1);
    return 0;
  }
  return (w & MMK__LW_COUNT) ? (w & MMK__LW_COUNT) : 1;
}

/* Publishes the moved/shrunk view to the leases and calls waiting for it. */
static void mmk__view_unblock(mmk_view *v) {
  atomic_fetch_and_explicit(&v->lw, ~MMK__LW_MOVING, memory_order_release);
}

static int mmk__view_resize_blocked(mmk_view *v, int64_t new_length);

/* Every check comes before the first change (issue 11, number 8): a
 * resize refused with MMK_EBUSY or MMK_ERANGE has not grown the file. */
static int mmk__view_resize_locked(mmk_view *v, int64_t new_length) {
  struct stat st;
  size_t pg = mmk__page();
  int64_t end = 0;
  int grow_file = 0, block, r;
  uint64_t busy;

  if (v->offset > INT64_MAX - new_length ||
      (uint64_t)new_length > SIZE_MAX - 2 * pg)
    return mmk__set_error(MMK_ERANGE, 0, "resize", mmk__vpath(v),
                          "offset + length overflows", "length %lld",
                          (long long)new_length);
  if (new_length > v->length) {
    end = v->offset + new_length;
    r = mmk__fstat(v->file->fd, &st, mmk__vpath(v));
    if (r) return r;
    if (end > (int64_t)st.st_size) {
      if (v->mode != MMK_WRITE)
        return mmk__set_error(MMK_ERANGE, 0, "resize", mmk__vpath(v),
                              "range past the end of the file",
                              "length %lld, file size %lld",
                              (long long)new_length, (long long)st.st_size);
      grow_file = 1;
    }
  }
  /* Shrinking (no lease may hold the dropped tail) and growing beyond the
   * reservation (the view may move) wait for the calls inside and need
   * no lease; growing in place runs beside both. */
  block = new_length < v->length || !(v->res_len && new_length <= v->reserve);
  if (block) {
    busy = mmk__view_block(v);
    if (busy)
      return mmk__set_error(
          MMK_EBUSY, 0, "resize", mmk__vpath(v), NULL,
          new_length < v->length
              ? "shrinking with %lld export(s) outstanding"
              : "growing beyond the reservation would move the view; %lld "
                "export(s) outstanding",
          (long long)busy);
  }
  r = grow_file ? mmk__grow(v->file, (int64_t)st.st_size, end, "resize") : 0;
  if (!r) r = mmk__view_resize_blocked(v, new_length);
  if (block) mmk__view_unblock(v);
  return r;
}

/* The mapping part of a resize; the caller has checked the leases (and
 * set MOVING where the view may move or shrink). */
static int mmk__view_resize_blocked(mmk_view *v, int64_t new_length) {
  size_t pg = mmk__page();
  size_t new_map_len = mmk__round_up(v->delta + (size_t)new_length, pg);
  unsigned char *data;
  int r;

  if (v->res_len && new_length <= v->reserve) {
    /* In place, inside the reservation. */
    if (new_map_len > v->map_len) {
      r = mmk__map_more(v, v->map_len, new_map_len);
      if (r) return r;
    } else if (new_map_len < v->map_len) {
      void *p = mmap(v->base + new_map_len, v->map_len - new_map_len,
                     PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
                     MAP_FIXED, -1, 0);
      if (p == MAP_FAILED)
        return mmk__sys_error(errno, "mmap", mmk__vpath(v), "length %lld",
                              (long long)new_length);
    }
    v->map_len = new_map_len;
  } else if (new_length < v->length) {
    /* Shrinking without a reservation: drop the tail, keep the address. */
    if (new_map_len < v->map_len)
      munmap(v->base + new_map_len, v->map_len - new_map_len);
    v->map_len = new_map_len;
  } else if (!v->base) {
    void *p = mmk__mmap(NULL, new_map_len, v->prot,
                        v->mflags | mmk__populate_flag(v->options),
                        v->file->fd, v->aligned_off);
    if (p == MAP_FAILED)
      return mmk__sys_error(errno, "mmap", mmk__vpath(v),
                            "offset %lld, length %lld", (long long)v->offset,
                            (long long)new_length);
    v->base = p;
    v->map_len = new_map_len;
    mmk__after_map(p, new_map_len, v->options);
  } else if (v->res_len && !v->map_len) {
    /* Empty view in a too-small reservation: map afresh elsewhere. */
    void *p = mmk__mmap(NULL, new_map_len, v->prot,
                        v->mflags | mmk__populate_flag(v->options),
                        v->file->fd, v->aligned_off);
    if (p == MAP_FAILED)
      return mmk__sys_error(errno, "mmap", mmk__vpath(v),
                            "offset %lld, length %lld", (long long)v->offset,
                            (long long)new_length);
    mmk__os_view_unmap(v);
    v->base = p;
    v->map_len = new_map_len;
    v->reserve = 0;
    mmk__after_map(p, new_map_len, v->options);
  } else {
    r = mmk__view_move(v, new_map_len);
    if (r) return r;
  }
  /* Written only when it changed: leases taken during an in-place growth
   * read data without any ordering against this thread. */
  data = v->base ? v->base + v->delta : &mmk__empty_view_byte;
  if (v->data != data) v->data = data;
  MMK__SET_LEN(v, new_length);
  return 0;
}

int mmk_view_resize(mmk_view *view, int64_t new_length) {
  int r = mmk__view_check(view, "resize");
  if (r) return r;
  if (new_length <= 0)
    return mmk__set_error(MMK_EINVAL, 0, "resize", mmk__vpath(view),
                          "length must be positive", "length %lld",
                          (long long)new_length);
  if (new_length == MMK__LEN(view)) return 0;
  mmk__mutex_lock(&view->mu);
  if (atomic_load(&view->state) != MMK__VIEW_OPEN)
    r = mmk__arg_error(MMK_ECLOSED, "resize", "", "view is closed");
  else
    r = mmk__view_resize_locked(view, new_length);
  mmk__mutex_unlock(&view->mu);
  return r;
}
