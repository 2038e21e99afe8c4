/*
 * The fault guard, platform-neutral part: the public install call and the
 * one decision every platform's fault handler asks of the quick routines
 * (arch/): was this fault one of theirs, on their guarded bytes, and where
 * do they resume. The handler itself is the backend's (unix_fault.c: a
 * SIGBUS handler; a Windows backend: a vectored exception handler).
 */
#include "internal.h"

_Thread_local int mmk__quick_busy MMK__TLS_IE = 0;

int mmk_fault_guard_install(void) { return mmk__os_guard_install(0); }

int mmk__fault_guard_install(void) { return mmk__os_guard_install(1); }

int mmk__in_guarded_pages(uintptr_t a, uintptr_t lo, uintptr_t hi) {
  /* Set by mmk_map before any view (and so any guard) exists; 1 keeps
   * the exact range should it ever be 0. */
  uintptr_t pg =
      (uintptr_t)atomic_load_explicit(&mmk__page_size, memory_order_relaxed);
  uintptr_t mask = pg ? ~(uintptr_t)(pg - 1) : ~(uintptr_t)0;
  lo &= mask;
  hi = hi > (UINTPTR_MAX & mask) ? UINTPTR_MAX : (hi + ~mask) & mask;
  return a >= lo && a < hi;
}

#ifdef MMK__QUICK_GUARD
/* The PC ranges the arch file exports. */
extern const char mmk__quick_guard_exit[] MMK__HIDDEN;
extern const char mmk__quick_atomics[] MMK__HIDDEN;
extern const char mmk__quick_atomic_exit[] MMK__HIDDEN;

uintptr_t mmk__quick_resume(uintptr_t pc, uintptr_t addr, uintptr_t arg0,
                            uintptr_t arg2, uintptr_t arg3) {
  uintptr_t lo, hi;
  const char *exit;
  if (pc >= (uintptr_t)&mmk__quick_guarded_move &&
      pc < (uintptr_t)mmk__quick_guard_exit) {
    lo = arg3; /* guard_p, n */
    hi = lo + arg2;
    exit = mmk__quick_guard_exit;
  } else if (pc >= (uintptr_t)mmk__quick_atomics &&
             pc < (uintptr_t)mmk__quick_atomic_exit) {
    lo = arg0; /* the word, naturally aligned: one page */
    hi = lo + 8;
    exit = mmk__quick_atomic_exit;
  } else {
    return 0;
  }
  if (!mmk__in_guarded_pages(addr, lo, hi))
    return 0; /* the caller's own memory: not ours to excuse */
  return (uintptr_t)exit;
}
#endif
