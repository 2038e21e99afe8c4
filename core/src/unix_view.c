/*
 * POSIX backend, views: mmap (fresh, fixed over a reservation), mremap,
 * shrink, unmap, the inert replacement, msync / sync_file_range, madvise,
 * mlock, mincore.
 */
#include "internal.h"
#include "unix.h"

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
      return mmk__sys_error(errno, "mmap", mmk__fpath(v->file),
                            "reserve %lld bytes", (long long)v->reserve);
    if (v->map_len) {
      p = mmap(b, v->map_len, mmk__prot(v), mmk__map_flags(v) | MAP_FIXED,
               v->file->fd, (off_t)v->aligned_off);
      if (p == MAP_FAILED) {
        int e = errno;
        munmap(b, v->res_len);
        return mmk__sys_error(e, "mmap", mmk__fpath(v->file),
                              "offset %lld, length %lld",
                              (long long)v->offset, (long long)v->length);
      }
    }
    v->base = b;
  } else if (v->map_len) {
    p = mmap(NULL, v->map_len, mmk__prot(v), mmk__map_flags(v), v->file->fd,
             (off_t)v->aligned_off);
    if (p == MAP_FAILED)
      return mmk__sys_error(errno, "mmap", mmk__fpath(v->file),
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
  if (e == EFAULT) return MMK__OS_SPLIT;
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

/* mlock's EAGAIN is not "try again": some of the range could not be
 * locked (RAM, or a kernel limit), the case RLIMIT_MEMLOCK reports as
 * ENOMEM. It is recorded as ENOMEM here, where it is known which call
 * said it: the one translation (mmk__os_status) maps EAGAIN to
 * MMK_EAGAIN for every other call, and the common code sees statuses,
 * not errno values. */
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

int mmk__os_view_resident(mmk_view *v, uintptr_t page, size_t npages,
                          unsigned char *vec, int64_t off, int64_t len) {
  if (mincore((void *)page, npages * mmk__page(), (mmk__mincore_t *)vec) != 0)
    return mmk__sys_error(errno, "mincore", mmk__vpath(v),
                          "offset %lld, length %lld", (long long)off,
                          (long long)len);
  return 0;
}
