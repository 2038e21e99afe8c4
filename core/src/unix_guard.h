/*
 * Private to the POSIX backend's fault guard (unix_fault.c: the handler,
 * unix_watch.c: the watchdog, unix_guard.c: the sigsetjmp guard).
 *
 * A sigsetjmp guard lives on the stack of the guarded function. While
 * armed, the thread-local pointer mmk__guard_cur points at it; the SIGBUS
 * handler jumps back to env when a kernel-generated SIGBUS hits [lo, hi).
 * It guards what the quick routines (arch/) do not: copies longer than
 * MMK__QUICK_GUARD_MAX, and everything where no quick routines exist.
 */
#ifndef MMAPKIT_UNIX_GUARD_H
#define MMAPKIT_UNIX_GUARD_H

#include <setjmp.h>
#include <signal.h>

struct mmk__guard {
  sigjmp_buf env;
  uintptr_t lo, hi; /* the guarded bytes [lo, hi); widened to pages by the
                       handler */
  struct mmk__guard *prev;
};

extern _Thread_local struct mmk__guard *mmk__guard_cur MMK__TLS_IE
    MMK__HIDDEN;

static inline void mmk__guard_prepare(struct mmk__guard *g, const void *p,
                                      size_t n) {
  /* The exact range; the handler widens it to whole pages (those pages
   * belong to the view's mapping, and a vectorised copy may touch any byte
   * of them), so the fast path does no page arithmetic. */
  g->lo = (uintptr_t)p;
  g->hi = (uintptr_t)p + n;
  g->prev = mmk__guard_cur;
}

static inline void mmk__guard_arm(struct mmk__guard *g) {
  atomic_signal_fence(memory_order_seq_cst);
  mmk__guard_cur = g;
  /* The guarded accesses stay after this point (and before the disarm):
   * no load or store of memory may be moved across an asm memory
   * clobber. */
  MMK__BARRIER();
}

static inline void mmk__guard_disarm(struct mmk__guard *g) {
  MMK__BARRIER();
  mmk__guard_cur = g->prev;
  atomic_signal_fence(memory_order_seq_cst);
}

/* Runs the statement(s) after `faulted` with a guard armed over
 * [p, p+n). On a fault the statements are abandoned and `faulted` becomes
 * 1 (else 0).
 *
 * A macro on purpose: sigsetjmp must run in the frame that does the
 * guarded access (a helper that returned after sigsetjmp would leave a
 * dead jump buffer), and a function that calls sigsetjmp is never inlined.
 * So each guarded function of unix_guard.c expands it in its own body.
 * sigsetjmp does not save the signal mask (fast path: no system call); the
 * handler restores the mask from the ucontext before jumping.
 * Rules for the caller: the statements must not leave the block (return,
 * goto, break); the caller must not read, after a fault, any of its local
 * variables that the statements assign (C11 7.13.2.1: those are
 * indeterminate after the jump; values only read are fine). Declare
 * temporaries inside the statements' own block. */
#define MMK__GUARDED(p, n, faulted, ...)                                      \
  do {                                                                        \
    struct mmk__guard mmk__g_;                                                \
    mmk__guard_prepare(&mmk__g_, (p), (n));                                   \
    if (sigsetjmp(mmk__g_.env, 0) == 0) {                                     \
      mmk__guard_arm(&mmk__g_);                                               \
      __VA_ARGS__;                                                            \
      mmk__guard_disarm(&mmk__g_);                                            \
      (faulted) = 0;                                                          \
    } else {                                                                  \
      (faulted) = 1;                                                          \
    }                                                                         \
  } while (0)

/* The handler's install (re-assert) and what the watchdog shares with it
 * (unix_fault.c). */
MMK__HIDDEN int mmk__unix_guard_assert(void);
MMK__HIDDEN int mmk__unix_handler_is_ours(const struct sigaction *sa);
/* The lock that orders installs; the watchdog's fork hooks take it. */
MMK__HIDDEN void mmk__unix_install_lock(void);
MMK__HIDDEN void mmk__unix_install_unlock(void);
/* Starts the watchdog once per process (unix_watch.c). */
MMK__HIDDEN void mmk__unix_watch_start(void);

#endif /* MMAPKIT_UNIX_GUARD_H */
