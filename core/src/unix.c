/*
 * POSIX backend: the functions of os.h (platform, files, named and
 * anonymous shared memory, byte-range locks, views) and the POSIX-only
 * API (mmk_file_from_fd, mmk_file_fd). Only OS calls and what they need
 * to be called safely; every check and state machine is in file.c,
 * view.c, common.c and atomic.c.
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
#  include <linux/futex.h>
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

/* MMK_OS_CANNOT_TEST (a build option for testing, like MMK_PORTABLE_GUARD):
 * the address wait, the kernel move of a mapping and the process-wide
 * barrier report MMK__OS_CANNOT, so the common code's fallbacks (poll,
 * fresh mapping + copy, self-fencing calls) run on Linux too. */
#if defined(MMK_OS_CANNOT_TEST)
#  undef SYS_futex
#  undef SYS_membarrier
#  undef MREMAP_MAYMOVE
#endif

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

/* MMK_GRAN_TEST (a build option for testing): Windows' 64 KiB, so the
 * common code's offset arithmetic runs where granularity and page differ
 * on Linux too (mmap takes any page-aligned offset, 64 KiB ones as well). */
size_t mmk__os_map_granularity(void) {
#if defined(MMK_GRAN_TEST)
  return 65536;
#else
  return mmk__os_page_size();
#endif
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
 * Wait / wake (os.h): Linux shared futexes (no FUTEX_PRIVATE_FLAG: waiters
 * and wakers may be different processes mapping the same file or shm
 * object). Elsewhere MMK__OS_CANNOT: the common code polls.
 * ---------------------------------------------------------------------- */

#if defined(__linux__) && defined(SYS_futex)
static long mmk__futex(void *addr, int op, uint32_t val,
                       const struct timespec *ts, uint32_t bitset) {
  return syscall(SYS_futex, addr, op, val, ts, NULL, bitset);
}

int mmk__os_wait32(void *addr, uint32_t expected, int64_t deadline_ns,
                   const char *path, int64_t off) {
  struct timespec abs_ts, *tsp = NULL;
  int e;
  if (deadline_ns >= 0) {
    /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline, so
     * EINTR and spurious wake-ups never stretch the total wait. */
    abs_ts.tv_sec = (time_t)(deadline_ns / 1000000000);
    abs_ts.tv_nsec = (long)(deadline_ns % 1000000000);
    tsp = &abs_ts;
  }
  if (mmk__futex(addr, FUTEX_WAIT_BITSET, expected, tsp,
                 FUTEX_BITSET_MATCH_ANY) == 0)
    return 0;
  e = errno;
  if (e == EINTR) return MMK__OS_INTR;
  if (e == EFAULT) return MMK__OS_FAULT;
  if (e == EAGAIN || e == ETIMEDOUT) return 0;
  return mmk__sys_error(e, "futex", path, "offset %lld", (long long)off);
}

int mmk__os_wake(void *addr, int count, const char *path, int64_t off,
                 int *woken) {
  long n = mmk__futex(addr, FUTEX_WAKE, (uint32_t)count, NULL, 0);
  *woken = n > 0 ? (int)n : 0;
  if (n >= 0) return 0;
  if (!path) return MMK_EUNKNOWN;
  return mmk__sys_error(errno, "futex", path, "offset %lld", (long long)off);
}
#else
int mmk__os_wait32(void *addr, uint32_t expected, int64_t deadline_ns,
                   const char *path, int64_t off) {
  (void)addr, (void)expected, (void)deadline_ns, (void)path, (void)off;
  return MMK__OS_CANNOT;
}

int mmk__os_wake(void *addr, int count, const char *path, int64_t off,
                 int *woken) {
  (void)addr, (void)count, (void)path, (void)off;
  *woken = 0;
  return MMK__OS_CANNOT;
}
#endif

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

int mmk__os_file_truncate(mmk_file *f, int64_t size) {
  return mmk__ftruncate(f->fd, size, f->path);
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
int mmk__os_file_grow(mmk_file *f, int64_t cur, int64_t new_size,
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
/* A call that fails after creating the file or object removes it again,
 * only while the name still refers to what this call created (st),
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

/* An existing shared-memory object must be the caller's own and private:
 * another user may have created it first (mode 0666) to read or forge
 * what this process writes. */
int mmk__os_owner_check(const mmk__os_stat *st, const char *op,
                        const char *name) {
  char reason[160];
  if (st->uid == (long)geteuid() && !(st->perm & 077)) return 0;
  snprintf(reason, sizeof reason,
           "existing object owned by uid %ld, mode %04o (this process: uid "
           "%ld); pass MMK_ALLOW_FOREIGN to share between users",
           st->uid, st->perm, (long)geteuid());
  return mmk__arg_error(MMK_EACCES, op, name, reason);
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

/* POSIX only (the header says so): wraps a descriptor the caller owns. */
int mmk_file_from_fd(int fd, int mode, mmk_file **out) {
  struct stat st;
  mmk__os_stat ost;
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
  mmk__stat_fill(&st, &ost);
  r = mmk__check_stat(&ost, "from_fd", "");
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


int mmk_file_fd(const mmk_file *file) {
  if (!file || atomic_load(&((mmk_file *)file)->closed)) return -1;
  return file->fd;
}

int mmk__os_file_size(mmk_file *f, int64_t *size) {
  struct stat st;
  int r = mmk__fstat(f->fd, &st, f->path);
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

int mmk__os_file_lock(mmk_file *f, int kind, int64_t offset, int64_t length,
                      int wait) {
  int e = mmk__fcntl_lock(f->fd, kind == MMK_LOCK_SHARED ? F_RDLCK : F_WRLCK,
                          offset, length, wait);
  /* Some systems report a conflicting non-blocking lock as EACCES. */
  if (!wait && e == EACCES) e = EAGAIN;
  return e;
}

int mmk__os_file_unlock(mmk_file *f, int64_t offset, int64_t length) {
  return mmk__fcntl_lock(f->fd, F_UNLCK, offset, length, 0);
}

/* ------------------------------------------------------------------------
 * Views (os.h)
 * ---------------------------------------------------------------------- */

static int mmk__prot(const mmk_view *v) {
  return PROT_READ | (v->writable ? PROT_WRITE : 0);
}

/* MAP_SHARED or MAP_PRIVATE, plus MAP_POPULATE when asked for. */
static int mmk__map_flags(const mmk_view *v) {
  int fl = v->cow ? MAP_PRIVATE : MAP_SHARED;
#ifdef MAP_POPULATE
  if (v->options & MMK_MAP_POPULATE) fl |= MAP_POPULATE;
#endif
  return fl;
}

/* The options that mmap flags do not carry, on a new mapping. */
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

/* Inaccessible address space at addr (MAP_FIXED over what is there) or
 * anywhere (addr NULL). */
static void *mmk__reserve(void *addr, size_t len) {
  return mmap(addr, len, PROT_NONE,
              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
                  (addr ? MAP_FIXED : 0),
              -1, 0);
}

int mmk__os_view_map(mmk_view *v) {
  void *p;
  if (v->res_len) {
    void *b = mmk__reserve(NULL, v->res_len);
    if (b == MAP_FAILED)
      return mmk__sys_error(errno, "mmap", v->file->path,
                            "reserve %lld bytes", (long long)v->reserve);
    if (v->map_len) {
      p = mmap(b, v->map_len, mmk__prot(v), mmk__map_flags(v) | MAP_FIXED,
               v->file->fd, (off_t)v->aligned_off);
      if (p == MAP_FAILED) {
        int e = errno;
        munmap(b, v->res_len);
        return mmk__sys_error(e, "mmap", v->file->path,
                              "offset %lld, length %lld",
                              (long long)v->offset, (long long)v->length);
      }
    }
    v->base = b;
  } else if (v->map_len) {
    p = mmap(NULL, v->map_len, mmk__prot(v), mmk__map_flags(v), v->file->fd,
             (off_t)v->aligned_off);
    if (p == MAP_FAILED)
      return mmk__sys_error(errno, "mmap", v->file->path,
                            "offset %lld, length %lld", (long long)v->offset,
                            (long long)v->length);
    v->base = p;
  }
  mmk__after_map(v->base, v->map_len, v->options);
  return 0;
}

int mmk__os_view_map_more(mmk_view *v, size_t from, size_t to) {
  void *p = mmap(v->base + from, to - from, mmk__prot(v),
                 mmk__map_flags(v) | MAP_FIXED, v->file->fd,
                 (off_t)(v->aligned_off + (int64_t)from));
  if (p == MAP_FAILED) {
    int e = errno;
    /* A failed MAP_FIXED may already have unmapped the range: put the
     * reservation back so the view stays exactly as it was. */
    mmk__reserve(v->base + from, to - from);
    return mmk__sys_error(e, "mmap", mmk__vpath(v),
                          "offset %lld, length %lld",
                          (long long)(v->aligned_off + (int64_t)from),
                          (long long)(to - from));
  }
  mmk__after_map(p, to - from, v->options);
  return 0;
}

int mmk__os_view_shrink(mmk_view *v, size_t new_map_len) {
  if (!v->res_len) {
    munmap(v->base + new_map_len, v->map_len - new_map_len);
    return 0;
  }
  if (mmk__reserve(v->base + new_map_len, v->map_len - new_map_len) ==
      MAP_FAILED)
    return mmk__sys_error(errno, "mmap", mmk__vpath(v), "length %lld",
                          (long long)(new_map_len - v->delta));
  return 0;
}

int mmk__os_view_map_fresh(mmk_view *v, size_t len, void **out) {
  void *p = mmap(NULL, len, mmk__prot(v), mmk__map_flags(v), v->file->fd,
                 (off_t)v->aligned_off);
  if (p == MAP_FAILED)
    return mmk__sys_error(errno, "mmap", mmk__vpath(v),
                          "offset %lld, length %lld",
                          (long long)v->aligned_off, (long long)len);
  mmk__after_map(p, len, v->options);
  *out = p;
  return 0;
}

void mmk__os_unmap(void *p, size_t len) { munmap(p, len); }

int mmk__os_view_move(mmk_view *v, size_t new_map_len) {
#ifdef MREMAP_MAYMOVE
  /* mremap carries the pages over: for a copy-on-write view it is the
   * only way to keep its private changes. The reservation's unused tail
   * (a separate PROT_NONE mapping, never part of the moved range) is
   * given back only once the move has succeeded. */
  void *p = mremap(v->base, v->map_len, new_map_len, MREMAP_MAYMOVE);
  int e;
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
  /* Shared: the pages are the file's, a fresh mapping sees them all. */
  if (!v->cow) return MMK__OS_CANNOT;
  /* EFAULT: the range is several kernel mappings (advice on part of the
   * view split it), which mremap cannot move as one. */
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
#else
  (void)v;
  (void)new_map_len;
  return MMK__OS_CANNOT;
#endif
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

int mmk__os_view_flush(mmk_view *v, void *start, size_t n, int how,
                       int64_t off, int64_t len) {
  int r;
  if (msync(start, n, how == MMK_FLUSH_ASYNC ? MS_ASYNC : MS_SYNC) != 0)
    return mmk__sys_error(errno, "msync", mmk__vpath(v),
                          "offset %lld, length %lld", (long long)off,
                          (long long)len);
#ifdef SYNC_FILE_RANGE_WRITE
  /* Linux: MS_ASYNC is a no-op (the kernel tracks dirty pages anyway), so
   * the range would wait for the periodic write-back. This starts it. */
  if (how == MMK_FLUSH_ASYNC &&
      sync_file_range(v->file->fd,
                      v->aligned_off +
                          (off_t)((unsigned char *)start - v->base),
                      (off_t)n, SYNC_FILE_RANGE_WRITE) != 0)
    return mmk__sys_error(errno, "sync_file_range", mmk__vpath(v),
                          "offset %lld, length %lld", (long long)off,
                          (long long)len);
#endif
  if (how == MMK_FLUSH_FULL) {
    int fd = v->file->fd;
#ifdef F_FULLFSYNC
    /* macOS: fsync does not flush the drive cache; F_FULLFSYNC does. */
    if (fcntl(fd, F_FULLFSYNC) == 0) return 0;
#endif
    MMK__RETRY(r, fsync(fd));
    if (r != 0) return mmk__sys_error(errno, "fsync", mmk__vpath(v), NULL);
  }
  return 0;
}

int mmk__os_view_advise(mmk_view *v, void *start, size_t n, int advice,
                        int64_t off, int64_t len) {
  int adv;
  switch (advice) {
  case MMK_ADVICE_SEQUENTIAL: adv = MADV_SEQUENTIAL; break;
  case MMK_ADVICE_RANDOM: adv = MADV_RANDOM; break;
  case MMK_ADVICE_WILLNEED: adv = MADV_WILLNEED; break;
  case MMK_ADVICE_DONTNEED: adv = MADV_DONTNEED; break;
  case MMK_ADVICE_HUGEPAGE:
#ifdef MADV_HUGEPAGE
    adv = MADV_HUGEPAGE;
    break;
#else
    return mmk__arg_error(MMK_ENOTSUP, "madvise", mmk__vpath(v),
                          "huge pages are not supported on this system");
#endif
  default: adv = MADV_NORMAL; break;
  }
  /* madvise, not posix_madvise: glibc's POSIX_MADV_DONTNEED does nothing. */
  if (madvise(start, n, adv) != 0) {
    int e = errno;
    if (advice == MMK_ADVICE_HUGEPAGE && e == EINVAL)
      return mmk__arg_error(MMK_ENOTSUP, "madvise", mmk__vpath(v),
                            "transparent huge pages are not available");
    return mmk__sys_error(e, "madvise", mmk__vpath(v),
                          "offset %lld, length %lld", (long long)off,
                          (long long)len);
  }
  return 0;
}

int mmk__os_view_lock(mmk_view *v, size_t len, int lock) {
  if (lock && mlock(v->base, len) != 0) {
    int e = errno == EAGAIN ? ENOMEM : errno;
    return mmk__sys_error(e, "mlock", mmk__vpath(v), "length %lld",
                          (long long)MMK__LEN(v));
  }
  if (!lock && munlock(v->base, len) != 0)
    return mmk__sys_error(errno == EAGAIN ? ENOMEM : errno, "munlock",
                          mmk__vpath(v), NULL);
  return 0;
}

int mmk__os_view_resident(mmk_view *v, uintptr_t lo, uintptr_t hi,
                          int64_t off, int64_t len, int64_t *total) {
  enum { CHUNK = 4096 };
  mmk__mincore_t vec[CHUNK];
  size_t pg = mmk__page();
  uintptr_t page = lo & ~(uintptr_t)(pg - 1);
  int64_t sum = 0;
  while (page < hi) {
    size_t npages = (size_t)((hi - page + pg - 1) / pg);
    size_t i;
    if (npages > CHUNK) npages = CHUNK;
    if (mincore((void *)page, npages * pg, vec) != 0)
      return mmk__sys_error(errno, "mincore", mmk__vpath(v),
                            "offset %lld, length %lld", (long long)off,
                            (long long)len);
    for (i = 0; i < npages; i++, page += pg) {
      if (vec[i] & 1) {
        uintptr_t s = page < lo ? lo : page;
        uintptr_t e = page + pg > hi ? hi : page + pg;
        sum += (int64_t)(e - s);
      }
    }
  }
  *total = sum;
  return 0;
}
