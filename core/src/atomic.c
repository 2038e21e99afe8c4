/*
 * Atomics and wait/wake on a view's memory.
 *
 * C11 atomics applied to the mapped address: lock-free 32/64-bit atomics
 * have the plain integer's representation on every platform we build for,
 * so they interoperate with other processes and with the JVM's and .NET's
 * own atomic instructions on the same memory. Every access runs under the
 * fault guard (a truncated file gives MMK_EIO, not SIGBUS): the
 * mmk__qa_* routines (internal.h), in assembly under arch/ where the
 * machine has them, else the backend's guarded C11 atomics.
 *
 * Wait/wake: spin, then sleep in the backend's address wait
 * (mmk__os_wait32: Linux shared futexes, which wake across processes);
 * where the platform has none, a sleeping poll (mmk__wait_poll below).
 */
#include "internal.h"

#include <limits.h>

_Static_assert(sizeof(_Atomic uint32_t) == 4, "atomic u32 layout");
_Static_assert(sizeof(_Atomic uint64_t) == 8, "atomic u64 layout");
#if defined(ATOMIC_LLONG_LOCK_FREE) && ATOMIC_LLONG_LOCK_FREE != 2 &&        \
    UINT64_MAX == ULLONG_MAX
#  error "64-bit atomics must be lock-free to be shared between processes"
#endif

/* Checks the view, the range and the natural alignment; gives the address. */
static int mmk__word(mmk_view *v, const char *op, int64_t off, size_t size,
                     int write, void **addr) {
  int64_t length;
  int r = mmk__view_check(v, op);
  if (r) return r;
  if (off < 0)
    return mmk__set_error(MMK_EINVAL, 0, op, mmk__vpath(v), "negative offset",
                          "offset %lld", (long long)off);
  length = MMK__LEN(v);
  if (off > length || (int64_t)size > length - off)
    return mmk__set_error(MMK_ERANGE, 0, op, mmk__vpath(v), NULL,
                          "offset %lld, size %zu, view size %lld",
                          (long long)off, size, (long long)length);
  if (((uintptr_t)(v->data + off)) & (size - 1))
    return mmk__set_error(MMK_EINVAL, 0, op, mmk__vpath(v),
                          "offset is not naturally aligned in memory",
                          "offset %lld, size %zu", (long long)off, size);
  if (write && !v->writable)
    return mmk__arg_error(MMK_EACCES, op, mmk__vpath(v), "view is read-only");
  *addr = v->data + off;
  return 0;
}

static MMK__COLD int mmk__fault(mmk_view *v, const char *op, int64_t off) {
  return mmk__set_error(MMK_EIO, 0, op, mmk__vpath(v),
                        "fault while touching mapped memory (file truncated "
                        "or I/O error)",
                        "offset %lld", (long long)off);
}

/* Why an atomic was refused, with the exact status and detail (the fast
 * paths only know that mmk__word_ok failed). null_out: a load
 * without an out pointer. */
static MMK__COLD int mmk__atomic_refused(mmk_view *v, const char *op,
                                         int64_t off, size_t size, int write,
                                         int null_out) {
  void *addr;
  int r;
  if (null_out && v)
    return mmk__arg_error(MMK_EINVAL, op, mmk__vpath(v), "out is NULL");
  r = mmk__word(v, op, off, size, write, &addr);
  if (r) return r;
  /* As for copies: the view grew in place since the fast check. */
  return mmk__set_error(MMK_ERANGE, 0, op, mmk__vpath(v),
                        "word beyond the view (a resize grew it meanwhile)",
                        "offset %lld, size %zu", (long long)off, size);
}

/* Every check of mmk__word in one test (no lock, no call); when it fails,
 * mmk__atomic_refused finds out which. */
static inline int mmk__word_ok(const mmk_view *v, int64_t off, size_t size,
                               int write) {
  int64_t length = mmk__open_length(v);
  return length >= 0 && off >= 0 && off <= length &&
         (int64_t)size <= length - off &&
         ((uintptr_t)(v->data + off) & (size - 1)) == 0 &&
         (!write || v->writable);
}

/* The body of every atomic: checks, then `call`, one of the guarded
 * mmk__qa_* routines on `a`, the word's address; it returns 1 on a fault. */
#define MMK__ATOMIC(T, view, name, off, write, null_out, call)                \
  do {                                                                        \
    void *a;                                                                  \
    mmk__op op;                                                               \
    int r;                                                                    \
    if (MMK__UNLIKELY((null_out) || !(view)))                                 \
      return mmk__atomic_refused(view, name, off, sizeof(T), write,          \
                                 null_out);                                   \
    r = mmk__op_enter(&op, view, name);                                       \
    if (MMK__UNLIKELY(r)) return r;                                           \
    if (MMK__UNLIKELY(!mmk__word_ok(view, off, sizeof(T), write))) {          \
      r = mmk__atomic_refused(view, name, off, sizeof(T), write, 0);          \
    } else {                                                                  \
      a = (void *)(view->data + off);                                         \
      if (MMK__UNLIKELY(call)) r = mmk__fault(view, name, off);               \
    }                                                                         \
    mmk__op_exit(&op);                                                        \
    return r;                                                                 \
  } while (0)

int mmk_atomic_load_u32(mmk_view *view, int64_t off, uint32_t *out) {
  MMK__ATOMIC(uint32_t, view, "atomic_load", off, 0, !out,
              mmk__qa_load32(a, out));
}

int mmk_atomic_load_u64(mmk_view *view, int64_t off, uint64_t *out) {
  MMK__ATOMIC(uint64_t, view, "atomic_load", off, 0, !out,
              mmk__qa_load64(a, out));
}

int mmk_atomic_store_u32(mmk_view *view, int64_t off, uint32_t value) {
  MMK__ATOMIC(uint32_t, view, "atomic_store", off, 1, 0,
              mmk__qa_store32(a, value));
}

int mmk_atomic_store_u64(mmk_view *view, int64_t off, uint64_t value) {
  MMK__ATOMIC(uint64_t, view, "atomic_store", off, 1, 0,
              mmk__qa_store64(a, value));
}

/* old and current may be NULL: the operations always write one, so a
 * local stands in. */
int mmk_atomic_fetch_add_u32(mmk_view *view, int64_t off, uint32_t delta,
                             uint32_t *old) {
  uint32_t prev, *o = old ? old : &prev;
  MMK__ATOMIC(uint32_t, view, "atomic_fetch_add", off, 1, 0,
              mmk__qa_xadd32(a, delta, o));
}

int mmk_atomic_fetch_add_u64(mmk_view *view, int64_t off, uint64_t delta,
                             uint64_t *old) {
  uint64_t prev, *o = old ? old : &prev;
  MMK__ATOMIC(uint64_t, view, "atomic_fetch_add", off, 1, 0,
              mmk__qa_xadd64(a, delta, o));
}

int mmk_atomic_cas_u32(mmk_view *view, int64_t off, uint32_t expected,
                       uint32_t desired, uint32_t *current) {
  uint32_t cur, *c = current ? current : &cur;
  MMK__ATOMIC(uint32_t, view, "atomic_cas", off, 1, 0,
              mmk__qa_cas32(a, expected, desired, c));
}

int mmk_atomic_cas_u64(mmk_view *view, int64_t off, uint64_t expected,
                       uint64_t desired, uint64_t *current) {
  uint64_t cur, *c = current ? current : &cur;
  MMK__ATOMIC(uint64_t, view, "atomic_cas", off, 1, 0,
              mmk__qa_cas64(a, expected, desired, c));
}

/* ------------------------------------------------------------------------
 * Wait / wake
 * ---------------------------------------------------------------------- */

/* Guarded acquire load for the wait loop: 0, or 1 on a fault. */
#define mmk__load_word(a, out) mmk__qa_load32((a), (out))

static void mmk__cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __asm__ __volatile__("pause");
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#else
  atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* Spinning before sleeping catches the common ping-pong where the other
 * side answers within microseconds; bounded so a waiter never burns a core.
 * The spinner yields the CPU at its first check and then every
 * MMK__SPIN_YIELD_EVERY checks: when the peer that will change the word
 * waits for this very CPU, pausing would only delay it, while a yield lets
 * it run at once (and costs one cheap system call when nobody else is
 * runnable). Yielding first took the same-CPU C ping-pong from 1.1x to
 * 0.8x of a raw futex one; across CPUs it stayed at 0.4-0.5 us.
 *
 * Then, up to MMK__YIELD_SPIN_NS, the waiter checks between yields only.
 * Waking a sleeper on another CPU takes far longer than the first window
 * (about 35 us on a virtual machine, whose idle vCPU is halted): once one
 * side of a ping-pong slept, the other's short spin ran out before the
 * answer came, it slept too, and the pair stayed at two such wake-ups per
 * round trip for good (Java<->.NET: 30 us a round trip instead of 0.7).
 * Outlasting one wake-up lets the pair recover. Yielding keeps this phase
 * harmless for a peer on the same CPU and for other work. It is skipped
 * after a wait of this thread that lasted longer than MMK__LONG_WAIT_NS (a
 * producer that is slow anyway), so a reader fed every millisecond does
 * not spend 5 % of a CPU here; an idle waiter spends it once.
 * After that the waiter sleeps in the backend's address wait. */
#define MMK__SPIN_NS 4000
#define MMK__SPIN_YIELD_EVERY 16
#define MMK__YIELD_SPIN_NS 50000
#define MMK__LONG_WAIT_NS 250000

/* 1 when this thread's last wait lasted longer than MMK__LONG_WAIT_NS. */
static _Thread_local unsigned char mmk__long_waits MMK__TLS_IE;

/* One wait in progress. */
struct mmk__waiter {
  mmk_view *view;
  mmk__op op;
  void *a;            /* the word's address (changes with a moving resize) */
  int64_t off;
  uint32_t expected;
  int64_t start;      /* mmk__os_now_ns() when sleeping became possible */
  int64_t deadline;   /* absolute, or -1: none */
  int64_t timeout_ns;
  unsigned spins;
  int intr;
};

/* The spin phases: 1 when the wait is over (*r is its result), 0 when it
 * must sleep. */
static int mmk__wait_spin(struct mmk__waiter *w, int *r) {
  uint32_t cur;
  int64_t spin_end = w->start + MMK__SPIN_NS;
  if (w->deadline >= 0 && w->deadline < spin_end) spin_end = w->deadline;
  for (;;) {
    if (++w->spins % MMK__SPIN_YIELD_EVERY == 1)
      mmk__os_yield();
    else
      mmk__cpu_relax();
    if (mmk__load_word(w->a, &cur)) {
      *r = mmk__fault(w->view, "wait", w->off);
      return 1;
    }
    if (cur != w->expected) {
      mmk__long_waits = 0;
      return 1;
    }
    if ((w->spins & 15) == 0 && mmk__os_now_ns() >= spin_end) break;
  }
  if (!mmk__long_waits) {
    spin_end = w->start + MMK__YIELD_SPIN_NS;
    if (w->deadline >= 0 && w->deadline < spin_end) spin_end = w->deadline;
    while (mmk__os_now_ns() < spin_end) {
      mmk__os_yield();
      if (mmk__load_word(w->a, &cur)) {
        *r = mmk__fault(w->view, "wait", w->off);
        return 1;
      }
      if (cur != w->expected) return 1;
    }
  }
  return 0;
}

/* Without an address wait (MMK__OS_CANNOT): a sleeping poll with
 * exponential back-off from 1 us to 1 ms; mmk_wake is then a no-op and a
 * waiter notices a change within about a millisecond. Correct, if not as
 * prompt or as frugal. Returns 1 if a signal cut the nap short. */
static int mmk__wait_poll(struct mmk__waiter *w) {
  static const int64_t max_sleep = 1000000;
  int64_t nap = 1000;
  unsigned k = w->spins++ < 64 ? (unsigned)(w->spins / 8) : 10;
  for (; k > 0 && nap < max_sleep; k--) nap *= 2;
  if (nap > max_sleep) nap = max_sleep;
  if (w->deadline >= 0) {
    int64_t left = w->deadline - mmk__os_now_ns();
    if (left < nap) nap = left > 0 ? left : 0;
  }
  return mmk__os_sleep_ns(nap) != 0;
}

/* The sleep phase: sleeps until the word changes, the deadline, a signal
 * (intr), a fault, a close (MMK_ECLOSED) or a move of the view (the wait
 * goes on at the new address). Returns the wait's result; *left_call is
 * set when the in-flight call was already left (a close). */
static int mmk__wait_sleep(struct mmk__waiter *w, int *left_call) {
  uint32_t cur;
  int r = 0, interrupted = 0;
  /* Asleep from here: a drain must know the word to wake us. */
  atomic_store_explicit(&w->op.slot->wait_addr, w->a, memory_order_seq_cst);
  for (;;) {
    int s = mmk__os_wait32(w->a, w->expected, w->deadline,
                           mmk__vpath(w->view), w->off);
    if (s == MMK__OS_CANNOT) s = mmk__wait_poll(w) ? MMK__OS_INTR : 0;
    if (s == MMK__OS_INTR) {
      interrupted = w->intr;
    } else if (s == MMK__OS_FAULT) {
      r = mmk__fault(w->view, "wait", w->off);
      break;
    } else if (s < 0) {
      r = s;
      break;
    }
    /* Whatever woke us (wake, signal, timeout, drain, nothing), the word
     * decides first. */
    if (mmk__load_word(w->a, &cur)) {
      r = mmk__fault(w->view, "wait", w->off);
      break;
    }
    if (cur != w->expected) {
      mmk__long_waits = mmk__os_now_ns() - w->start > MMK__LONG_WAIT_NS;
      break;
    }
    /* A signal in the last sleep is still a signal: the caller runs its
     * handlers, and its retry with the remaining time then times out. */
    if (interrupted) {
      r = mmk__set_error(MMK_EINTR, MMK__OS_EINTR, "wait",
                         mmk__vpath(w->view), NULL,
                         "offset %lld", (long long)w->off);
      break;
    }
    if (w->deadline >= 0 && mmk__os_now_ns() >= w->deadline) {
      mmk__long_waits = w->deadline - w->start > MMK__LONG_WAIT_NS;
      r = mmk__set_error(MMK_ETIMEDOUT, 0, "wait", mmk__vpath(w->view), NULL,
                         "offset %lld, timeout %lld ns", (long long)w->off,
                         (long long)w->timeout_ns);
      break;
    }
    if (MMK__UNLIKELY(atomic_load_explicit(&w->view->lw,
                                           memory_order_seq_cst) &
                      (MMK__LW_INERT | MMK__LW_MOVING))) {
      /* Closed (MMK_ECLOSED, nothing held) or moving: step aside, then
       * find the word again at the view's new address. */
      atomic_store_explicit(&w->op.slot->wait_addr, NULL,
                            memory_order_relaxed);
      r = mmk__op_enter_slow(w->view, w->op.slot, w->op.prev, "wait");
      if (r) {
        *left_call = 1;
        return r;
      }
      r = mmk__word(w->view, "wait", w->off, 4, 0, &w->a);
      if (r) break;
      atomic_store_explicit(&w->op.slot->wait_addr, w->a,
                            memory_order_seq_cst);
    }
  }
  atomic_store_explicit(&w->op.slot->wait_addr, NULL, memory_order_relaxed);
  return r;
}

/* intr: a signal that interrupts the sleep ends the wait (MMK_EINTR).
 * The whole wait is one in-flight call on the view: a close or close
 * inert wakes it (MMK_ECLOSED), a resize that moves or shrinks the view
 * wakes it, lets it step aside while it works and the wait goes on at the
 * new address (MMK_ERANGE if the word is gone). */
static int mmk__wait(mmk_view *view, int64_t off, uint32_t expected,
                     int64_t timeout_ns, int intr) {
  struct mmk__waiter w;
  uint32_t cur;
  int r, left_call = 0;
  w.a = NULL;
  if (!view) return mmk__word(view, "wait", off, 4, 0, &w.a);
  r = mmk__op_enter(&w.op, view, "wait");
  if (r) return r;
  r = mmk__word(view, "wait", off, 4, 0, &w.a);
  if (r) goto out;
  if (mmk__load_word(w.a, &cur)) {
    r = mmk__fault(view, "wait", off);
    goto out;
  }
  if (cur != expected) goto out;
  if (timeout_ns == 0) {
    r = mmk__set_error(MMK_ETIMEDOUT, 0, "wait", mmk__vpath(view), NULL,
                       "offset %lld", (long long)off);
    goto out;
  }
  w.view = view;
  w.off = off;
  w.expected = expected;
  w.start = mmk__os_now_ns();
  w.deadline = -1;
  if (timeout_ns > 0)
    w.deadline = timeout_ns > INT64_MAX - w.start ? INT64_MAX
                                                   : w.start + timeout_ns;
  w.timeout_ns = timeout_ns;
  w.spins = 0;
  w.intr = intr;
  /* Bounded spin (a close or resize meanwhile waits for it to end). */
  if (!mmk__wait_spin(&w, &r)) r = mmk__wait_sleep(&w, &left_call);
  if (left_call) return r;
out:
  mmk__op_exit(&w.op);
  return r;
}

int mmk_wait_u32(mmk_view *view, int64_t off, uint32_t expected,
                 int64_t timeout_ns) {
  return mmk__wait(view, off, expected, timeout_ns, 0);
}

int mmk_wait_u32_intr(mmk_view *view, int64_t off, uint32_t expected,
                      int64_t timeout_ns) {
  return mmk__wait(view, off, expected, timeout_ns, 1);
}

int mmk_wake(mmk_view *view, int64_t off, int count) {
  void *a = NULL;
  mmk__op op;
  int r;
  if (!view) return mmk__word(view, "wake", off, 4, 0, &a);
  r = mmk__op_enter(&op, view, "wake");
  if (r) return r;
  r = mmk__word(view, "wake", off, 4, 0, &a);
  if (!r) {
    int woken = 0;
    if (count <= 0 || count == INT32_MAX) count = INT_MAX;
    r = mmk__os_wake(a, count, mmk__vpath(view), off, &woken);
    /* No address wait: waiters poll (see mmk__wait_poll). */
    if (r == MMK__OS_CANNOT) r = 0;
    if (!r) r = woken;
  }
  mmk__op_exit(&op);
  return r;
}

void mmk__wake_all(void *a) {
  int woken;
  (void)mmk__os_wake(a, INT_MAX, NULL, 0, &woken); /* records nothing */
}
