/* tests/c/test-race.c: every lifetime operation of a view (close, close
 * inert, resize growing in place / growing with a move / shrinking, the
 * release of the last lease) racing every access on another thread
 * (issue 11, numbers 1, 2 and 8 at the core level).
 *
 * Each pair runs in its own child process under a watchdog; the verdict is
 * "no crash, no hang, only documented statuses, right bytes": reads see
 * the file's pattern, the counters bumped by fetch-add and compare-exchange
 * equal the number of successful calls, and the file still holds every
 * byte afterwards. Accesses that need no lease run without one (a resize
 * then waits for them); the closes race accesses made under a lease, as
 * bindings make them (close is MMK_EBUSY, close inert turns them into
 * MMK_ECLOSED). The last cases put a call deterministically inside the
 * core (a trapped page of the caller's buffer, or a futex sleep) and show
 * that close, close inert and a moving resize wait for it. The last one
 * races mmk_file_from_fd against the caller swapping its descriptor, and
 * threads asking at once for the name of a from_fd handle. */
#include "test.h"

#include <stdatomic.h>
#if !defined(_WIN32)
#include <sys/syscall.h>
#endif

#define FILE_SIZE (1 << 20)
#define SMALL (64 << 10)
#define PAT_OFF 4096 /* [0, 64) are counters; the pattern starts here */
/* Rounds per pair: fewer under the sanitizers, whose calls are 10-50x
 * slower (the pairs still interleave: each round runs many calls). */
#define ROUNDS (TEST_TSAN || TEST_ASAN ? 1 : 3)

/* words of the counter area */
#define W_ADD32 0
#define W_ADD64 8
#define W_CAS32 16
#define W_CAS64 24
#define W_C32 32 /* constant words: stores write what is there */
#define W_C64 40
#define W_WAIT 48
#define C32 0x11223344u
#define C64 0x1122334455667788ull

enum access {
  A_READ, A_WRITE, A_LOAD32, A_LOAD64, A_STORE32, A_STORE64, A_ADD32,
  A_ADD64, A_CAS32, A_CAS64, A_WAIT, A_WAKE, A_FLUSH, A_ADVISE, A_RESIDENT,
  A_LEASE, A_MLOCK, A_LEASE_RANGE, A_COUNT
};
static const char *const access_name[A_COUNT] = {
    "read", "write", "load32", "load64", "store32", "store64",
    "fetch_add32", "fetch_add64", "cas32", "cas64", "wait", "wake",
    "flush", "advise", "resident", "lease", "lock_memory", "lease_range"};

enum life { L_CLOSE, L_CLOSE_INERT, L_GROW_IN_PLACE, L_GROW_MOVE, L_SHRINK,
            L_RELEASE };
static const char *const life_name[] = {"close", "close_inert",
                                        "grow_in_place", "grow_with_move",
                                        "shrink", "release"};

struct racer {
  mmk_view *view;
  enum access a;
  int leased;           /* holds a lease, released when it stops */
  _Atomic int stop;
  _Atomic int calls;
  _Atomic int closing;  /* the main thread is about to close inert */
  _Atomic int closed;   /* saw MMK_ECLOSED and stopped */
  uint64_t adds[4];     /* successful add32, add64, cas32, cas64 */
  uint32_t rnd;
  char fail[320];
};

static uint32_t next_rnd(uint32_t *s) {
  *s = *s * 1103515245u + 12345u;
  return *s >> 8;
}

static int racer_fail(struct racer *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int racer_fail(struct racer *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->fail, sizeof r->fail, fmt, ap);
  va_end(ap);
  return -1;
}

static int test_all_zero(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return 0;
  return 1;
}

/* One access; returns its status (wake: >= 0 is 0), or -1 after recording
 * wrong bytes in r->fail. */
static int access_once(struct racer *r) {
  mmk_view *v = r->view;
  int64_t off = PAT_OFF + next_rnd(&r->rnd) % (FILE_SIZE - PAT_OFF - 4096);
  unsigned char buf[512], want[512];
  size_t n = 1 + next_rnd(&r->rnd) % sizeof buf;
  uint32_t x32;
  uint64_t x64;
  int64_t res;
  int st;
  switch (r->a) {
  case A_READ:
    st = mmk_view_read(v, off, buf, n);
    test_fill_pattern(want, (uint64_t)off, n);
    if (st == 0 && memcmp(buf, want, n) != 0)
      return racer_fail(r, "read at %lld: wrong bytes", (long long)off);
    return st;
  case A_WRITE:
    test_fill_pattern(buf, (uint64_t)off, n);
    return mmk_view_write(v, off, buf, n);
  case A_LOAD32:
    st = mmk_atomic_load_u32(v, W_C32, &x32);
    if (st == 0 && x32 != C32) return racer_fail(r, "load32 0x%x", x32);
    return st;
  case A_LOAD64:
    st = mmk_atomic_load_u64(v, W_C64, &x64);
    if (st == 0 && x64 != C64)
      return racer_fail(r, "load64 0x%llx", (unsigned long long)x64);
    return st;
  case A_STORE32: return mmk_atomic_store_u32(v, W_C32, C32);
  case A_STORE64: return mmk_atomic_store_u64(v, W_C64, C64);
  case A_ADD32:
    st = mmk_atomic_fetch_add_u32(v, W_ADD32, 1, &x32);
    if (st == 0) r->adds[0]++;
    return st;
  case A_ADD64:
    st = mmk_atomic_fetch_add_u64(v, W_ADD64, 1, NULL);
    if (st == 0) r->adds[1]++;
    return st;
  case A_CAS32:
    st = mmk_atomic_load_u32(v, W_CAS32, &x32);
    if (st == 0) {
      uint32_t cur;
      st = mmk_atomic_cas_u32(v, W_CAS32, x32, x32 + 1, &cur);
      if (st == 0 && cur == x32) r->adds[2]++;
    }
    return st;
  case A_CAS64:
    st = mmk_atomic_load_u64(v, W_CAS64, &x64);
    if (st == 0) {
      uint64_t cur;
      st = mmk_atomic_cas_u64(v, W_CAS64, x64, x64 + 1, &cur);
      if (st == 0 && cur == x64) r->adds[3]++;
    }
    return st;
  case A_WAIT:
    st = mmk_wait_u32(v, W_WAIT, 0, 200000);
    return st == MMK_ETIMEDOUT ? 0 : st;
  case A_WAKE:
    st = mmk_wake(v, W_WAIT, 1);
    return st > 0 ? 0 : st;
  case A_FLUSH: return mmk_view_flush(v, off, (int64_t)n, MMK_FLUSH_ASYNC);
  case A_ADVISE:
    return mmk_view_advise(v, off, 8192,
                           (n & 1) ? MMK_ADVICE_WILLNEED : MMK_ADVICE_NORMAL);
  case A_RESIDENT:
    st = mmk_view_resident(v, off, 8192, &res);
    if (st == 0 && (res < 0 || res > 8192))
      return racer_fail(r, "resident %lld", (long long)res);
    return st;
  case A_LEASE:
    st = mmk_view_lease(v);
    return st == 0 ? mmk_view_release(v) : st;
  case A_MLOCK:
    st = mmk_view_lock_memory(v);
    return st == 0 ? mmk_view_unlock_memory(v) : st;
  case A_LEASE_RANGE: {
    void *p;
    st = mmk_view_lease_range(v, off, (int64_t)n, (int)(n & 1), &p);
    if (st) return st;
    /* Leased, the range stays mapped: plain loads, no guard needed. A
     * close_inert meanwhile replaces it by zeros (never the file's bytes
     * of somebody else, never unmapped). */
    test_fill_pattern(want, (uint64_t)off, n);
    if (memcmp(p, want, n) != 0 &&
        !(atomic_load(&r->closing) && test_all_zero(p, n)))
      st = racer_fail(r, "leased range at %lld: wrong bytes", (long long)off);
    if (mmk_view_release(v) != 0 && st == 0)
      st = racer_fail(r, "release: %s", mmk_last_error_message());
    return st;
  }
  default: return racer_fail(r, "unknown access");
  }
}

static int is_pattern_access(enum access a) {
  return a == A_READ || a == A_WRITE || a == A_FLUSH || a == A_ADVISE ||
         a == A_RESIDENT || a == A_LEASE_RANGE;
}

static void *racer_main(void *arg) {
  struct racer *r = arg;
  while (!atomic_load(&r->stop)) {
    int st = access_once(r);
    if (st == -1) break;
    atomic_fetch_add(&r->calls, 1);
    if (st == 0) continue;
    /* A shrunk view: the pattern range may lie past its end. */
    if (st == MMK_ERANGE && is_pattern_access(r->a)) continue;
    if (st == MMK_ECLOSED && atomic_load(&r->closing)) {
      atomic_store(&r->closed, 1);
      break;
    }
    racer_fail(r, "%s: status %s (%s)", access_name[r->a], mmk_err_name(st),
               mmk_last_error_message());
    break;
  }
  if (r->leased && mmk_view_release(r->view) != 0 && !r->fail[0])
    racer_fail(r, "release: %s", mmk_last_error_message());
  return NULL;
}

static void wait_calls(struct racer *r, int n) {
  while (atomic_load(&r->calls) < n && !r->fail[0] && !atomic_load(&r->closed))
    sched_yield();
}

static void pause_a_little(void) {
  struct timespec ts = {0, 100000};
  nanosleep(&ts, NULL);
}

/* A resize racing the lease access may meet a lease held at that moment:
 * MMK_EBUSY, documented, and the view unchanged; it is tried again. */
static void resize_to(mmk_view *v, int64_t n, enum access a) {
  int st;
  while ((st = mmk_view_resize(v, n)) == MMK_EBUSY &&
         (a == A_LEASE || a == A_LEASE_RANGE)) {
    ASSERT_NE(mmk_view_size(v), n);
    sched_yield();
  }
  ASSERT_OK(st);
  ASSERT_EQ(mmk_view_size(v), n);
}

static void make_race_file(const char *path) {
  test_make_pattern_file(path, FILE_SIZE);
  unsigned char words[64] = {0};
  uint32_t c32 = C32;
  uint64_t c64 = C64;
  memcpy(words + W_C32, &c32, 4);
  memcpy(words + W_C64, &c64, 8);
  test_pwrite(path, 0, words, sizeof words);
}

/* One pair, in the calling (child) process. */
static void run_pair(enum life L, enum access a) {
  const char *path = test_path("race.bin");
  uint64_t adds[4] = {0, 0, 0, 0};
  mmk_file *f = NULL;
  make_race_file(path);
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, 0, 0, &f));
  for (int round = 0; round < ROUNDS; round++) {
    mmk_view *v = NULL;
    int reserve = round % 2 == 0;
    switch (L) {
    case L_GROW_IN_PLACE:
      ASSERT_OK(mmk_map_reserve(f, 0, SMALL, FILE_SIZE, 0, &v));
      break;
    case L_GROW_MOVE: ASSERT_OK(mmk_map(f, 0, SMALL, 0, &v)); break;
    default:
      if (reserve)
        ASSERT_OK(mmk_map_reserve(f, 0, FILE_SIZE, FILE_SIZE, 0, &v));
      else
        ASSERT_OK(mmk_map(f, 0, FILE_SIZE, 0, &v));
    }
    static struct racer r;
    memset(&r, 0, sizeof r);
    r.view = v;
    r.a = a;
    r.rnd = (uint32_t)(getpid() * 31 + round);
    r.leased = L == L_CLOSE || L == L_CLOSE_INERT || L == L_RELEASE;
    if (r.leased) ASSERT_OK(mmk_view_lease(v));
    if (L == L_RELEASE) ASSERT_OK(mmk_view_lease(v)); /* the main's own */
    test_thread t;
    test_thread_start(&t, racer_main, &r);
    wait_calls(&r, 20);
    int inert = 0;
    switch (L) {
    case L_CLOSE:
      for (int k = 0; k < 50; k++) {
        ASSERT_STATUS(mmk_view_close(v), MMK_EBUSY);
        pause_a_little();
      }
      break;
    case L_CLOSE_INERT:
    case L_RELEASE:
      atomic_store(&r.closing, 1);
      ASSERT_OK(mmk_view_close_inert(v));
      if (L == L_RELEASE) ASSERT_OK(mmk_view_release(v));
      inert = 1;
      break;
    case L_GROW_IN_PLACE:
    case L_GROW_MOVE:
      for (int64_t n = 2 * SMALL; n <= FILE_SIZE; n += SMALL) {
        resize_to(v, n, a);
        pause_a_little();
      }
      if (L == L_GROW_IN_PLACE) ASSERT_EQ(mmk_view_reserved(v), FILE_SIZE);
      break;
    case L_SHRINK:
      for (int64_t n = FILE_SIZE - SMALL; n >= SMALL; n -= SMALL) {
        resize_to(v, n, a);
        pause_a_little();
      }
      break;
    }
    if (inert) {
      /* the racer stops at its first MMK_ECLOSED and releases its lease,
       * which frees the view: it must not be touched here any more */
      while (!atomic_load(&r.closed) && !r.fail[0]) sched_yield();
    } else {
      wait_calls(&r, atomic_load(&r.calls) + 5);
      atomic_store(&r.stop, 1);
    }
    test_thread_join(&t);
    if (r.fail[0])
      TEST_FAIL("%s vs %s, round %d: %s", life_name[L], access_name[a], round,
                r.fail);
    if (!inert) ASSERT_OK(mmk_view_close(v));
    for (int i = 0; i < 4; i++) adds[i] += r.adds[i];
  }
  ASSERT_OK(mmk_file_close(f));
  /* every byte is still there, every successful add counted once */
  unsigned char *got = malloc(FILE_SIZE), *want = malloc(FILE_SIZE);
  test_pread(path, 0, got, FILE_SIZE);
  test_fill_pattern(want, 0, FILE_SIZE);
  ASSERT_MEM_EQ(got + PAT_OFF, want + PAT_OFF, FILE_SIZE - PAT_OFF);
  uint32_t a32, c32;
  uint64_t a64, c64, k32, k64;
  memcpy(&a32, got + W_ADD32, 4);
  memcpy(&a64, got + W_ADD64, 8);
  memcpy(&c32, got + W_CAS32, 4);
  memcpy(&c64, got + W_CAS64, 8);
  memcpy(&k32, got + W_C32, 4);
  memcpy(&k64, got + W_C64, 8);
  ASSERT_UEQ(a32, adds[0]);
  ASSERT_UEQ(a64, adds[1]);
  ASSERT_UEQ(c32, adds[2]);
  ASSERT_UEQ(c64, adds[3]);
  ASSERT_UEQ((uint32_t)k32, C32);
  ASSERT_UEQ(k64, C64);
  free(got);
  free(want);
}

#if defined(_WIN32)
/* Windows: each pair in a new process of the test binary (its timeout is
 * the watchdog), the pair named in the environment. */
#define PAIR_ENV "MMK_TEST_RACE_PAIR"
TEST(child_runs_one_pair) {
  const char *e = getenv(PAIR_ENV);
  int L, a;
  if (!e || sscanf(e, "%d %d", &L, &a) != 2) TEST_FAIL("no %s", PAIR_ENV);
  run_pair((enum life)L, (enum access)a);
}

static void run_life(enum life L) {
  int failed = 0;
  for (int a = 0; a < A_COUNT; a++) {
    char pair[32];
    snprintf(pair, sizeof pair, "%d %d", (int)L, a);
    SetEnvironmentVariableA(PAIR_ENV, pair);
    int rc = test_run_child("child_runs_one_pair");
    if (rc != 0) {
      fprintf(stderr, "  FAIL %s vs %s: exit %d\n", life_name[L],
              access_name[a], rc);
      failed++;
    }
  }
  printf("  [%s] %d pairs, %d failed\n", life_name[L], A_COUNT, failed);
  if (failed) TEST_FAIL("%d of %d pairs failed", failed, A_COUNT);
}
#else
/* Every access against one lifetime operation, each pair in a child
 * process with a watchdog. */
static void run_life(enum life L) {
  int failed = 0;
  for (int a = 0; a < A_COUNT; a++) {
    pid_t pid = test_fork();
    if (pid == 0) {
      alarm(20);
      run_pair(L, (enum access)a);
      test_child_exit(0);
    }
    int st = test_wait(pid);
    if (WIFSIGNALED(st)) {
      fprintf(stderr, "  FAIL %s vs %s: killed by signal %d (%s)%s\n",
              life_name[L], access_name[a], WTERMSIG(st),
              strsignal(WTERMSIG(st)),
              WTERMSIG(st) == SIGALRM ? ": hung" : "");
      failed++;
    } else if (WEXITSTATUS(st) != 0) {
      fprintf(stderr, "  FAIL %s vs %s: exit %d\n", life_name[L],
              access_name[a], WEXITSTATUS(st));
      failed++;
    }
  }
  printf("  [%s] %d pairs, %d failed\n", life_name[L], A_COUNT, failed);
  if (failed) TEST_FAIL("%d of %d pairs failed", failed, A_COUNT);
}
#endif

TEST(test_race_close_is_ebusy_beside_leased_accesses) { run_life(L_CLOSE); }
TEST(test_race_close_inert_beside_leased_accesses) {
  run_life(L_CLOSE_INERT);
}
TEST(test_race_resize_grow_in_place_beside_accesses) {
  run_life(L_GROW_IN_PLACE);
}
TEST(test_race_resize_grow_with_move_beside_accesses) {
  run_life(L_GROW_MOVE);
}
TEST(test_race_resize_shrink_beside_accesses) { run_life(L_SHRINK); }
TEST(test_race_release_of_last_lease_beside_accesses) {
  run_life(L_RELEASE);
}

/* ---- a call held inside the core ------------------------------------ */
#if !defined(_WIN32) /* SIGSEGV handlers, gettid, /proc */

/* The caller's buffer is a PROT_NONE page: the copy inside the call
 * faults on it (SIGSEGV, which the fault guard never touches) and this
 * handler holds the thread there until released, then opens the page and
 * the copy resumes. A fault anywhere else is fatal, as without us. */
static char *trap_page;
static _Atomic int trapped, trap_open;

static void on_trap(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  char *a = si->si_addr;
  if (a < trap_page || a >= trap_page + 4096) {
    signal(sig, SIG_DFL);
    return;
  }
  atomic_store(&trapped, 1);
  while (!atomic_load(&trap_open)) sched_yield();
  mprotect(trap_page, 4096, PROT_READ | PROT_WRITE);
}

enum held { H_READ, H_WRITE, H_LOAD32, H_ADD32, H_CAS32, H_RESIDENT, H_WAIT,
            H_COUNT };
static const char *const held_name[H_COUNT] = {
    "read", "write", "load32", "fetch_add32", "cas32", "resident", "wait"};
enum held_life { HL_CLOSE, HL_CLOSE_INERT, HL_SHRINK, HL_MOVE, HL_COUNT };
static const char *const held_life_name[HL_COUNT] = {
    "close", "close_inert", "shrink", "grow_with_move"};

struct held_call {
  mmk_view *view;
  enum held h;
  _Atomic int tid;
  _Atomic int status;
  _Atomic int done;
  enum held_life L;
};

static void *held_main(void *arg) {
  struct held_call *c = arg;
  atomic_store(&c->tid, (int)syscall(SYS_gettid));
  int st;
  switch (c->h) {
  case H_READ: st = mmk_view_read(c->view, PAT_OFF, trap_page, 64); break;
  case H_WRITE: st = mmk_view_write(c->view, PAT_OFF, trap_page, 64); break;
  case H_LOAD32:
    st = mmk_atomic_load_u32(c->view, W_C32, (uint32_t *)trap_page);
    break;
  case H_ADD32:
    st = mmk_atomic_fetch_add_u32(c->view, W_ADD32, 1, (uint32_t *)trap_page);
    break;
  case H_CAS32:
    st = mmk_atomic_cas_u32(c->view, W_CAS32, 0, 1, (uint32_t *)trap_page);
    break;
  case H_RESIDENT:
    st = mmk_view_resident(c->view, 0, 8192, (int64_t *)trap_page);
    break;
  default: st = mmk_wait_u32(c->view, W_WAIT, 0, -1); break;
  }
  atomic_store(&c->status, st);
  atomic_store(&c->done, 1);
  return NULL;
}

static void *held_life_main(void *arg) {
  struct held_call *c = arg;
  int st;
  switch (c->L) {
  case HL_CLOSE: st = mmk_view_close(c->view); break;
  case HL_CLOSE_INERT: st = mmk_view_close_inert(c->view); break;
  case HL_SHRINK: st = mmk_view_resize(c->view, SMALL); break;
  default: st = mmk_view_resize(c->view, 2 * FILE_SIZE); break;
  }
  atomic_store(&c->status, st);
  atomic_store(&c->done, 1);
  return NULL;
}

/* Whether thread tid sleeps in futex(2) (syscall 202 on x86-64, 98 on
 * arm64) right now. */
/* qemu-user's /proc/<tid>/syscall shows the host's syscall numbers. */
#define TEST_FUTEX_PROBE_EMULATED                                             \
  "its /proc/<tid>/syscall shows the host's syscall numbers: a wait "         \
  "cannot be seen asleep in futex"

static int in_futex(int tid) {
  char p[64], line[64] = "";
  snprintf(p, sizeof p, "/proc/self/task/%d/syscall", tid);
  FILE *f = fopen(p, "r");
  if (!f) return 0;
  if (!fgets(line, sizeof line, f)) line[0] = 0;
  fclose(f);
  return atoi(line) == SYS_futex;
}

static void run_held(enum held_life L, enum held h) {
  const char *path = test_path("held.bin");
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  make_race_file(path);
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, 0, 0, &f));
  ASSERT_OK(mmk_map(f, 0, FILE_SIZE / 4, 0, &v));
  trap_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (trap_page == MAP_FAILED) TEST_FAIL("mmap: %s", strerror(errno));
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_trap;
  sa.sa_flags = SA_SIGINFO;
  CHECK_SYS(sigaction(SIGSEGV, &sa, NULL));
  static struct held_call call, life;
  memset(&call, 0, sizeof call);
  memset(&life, 0, sizeof life);
  call.view = life.view = v;
  call.h = h;
  life.L = L;
  test_thread tc, tl;
  test_thread_start(&tc, held_main, &call);
  /* until the call is inside the core: faulted on the page, or asleep */
  for (int i = 0; h == H_WAIT ? !in_futex(atomic_load(&call.tid))
                              : !atomic_load(&trapped);
       i++) {
    if (i > 20000) TEST_FAIL("the %s never got inside", held_name[h]);
    test_sleep_ms(1);
  }
  test_thread_start(&tl, held_life_main, &life);
  if (h == H_WAIT) {
    /* A close wakes the waiter (MMK_ECLOSED); a resize lets it step
     * aside and the wait goes on at the view's new address. */
    while (!atomic_load(&life.done)) test_sleep_ms(1);
    if (L == HL_SHRINK || L == HL_MOVE) {
      test_sleep_ms(20);
      ASSERT_FALSE(atomic_load(&call.done));
      ASSERT_OK(mmk_atomic_store_u32(v, W_WAIT, 1));
      ASSERT_GE(mmk_wake(v, W_WAIT, INT32_MAX), 0);
    }
  } else {
    test_sleep_ms(50);
    if (atomic_load(&life.done))
      TEST_FAIL("%s returned (%s) while a %s was inside the view",
                held_life_name[L], mmk_err_name(atomic_load(&life.status)),
                held_name[h]);
    atomic_store(&trap_open, 1);
  }
  test_thread_join(&tc);
  test_thread_join(&tl);
  ASSERT_OK(atomic_load(&life.status));
  int want = h == H_WAIT && (L == HL_CLOSE || L == HL_CLOSE_INERT)
                 ? MMK_ECLOSED
                 : MMK_OK;
  ASSERT_STATUS(atomic_load(&call.status), want);
  unsigned char pat[64];
  test_fill_pattern(pat, PAT_OFF, 64);
  if (h == H_READ) ASSERT_MEM_EQ(trap_page, pat, 64);
  if (h == H_LOAD32) ASSERT_UEQ(*(uint32_t *)trap_page, C32);
  if (L == HL_SHRINK || L == HL_MOVE) ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
  unsigned char got[64], zero[64] = {0};
  test_pread(path, PAT_OFF, got, 64);
  ASSERT_MEM_EQ(got, h == H_WRITE ? zero : pat, 64); /* the page opened 0 */
  uint32_t w;
  test_pread(path, W_ADD32, &w, 4);
  ASSERT_UEQ(w, h == H_ADD32 ? 1u : 0u);
  test_pread(path, W_CAS32, &w, 4);
  ASSERT_UEQ(w, h == H_CAS32 ? 1u : 0u);
  munmap(trap_page, 4096);
}

#endif

/* close, close inert and a resize that shrinks or moves the view wait for
 * a call that is inside the core (no lease held), and it completes with
 * the right bytes; a waiter is woken (closes: MMK_ECLOSED) or follows the
 * view to its new address (resizes). Each pair in a child process. */
TEST(test_race_lifetime_operations_wait_for_a_call_inside) {
#if defined(_WIN32)
  TEST_SKIP("holds a call inside the core with a SIGSEGV handler and sees a "
            "futex sleep in /proc (Linux)");
#else
  int failed = 0, ran = 0;
  for (int L = 0; L < HL_COUNT; L++)
    for (int h = 0; h < H_COUNT; h++) {
      if (h == H_WAIT && test_emulator()) {
        printf("  SKIP %s vs wait inside under %s: %s\n", held_life_name[L],
               test_emulator(), TEST_FUTEX_PROBE_EMULATED);
        continue;
      }
      ran++;
      pid_t pid = test_fork();
      if (pid == 0) {
        alarm(10);
        run_held((enum held_life)L, (enum held)h);
        test_child_exit(0);
      }
      int st = test_wait(pid);
      if (WIFSIGNALED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "  FAIL %s vs %s inside: %s %d\n", held_life_name[L],
                held_name[h], WIFSIGNALED(st) ? "signal" : "exit",
                WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
        failed++;
      }
    }
  printf("  [held] %d pairs, %d failed\n", ran, failed);
  if (failed) TEST_FAIL("%d of %d pairs failed", failed, ran);
#endif
}

/* A thread of the parent waits on the view (an in-flight call) when the
 * process forks: the child has no such thread, and its close must not
 * wait for it (issue 11, "smaller ones"). */
TEST(test_race_close_in_a_forked_child_does_not_wait_for_the_parents_threads) {
#if defined(_WIN32)
  TEST_SKIP("needs fork() (Windows has no fork: no inherited in-flight calls)");
#else
  TEST_SKIP_EMULATED(TEST_FUTEX_PROBE_EMULATED);
  const char *path = test_path("fork.bin");
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  make_race_file(path);
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, 0, 0, &f));
  ASSERT_OK(mmk_map(f, 0, SMALL, 0, &v));
  static struct held_call call;
  memset(&call, 0, sizeof call);
  call.view = v;
  call.h = H_WAIT;
  test_thread t;
  test_thread_start(&t, held_main, &call);
  for (int i = 0; !in_futex(atomic_load(&call.tid)); i++) {
    if (i > 20000) TEST_FAIL("the wait never slept");
    test_sleep_ms(1);
  }
  pid_t pid = test_fork();
  if (pid == 0) {
    alarm(10);
    ASSERT_OK(mmk_view_close(v));
    ASSERT_OK(mmk_file_close(f));
    test_child_exit(0);
  }
  ASSERT_CHILD_OK(pid);
  ASSERT_FALSE(atomic_load(&call.done));
  ASSERT_OK(mmk_atomic_store_u32(v, W_WAIT, 1));
  ASSERT_GE(mmk_wake(v, W_WAIT, INT32_MAX), 0);
  test_thread_join(&t);
  ASSERT_OK(atomic_load(&call.status));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
#endif
}

#if !defined(_WIN32)
/* mmk_file_from_fd racing the caller's own descriptor table: one thread
 * keeps replacing the number N (dup2, atomic) by a read-write regular
 * file A, a read-only descriptor of another file B, and a pipe, as a
 * program that closes and reopens while another thread maps would. Every
 * handle that comes back must be one whole, checked file: a mode the
 * descriptor allowed, its name and its bytes both A's or both B's, never
 * a pipe; every refusal a documented status. */
struct fd_race {
  int n;                /* the caller's number under attack */
  int a, b, pipe_rd;    /* what the swapper puts under it */
  ino_t ino_a, ino_b;
  const char *path_a, *path_b;
  _Atomic int stop;
  _Atomic int ok, refused;
  char fail[320];
};

static void *fd_swapper(void *arg) {
  struct fd_race *r = arg;
  int from[3] = {r->a, r->b, r->pipe_rd};
  for (unsigned i = 0; !atomic_load(&r->stop); i++)
    if (dup2(from[i % 3], r->n) < 0) {
      snprintf(r->fail, sizeof r->fail, "dup2: %s", strerror(errno));
      break;
    }
  return NULL;
}

static int fd_race_check(struct fd_race *r, int mode) {
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  struct stat st;
  int st_r = mmk_file_from_fd(r->n, mode, &f);
  if (st_r == MMK_ENODEV || (st_r == MMK_EACCES && mode == MMK_WRITE)) {
    atomic_fetch_add(&r->refused, 1);
    return 0;
  }
  if (st_r != MMK_OK) {
    snprintf(r->fail, sizeof r->fail, "from_fd: %s", mmk_last_error_message());
    return -1;
  }
  int is_a = fstat(mmk_file_fd(f), &st) == 0 && st.st_ino == r->ino_a;
  int is_b = !is_a && st.st_ino == r->ino_b;
  unsigned char got[256], want[256];
  if (!is_a && !is_b)
    snprintf(r->fail, sizeof r->fail, "a handle to neither file");
  else if (is_b && mode == MMK_WRITE)
    snprintf(r->fail, sizeof r->fail, "the read-only B was wrapped writable");
  else if (!strstr(mmk_file_path(f), is_a ? r->path_a : r->path_b))
    snprintf(r->fail, sizeof r->fail, "the name %s is not the file's",
             mmk_file_path(f));
  else if (mmk_map(f, PAT_OFF, sizeof got, 0, &v) != MMK_OK ||
           mmk_view_read(v, 0, got, sizeof got) != MMK_OK)
    snprintf(r->fail, sizeof r->fail, "map/read: %s", mmk_last_error_message());
  else {
    if (is_a) test_fill_pattern(want, PAT_OFF, sizeof want);
    else memset(want, 0xb5, sizeof want);
    if (memcmp(got, want, sizeof got) != 0)
      snprintf(r->fail, sizeof r->fail, "the bytes are not the file's");
  }
  if (v) mmk_view_close(v);
  mmk_file_close(f);
  atomic_fetch_add(&r->ok, 1);
  return r->fail[0] ? -1 : 0;
}

TEST(test_race_from_fd_beside_the_callers_descriptor_swaps) {
  static struct fd_race r;
  memset(&r, 0, sizeof r);
  r.path_a = test_path("a.bin");
  r.path_b = test_path("b.bin");
  make_race_file(r.path_a);
  unsigned char fill[8192];
  memset(fill, 0xb5, sizeof fill);
  int fd = open(r.path_b, O_RDWR | O_CREAT, 0600);
  CHECK_SYS(fd);
  CHECK_SYS(pwrite(fd, fill, sizeof fill, 0));
  close(fd);
  int p[2];
  CHECK_SYS(pipe(p));
  r.a = open(r.path_a, O_RDWR);
  r.b = open(r.path_b, O_RDONLY);
  CHECK_SYS(r.a);
  CHECK_SYS(r.b);
  r.pipe_rd = p[0];
  /* far above the numbers the duplicates get, so no dup2 hits one */
  r.n = fcntl(r.a, F_DUPFD, 200);
  CHECK_SYS(r.n);
  struct stat st;
  CHECK_SYS(fstat(r.a, &st));
  r.ino_a = st.st_ino;
  CHECK_SYS(fstat(r.b, &st));
  r.ino_b = st.st_ino;
  test_thread t;
  test_thread_start(&t, fd_swapper, &r);
  const int modes[] = {MMK_READ, MMK_WRITE, MMK_COPY};
  uint64_t end = test_now_ns() + 2000000000ull;
  int calls = 0, bad = 0;
  while (!bad && (calls < 3000 || atomic_load(&r.ok) == 0 ||
                  atomic_load(&r.refused) == 0) &&
         test_now_ns() < end)
    bad = fd_race_check(&r, modes[calls++ % 3]);
  atomic_store(&r.stop, 1);
  test_thread_join(&t);
  printf("  [from_fd] %d calls: %d handles checked, %d refused\n", calls,
         atomic_load(&r.ok), atomic_load(&r.refused));
  if (r.fail[0]) TEST_FAIL("%s", r.fail);
  ASSERT_GT(atomic_load(&r.ok), 0);
  ASSERT_GT(atomic_load(&r.refused), 0);
  close(r.n);
  close(r.a);
  close(r.b);
  close(p[0]);
  close(p[1]);
}
/* One mmk_file_from_fd handle, its name not yet asked for, and threads
 * that all at once ask for it (mmk_file_path) or make calls fail on it,
 * which name it in their messages: the first asks race to publish the
 * name. Every answer is the file's name as the handle's own descriptor
 * gives it (the file was renamed and the caller's number reused after
 * wrapping), one string for the handle's life, and every thread's
 * message carries it. Many handles, so the first ask races many times. */
#define NAME_THREADS 4
struct name_race {
  mmk_file *f;
  const char *want;
  _Atomic int ready, go;
  _Atomic(const char *) seen;
  char fail[NAME_THREADS][320];
};
struct name_racer {
  struct name_race *r;
  int id;
};

static void *name_racer_run(void *arg) {
  struct name_racer *me = arg;
  struct name_race *r = me->r;
  char *fail = r->fail[me->id];
  mmk_view *v = NULL;
  atomic_fetch_add(&r->ready, 1);
  while (!atomic_load(&r->go)) sched_yield();
  for (int i = 0; i < 64 && !fail[0]; i++) {
    const char *p = NULL, *expected = NULL;
    int st = MMK_OK;
    switch ((i + me->id) % 3) {
    case 0: p = mmk_file_path(r->f); break;
    case 1: st = mmk_file_resize(r->f, 10); break; /* read-only: EACCES */
    default: st = mmk_map(r->f, -1, 10, 0, &v); break; /* EINVAL */
    }
    if (p) {
      if (!atomic_compare_exchange_strong(&r->seen, &expected, p) &&
          expected != p)
        snprintf(fail, 320, "two strings for one handle: %p, %p",
                 (const void *)expected, (const void *)p);
      else if (strcmp(p, r->want) != 0)
        snprintf(fail, 320, "path %s, want %s", p, r->want);
    } else if (st != MMK_EACCES && st != MMK_EINVAL) {
      snprintf(fail, 320, "status %d: %s", st, mmk_last_error_message());
    } else if (strcmp(mmk_last_error_path(), r->want) != 0 ||
               !strstr(mmk_last_error_message(), r->want)) {
      snprintf(fail, 320, "error path %s (%s), want %s", mmk_last_error_path(),
               mmk_last_error_message(), r->want);
    }
  }
  return NULL;
}

TEST(test_race_from_fd_name_asked_by_many_threads_at_once) {
#if defined(__linux__) || defined(F_GETPATH)
  const char *path = test_path("first.bin");
  const char *moved = test_path("renamed.bin");
  char real[PATH_MAX];
  make_race_file(path);
  int rounds = TEST_TSAN || TEST_ASAN ? 20 : 100;
  for (int round = 0; round < rounds; round++) {
    static struct name_race r;
    struct name_racer who[NAME_THREADS];
    test_thread t[NAME_THREADS];
    memset(&r, 0, sizeof r);
    int fd = open(round % 2 ? moved : path, O_RDONLY);
    CHECK_SYS(fd);
    ASSERT_OK(mmk_file_from_fd(fd, MMK_READ, &r.f));
    CHECK_SYS(rename(round % 2 ? moved : path, round % 2 ? path : moved));
    close(fd);
    int other = open("/dev/null", O_RDONLY); /* likely under fd's number */
    CHECK_SYS(other);
    ASSERT_NOT_NULL(realpath(round % 2 ? path : moved, real));
    r.want = real;
    for (int i = 0; i < NAME_THREADS; i++) {
      who[i].r = &r;
      who[i].id = i;
      test_thread_start(&t[i], name_racer_run, &who[i]);
    }
    while (atomic_load(&r.ready) < NAME_THREADS) sched_yield();
    atomic_store(&r.go, 1);
    for (int i = 0; i < NAME_THREADS; i++) test_thread_join(&t[i]);
    for (int i = 0; i < NAME_THREADS; i++)
      if (r.fail[i][0]) TEST_FAIL("round %d, thread %d: %s", round, i,
                                  r.fail[i]);
    ASSERT_PTR_EQ(mmk_file_path(r.f), atomic_load(&r.seen));
    ASSERT_OK(mmk_file_close(r.f));
    close(other);
  }
#else
  TEST_SKIP("no way to ask the system for a descriptor's path");
#endif
}
#endif /* !_WIN32 */

/* A view growing step by step past its file's end (each step grows the
 * file; on Windows without placeholders each step maps the granule the
 * old end lay in again) racing reads of the bytes that were there: every
 * read succeeds and sees them, and the file keeps them. */
#define GROW_FILE 100000 /* ends inside a 64 KiB granule */
#define GROW_TO (4 * 65536)
struct grow_reader {
  mmk_view *v;
  _Atomic int stop;
  _Atomic long reads;
  char fail[200];
};

static void *grow_reader_main(void *arg) {
  struct grow_reader *g = arg;
  unsigned char buf[512], want[512];
  uint32_t rnd = 7;
  while (!atomic_load(&g->stop) && !g->fail[0]) {
    int64_t off = next_rnd(&rnd) % (GROW_FILE - sizeof buf);
    int st = mmk_view_read(g->v, off, buf, sizeof buf);
    test_fill_pattern(want, (uint64_t)off, sizeof buf);
    if (st)
      snprintf(g->fail, sizeof g->fail, "read at %lld: %s", (long long)off,
               mmk_last_error_message());
    else if (memcmp(buf, want, sizeof buf) != 0) {
      size_t i = 0, zeros = 0;
      while (buf[i] == want[i]) i++;
      for (size_t j = i; j < sizeof buf; j++) zeros += buf[j] == 0;
      snprintf(g->fail, sizeof g->fail,
               "read at %lld: wrong bytes from %lld on (0x%02x, not 0x%02x;"
               " %zu of the %zu bytes from there are 0)",
               (long long)off, (long long)(off + (int64_t)i), buf[i], want[i],
               zeros, sizeof buf - i);
    }
    g->reads++;
  }
  return NULL;
}

TEST(test_race_growth_past_the_files_end_beside_reads) {
  const char *path = test_path("grow-end.bin");
  static unsigned char got[GROW_TO], want[GROW_TO];
  int rounds = TEST_TSAN || TEST_ASAN ? 3 : 20;
  if (test_emulator() && !strcmp(test_emulator(), "wine64"))
    TEST_SKIP("under Wine 8 a read racing the remap of the granule the "
              "file's old end lay in now and then copies zeros from "
              "pages that hold the file's bytes (about 1 run in 20, no "
              "error; the MMK_EIO of the same race is fixed): whether Wine "
              "or the Win32 backend, only real Windows can tell");
  for (int round = 0; round < rounds; round++) {
    static struct grow_reader g;
    mmk_file *f = NULL;
    test_thread t;
    memset(&g, 0, sizeof g);
    test_make_pattern_file(path, GROW_FILE);
    ASSERT_OK(mmk_file_open(path, MMK_WRITE, 0, 0, &f));
    ASSERT_OK(mmk_map_reserve(f, 0, GROW_FILE, GROW_TO, 0, &g.v));
    test_thread_start(&t, grow_reader_main, &g);
    /* The race starts once the reader runs (under Wine 8 the first
     * loads of a new thread racing an unmap and remap of a file view
     * read zeros now and then, mmapkit or not). */
    while (!atomic_load(&g.reads) && !g.fail[0]) sched_yield();
    for (int64_t n = GROW_FILE; n < GROW_TO;) {
      n = n + 4096 < GROW_TO ? n + 4096 : GROW_TO;
      ASSERT_OK(mmk_view_resize(g.v, n));
    }
    atomic_store(&g.stop, 1);
    test_thread_join(&t);
    if (g.fail[0]) TEST_FAIL("round %d, after %ld reads: %s", round, atomic_load(&g.reads),
                             g.fail);
    ASSERT_OK(mmk_view_close(g.v));
    ASSERT_OK(mmk_file_close(f));
  }
  test_pread(path, 0, got, GROW_TO);
  test_fill_pattern(want, 0, GROW_FILE);
  memset(want + GROW_FILE, 0, GROW_TO - GROW_FILE);
  ASSERT_MEM_EQ(got, want, GROW_TO);
}

static const test_case tests[] = {
    TEST_ENTRY(test_race_close_is_ebusy_beside_leased_accesses),
    TEST_ENTRY(test_race_close_inert_beside_leased_accesses),
    TEST_ENTRY(test_race_resize_grow_in_place_beside_accesses),
    TEST_ENTRY(test_race_resize_grow_with_move_beside_accesses),
    TEST_ENTRY(test_race_resize_shrink_beside_accesses),
    TEST_ENTRY(test_race_release_of_last_lease_beside_accesses),
    TEST_ENTRY(test_race_growth_past_the_files_end_beside_reads),
    TEST_ENTRY(test_race_lifetime_operations_wait_for_a_call_inside),
    TEST_ENTRY(test_race_close_in_a_forked_child_does_not_wait_for_the_parents_threads),
#if !defined(_WIN32)
    TEST_ENTRY(test_race_from_fd_beside_the_callers_descriptor_swaps),
    TEST_ENTRY(test_race_from_fd_name_asked_by_many_threads_at_once),
#endif
#if defined(_WIN32)
    TEST_ENTRY_FLAGS(child_runs_one_pair, TEST_CHILD_ONLY),
#endif
    TEST_END};

int main(int argc, char **argv) { return test_main(argc, argv, tests); }
