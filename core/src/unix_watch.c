/*
 * The guard's watchdog thread ("mmk-guard"), POSIX.
 *
 * A handler installed over ours that returns without chaining
 * (signal.signal, sun.misc.Signal) turns a small guarded access that
 * faults into a loop inside that handler, with no mmapkit code running,
 * and a sigaction query per small access would cost far more than the
 * access. So one thread, started by the first mmk_map, queries the
 * disposition every period and re-asserts ours when it changed: the
 * looping access then faults into ours and returns MMK_EIO.
 * A change that is back at once after a re-assert, again and again (a
 * runtime that re-installs its own handler), doubles the period up to
 * 1 s, so the two never fight faster than that; a change after a quiet
 * spell starts again at the base period. All signals are blocked in it;
 * a forked child starts its own at its next map; MMAPKIT_GUARD_WATCH_MS
 * sets the period (0: no thread).
 */
#include "internal.h"
#include "unix_guard.h"

#include <stdlib.h>
#if defined(__linux__)
#  include <sys/prctl.h>
#endif
#include <time.h>

#define MMK__WATCH_MS_DEFAULT 20
#define MMK__WATCH_MAX_NS 1000000000LL
#define MMK__WATCH_STREAK 4

enum { MMK__WATCH_NONE, MMK__WATCH_RUNNING, MMK__WATCH_OFF };
static _Atomic int mmk__watch_state; /* in this process */
static pthread_mutex_t mmk__watch_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t mmk__watch_cv;
static pthread_condattr_t mmk__watch_cva; /* MMK__WATCH_CLOCK */
static pthread_once_t mmk__watch_once = PTHREAD_ONCE_INIT;
static pthread_t mmk__watch_tid;
static int mmk__watch_stop;        /* under mmk__watch_mu */
static int64_t mmk__watch_base_ns; /* set before the thread starts */


/* The clock of the condition variable's deadlines. */
#if defined(__APPLE__)
#  define MMK__WATCH_CLOCK CLOCK_REALTIME /* no pthread_condattr_setclock */
#else
#  define MMK__WATCH_CLOCK CLOCK_MONOTONIC
#endif

static int64_t mmk__watch_now(void) {
  struct timespec ts;
  clock_gettime(MMK__WATCH_CLOCK, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *mmk__watch_main(void *arg) {
  int64_t period = mmk__watch_base_ns, next = mmk__watch_now(), last = 0;
  unsigned streak = 0; /* re-asserts, each soon after the one before */
  (void)arg;
#if defined(__APPLE__)
  pthread_setname_np("mmk-guard"); /* Linux: named by its creator */
#elif defined(__linux__)
  /* Its wake-ups may be batched with others' (1 ms against its period). */
  prctl(PR_SET_TIMERSLACK, 1000000UL, 0, 0, 0);
#endif
  pthread_mutex_lock(&mmk__watch_mu);
  while (!mmk__watch_stop) {
    struct timespec until;
    struct sigaction cur;
    int64_t now;
    next += period;
    until.tv_sec = (time_t)(next / 1000000000);
    until.tv_nsec = (long)(next % 1000000000);
    while (!mmk__watch_stop &&
           pthread_cond_timedwait(&mmk__watch_cv, &mmk__watch_mu, &until) !=
               ETIMEDOUT) {
    } /* a spurious wake-up waits again for the same deadline */
    if (mmk__watch_stop) break;
    pthread_mutex_unlock(&mmk__watch_mu);
    now = mmk__watch_now();
    if (next < now - period) next = now; /* stopped a while: no catching up */
    if (sigaction(SIGBUS, NULL, &cur) == 0 &&
        !mmk__unix_handler_is_ours(&cur)) {
      /* Back within two periods of our last re-assert, a few times in a
       * row: a fight (a program installing its handlers one after the
       * other is not). */
      streak = last && now - last <= 2 * period ? streak + 1 : 0;
      if (streak < MMK__WATCH_STREAK)
        period = mmk__watch_base_ns;
      else if (period < MMK__WATCH_MAX_NS / 2)
        period *= 2;
      else
        period = MMK__WATCH_MAX_NS;
      last = now;
      next = now;
      mmk__unix_guard_assert();
    }
    pthread_mutex_lock(&mmk__watch_mu);
  }
  pthread_mutex_unlock(&mmk__watch_mu);
  return NULL;
}

/* fork: the child has no watchdog; no lock may be left held in it. */
static void mmk__watch_prepare(void) {
  mmk__unix_install_lock();
  pthread_mutex_lock(&mmk__watch_mu);
}
static void mmk__watch_parent(void) {
  pthread_mutex_unlock(&mmk__watch_mu);
  mmk__unix_install_unlock();
}
static void mmk__watch_child(void) {
  pthread_mutex_unlock(&mmk__watch_mu);
  mmk__unix_install_unlock();
  pthread_cond_init(&mmk__watch_cv, &mmk__watch_cva); /* no waiter here */
  atomic_store_explicit(&mmk__watch_state, MMK__WATCH_NONE,
                        memory_order_relaxed);
}

static void mmk__watch_init(void) {
  pthread_condattr_init(&mmk__watch_cva);
#if !defined(__APPLE__)
  pthread_condattr_setclock(&mmk__watch_cva, MMK__WATCH_CLOCK);
#endif
  pthread_cond_init(&mmk__watch_cv, &mmk__watch_cva);
  pthread_atfork(mmk__watch_prepare, mmk__watch_parent, mmk__watch_child);
}

/* ThreadSanitizer kills a fork child of a multi-threaded process when the
 * child starts a thread, so a TSan build of mmapkit starts the watchdog
 * only when MMAPKIT_GUARD_WATCH_MS asks for it (its own tests do). */
#if defined(__SANITIZE_THREAD__)
#  define MMK__WATCH_DEFAULT_ON 0
#elif defined(__has_feature)
#  if __has_feature(thread_sanitizer)
#    define MMK__WATCH_DEFAULT_ON 0
#  endif
#endif
#ifndef MMK__WATCH_DEFAULT_ON
#  define MMK__WATCH_DEFAULT_ON 1
#endif

static MMK__NOINLINE void mmk__watch_start(void) {
  sigset_t all, old;
  const char *env;
  long ms = MMK__WATCH_DEFAULT_ON ? MMK__WATCH_MS_DEFAULT : 0;
  pthread_once(&mmk__watch_once, mmk__watch_init);
  pthread_mutex_lock(&mmk__watch_mu);
  if (atomic_load_explicit(&mmk__watch_state, memory_order_relaxed) !=
      MMK__WATCH_NONE) {
    pthread_mutex_unlock(&mmk__watch_mu);
    return;
  }
  env = getenv("MMAPKIT_GUARD_WATCH_MS");
  if (env && *env) {
    char *end;
    long v = strtol(env, &end, 10);
    if (*end == '\0' && v >= 0) ms = v > 1000 ? 1000 : v;
  }
  if (ms == 0) {
    atomic_store_explicit(&mmk__watch_state, MMK__WATCH_OFF,
                          memory_order_release);
    pthread_mutex_unlock(&mmk__watch_mu);
    return;
  }
  mmk__watch_base_ns = (int64_t)ms * 1000000;
  mmk__watch_stop = 0;
  /* Created with every signal blocked, which it inherits: no signal meant
   * for the process is ever delivered to it. */
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  if (pthread_create(&mmk__watch_tid, NULL, mmk__watch_main, NULL) == 0) {
#if defined(__linux__)
    pthread_setname_np(mmk__watch_tid, "mmk-guard"); /* seen at once */
#endif
    atomic_store_explicit(&mmk__watch_state, MMK__WATCH_RUNNING,
                          memory_order_release);
  }
  /* else: no thread now; the next install tries again */
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_mutex_unlock(&mmk__watch_mu);
}

/* At exit or unload: the thread runs this library's code, so it ends
 * before the code goes away. */
__attribute__((destructor)) static void mmk__watch_fini(void) {
  if (atomic_load_explicit(&mmk__watch_state, memory_order_acquire) !=
      MMK__WATCH_RUNNING)
    return;
  pthread_mutex_lock(&mmk__watch_mu);
  mmk__watch_stop = 1;
  pthread_cond_signal(&mmk__watch_cv);
  pthread_mutex_unlock(&mmk__watch_mu);
  pthread_join(mmk__watch_tid, NULL);
  /* A map from a later destructor starts none again. */
  atomic_store_explicit(&mmk__watch_state, MMK__WATCH_OFF,
                        memory_order_relaxed);
}

void mmk__unix_watch_start(void) {
  if (MMK__UNLIKELY(atomic_load_explicit(&mmk__watch_state,
                                         memory_order_acquire) ==
                    MMK__WATCH_NONE))
    mmk__watch_start();
}
