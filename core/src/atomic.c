/*
 * Atomics and wait/wake on a view's memory.
 *
 * C11 atomics applied to the mapped address: lock-free 32/64-bit atomics
 * have the plain integer's representation on every platform we build for,
 * so they interoperate with other processes and with the JVM's and .NET's
 * own atomic instructions on the same memory. Every access runs under the
 * fault guard (a truncated file gives MMK_EIO, not SIGBUS).
 *
 * Wait/wake: Linux shared futexes (no FUTEX_PRIVATE_FLAG: waiters and
 * wakers may be different processes mapping the same file or shm object).
 * Other platforms: see mmk__sleep_poll below.
 */
#include "internal.h"

#include <limits.h>
#include <time.h>

#if defined(__linux__)
#  include <linux/futex.h>
#  include <sys/syscall.h>
#  include <unistd.h>
#  define MMK__HAVE_FUTEX 1
#endif

_Static_assert(sizeof(_Atomic uint32_t) == 4, "atomic u32 layout");
_Static_assert(sizeof(_Atomic uint64_t) == 8, "atomic u64 layout");
#if defined(ATOMIC_LLONG_LOCK_FREE) && ATOMIC_LLONG_LOCK_FREE != 2 &&        \
    UINT64_MAX == ULLONG_MAX
#  error "64-bit atomics must be lock-free to be shared between processes"
#endif

/* Checks the view, the range and the natural alignment; gives the address. */
static int mmk__word(mmk_view *v, const char *op, int64_t off, size_t size,
                     int write, void **addr) {
  int r = mmk__view_check(v, op);
  if (r) return r;
  if (off < 0)
    return mmk__set_error(MMK_EINVAL, 0, op, mmk__vpath(v), "negative offset",
                          "offset %lld", (long long)off);
  if (off > v->length || (int64_t)size > v->length - off)
    return mmk__set_error(MMK_ERANGE, 0, op, mmk__vpath(v), NULL,
                          "offset %lld, size %zu, view size %lld",
                          (long long)off, size, (long long)v->length);
  if (((uintptr_t)(v->data + off)) & (size - 1))
    return mmk__set_error(MMK_EINVAL, 0, op, mmk__vpath(v),
                          "offset is not naturally aligned in memory",
                          "offset %lld, size %zu", (long long)off, size);
  if (write && !v->writable)
    return mmk__arg_error(MMK_EACCES, op, mmk__vpath(v), "view is read-only");
  *addr = v->data + off;
  return 0;
}

static int mmk__fault(mmk_view *v, const char *op, int64_t off) {
  return mmk__set_error(MMK_EIO, 0, op, mmk__vpath(v),
                        "fault while touching mapped memory (file truncated "
                        "or I/O error)",
                        "offset %lld", (long long)off);
}

#define MMK__NULL_OUT(v, op)                                                  \
  mmk__arg_error(MMK_EINVAL, (op), mmk__vpath(v), "out is NULL")

/* One guarded atomic operation. Everything the guarded code touches lives
 * in *op (memory, not registers), so nothing can be clobbered by the
 * longjmp of a fault; the function is kept out of line for the same
 * reason. */
enum mmk__aop {
  MMK__LOAD32, MMK__LOAD64, MMK__STORE32, MMK__STORE64,
  MMK__ADD32, MMK__ADD64, MMK__CAS32, MMK__CAS64
};

struct mmk__atomic_op {
  void *addr;
  enum mmk__aop kind;
  uint64_t a;      /* value to store / delta / desired */
  uint64_t b;      /* expected (cas) */
  uint64_t result; /* loaded value / old value / current value */
};

static inline void mmk__atomic_do(struct mmk__atomic_op *op) {
  switch (op->kind) {
  case MMK__LOAD32:
    op->result = atomic_load_explicit((_Atomic uint32_t *)op->addr,
                                      memory_order_acquire);
    break;
  case MMK__LOAD64:
    op->result = atomic_load_explicit((_Atomic uint64_t *)op->addr,
                                      memory_order_acquire);
    break;
  case MMK__STORE32:
    atomic_store_explicit((_Atomic uint32_t *)op->addr, (uint32_t)op->a,
                          memory_order_release);
    break;
  case MMK__STORE64:
    atomic_store_explicit((_Atomic uint64_t *)op->addr, op->a,
                          memory_order_release);
    break;
  case MMK__ADD32:
    op->result = atomic_fetch_add_explicit((_Atomic uint32_t *)op->addr,
                                           (uint32_t)op->a,
                                           memory_order_seq_cst);
    break;
  case MMK__ADD64:
    op->result = atomic_fetch_add_explicit((_Atomic uint64_t *)op->addr,
                                           op->a, memory_order_seq_cst);
    break;
  case MMK__CAS32: {
    uint32_t cur = (uint32_t)op->b;
    atomic_compare_exchange_strong_explicit((_Atomic uint32_t *)op->addr,
                                            &cur, (uint32_t)op->a,
                                            memory_order_seq_cst,
                                            memory_order_seq_cst);
    op->result = cur;
    break;
  }
  case MMK__CAS64: {
    uint64_t cur = op->b;
    atomic_compare_exchange_strong_explicit((_Atomic uint64_t *)op->addr,
                                            &cur, op->a,
                                            memory_order_seq_cst,
                                            memory_order_seq_cst);
    op->result = cur;
    break;
  }
  }
}

__attribute__((noinline)) static int
mmk__atomic_run(struct mmk__atomic_op *op) {
  int faulted;
  MMK__GUARDED(op->addr, 8, faulted, mmk__atomic_do(op));
  return faulted;
}

/* Checks, runs and reports one operation: 0 or a status. */
static int mmk__atomic(mmk_view *v, const char *name, int64_t off,
                       size_t size, int write, struct mmk__atomic_op *op) {
  int r = mmk__word(v, name, off, size, write, &op->addr);
  if (r) return r;
  if (mmk__atomic_run(op)) return mmk__fault(v, name, off);
  return 0;
}

int mmk_atomic_load_u32(mmk_view *view, int64_t off, uint32_t *out) {
  struct mmk__atomic_op op = {NULL, MMK__LOAD32, 0, 0, 0};
  int r;
  if (!out && view) return MMK__NULL_OUT(view, "atomic_load");
  r = mmk__atomic(view, "atomic_load", off, 4, 0, &op);
  if (!r) *out = (uint32_t)op.result;
  return r;
}

int mmk_atomic_load_u64(mmk_view *view, int64_t off, uint64_t *out) {
  struct mmk__atomic_op op = {NULL, MMK__LOAD64, 0, 0, 0};
  int r;
  if (!out && view) return MMK__NULL_OUT(view, "atomic_load");
  r = mmk__atomic(view, "atomic_load", off, 8, 0, &op);
  if (!r) *out = op.result;
  return r;
}

int mmk_atomic_store_u32(mmk_view *view, int64_t off, uint32_t value) {
  struct mmk__atomic_op op = {NULL, MMK__STORE32, value, 0, 0};
  return mmk__atomic(view, "atomic_store", off, 4, 1, &op);
}

int mmk_atomic_store_u64(mmk_view *view, int64_t off, uint64_t value) {
  struct mmk__atomic_op op = {NULL, MMK__STORE64, value, 0, 0};
  return mmk__atomic(view, "atomic_store", off, 8, 1, &op);
}

int mmk_atomic_fetch_add_u32(mmk_view *view, int64_t off, uint32_t delta,
                             uint32_t *old) {
  struct mmk__atomic_op op = {NULL, MMK__ADD32, delta, 0, 0};
  int r = mmk__atomic(view, "atomic_fetch_add", off, 4, 1, &op);
  if (!r && old) *old = (uint32_t)op.result;
  return r;
}

int mmk_atomic_fetch_add_u64(mmk_view *view, int64_t off, uint64_t delta,
                             uint64_t *old) {
  struct mmk__atomic_op op = {NULL, MMK__ADD64, delta, 0, 0};
  int r = mmk__atomic(view, "atomic_fetch_add", off, 8, 1, &op);
  if (!r && old) *old = op.result;
  return r;
}

int mmk_atomic_cas_u32(mmk_view *view, int64_t off, uint32_t expected,
                       uint32_t desired, uint32_t *current) {
  struct mmk__atomic_op op = {NULL, MMK__CAS32, desired, expected, 0};
  int r = mmk__atomic(view, "atomic_cas", off, 4, 1, &op);
  if (!r && current) *current = (uint32_t)op.result;
  return r;
}

int mmk_atomic_cas_u64(mmk_view *view, int64_t off, uint64_t expected,
                       uint64_t desired, uint64_t *current) {
  struct mmk__atomic_op op = {NULL, MMK__CAS64, desired, expected, 0};
  int r = mmk__atomic(view, "atomic_cas", off, 8, 1, &op);
  if (!r && current) *current = op.result;
  return r;
}

/* ------------------------------------------------------------------------
 * Wait / wake
 * ---------------------------------------------------------------------- */

/* Guarded acquire load for the wait loop: 0, or 1 on a fault. */
static int mmk__load_word(void *a, uint32_t *out) {
  struct mmk__atomic_op op = {a, MMK__LOAD32, 0, 0, 0};
  if (mmk__atomic_run(&op)) return 1;
  *out = (uint32_t)op.result;
  return 0;
}

static int64_t mmk__now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

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
 * side answers within microseconds; bounded so a waiter never burns a core. */
#define MMK__SPIN_NS 4000

#if defined(MMK__HAVE_FUTEX)
static long mmk__futex(void *addr, int op, uint32_t val,
                       const struct timespec *ts, uint32_t bitset) {
  return syscall(SYS_futex, addr, op, val, ts, NULL, bitset);
}
#endif

int mmk_wait_u32(mmk_view *view, int64_t off, uint32_t expected,
                 int64_t timeout_ns) {
  void *a = NULL;
  uint32_t cur;
  int64_t deadline = -1, now;
  unsigned spins = 0;
  int r = mmk__word(view, "wait", off, 4, 0, &a);
  if (r) return r;

  if (mmk__load_word(a, &cur)) return mmk__fault(view, "wait", off);
  if (cur != expected) return 0;
  if (timeout_ns == 0)
    return mmk__set_error(MMK_ETIMEDOUT, 0, "wait", mmk__vpath(view), NULL,
                          "offset %lld", (long long)off);
  now = mmk__now_ns();
  if (timeout_ns > 0)
    deadline = timeout_ns > INT64_MAX - now ? INT64_MAX : now + timeout_ns;

  /* Bounded spin. */
  {
    int64_t spin_end = now + MMK__SPIN_NS;
    if (deadline >= 0 && deadline < spin_end) spin_end = deadline;
    for (;;) {
      mmk__cpu_relax();
      if (mmk__load_word(a, &cur)) return mmk__fault(view, "wait", off);
      if (cur != expected) return 0;
      if ((++spins & 31) == 0 && mmk__now_ns() >= spin_end) break;
    }
  }

  for (;;) {
#if defined(MMK__HAVE_FUTEX)
    struct timespec abs_ts, *tsp = NULL;
    long fr;
    if (deadline >= 0) {
      /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline, so
       * EINTR and spurious wake-ups never stretch the total wait. */
      abs_ts.tv_sec = (time_t)(deadline / 1000000000);
      abs_ts.tv_nsec = (long)(deadline % 1000000000);
      tsp = &abs_ts;
    }
    fr = mmk__futex(a, FUTEX_WAIT_BITSET, expected, tsp,
                    FUTEX_BITSET_MATCH_ANY);
    if (fr != 0) {
      int e = errno;
      if (e == EFAULT) return mmk__fault(view, "wait", off);
      if (e != EAGAIN && e != EINTR && e != ETIMEDOUT)
        return mmk__sys_error(e, "futex", mmk__vpath(view), "offset %lld",
                              (long long)off);
    }
#else
    /* No futex here (macOS, BSDs): a sleeping poll with exponential
     * back-off from 1 us to 1 ms. mmk_wake is then a no-op and a waiter
     * notices a change within about a millisecond. Correct, if not as
     * prompt or as frugal as a futex. */
    {
      static const int64_t max_sleep = 1000000;
      int64_t nap = 1000;
      struct timespec ts;
      unsigned k = spins++ < 64 ? (unsigned)(spins / 8) : 10;
      for (; k > 0 && nap < max_sleep; k--) nap *= 2;
      if (nap > max_sleep) nap = max_sleep;
      if (deadline >= 0) {
        int64_t left = deadline - mmk__now_ns();
        if (left < nap) nap = left > 0 ? left : 0;
      }
      ts.tv_sec = (time_t)(nap / 1000000000);
      ts.tv_nsec = (long)(nap % 1000000000);
      nanosleep(&ts, NULL);
    }
#endif
    /* Whatever woke us (wake, signal, timeout, nothing), the word decides. */
    if (mmk__load_word(a, &cur)) return mmk__fault(view, "wait", off);
    if (cur != expected) return 0;
    if (deadline >= 0 && mmk__now_ns() >= deadline)
      return mmk__set_error(MMK_ETIMEDOUT, 0, "wait", mmk__vpath(view), NULL,
                            "offset %lld, timeout %lld ns", (long long)off,
                            (long long)timeout_ns);
  }
}

int mmk_wake(mmk_view *view, int64_t off, int count) {
  void *a = NULL;
  int r = mmk__word(view, "wake", off, 4, 0, &a);
  if (r) return r;
  if (count <= 0 || count == INT32_MAX) count = INT_MAX;
#if defined(MMK__HAVE_FUTEX)
  {
    long n = mmk__futex(a, FUTEX_WAKE, (uint32_t)count, NULL, 0);
    if (n < 0) return mmk__sys_error(errno, "futex", mmk__vpath(view),
                                     "offset %lld", (long long)off);
    return (int)n;
  }
#else
  (void)a;
  return 0; /* waiters poll (see mmk_wait_u32) */
#endif
}
