/*
 * futex-pingpong: the C baselines for the cross-language atomics benchmarks.
 *
 *   futex-pingpong [--rounds N] [--repeat R] [--ops N] [--cpus P,C]
 *                  [--pingpong-only] [--json FILE]
 *
 * 1. Ping-pong between two processes (fork) over one 32-bit word in a
 *    MAP_SHARED anonymous page: the parent stores 2i+1 and wakes the child,
 *    the child answers 2i+2 and wakes the parent; each side sleeps with
 *    FUTEX_WAIT (shared, not private: the word may be in another process's
 *    mapping) while the word still holds its own last value. Measured as
 *    microseconds per round trip, in two forms:
 *      - "futex": raw syscall(SYS_futex), no spinning (the plain baseline);
 *      - "mmk":   mmk_atomic_store_u32 + mmk_wake + mmk_wait_u32 on a view
 *                 of mmk_anon_create memory (what every binding calls).
 * 2. Uncontended 64-bit fetch-add, ns per operation: a raw
 *    __atomic_fetch_add on the mapped word vs mmk_atomic_fetch_add_u64.
 *
 * --cpus P,C pins the parent to CPU P and the child to CPU C (P == C: both
 * share one CPU, every hand-over is a context switch; P != C: every
 * hand-over is a cross-CPU wake-up). Unpinned, the scheduler decides, and the
 * figure moves between those two cases from run to run.
 *
 * Each figure is the median of R repetitions (min and max are reported
 * too). Prints a markdown table; with --json also writes the results as JSON
 * (read by bench/atomics/run.py). A benchmark, not a test: nothing here
 * asserts a speed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mmapkit.h"

#define CHECK(call)                                                            \
  do {                                                                         \
    int rc_ = (call);                                                          \
    if (rc_ < 0) {                                                             \
      fprintf(stderr, "%s:%d: %s failed: %s (%s)\n", __FILE__, __LINE__,       \
              #call, mmk_last_error_message(), mmk_err_name(rc_));             \
      _exit(1);                                                                \
    }                                                                          \
  } while (0)

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef struct {
  const char *name;
  const char *unit;
  const char *what;
  double median, min, max;
  int repeat;
  long long count; /* round trips or operations per repetition */
} result;

static void summarize(result *r, double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  r->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  r->min = v[0];
  r->max = v[n - 1];
  r->repeat = n;
}

/* ---- raw futex ping-pong ------------------------------------------------ */

static long futex(uint32_t *addr, int op, uint32_t val) {
  return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

/* Sleeps while *w == v (raw futex; EAGAIN/EINTR/spurious: re-check). */
static void raw_wait(uint32_t *w, uint32_t v) {
  while (__atomic_load_n(w, __ATOMIC_ACQUIRE) == v) {
    if (futex(w, FUTEX_WAIT, v) < 0 && errno != EAGAIN && errno != EINTR) {
      perror("futex(FUTEX_WAIT)");
      _exit(1);
    }
  }
}

static void raw_post(uint32_t *w, uint32_t v) {
  __atomic_store_n(w, v, __ATOMIC_RELEASE);
  if (futex(w, FUTEX_WAKE, 1) < 0) {
    perror("futex(FUTEX_WAKE)");
    _exit(1);
  }
}

/* The two sides of one ping-pong; word holds 0 at the start. */
static void raw_child(uint32_t *w, long rounds) {
  for (long i = 0; i < rounds; i++) {
    raw_wait(w, (uint32_t)(2 * i));
    raw_post(w, (uint32_t)(2 * i + 2));
  }
}

static void raw_parent(uint32_t *w, long rounds) {
  for (long i = 0; i < rounds; i++) {
    raw_post(w, (uint32_t)(2 * i + 1));
    raw_wait(w, (uint32_t)(2 * i + 1));
  }
}

/* ---- the same through the core ------------------------------------------ */

static void mmk_post(mmk_view *v, uint32_t x) {
  CHECK(mmk_atomic_store_u32(v, 0, x));
  CHECK(mmk_wake(v, 0, 1));
}

static void mmk_child(mmk_view *v, long rounds) {
  for (long i = 0; i < rounds; i++) {
    CHECK(mmk_wait_u32(v, 0, (uint32_t)(2 * i), -1));
    mmk_post(v, (uint32_t)(2 * i + 2));
  }
}

static void mmk_parent(mmk_view *v, long rounds) {
  for (long i = 0; i < rounds; i++) {
    mmk_post(v, (uint32_t)(2 * i + 1));
    CHECK(mmk_wait_u32(v, 0, (uint32_t)(2 * i + 1), -1));
  }
}

static int pin_parent = -1, pin_child = -1;

static void pin(int cpu) {
  cpu_set_t set;
  if (cpu < 0) return;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) < 0) {
    perror("sched_setaffinity");
    _exit(1);
  }
}

static void unpin(void) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c = 0; c < CPU_SETSIZE; c++) CPU_SET(c, &set);
  sched_setaffinity(0, sizeof set, &set); /* best effort: extra CPUs ignored */
}

/* One timed ping-pong of `rounds` round trips (after a short warm-up that
 * also proves both sides are running); microseconds per round trip. */
static double pingpong_once(int use_mmk, long rounds) {
  const long warm = 200;
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  uint32_t *w;
  pid_t pid;
  int status;
  double t0, t1;

  CHECK(mmk_anon_create(4096, &f));
  CHECK(mmk_map(f, 0, 4096, 0, &v));
  w = (uint32_t *)mmk_view_data(v);
  *w = 0;

  pin(pin_parent);
  pid = fork();
  if (pid < 0) {
    perror("fork");
    exit(1);
  }
  if (pid == 0) {
    pin(pin_child);
    if (use_mmk) mmk_child(v, warm + rounds);
    else raw_child(w, warm + rounds);
    _exit(0);
  }
  /* Warm-up, then the timed rounds continue the same sequence. */
  if (use_mmk) mmk_parent(v, warm);
  else raw_parent(w, warm);
  t0 = now_s();
  if (use_mmk) {
    for (long i = warm; i < warm + rounds; i++) {
      mmk_post(v, (uint32_t)(2 * i + 1));
      CHECK(mmk_wait_u32(v, 0, (uint32_t)(2 * i + 1), -1));
    }
  } else {
    for (long i = warm; i < warm + rounds; i++) {
      raw_post(w, (uint32_t)(2 * i + 1));
      raw_wait(w, (uint32_t)(2 * i + 1));
    }
  }
  t1 = now_s();
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    fprintf(stderr, "ping-pong child failed (status %d)\n", status);
    exit(1);
  }
  if (*w != (uint32_t)(2 * (warm + rounds))) {
    fprintf(stderr, "ping-pong ended at %u, expected %ld\n", *w,
            2 * (warm + rounds));
    exit(1);
  }
  CHECK(mmk_view_close(v));
  CHECK(mmk_file_close(f));
  if (pin_parent >= 0) unpin();
  return (t1 - t0) / (double)rounds * 1e6;
}

/* ---- uncontended fetch-add ---------------------------------------------- */

static double fetch_add_once(int use_mmk, long ops) {
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  uint64_t *w, old = 0, sink = 0;
  double t0, t1;

  CHECK(mmk_anon_create(4096, &f));
  CHECK(mmk_map(f, 0, 4096, 0, &v));
  w = (uint64_t *)mmk_view_data(v) + 1; /* offset 8 */
  *w = 0;
  t0 = now_s();
  if (use_mmk) {
    for (long i = 0; i < ops; i++) {
      CHECK(mmk_atomic_fetch_add_u64(v, 8, 1, &old));
      sink += old;
    }
  } else {
    for (long i = 0; i < ops; i++)
      sink += __atomic_fetch_add(w, 1, __ATOMIC_SEQ_CST);
  }
  t1 = now_s();
  if (*w != (uint64_t)ops || sink != (uint64_t)ops * (uint64_t)(ops - 1) / 2) {
    fprintf(stderr, "fetch-add count wrong: %" PRIu64 "\n", *w);
    exit(1);
  }
  CHECK(mmk_view_close(v));
  CHECK(mmk_file_close(f));
  return (t1 - t0) / (double)ops * 1e9;
}

/* ---- driver -------------------------------------------------------------- */

static void usage(const char *argv0) {
  fprintf(stderr,
          "usage: %s [--rounds N] [--repeat R] [--ops N] [--cpus P,C]\n"
          "       [--pingpong-only] [--json FILE]\n",
          argv0);
  exit(2);
}

static long parse_long(const char *s, const char *argv0) {
  char *end;
  long x;
  errno = 0;
  x = strtol(s, &end, 10);
  if (errno || *end || x <= 0) usage(argv0);
  return x;
}

int main(int argc, char **argv) {
  long rounds = 5000, ops = 20000000;
  int repeat = 5;
  const char *json = NULL;
  int pingpong_only = 0;
  result res[4];
  double *v;
  int nres = 0;

  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
      rounds = parse_long(argv[++i], argv[0]);
    else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
      repeat = (int)parse_long(argv[++i], argv[0]);
    else if (!strcmp(argv[i], "--ops") && i + 1 < argc)
      ops = parse_long(argv[++i], argv[0]);
    else if (!strcmp(argv[i], "--cpus") && i + 1 < argc) {
      if (sscanf(argv[++i], "%d,%d", &pin_parent, &pin_child) != 2 ||
          pin_parent < 0 || pin_child < 0)
        usage(argv[0]);
    } else if (!strcmp(argv[i], "--pingpong-only"))
      pingpong_only = 1;
    else if (!strcmp(argv[i], "--json") && i + 1 < argc)
      json = argv[++i];
    else
      usage(argv[0]);
  }
  v = calloc((size_t)repeat, sizeof *v);
  if (!v) return 1;

  static const struct {
    const char *name, *unit, *what;
    int kind; /* 0 ping-pong, 1 fetch-add */
    int use_mmk;
  } cases[] = {
      {"c_futex_pingpong", "us/round-trip",
       "C: raw FUTEX_WAIT/FUTEX_WAKE, two processes", 0, 0},
      {"c_mmk_pingpong", "us/round-trip",
       "C: mmk_wait_u32/mmk_wake, two processes", 0, 1},
      {"c_atomic_fetch_add", "ns/op", "C: __atomic_fetch_add (baseline)", 1,
       0},
      {"c_mmk_fetch_add", "ns/op", "C: mmk_atomic_fetch_add_u64", 1, 1},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    result *r;
    if (pingpong_only && cases[c].kind != 0) continue;
    r = &res[nres++];
    for (int k = 0; k < repeat; k++)
      v[k] = cases[c].kind == 0 ? pingpong_once(cases[c].use_mmk, rounds)
                                : fetch_add_once(cases[c].use_mmk, ops);
    r->name = cases[c].name;
    r->unit = cases[c].unit;
    r->what = cases[c].what;
    r->count = cases[c].kind == 0 ? rounds : ops;
    summarize(r, v, repeat);
  }

  printf("| benchmark | median | min | max | unit |\n|---|---|---|---|---|\n");
  for (int i = 0; i < nres; i++)
    printf("| %s | %.2f | %.2f | %.2f | %s |\n", res[i].what, res[i].median,
           res[i].min, res[i].max, res[i].unit);

  if (json) {
    FILE *f = fopen(json, "w");
    if (!f) {
      fprintf(stderr, "cannot write %s: %s\n", json, strerror(errno));
      return 1;
    }
    fprintf(f, "{\"suite\": \"c-atomics\", \"results\": [\n");
    for (int i = 0; i < nres; i++)
      fprintf(f,
              "  {\"name\": \"%s\", \"what\": \"%s\", \"unit\": \"%s\", "
              "\"median\": %.4f, \"min\": %.4f, \"max\": %.4f, "
              "\"repeat\": %d, \"count\": %lld}%s\n",
              res[i].name, res[i].what, res[i].unit, res[i].median,
              res[i].min, res[i].max, res[i].repeat, res[i].count,
              i + 1 < nres ? "," : "");
    fprintf(f, "]}\n");
    if (fclose(f)) {
      fprintf(stderr, "cannot write %s: %s\n", json, strerror(errno));
      return 1;
    }
  }
  free(v);
  return 0;
}
