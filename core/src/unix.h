/*
 * Private to the POSIX backend (unix.c: platform, wait/wake; unix_file.c:
 * files, shared memory, locks; unix_view.c: views): the system headers,
 * the one EINTR retry point and the portability shims they share.
 */
#ifndef MMAPKIT_UNIX_H
#define MMAPKIT_UNIX_H

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

#endif /* MMAPKIT_UNIX_H */
