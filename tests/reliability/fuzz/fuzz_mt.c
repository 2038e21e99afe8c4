/*
 * Multi-threaded, multi-process libFuzzer harness over the mmapkit C API.
 * (fuzz_api.c is the single-threaded one: hostile arguments, exact model.)
 *
 * Each input sets up three objects (a regular file, a shared-memory object,
 * anonymous memory) and four views of them (fuzzed object, mode, offset,
 * length, reservation, and whether the harness "anchors" the view with a
 * lease held for the whole input). Then 2-4 threads, started together,
 * each decode their own slice of the input into calls on those views and
 * files: guarded reads and writes, atomics, wait/wake, flush, advise,
 * resident, mlock, resize, lease + raw access + release, close and
 * close_inert, byte-range locks, file resize. Meanwhile a forked peer
 * process truncates, grows, writes and locks the file or the shm object
 * through its own descriptor.
 *
 * Every object is laid out in pages: 0 atomics (a u64 counter at 64, a
 * futex word at 128), 1-4 thread t's own page (only t writes it), 5 the
 * peer's, 6 scratch, 7 written only under an exclusive byte-range lock,
 * 8 and up a pattern that nobody writes.
 *
 * A view must not be used once the call that frees it has returned
 * (bindings serialize that), so an unanchored view is closed only under a
 * write lock that the other calls on it take for reading; everything else
 * races freely (resize, close_inert and leases included). In the sandbox
 * of run.sh (64 MiB tmpfs file systems) threads also make grows that fail
 * with ENOSPC.
 *
 * Oracles that still hold under concurrency (a violation aborts):
 * - no crash (ASan, UBSan, a SIGBUS the guard does not take), no hang;
 * - each status in the set the header documents for the call, with a
 *   matching last-error detail;
 * - bytes a thread writes to its own page, or to page 7 under the lock
 *   (threads and the peer), read back, unless an object shrank meanwhile
 *   (shrink counters shared with the peer: started before, done after);
 * - a read of the pattern pages sees the pattern or zeros (after a
 *   truncation and regrowth, or inert memory), never other bytes;
 * - MMK_EIO only on an object someone may shrink in this input;
 * - a leased (anchored) view never moves, never shrinks (MMK_EBUSY), its
 *   close is MMK_EBUSY; a call started after close_inert returned is
 *   MMK_ECLOSED; a misaligned atomic is MMK_EINVAL, an aligned one is not;
 * - the counter equals the successful fetch-adds when nothing shrank or
 *   went inert, and never exceeds them;
 * - the object never drops below the size the peer grew it to unless a
 *   shrink was announced (a failed grow must not "undo" by truncating);
 * - a wait on a view that is closed inert returns (MMK_ECLOSED) well
 *   before its 400 ms timeout;
 * - after each input: only the anchor leases remain, then no descriptor,
 *   mapping or shared-memory object is left and the peer exited 0.
 * Relaxed from fuzz_api.c's sequential model: exact view sizes after
 * resize (any racing resize may win), "wait on a differing word returns,
 * on an equal one times out" (others change the word), EIO exactly at the
 * object's end (the end moves), exact lease counts (checked only when the
 * threads have joined).
 *
 * MMKFUZZ_SURVEY=1 reports each kind of violation once instead of
 * aborting (crashes still end the process); MMKFUZZ_TRACE=1 prints calls.
 */
#define _GNU_SOURCE 1
#include "mmapkit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOBJ 3
#define NVIEWS 4
#define MAXT 4
#define MAX_OPS 48
#define OBJ_PAGES 12
#define COUNTER_OFF 64
#define FUTEX_OFF 128
#define LONG_WAIT_NS 400000000ll
#define INERT_SLACK_NS 250000000ll

enum { OBJ_FILE, OBJ_SHM, OBJ_ANON };
enum { P_OWN = 1, P_PEER = 5, P_SCRATCH = 6, P_LOCKED = 7, P_PATTERN = 8 };

static int64_t g_page;
static char g_dir[256], g_path[320], g_shm[64], g_shm_os[66];
static int g_soft, g_trace;
static int g_sandbox; /* run.sh's small tmpfs file systems: huge grows fail there */
#define HUGE_GROW (256ll << 20)

/* ------------------------------------------------------------ reporting */

static _Atomic uint64_t st_inputs, st_calls, st_errors, st_eio, st_busy, st_closed, st_shrinks,
    st_findings;

static void print_stats(void) {
  fprintf(stderr,
          "fuzz_mt stats: inputs=%llu calls=%llu errors=%llu EIO=%llu EBUSY=%llu ECLOSED=%llu "
          "shrinks=%llu findings=%llu\n",
          (unsigned long long)st_inputs, (unsigned long long)st_calls,
          (unsigned long long)st_errors, (unsigned long long)st_eio, (unsigned long long)st_busy,
          (unsigned long long)st_closed, (unsigned long long)st_shrinks,
          (unsigned long long)st_findings);
}

/* A violated invariant: abort (libFuzzer saves the input), or in survey
 * mode report each kind (the format string) once and go on. */
static void finding(const char *fmt, ...) {
  static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  static const char *seen[64];
  static int nseen;
  va_list ap;
  const mmk_error *e = mmk_last_error();
  pthread_mutex_lock(&mu);
  if (g_soft) {
    for (int i = 0; i < nseen; i++)
      if (seen[i] == fmt) {
        pthread_mutex_unlock(&mu);
        return;
      }
    if (nseen < 64) seen[nseen++] = fmt;
  }
  st_findings++;
  fprintf(stderr, "fuzz_mt: %s: ", g_soft ? "SURVEY" : "invariant violated");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n  last error of this thread: %s op='%s' path='%s' msg='%s'\n",
          mmk_err_name(e->code), e->op ? e->op : "", e->path ? e->path : "",
          e->message ? e->message : "");
  if (!g_soft) abort();
  pthread_mutex_unlock(&mu);
}

/* Harness failures (not findings): stop at once. */
static void fatal(const char *what) {
  fprintf(stderr, "fuzz_mt: %s: %s\n", what, strerror(errno));
  abort();
}

#define BIT_OF(code)                                                                    \
  ((code) == MMK_ECLOSED ? 1ull << 63                                                   \
   : (code) == MMK_ETIMEDOUT ? 1ull << 59                                               \
   : (code) == MMK_ENOTSUP ? 1ull << 60                                                 \
   : (code) == 0 ? 1ull                                                                 \
   : ((code) < 0 && (code) > -59) ? 1ull << ((-(code)) & 63)                            \
   : 1ull << 61 /* anything else: never allowed */)
#define S(c) BIT_OF(MMK_##c)
#define OK_ BIT_OF(0)

static void check(const char *what, int r, uint64_t allowed) {
  if (g_trace) fprintf(stderr, "  [%lx] %s -> %s\n", (long)pthread_self() & 0xffff, what, mmk_err_name(r));
  st_calls++;
  if (r < 0) st_errors++;
  if (r == MMK_EIO) st_eio++;
  if (r == MMK_EBUSY) st_busy++;
  if (r == MMK_ECLOSED) st_closed++;
  if (!(BIT_OF(r) & allowed)) {
    finding("%s returned %s, not a documented status for it", what, mmk_err_name(r));
    return;
  }
  if (r < 0) {
    const mmk_error *e = mmk_last_error();
    if (e->code != r || !e->message || !e->message[0] || !e->op || !e->path)
      finding("%s returned %s with a last error of %s '%s'", what, mmk_err_name(r),
              mmk_err_name(e->code), e->message ? e->message : "(null)");
  }
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---------------------------------------------------------- input bytes */

typedef struct {
  const uint8_t *p;
  size_t n;
} input;

static uint8_t u8(input *in) {
  if (in->n == 0) return 0;
  in->n--;
  return *in->p++;
}

static uint32_t u16(input *in) { return u8(in) | (uint32_t)u8(in) << 8; }

/* --------------------------------------------------------------- model */

typedef struct {
  mmk_file *wh, *ch;   /* MMK_WRITE handle; MMK_COPY handle (none for anon) */
  int truncatable;     /* someone may shrink it during this input */
  _Atomic int64_t adds; /* successful fetch-adds of 1 on the counter via shared views */
  atomic_int spoiled;  /* a view of it went inert: adds may have hit inert memory */
} obj;

typedef struct {
  mmk_view *v;
  int obj, mode, anchored; /* mode: MMK_WRITE, MMK_READ (readonly map), MMK_COPY */
  int64_t voff, size0, reserve0;
  uintptr_t data0;        /* anchored: the address it must keep */
  pthread_rwlock_t life;  /* unanchored: calls read-lock, close write-locks */
  atomic_int dead;        /* unanchored and closed */
  atomic_int inert;       /* close_inert has returned */
  atomic_int inerting;    /* close_inert was called: getters may read 0 */
  _Atomic int64_t inert_ns;
} view;

typedef struct {
  int id;
  input in;
  pthread_t th;
  mmk_file *lockh[2]; /* own handles of the file and the shm object */
  uint8_t a[1 << 17], b[1 << 17];
} thr;

/* Shared with the peer (MAP_SHARED anonymous, made once). */
struct shared {
  /* Shrinks of any object: started is counted before, done after each. */
  _Atomic uint64_t shrinks_started, shrinks_done;
};

static obj O[NOBJ];
static view V[NVIEWS];
static thr T[MAXT];
static int g_nthreads;
static struct shared *g_sh;
static pthread_barrier_t g_start;
static atomic_int g_long_wait; /* this input's long wait is taken */

static uint8_t pat(int64_t o) { return (uint8_t)(o * 13 + 5); }

static void shrink_begin(void) {
  st_shrinks++;
  atomic_fetch_add(&g_sh->shrinks_started, 1);
}
static void shrink_end(void) { atomic_fetch_add(&g_sh->shrinks_done, 1); }

/* A window in which no object shrinks: it opens only when no shrink is in
 * flight, and stays quiet while no new one starts. */
static uint64_t quiet_begin(void) {
  uint64_t s = atomic_load(&g_sh->shrinks_started);
  return atomic_load(&g_sh->shrinks_done) == s ? s : UINT64_MAX;
}
static int quiet_still(uint64_t q) {
  return q != UINT64_MAX && atomic_load(&g_sh->shrinks_started) == q;
}

/* Enters a call on view i: NULL if it is gone. Unanchored views are
 * read-locked so that no close frees them under the call. */
static view *enter(int i) {
  view *w = &V[i % NVIEWS];
  if (!w->v) return NULL;
  if (!w->anchored) {
    pthread_rwlock_rdlock(&w->life);
    if (atomic_load(&w->dead)) {
      pthread_rwlock_unlock(&w->life);
      return NULL;
    }
  }
  return w;
}

static void leave(view *w) {
  if (!w->anchored) pthread_rwlock_unlock(&w->life);
}

/* Checks common to every call on a view: ECLOSED after close_inert, a
 * leased view at its first address. */
static void after_call(view *w, const char *what, int r, int was_inert) {
  if (was_inert && r != MMK_ECLOSED)
    finding("%s on a view already closed inert returned %s, not MMK_ECLOSED", what,
            mmk_err_name(r));
  if (w->anchored) {
    void *d = mmk_view_data(w->v);
    if (d && (uintptr_t)d != w->data0)
      finding("a leased view moved from %p to %p (after %s)", (void *)w->data0, d, what);
  }
}

static int tmpfs_small(const char *path) {
  struct statfs s;
  return statfs(path, &s) == 0 && s.f_type == 0x01021994 /* TMPFS_MAGIC */ &&
         (uint64_t)s.f_blocks * (uint64_t)s.f_bsize <= (256ull << 20);
}

static int fs_nearly_full(int fd) {
  struct statfs s;
  if (fd < 0 || fstatfs(fd, &s) != 0) return 1;
  return s.f_blocks != 0 && (uint64_t)s.f_bavail * (uint64_t)s.f_bsize < (4ull << 20);
}

static void eio_check(view *w, const char *what, int r) {
  if (r == MMK_EIO && !O[w->obj].truncatable && !fs_nearly_full(mmk_file_fd(O[w->obj].wh)))
    finding("%s gave MMK_EIO on an object nobody shrinks", what);
}

static void pattern_check(const uint8_t *buf, int64_t o, int64_t n, const char *what) {
  for (int64_t k = 0; k < n; k++)
    if (buf[k] != pat(o + k) && buf[k] != 0) {
      finding("%s of the untouched pattern at object offset %lld gave 0x%02x, not 0x%02x or 0 "
              "(a stranger's memory?)",
              what, (long long)(o + k), buf[k], pat(o + k));
      return;
    }
}

/* ------------------------------------------------------------- the ops */

/* The view offset of object offset o; for a view that starts after o, a
 * fuzzed offset in the scratch page instead (never another's bytes). */
static int64_t rel(view *w, int64_t o, input *in) {
  return o >= w->voff ? o - w->voff : P_SCRATCH * g_page + u8(in) - w->voff;
}

static void op_read(thr *t, input *in) {
  view *w = enter(u8(in));
  if (!w) return;
  int kind = u8(in) % 3;
  int64_t o, n;
  if (kind == 0) {
    o = (P_PATTERN + u8(in) % 4) * g_page + u8(in);
    n = 1 + u16(in) % (2 * g_page);
  } else if (kind == 1) {
    o = u16(in) % (OBJ_PAGES * g_page);
    n = u16(in) % (2 * g_page);
  } else {
    o = (P_OWN + t->id) * g_page;
    n = g_page;
  }
  int64_t off = rel(w, o, in);
  int was_inert = atomic_load(&w->inert);
  int r = mmk_view_read(w->v, off, t->b, (size_t)n);
  check("mmk_view_read", r, OK_ | S(ERANGE) | S(ECLOSED) | S(EIO));
  after_call(w, "mmk_view_read", r, was_inert);
  eio_check(w, "mmk_view_read", r);
  if (r == 0 && kind == 0 && o >= w->voff) pattern_check(t->b, o, n, "mmk_view_read");
  leave(w);
}

/* Writes bytes only t writes (its own page) and reads them back. */
static void op_write_own(thr *t, input *in) {
  view *w = enter(u8(in));
  if (!w) return;
  int64_t in_page = u16(in) % g_page;
  int64_t o = (P_OWN + t->id) * g_page + in_page;
  int64_t n = 1 + u16(in) % (g_page - in_page);
  uint8_t seed = u8(in);
  for (int64_t k = 0; k < n; k++) t->a[k] = (uint8_t)(seed + k * 31);
  int64_t off = rel(w, o, in);
  if (o < w->voff) {
    leave(w);
    return; /* no random writes: they would break the others' oracles */
  }
  uint64_t q = quiet_begin();
  int was_inert = atomic_load(&w->inert);
  int r = mmk_view_write(w->v, off, t->a, (size_t)n);
  check("mmk_view_write", r, OK_ | S(ERANGE) | S(EACCES) | S(ECLOSED) | S(EIO));
  after_call(w, "mmk_view_write", r, was_inert);
  eio_check(w, "mmk_view_write", r);
  if ((r == MMK_EACCES) != (w->mode == MMK_READ) && r != MMK_ERANGE && r != MMK_ECLOSED)
    finding("mmk_view_write gave %s on a view of mode %d", mmk_err_name(r), w->mode);
  if (r == 0) {
    int r2 = mmk_view_read(w->v, off, t->b, (size_t)n);
    check("mmk_view_read", r2, OK_ | S(ERANGE) | S(ECLOSED) | S(EIO));
    if (r2 == 0 && quiet_still(q) && memcmp(t->a, t->b, (size_t)n) != 0)
      finding("bytes written to a thread's own page do not read back");
  }
  leave(w);
}

static void op_write_scratch(thr *t, input *in) {
  view *w = enter(u8(in));
  if (!w) return;
  int64_t o = P_SCRATCH * g_page + u16(in) % g_page;
  int64_t n = u16(in) % (P_SCRATCH * g_page + g_page - o + 1);
  memset(t->a, u8(in), (size_t)n);
  if (o >= w->voff) {
    int was_inert = atomic_load(&w->inert);
    int r = mmk_view_write(w->v, o - w->voff, t->a, (size_t)n);
    check("mmk_view_write", r, OK_ | S(ERANGE) | S(EACCES) | S(ECLOSED) | S(EIO));
    after_call(w, "mmk_view_write", r, was_inert);
    eio_check(w, "mmk_view_write", r);
  }
  leave(w);
}

static void op_atomic(thr *t, input *in) {
  (void)t;
  view *w = enter(u8(in));
  if (!w) return;
  int which = u8(in) % 5;
  int64_t o = which <= 1 ? COUNTER_OFF : FUTEX_OFF;
  int64_t off = rel(w, o, in);
  int size = which <= 1 ? 8 : 4;
  int aligned = (w->voff + off) % size == 0; /* views start at offset % page in memory */
  int was_inert = atomic_load(&w->inert);
  int r, writes = which != 1;
  uint64_t v64;
  uint32_t v32;
  switch (which) {
  case 0: r = mmk_atomic_fetch_add_u64(w->v, off, 1, &v64); break;
  case 1: r = mmk_atomic_load_u64(w->v, off, &v64); break;
  case 2: r = mmk_atomic_cas_u32(w->v, off, u8(in), u8(in), &v32); break;
  case 3: r = mmk_atomic_store_u32(w->v, off, u8(in)); break;
  default: r = mmk_atomic_fetch_add_u32(w->v, off, 1, &v32); break;
  }
  check("mmk_atomic_*", r,
        OK_ | S(EINVAL) | S(ERANGE) | S(ECLOSED) | S(EIO) | (writes ? S(EACCES) : 0));
  after_call(w, "mmk_atomic_*", r, was_inert);
  eio_check(w, "mmk_atomic_*", r);
  if (r == MMK_EINVAL && aligned) finding("an aligned atomic gave MMK_EINVAL");
  if (!aligned && r != MMK_EINVAL && r != MMK_ERANGE && r != MMK_ECLOSED)
    finding("a misaligned atomic gave %s", mmk_err_name(r));
  if (writes && r == 0 && w->mode == MMK_READ) finding("an atomic write to a read-only view succeeded");
  if (which == 0 && r == 0 && w->mode != MMK_COPY && o >= w->voff) O[w->obj].adds++;
  leave(w);
}

static void op_wait_wake(thr *t, input *in) {
  (void)t;
  view *w = enter(u8(in));
  if (!w) return;
  int64_t off = rel(w, FUTEX_OFF, in);
  int was_inert = atomic_load(&w->inert);
  if (u8(in) & 1) {
    uint32_t old;
    int r = mmk_atomic_fetch_add_u32(w->v, off, 1, &old);
    check("mmk_atomic_fetch_add_u32", r,
          OK_ | S(EINVAL) | S(ERANGE) | S(ECLOSED) | S(EIO) | S(EACCES));
    after_call(w, "mmk_atomic_fetch_add_u32", r, was_inert);
    int x = mmk_wake(w->v, off, 0);
    if (x < 0) check("mmk_wake", x, S(EINVAL) | S(ERANGE) | S(ECLOSED) | S(EIO));
    else if (x > MAXT - 1) finding("mmk_wake woke %d waiters, only %d threads may wait", x, MAXT - 1);
    after_call(w, "mmk_wake", x < 0 ? x : 0, was_inert);
  } else {
    uint32_t cur = 0;
    int r = mmk_atomic_load_u32(w->v, off, &cur);
    check("mmk_atomic_load_u32", r, OK_ | S(EINVAL) | S(ERANGE) | S(ECLOSED) | S(EIO));
    uint8_t sel = u8(in);
    int intr = sel & 0x40; /* the variant that returns MMK_EINTR on a signal */
    /* One long wait per input at most (bounded time), on a view that can
     * go inert under it. */
    int64_t timeout = sel < 8 && w->anchored && !atomic_exchange(&g_long_wait, 1) ? LONG_WAIT_NS : (int64_t)(sel % 3) * 1000000;
    int64_t t0 = now_ns();
    int x = intr ? mmk_wait_u32_intr(w->v, off, cur, timeout) : mmk_wait_u32(w->v, off, cur, timeout);
    int64_t t1 = now_ns();
    /* EINTR: libFuzzer's once-a-second SIGALRM */
    check("mmk_wait_u32", x,
          OK_ | S(ETIMEDOUT) | S(EINVAL) | S(ERANGE) | S(ECLOSED) | S(EIO) | (intr ? S(EINTR) : 0));
    after_call(w, "mmk_wait_u32", x, was_inert);
    eio_check(w, "mmk_wait_u32", x);
    int64_t ti = atomic_load(&w->inert_ns);
    if (x == MMK_ETIMEDOUT && timeout == LONG_WAIT_NS && ti > t0 && ti < t1 - INERT_SLACK_NS)
      finding("a wait on a view closed inert %lld ms before its end timed out instead of "
              "returning MMK_ECLOSED",
              (long long)((t1 - ti) / 1000000));
  }
  leave(w);
}

static void op_misc(thr *t, input *in) {
  (void)t;
  view *w = enter(u8(in));
  if (!w) return;
  int64_t off = u16(in) % (3 * g_page), len = u16(in) % (3 * g_page);
  int was_inert = atomic_load(&w->inert);
  int r;
  switch (u8(in) % 4) {
  case 0:
    r = mmk_view_flush(w->v, off, len, u8(in) % 3);
    check("mmk_view_flush", r, OK_ | S(ERANGE) | S(ECLOSED) | S(EIO) | S(ENOSPC));
    after_call(w, "mmk_view_flush", r, was_inert);
    break;
  case 1: {
    int adv = u8(in) % 6;
    if (adv == MMK_ADVICE_DONTNEED && w->mode == MMK_COPY) adv = MMK_ADVICE_WILLNEED;
    r = mmk_view_advise(w->v, off, len, adv);
    check("mmk_view_advise", r, OK_ | S(EINVAL) | S(ERANGE) | S(ECLOSED) | S(ENOTSUP));
    after_call(w, "mmk_view_advise", r, was_inert);
    break;
  }
  case 2: {
    int64_t res = -1;
    r = mmk_view_resident(w->v, off, len, &res);
    check("mmk_view_resident", r, OK_ | S(ERANGE) | S(ECLOSED) | S(ENOMEM));
    after_call(w, "mmk_view_resident", r, was_inert);
    if (r == 0 && (res < 0 || res > (len ? len : 64 * g_page)))
      finding("mmk_view_resident gave %lld for a range of %lld", (long long)res, (long long)len);
    break;
  }
  default:
    r = (u8(in) & 1) ? mmk_view_unlock_memory(w->v) : mmk_view_lock_memory(w->v);
    check("mmk_view_(un)lock_memory", r,
          OK_ | S(ENOMEM) | S(EPERM) | S(ECLOSED) | S(EINVAL) | S(EIO) | S(EAGAIN));
    after_call(w, "mmk_view_(un)lock_memory", r, was_inert);
    eio_check(w, "mmk_view_lock_memory", r);
    break;
  }
  leave(w);
}

static void op_resize(thr *t, input *in) {
  (void)t;
  view *w = enter(u8(in));
  if (!w) return;
  uint8_t sel = u8(in);
  int64_t n = (1 + sel % 20) * g_page - (u8(in) & 1 ? u8(in) : 0);
  if (sel >= 240 && g_sandbox && w->obj != OBJ_ANON) n = HUGE_GROW; /* ENOSPC: see op_file_resize */
  int64_t before = mmk_view_size(w->v);
  int copy = w->mode == MMK_COPY; /* a shrunk copy view drops private pages */
  if (copy) shrink_begin();
  int was_inert = atomic_load(&w->inert);
  int r = mmk_view_resize(w->v, n);
  if (copy) shrink_end();
  check("mmk_view_resize", r,
        OK_ | S(ERANGE) | S(EBUSY) | S(ENOMEM) | S(ENOSPC) | S(EFBIG) | S(ECLOSED));
  after_call(w, "mmk_view_resize", r, was_inert);
  if (r == MMK_ERANGE && w->mode == MMK_WRITE)
    finding("growing a MMK_WRITE view to %lld gave MMK_ERANGE", (long long)n);
  if (w->anchored && !was_inert && r == 0) {
    int64_t most = w->reserve0 > w->size0 ? w->reserve0 : w->size0;
    if (n < before) finding("a leased view shrank from %lld to %lld", (long long)before, (long long)n);
    if (n > most) finding("a leased view grew to %lld past its reservation %lld", (long long)n,
                          (long long)w->reserve0);
  }
  leave(w);
}

/* A binding's zero-copy export: lease, touch the memory directly, release.
 * Raw access only where no one truncates (a SIGBUS there is inherent). */
static void op_lease_raw(thr *t, input *in) {
  view *w = enter(u8(in));
  if (!w) return;
  int was_inert = atomic_load(&w->inert);
  int r = mmk_view_lease(w->v);
  check("mmk_view_lease", r, OK_ | S(ECLOSED));
  after_call(w, "mmk_view_lease", r, was_inert);
  if (r == 0) {
    uint8_t *d = mmk_view_data(w->v);
    int64_t sz = mmk_view_size(w->v); /* cannot shrink while leased */
    if (d && !O[w->obj].truncatable) {
      int64_t o = (P_PATTERN + u8(in) % 4) * g_page + u8(in), n = u16(in) % g_page;
      if (o >= w->voff && o - w->voff + n <= sz) {
        memcpy(t->b, d + (o - w->voff), (size_t)n);
        pattern_check(t->b, o, n, "a leased raw read");
      }
      o = (P_OWN + t->id) * g_page;
      n = u16(in) % g_page;
      if (w->mode != MMK_READ && o >= w->voff && o - w->voff + n <= sz) {
        memset(t->a, u8(in), (size_t)n);
        memcpy(d + (o - w->voff), t->a, (size_t)n);
        memcpy(t->b, d + (o - w->voff), (size_t)n);
        /* close_inert marks the view closed before it replaces the memory */
        if (!mmk_view_closed(w->v) && memcmp(t->a, t->b, (size_t)n) != 0)
          finding("a leased raw write does not read back");
      }
    }
    check("mmk_view_release", mmk_view_release(w->v), OK_);
  }
  leave(w);
}

static void op_close(thr *t, input *in) {
  (void)t;
  view *w = &V[u8(in) % NVIEWS];
  int inert = u8(in) & 1;
  if (!w->v) return;
  if (w->anchored) {
    int was_inert = atomic_load(&w->inert);
    if (inert) {
      atomic_store(&O[w->obj].spoiled, 1);
      atomic_store(&w->inerting, 1);
      int r = mmk_view_close_inert(w->v);
      check("mmk_view_close_inert", r, OK_);
      if (!was_inert) {
        int64_t zero = 0;
        atomic_compare_exchange_strong(&w->inert_ns, &zero, now_ns());
        atomic_store(&w->inert, 1);
      }
    } else {
      int r = mmk_view_close(w->v);
      check("mmk_view_close", r, S(EBUSY) | S(ECLOSED));
      if (was_inert && r != MMK_ECLOSED) finding("close of an inert view gave %s", mmk_err_name(r));
    }
    return;
  }
  pthread_rwlock_wrlock(&w->life);
  if (!atomic_load(&w->dead)) {
    /* Serialized with every other call on it, so no lease is held. */
    int r = inert ? mmk_view_close_inert(w->v) : mmk_view_close(w->v);
    check(inert ? "mmk_view_close_inert" : "mmk_view_close", r, OK_);
    if (r == 0) atomic_store(&w->dead, 1);
  }
  pthread_rwlock_unlock(&w->life);
}

/* Page 7 of the file or the shm object: exclusive lock (threads and the
 * peer each through their own handle), write, read back, unlock. */
static void op_locked(thr *t, input *in) {
  uint8_t sel = u8(in);
  int ob = sel & 1, wait = sel & 2 ? MMK_LOCK_WAIT_INTR : MMK_LOCK_WAIT;
  if (!t->lockh[ob]) return;
  /* The file lock first: no thread waits for it while holding a view. */
  int r = mmk_file_lock(t->lockh[ob], P_LOCKED * g_page, g_page, MMK_LOCK_EXCLUSIVE, wait);
  check("mmk_file_lock", r,
        OK_ | S(EDEADLK) | S(ENOMEM) | (wait == MMK_LOCK_WAIT_INTR ? S(EINTR) : 0));
  if (r != 0) return;
  view *w = enter(u8(in));
  if (w && w->obj == ob && w->mode == MMK_WRITE && w->voff <= P_LOCKED * g_page) {
    uint64_t q = quiet_begin();
    uint8_t seed = u8(in);
    for (int64_t k = 0; k < g_page; k++) t->a[k] = (uint8_t)(seed ^ (k * 7) ^ t->id);
    int64_t off = P_LOCKED * g_page - w->voff;
    int was_inert = atomic_load(&w->inert);
    int x = mmk_view_write(w->v, off, t->a, (size_t)g_page);
    check("mmk_view_write", x, OK_ | S(ERANGE) | S(ECLOSED) | S(EIO));
    after_call(w, "mmk_view_write", x, was_inert);
    eio_check(w, "mmk_view_write", x);
    sched_yield(); /* let a racing writer try */
    if (x == 0) {
      x = mmk_view_read(w->v, off, t->b, (size_t)g_page);
      check("mmk_view_read", x, OK_ | S(ERANGE) | S(ECLOSED) | S(EIO));
      if (x == 0 && quiet_still(q) && memcmp(t->a, t->b, (size_t)g_page))
        finding("bytes written under an exclusive lock changed before the unlock");
    }
  }
  check("mmk_file_unlock", mmk_file_unlock(t->lockh[ob], P_LOCKED * g_page, g_page), OK_);
  if (w) leave(w);
}

static void op_file_resize(thr *t, input *in) {
  (void)t;
  int ob = u8(in) & 1;
  uint8_t sel = u8(in);
  int64_t n = (sel % 16) * g_page + (u8(in) & 1 ? u8(in) : 0);
  if (sel >= 224 && g_sandbox) {
    /* A grow the small tmpfs refuses (ENOSPC): what it undoes must not
     * shrink the object below what the peer grew meanwhile (the peer
     * checks; no shrink is announced for a grow). */
    n = HUGE_GROW;
    int r = mmk_file_resize(O[ob].wh, n);
    check("mmk_file_resize", r, OK_ | S(ENOSPC) | S(EFBIG) | S(EIO));
    return;
  }
  if (!O[ob].truncatable) return;
  shrink_begin();
  int r = mmk_file_resize(O[ob].wh, n);
  shrink_end();
  check("mmk_file_resize", r, OK_ | S(ENOSPC) | S(EFBIG) | S(EIO));
}

static void op_getters(thr *t, input *in) {
  (void)t;
  view *w = enter(u8(in));
  if (!w) return;
  int was_inert = atomic_load(&w->inert);
  int64_t sz = mmk_view_size(w->v), res = mmk_view_reserved(w->v);
  int closed = mmk_view_closed(w->v);
  if (sz < 0 || res < 0) finding("view size %lld reserved %lld", (long long)sz, (long long)res);
  if (was_inert && !closed) finding("mmk_view_closed is 0 after close_inert returned");
  /* A getter racing close_inert may see "open" and then the 0 of a closed
   * view: only an offset change while nobody closes is a finding. */
  if (!closed && mmk_view_offset(w->v) != w->voff && !atomic_load(&w->inerting))
    finding("view offset changed to %lld", (long long)mmk_view_offset(w->v));
  if (w->anchored && mmk_view_leases(w->v) < 1) finding("an anchored view counts no lease");
  leave(w);
}

static void *thread_main(void *arg) {
  thr *t = arg;
  t->lockh[0] = t->lockh[1] = NULL;
  check("mmk_file_open", mmk_file_open(g_path, MMK_WRITE, 0, 0, &t->lockh[0]), OK_);
  check("mmk_shm_open", mmk_shm_open(g_shm, MMK_WRITE, 0, 0, &t->lockh[1]), OK_);
  pthread_barrier_wait(&g_start);
  input *in = &t->in;
  for (int k = 0; k < MAX_OPS && in->n > 0; k++) {
    switch (u8(in) % 14) {
    case 0: case 1: op_read(t, in); break;
    case 2: op_write_own(t, in); break;
    case 3: op_write_scratch(t, in); break;
    case 4: op_atomic(t, in); break;
    case 5: op_wait_wake(t, in); break;
    case 6: op_misc(t, in); break;
    case 7: case 8: op_resize(t, in); break;
    case 9: op_lease_raw(t, in); break;
    case 10: op_close(t, in); break;
    case 11: op_locked(t, in); break;
    case 12: op_file_resize(t, in); break;
    default: op_getters(t, in); break;
    }
  }
  for (int i = 0; i < 2; i++) check("mmk_file_close", mmk_file_close(t->lockh[i]), OK_);
  return NULL;
}

/* -------------------------------------------------------------- the peer */

static void peer_fail(const char *what) {
  fprintf(stderr, "fuzz_mt peer: %s\n", what);
  _exit(4);
}

/* The forked peer: plain system calls on its own descriptor, as another
 * program would. Waits for the parent's go (EOF: the parent is gone). */
/* The size the peer grew its object to must hold until someone announces a
 * shrink (a failed grow elsewhere that "undoes" by truncating breaks it). */
static void peer_size_check(int fd, int64_t grown, uint64_t quiet) {
  struct stat st;
  /* Quiet checked after fstat: a shrink started before it was seen counts. */
  if (grown && fstat(fd, &st) == 0 && st.st_size < grown && quiet_still(quiet))
    peer_fail("invariant violated: the object shrank below the size the peer grew it to, "
              "though nobody announced a shrink (a failed grow truncating back?)");
}

static void peer_main(int target, input in, int gofd) {
  char c;
  if (read(gofd, &c, 1) != 1) _exit(0);
  int fd = target == OBJ_FILE ? open(g_path, O_RDWR | O_CLOEXEC)
                              : shm_open(g_shm_os, O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) peer_fail("cannot open the object");
  static uint8_t a[1 << 16], b[1 << 16];
  int64_t grown = 0;
  uint64_t grown_quiet = UINT64_MAX;
  for (int k = 0; k < MAX_OPS && in.n > 0; k++) {
    peer_size_check(fd, grown, grown_quiet);
    uint8_t gap = u8(&in); /* spread the ops over the threads' run */
    if (gap < 64) {
      struct timespec pause = {0, 1000 + (long)gap * 1000};
      nanosleep(&pause, NULL);
    } else {
      sched_yield();
    }
    switch (u8(&in) % 4) {
    case 0: {
      off_t n = (off_t)((u8(&in) % 16) * g_page + (u8(&in) & 1 ? u8(&in) : 0));
      atomic_fetch_add(&g_sh->shrinks_started, 1);
      int r = ftruncate(fd, n);
      atomic_fetch_add(&g_sh->shrinks_done, 1);
      if (r != 0) peer_fail("ftruncate");
      break;
    }
    case 1: {
      uint8_t sel = u8(&in);
      int64_t n = (8 + sel % 12) * g_page;
      struct stat st;
      if (sel >= 128) {
        /* Sparse, so it works on a full tmpfs too; an ftruncate that may
         * shrink (someone grew past n meanwhile) is announced as one. */
        atomic_fetch_add(&g_sh->shrinks_started, 1);
        if (fstat(fd, &st) == 0 && st.st_size < n && ftruncate(fd, (off_t)n) != 0)
          peer_fail("ftruncate (grow)");
        atomic_fetch_add(&g_sh->shrinks_done, 1);
      } else {
        (void)posix_fallocate(fd, 0, (off_t)n); /* ENOSPC is fine */
      }
      /* Watched from a quiet point at which the object had grown. */
      grown_quiet = quiet_begin();
      grown = fstat(fd, &st) == 0 && st.st_size >= n ? n : 0;
      break;
    }
    case 2:
      memset(a, u8(&in), (size_t)g_page);
      if (pwrite(fd, a, (size_t)g_page, P_PEER * g_page) < 0) peer_fail("pwrite");
      break;
    default: {
      struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
                         .l_start = P_LOCKED * g_page, .l_len = g_page};
      if (fcntl(fd, F_OFD_SETLKW, &fl) != 0) peer_fail("F_OFD_SETLKW");
      uint64_t q = quiet_begin();
      memset(a, u8(&in) | 1, (size_t)g_page);
      ssize_t w = pwrite(fd, a, (size_t)g_page, P_LOCKED * g_page);
      sched_yield();
      ssize_t r = pread(fd, b, (size_t)g_page, P_LOCKED * g_page);
      if (w == g_page && r == g_page && quiet_still(q) &&
          memcmp(a, b, (size_t)g_page) != 0)
        peer_fail("invariant violated: bytes the peer wrote under its exclusive lock changed");
      fl.l_type = F_UNLCK;
      if (fcntl(fd, F_OFD_SETLK, &fl) != 0) peer_fail("F_OFD_SETLK unlock");
      break;
    }
    }
  }
  sched_yield();
  peer_size_check(fd, grown, grown_quiet);
  close(fd);
  _exit(0);
}

/* ------------------------------------------------------------ lifecycle */

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) fatal("opendir /proc/self/fd");
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    if (de->d_name[0] != '.') n++;
  closedir(d);
  return n - 1;
}

static int count_our_mappings(void) {
  FILE *fp = fopen("/proc/self/maps", "r");
  if (!fp) fatal("fopen /proc/self/maps");
  char line[1024];
  int n = 0;
  while (fgets(line, sizeof line, fp))
    if (strstr(line, g_dir) || strstr(line, g_shm) || strstr(line, "memfd:")) n++;
  fclose(fp);
  return n;
}

/* After a view is freed none of its pages stays mapped (msync: ENOMEM). */
static void check_unmapped(uintptr_t base, size_t span) {
  if (!base || !span) return;
  uintptr_t pages[2] = {base, base + ((span - 1) & ~(size_t)(g_page - 1))};
  for (int i = 0; i < 2; i++)
    if (msync((void *)pages[i], (size_t)g_page, MS_ASYNC) == 0 || errno != ENOMEM)
      finding("page %p of a freed view is still mapped", (void *)pages[i]);
}

static int fill_object(int fd, int64_t size) {
  static uint8_t buf[OBJ_PAGES << 16];
  if (size > (int64_t)sizeof buf) size = sizeof buf;
  for (int64_t k = 0; k < size; k++) buf[k] = k < g_page ? 0 : pat(k);
  return pwrite(fd, buf, (size_t)size, 0) == size ? 0 : -1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  g_page = mmk_page_size();
  atexit(print_stats);
  signal(SIGPIPE, SIG_IGN); /* a peer that is gone is reported by waitpid */
  g_trace = getenv("MMKFUZZ_TRACE") && !strcmp(getenv("MMKFUZZ_TRACE"), "1");
  g_soft = getenv("MMKFUZZ_SURVEY") && !strcmp(getenv("MMKFUZZ_SURVEY"), "1");
  const char *base = getenv("MMKFUZZ_DIR");
  snprintf(g_dir, sizeof g_dir, "%s/mmkfzmt.%d", base && *base ? base : "/tmp", (int)getpid());
  if (mkdir(g_dir, 0700) != 0 && errno != EEXIST) fatal("mkdir work dir");
  snprintf(g_path, sizeof g_path, "%s/obj", g_dir);
  const char *sb = getenv("MMKFUZZ_SANDBOX");
  g_sandbox = sb && !strcmp(sb, "1") && tmpfs_small(g_dir) && tmpfs_small("/dev/shm");
  snprintf(g_shm, sizeof g_shm, "mmkfzmt%d", (int)getpid());
  snprintf(g_shm_os, sizeof g_shm_os, "/%s", g_shm);
  g_sh = mmap(NULL, sizeof *g_sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (g_sh == MAP_FAILED) fatal("mmap shared page");
  fprintf(stderr, "fuzz_mt: work dir %s, shm %s, sandbox %s%s\n", g_dir, g_shm,
          g_sandbox ? "on (failing huge grows)" : "off", g_soft ? ", survey mode" : "");
  return 0;
}

/* Objects and views for one input; 0, or -1 when there is no room. */
static int setup(input *in) {
  int64_t size = OBJ_PAGES * g_page;
  int fd = open(g_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) fatal("create the file");
  int full = fill_object(fd, size);
  close(fd);
  if (full) return -1;
  check("mmk_file_open", mmk_file_open(g_path, MMK_WRITE, 0, 0, &O[OBJ_FILE].wh), OK_);
  check("mmk_file_open", mmk_file_open(g_path, MMK_COPY, 0, 0, &O[OBJ_FILE].ch), OK_);
  mmk_shm_unlink(g_shm);
  int r = mmk_shm_open(g_shm, MMK_WRITE, MMK_CREATE | MMK_EXCLUSIVE, size, &O[OBJ_SHM].wh);
  check("mmk_shm_open", r, OK_ | S(ENOSPC));
  if (r == 0) check("mmk_shm_open", mmk_shm_open(g_shm, MMK_COPY, 0, 0, &O[OBJ_SHM].ch), OK_);
  check("mmk_anon_create", mmk_anon_create(size, &O[OBJ_ANON].wh), OK_);
  for (int i = 0; i < NOBJ; i++)
    if (!O[i].wh || fill_object(mmk_file_fd(O[i].wh), size) != 0) return -1;
  /* The file existed; the shm object was created here; anonymous: 1. */
  if (mmk_file_created(O[OBJ_FILE].wh) != 0 || mmk_file_created(O[OBJ_FILE].ch) != 0 ||
      mmk_file_created(O[OBJ_SHM].wh) != 1 || mmk_file_created(O[OBJ_SHM].ch) != 0 ||
      mmk_file_created(O[OBJ_ANON].wh) != 1)
    finding("mmk_file_created is wrong for one of the objects of an input");

  for (int i = 0; i < NVIEWS; i++) {
    view *w = &V[i];
    memset(w, 0, sizeof *w);
    pthread_rwlock_init(&w->life, NULL);
    w->obj = u8(in) % NOBJ;
    static const int modes[] = {MMK_WRITE, MMK_WRITE, MMK_READ, MMK_COPY};
    w->mode = modes[u8(in) % 4];
    if (w->obj == OBJ_ANON && w->mode == MMK_COPY) w->mode = MMK_WRITE;
    const int64_t offs[] = {0, 0, 8, 1, g_page, 2 * g_page + 4};
    w->voff = offs[u8(in) % 6];
    const int64_t lens[] = {0, size - w->voff, (4 + u8(in) % 8) * g_page, 3 * g_page + 100,
                            size + 4 * g_page};
    int64_t len = lens[u8(in) % 5];
    int64_t res = u8(in) < 128 ? 0 : size + 12 * g_page;
    w->anchored = u8(in) & 1;
    mmk_file *f = w->mode == MMK_COPY ? O[w->obj].ch : O[w->obj].wh;
    r = mmk_map_reserve(f, w->voff, len, res, w->mode == MMK_READ ? MMK_MAP_READONLY : 0, &w->v);
    check("mmk_map_reserve", r, OK_ | S(ERANGE) | S(ENOSPC) | S(ENOMEM));
    if (r != 0) {
      w->v = NULL;
      continue;
    }
    w->size0 = mmk_view_size(w->v);
    w->reserve0 = mmk_view_reserved(w->v);
    w->data0 = (uintptr_t)mmk_view_data(w->v);
    if (w->anchored) check("mmk_view_lease", mmk_view_lease(w->v), OK_);
  }
  return 0;
}

static void teardown(void) {
  for (int i = 0; i < NVIEWS; i++) {
    view *w = &V[i];
    if (!w->v) continue;
    if (!atomic_load(&w->dead)) {
      int64_t leases = mmk_view_leases(w->v);
      if (leases != (w->anchored ? 1 : 0))
        finding("%lld leases left on a view, %d expected", (long long)leases, w->anchored);
      int inert = atomic_load(&w->inert);
      void *d = mmk_view_data(w->v);
      uintptr_t data = inert ? w->data0 : (uintptr_t)d;
      int64_t sz = mmk_view_size(w->v), res = mmk_view_reserved(w->v);
      if (inert) sz = w->size0, res = w->reserve0;
      uintptr_t base = data - (uintptr_t)(w->voff % g_page);
      size_t span = (size_t)(res > sz ? res : sz) + (size_t)(w->voff % g_page);
      if (!sz && !res) base = 0; /* an empty view maps nothing */
      if (w->anchored && !inert) check("mmk_view_close", mmk_view_close(w->v), S(EBUSY));
      if (w->anchored) check("mmk_view_release", mmk_view_release(w->v), OK_);
      if (!inert) check("mmk_view_close", mmk_view_close(w->v), OK_);
      check_unmapped(base, span);
    }
    pthread_rwlock_destroy(&w->life);
    w->v = NULL;
  }
  int shrunk = atomic_load(&g_sh->shrinks_started) != 0;
  for (int i = 0; i < NOBJ; i++) {
    if (!O[i].wh) continue;
    int64_t c = 0;
    if (pread(mmk_file_fd(O[i].wh), &c, 8, COUNTER_OFF) != 8) c = 0;
    int clean = !shrunk && !atomic_load(&O[i].spoiled);
    if (c > O[i].adds || (clean && c != O[i].adds))
      finding("object %d's counter is %lld after %lld successful fetch-adds (%s)", i,
              (long long)c, (long long)O[i].adds, clean ? "nothing shrank" : "after shrinks");
  }
  for (int i = 0; i < NOBJ; i++) {
    check("mmk_file_close", mmk_file_close(O[i].wh), OK_);
    check("mmk_file_close", mmk_file_close(O[i].ch), OK_);
    O[i].wh = O[i].ch = NULL;
    O[i].adds = 0;
    O[i].spoiled = 0;
  }
  check("mmk_shm_unlink", mmk_shm_unlink(g_shm), OK_ | S(ENOENT));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  input in = {data, size};
  st_inputs++;
  int base_fds = count_fds();
  uint8_t head = u8(&in);
  g_nthreads = 2 + head % 3;
  int peer = (head >> 2) % 3; /* OBJ_FILE, OBJ_SHM, or none */
  g_sh->shrinks_started = g_sh->shrinks_done = 0;
  g_long_wait = 0;
  if (setup(&in) != 0) {
    teardown();
    return 0;
  }
  for (int i = 0; i < NOBJ; i++) O[i].truncatable = i == OBJ_FILE || (i == OBJ_SHM && peer == OBJ_SHM);

  /* The rest of the input: one slice per thread, one for the peer. */
  size_t slice = in.n / (size_t)(g_nthreads + 1);
  for (int t = 0; t < g_nthreads; t++) {
    T[t].id = t;
    T[t].in.p = in.p + (size_t)t * slice;
    T[t].in.n = slice;
  }
  input peer_in = {in.p + (size_t)g_nthreads * slice, in.n - (size_t)g_nthreads * slice};

  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) fatal("pipe2");
  pid_t pid = -1;
  if (peer != 2) {
    pid = fork();
    if (pid < 0) fatal("fork");
    if (pid == 0) {
      close(go[1]);
      peer_main(peer, peer_in, go[0]);
    }
  }
  close(go[0]);
  pthread_barrier_init(&g_start, NULL, (unsigned)g_nthreads);
  for (int t = 0; t < g_nthreads; t++)
    if (pthread_create(&T[t].th, NULL, thread_main, &T[t]) != 0) fatal("pthread_create");
  if (pid > 0 && write(go[1], "g", 1) != 1) fatal("write go");
  close(go[1]);
  for (int t = 0; t < g_nthreads; t++) pthread_join(T[t].th, NULL);
  pthread_barrier_destroy(&g_start);
  if (pid > 0) {
    int st;
    pid_t w;
    while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR) {
      /* libFuzzer's once-a-second SIGALRM (its -timeout watchdog) */
    }
    if (w != pid) fatal("waitpid");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
      finding("the peer process ended with status 0x%x", st);
  }
  teardown();

  int fds = count_fds();
  if (fds != base_fds) finding("descriptor leak: %d open, %d before the input", fds, base_fds);
  int maps = count_our_mappings();
  if (maps) finding("mapping leak: %d mappings of the harness's objects remain", maps);
  int probe = shm_open(g_shm_os, O_RDONLY, 0);
  if (probe >= 0) {
    close(probe);
    finding("shared-memory object %s outlived the input", g_shm);
  }
  return 0;
}
