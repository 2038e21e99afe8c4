/*
 * The lease/close state machine of views, above the seam: the in-flight
 * call slots (what a close, close inert or moving resize waits for; see
 * internal.h), leases (exports) and the two closes. Lock-free but for the
 * view's mu; the platform gives the process-wide barrier, yield and sleep.
 */
#include "internal.h"

#include <stdlib.h>

/* ------------------------------------------------------------------------
 * In-flight calls (see internal.h)
 * ---------------------------------------------------------------------- */

_Thread_local struct mmk__slot *mmk__my_slot;
atomic_int mmk__slot_fence;

/* Every thread that ever called in: a push-only list (records are reused
 * after their thread exits, never freed), so a drain can walk it without
 * a lock. mmk__slots_used counts the records owned by live threads. */
static _Atomic(struct mmk__slot *) mmk__slots;
static atomic_long mmk__slots_used;
static mmk__tls_key mmk__slot_key;
static mmk__once mmk__slot_once = MMK__ONCE_INIT;

static void mmk__slot_reset(struct mmk__slot *s) {
  atomic_store(&s->view, NULL);
  atomic_store(&s->wait_addr, NULL);
  atomic_store(&s->used, 0);
}

/* The thread exits: its record goes back to the pool. A call from a
 * later destructor of the same thread registers afresh (the record may
 * already be another thread's). */
static void mmk__slot_free(void *p) {
  mmk__my_slot = NULL;
  mmk__slot_reset(p);
  atomic_fetch_sub(&mmk__slots_used, 1);
}

/* Once per process (and again in a fork child); without the barrier the
 * calls fence themselves. */
static void mmk__membarrier_register(void) {
  if (mmk__os_barrier_register() != 0) atomic_store(&mmk__slot_fence, 1);
}

/* In a forked child only the forking thread exists: the other threads'
 * calls will never leave, and must not hold up a close there. */
static void mmk__slot_atfork_child(void) {
  struct mmk__slot *s;
  for (s = atomic_load(&mmk__slots); s; s = s->next)
    if (s != mmk__my_slot) mmk__slot_reset(s);
  atomic_store(&mmk__slots_used, mmk__my_slot ? 1 : 0);
  mmk__membarrier_register();
}

static void mmk__slot_init(void) {
  mmk__os_key_create(&mmk__slot_key, mmk__slot_free);
  mmk__os_atfork_child(mmk__slot_atfork_child);
  mmk__membarrier_register();
}

struct mmk__slot *mmk__slot_register(void) {
  struct mmk__slot *s;
  mmk__os_once(&mmk__slot_once, mmk__slot_init);
  for (s = atomic_load(&mmk__slots); s; s = s->next) {
    int free_ = 0;
    if (atomic_compare_exchange_strong(&s->used, &free_, 1)) break;
  }
  if (!s) {
    s = calloc(1, sizeof *s);
    if (!s) return NULL;
    atomic_init(&s->used, 1);
    s->next = atomic_load(&mmk__slots);
    while (!atomic_compare_exchange_weak(&mmk__slots, &s->next, s)) {
    }
  }
  /* Counted before this thread's first call can look at a flag: a drain
   * that saw no other live slot (and skipped membarrier) set its flag
   * before this count, which the call then sees. */
  atomic_fetch_add(&mmk__slots_used, 1);
  atomic_thread_fence(memory_order_seq_cst);
  mmk__os_key_set(mmk__slot_key, s);
  mmk__my_slot = s;
  return s;
}

/* Makes the flag just set visible to every call before the drain looks
 * at their slots (see internal.h). Skipped while no other thread has a
 * slot: then nobody else can be inside a call. */
static void mmk__drain_barrier(void) {
  long others;
  atomic_thread_fence(memory_order_seq_cst);
  others = atomic_load(&mmk__slots_used) - (mmk__my_slot ? 1 : 0);
  if (others <= 0 || atomic_load(&mmk__slot_fence)) return;
  if (mmk__os_barrier() != 0) {
    /* Refused after registering (should not happen): fall back for good,
     * then wait out any call that entered without a fence. */
    atomic_store(&mmk__slot_fence, 1);
    mmk__os_sleep_ns(10000000);
  }
}

int mmk__op_enter_slow(mmk_view *v, struct mmk__slot *s, mmk_view *prev,
                       const char *op) {
  for (;;) {
    uint64_t w;
    if (!s)
      return mmk__arg_error(MMK_ENOMEM, op, "",
                            "no memory for the thread's call record");
    w = atomic_load_explicit(&v->lw, memory_order_seq_cst);
    if (w & MMK__LW_INERT) {
      atomic_store_explicit(&s->view, prev, memory_order_release);
      return mmk__arg_error(MMK_ECLOSED, op, "", "view is closed");
    }
    if (!(w & MMK__LW_MOVING)) return 0;
    /* A resize is moving or shrinking the view: step aside until it has
     * the new address. The slot stays "parked" on v: the resize does not
     * wait for it, but a close after the resize does, so v cannot be
     * freed under this loop. */
    atomic_store_explicit(&s->view, MMK__PARKED(v), memory_order_release);
    while (atomic_load_explicit(&v->lw, memory_order_acquire) &
           MMK__LW_MOVING)
      mmk__os_yield();
    atomic_exchange_explicit(&s->view, v, memory_order_seq_cst);
  }
}

void mmk__view_drain(mmk_view *v, int moving) {
  struct mmk__slot *s, *me = mmk__my_slot;
  unsigned round;
  mmk__drain_barrier();
  for (round = 0;; round++) {
    int busy = 0;
    for (s = atomic_load(&mmk__slots); s; s = s->next) {
      void *a;
      mmk_view *x = atomic_load_explicit(&s->view, memory_order_seq_cst);
      /* This thread's own slot can only name v from a signal handler
       * called inside a call on v: waiting for it would never end. */
      if (s == me || !(x == v || (!moving && x == MMK__PARKED(v))))
        continue;
      busy = 1;
      a = atomic_load_explicit(&s->wait_addr, memory_order_acquire);
      if (a) mmk__wake_all(a);
    }
    if (!busy) return;
    /* Copies end by themselves and woken waiters leave at once; a waiter
     * about to sleep is woken by the next round. */
    if (round < 16) {
      mmk__os_yield();
    } else {
      mmk__os_sleep_ns(round < 32 ? 50000 : 1000000);
    }
  }
}

/* ------------------------------------------------------------------------
 * Leases and close
 * ---------------------------------------------------------------------- */

static void mmk__view_free(mmk_view *v) {
  mmk__os_view_unmap(v);
  if (v->file) mmk__file_unref(v->file);
  v->file = NULL;
  mmk__mutex_destroy(&v->mu);
  free(v);
}

/* Lease and release never take mu: one compare-and-swap on the lease word
 * each. Ordering: a lease acquires (it sees everything a resize did before
 * clearing MOVING), a release releases (the exporter's accesses happen
 * before a later move, close or free). */

static MMK__COLD int mmk__lease_slow(mmk_view *view, uint64_t w) {
  for (;;) {
    if (w & MMK__LW_INERT)
      return mmk__arg_error(MMK_ECLOSED, "lease", "", "view is closed");
    if (w & MMK__LW_MOVING) {
      /* A resize is moving or shrinking the view (a few system calls,
       * under mu): wait for the new address rather than fail. */
      mmk__os_yield();
      w = atomic_load_explicit(&view->lw, memory_order_relaxed);
      continue;
    }
    if (atomic_compare_exchange_weak_explicit(&view->lw, &w, w + 1,
                                              memory_order_acquire,
                                              memory_order_relaxed))
      return 0;
  }
}

int mmk_view_lease(mmk_view *view) {
  uint64_t w;
  if (MMK__UNLIKELY(!view))
    return mmk__arg_error(MMK_EINVAL, "lease", "", "view is NULL");
  /* Guess the common case (no lease yet, no flag) instead of loading the
   * word first: a load right before the locked instruction measured slower
   * than the failed guess costs; a wrong guess returns the current value. */
  w = 0;
  if (MMK__LIKELY(atomic_compare_exchange_strong_explicit(
          &view->lw, &w, 1, memory_order_acquire, memory_order_relaxed)))
    return 0;
  return mmk__lease_slow(view, w);
}

/* The last release of an inert-closed view frees it. A close_inert that
 * set INERT may still be replacing the range under mu: wait for it. */
static MMK__COLD void mmk__release_last_inert(mmk_view *view) {
  mmk__mutex_lock(&view->mu);
  mmk__mutex_unlock(&view->mu);
  /* A call that raced the release may still be turning away. */
  mmk__view_drain(view, 0);
  mmk__view_free(view);
}

int mmk_view_release(mmk_view *view) {
  uint64_t w;
  if (MMK__UNLIKELY(!view))
    return mmk__arg_error(MMK_EINVAL, "release", "", "view is NULL");
  /* A compare-and-swap, not fetch_sub: a release without a lease must
   * neither borrow from the flag bits nor be seen by anyone. The first
   * try guesses one lease, no flag (see mmk_view_lease). */
  w = 1;
  do {
    if (MMK__UNLIKELY((w & MMK__LW_COUNT) == 0))
      return mmk__arg_error(MMK_EINVAL, "release", "",
                            "no lease outstanding");
  } while (MMK__UNLIKELY(!atomic_compare_exchange_weak_explicit(
      &view->lw, &w, w - 1, memory_order_acq_rel, memory_order_relaxed)));
  /* Nobody else may reach an inert view without a lease: free it now. */
  if (MMK__UNLIKELY(w == (MMK__LW_INERT | 1))) mmk__release_last_inert(view);
  return 0;
}

int mmk_view_lease_range(mmk_view *view, int64_t offset, int64_t length,
                         int write, void **out) {
  int r;
  if (!out) return mmk__arg_error(MMK_EINVAL, "lease", "", "out is NULL");
  *out = NULL;
  r = mmk_view_lease(view);
  if (r) return r;
  /* Under the lease the view neither shrinks nor moves (only an in-place
   * growth can happen), so a range checked now stays mapped. */
  r = mmk__view_range(view, "lease", offset, &length, 0);
  if (!r && write && !view->writable)
    r = mmk__arg_error(MMK_EACCES, "lease", mmk__vpath(view),
                       "view is read-only");
  if (r) {
    mmk_view_release(view); /* keeps the detail: it records no failure */
    return r;
  }
  *out = view->data + offset;
  return 0;
}

int64_t mmk_view_leases(const mmk_view *view) {
  if (!view) return 0;
  return (int64_t)(atomic_load_explicit(&((mmk_view *)view)->lw,
                                        memory_order_acquire) &
                   MMK__LW_COUNT);
}

int mmk_view_close(mmk_view *view) {
  uint64_t w = 0;
  if (!view) return 0;
  /* mu: a close_inert or resize in progress finishes first. */
  mmk__mutex_lock(&view->mu);
  if (!atomic_compare_exchange_strong_explicit(&view->lw, &w, MMK__LW_INERT,
                                               memory_order_acq_rel,
                                               memory_order_acquire)) {
    mmk__mutex_unlock(&view->mu);
    if (w & MMK__LW_INERT)
      return mmk__arg_error(MMK_ECLOSED, "close", "", "view is closed");
    return mmk__set_error(MMK_EBUSY, 0, "close", mmk__vpath(view), NULL,
                          "%lld export(s) outstanding",
                          (long long)(w & MMK__LW_COUNT));
  }
  atomic_store_explicit(&view->state, MMK__VIEW_INERT, memory_order_release);
  /* Calls already inside finish (waiters are woken: MMK_ECLOSED); new
   * ones are turned away by INERT. */
  mmk__view_drain(view, 0);
  mmk__mutex_unlock(&view->mu);
  mmk__view_free(view);
  return 0;
}

int mmk_view_close_inert(mmk_view *view) {
  mmk_file *f;
  uint64_t w;
  if (!view) return 0;
  /* mu is held from setting INERT until the range is inert: a last
   * release meanwhile waits for it before freeing. */
  mmk__mutex_lock(&view->mu);
  w = atomic_fetch_or_explicit(&view->lw, MMK__LW_INERT,
                               memory_order_acq_rel);
  if (w & MMK__LW_INERT) {
    mmk__mutex_unlock(&view->mu);
    return 0; /* already inert: idempotent */
  }
  atomic_store_explicit(&view->state, MMK__VIEW_INERT, memory_order_release);
  /* The core's own calls inside finish on the real mapping first (they
   * may still use the file's path); only exports outlive the close. */
  mmk__view_drain(view, 0);
  if ((w & MMK__LW_COUNT) == 0) {
    mmk__mutex_unlock(&view->mu);
    mmk__view_free(view);
    return 0;
  }
  /* Exports still point into the range: keep the addresses valid but cut
   * the tie to the file. If the kernel refuses (out of memory), the old
   * mapping stays until the last release: still no crash. */
  mmk__os_view_make_inert(view);
  f = view->file;
  view->file = NULL;
  mmk__mutex_unlock(&view->mu);
  if (f) mmk__file_unref(f);
  return 0;
}
