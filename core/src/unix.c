/*
 * POSIX backend, platform part: page size and granularity, THE errno ->
 * status translation, reason text, clock, sleep, membarrier, and the
 * address wait (Linux futexes). Files are in unix_file.c, views in
 * unix_view.c, the fault handler in unix_fault.c; what they share is in
 * unix.h. Only OS calls and what they need to be called safely: every
 * check and state machine is in the common files above os.h.
 *
 * Linux-only facilities sit behind feature checks so that the backend
 * still builds on macOS and the BSDs, with the fallbacks noted in place.
 */
#include "internal.h"
#include "unix.h"

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
