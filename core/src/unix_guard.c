/*
 * The sigsetjmp guard (POSIX): guarded copies of any length, and where no
 * quick routines exist for this machine (arch/), the small copies and the
 * atomics too. The handler in unix_fault.c jumps back into these frames.
 */
#include "internal.h"
#include "unix_guard.h"

_Thread_local struct mmk__guard *mmk__guard_cur MMK__TLS_IE = NULL;

/* memmove of n <= 16 bytes inline: every load before any store, so
 * overlapping buffers are copied correctly; fixed-size __builtin_memcpy
 * compiles to plain (unaligned-safe) moves, no library call. */
static inline void mmk__move_small(unsigned char *d, const unsigned char *s,
                                   size_t n) {
  if (n >= 8) {
    uint64_t a, b;
    MMK__MEMCPY(&a, s, 8);
    MMK__MEMCPY(&b, s + n - 8, 8);
    MMK__MEMCPY(d, &a, 8);
    MMK__MEMCPY(d + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    MMK__MEMCPY(&a, s, 4);
    MMK__MEMCPY(&b, s + n - 4, 4);
    MMK__MEMCPY(d, &a, 4);
    MMK__MEMCPY(d + n - 4, &b, 4);
  } else if (n >= 2) {
    uint16_t a, b;
    MMK__MEMCPY(&a, s, 2);
    MMK__MEMCPY(&b, s + n - 2, 2);
    MMK__MEMCPY(d, &a, 2);
    MMK__MEMCPY(d + n - 2, &b, 2);
  } else if (n == 1) {
    *d = *s;
  }
}

/* memmove because source and destination may lie in the same view; large
 * copies go to the C library and run at memcpy bandwidth. */
int mmk__guarded_copy(void *dst, const void *src, size_t n,
                      const void *guard_p) {
  int faulted;
  MMK__GUARDED(guard_p, n, faulted, {
    if (n <= 16)
      mmk__move_small((unsigned char *)dst, (const unsigned char *)src, n);
    else
      memmove(dst, src, n);
  });
  return faulted;
}

#ifndef MMK__QUICK_GUARD
/* No quick routines for this machine: the atomics are C11 atomics under
 * the sigsetjmp guard, each in a small frame of its own (the guard must be
 * expanded in the frame that accesses). Loads acquire, stores release,
 * the rest seq_cst, as arch/ and mmapkit.h promise. */
#  define MMK__GUARDED_ATOMIC(name, T, params, stmt)                          \
    MMK__NOINLINE int name params {                                           \
      int faulted;                                                            \
      MMK__GUARDED(p, sizeof(T), faulted, stmt);                              \
      return faulted;                                                         \
    }
#  define MMK__A(T, p) ((_Atomic T *)(p))
MMK__GUARDED_ATOMIC(mmk__qa_load32, uint32_t, (const void *p, uint32_t *out),
                    *out = atomic_load_explicit(MMK__A(uint32_t, p),
                                                memory_order_acquire))
MMK__GUARDED_ATOMIC(mmk__qa_load64, uint64_t, (const void *p, uint64_t *out),
                    *out = atomic_load_explicit(MMK__A(uint64_t, p),
                                                memory_order_acquire))
MMK__GUARDED_ATOMIC(mmk__qa_store32, uint32_t, (void *p, uint32_t value),
                    atomic_store_explicit(MMK__A(uint32_t, p), value,
                                          memory_order_release))
MMK__GUARDED_ATOMIC(mmk__qa_store64, uint64_t, (void *p, uint64_t value),
                    atomic_store_explicit(MMK__A(uint64_t, p), value,
                                          memory_order_release))
MMK__GUARDED_ATOMIC(mmk__qa_xadd32, uint32_t,
                    (void *p, uint32_t delta, uint32_t *old),
                    *old = atomic_fetch_add_explicit(MMK__A(uint32_t, p), delta,
                                                     memory_order_seq_cst))
MMK__GUARDED_ATOMIC(mmk__qa_xadd64, uint64_t,
                    (void *p, uint64_t delta, uint64_t *old),
                    *old = atomic_fetch_add_explicit(MMK__A(uint64_t, p), delta,
                                                     memory_order_seq_cst))
MMK__GUARDED_ATOMIC(mmk__qa_cas32, uint32_t,
                    (void *p, uint32_t expected, uint32_t desired,
                     uint32_t *current),
                    (*current = expected,
                     (void)atomic_compare_exchange_strong_explicit(
                         MMK__A(uint32_t, p), current, desired,
                         memory_order_seq_cst, memory_order_seq_cst)))
MMK__GUARDED_ATOMIC(mmk__qa_cas64, uint64_t,
                    (void *p, uint64_t expected, uint64_t desired,
                     uint64_t *current),
                    (*current = expected,
                     (void)atomic_compare_exchange_strong_explicit(
                         MMK__A(uint64_t, p), current, desired,
                         memory_order_seq_cst, memory_order_seq_cst)))
#endif
