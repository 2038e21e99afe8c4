/*
 * tests/c/test.h: the tiny harness shared by the C test suites.
 *
 * Each tests/c/test-<area>.c defines its cases with TEST(name), lists them in
 * a test_case table and calls test_main(). Every case runs in its own forked
 * process (a crash or a hang in one case is reported, the others still run)
 * with a fresh temporary directory, a watchdog alarm, and a leak check: the
 * number of /proc/self/fd entries and /proc/self/maps lines is counted before
 * and after the case, and any difference fails it (under ThreadSanitizer,
 * whose shadow memory is mapped lazily, only the descriptors).
 *
 * Usage: test-<area> [--no-fork] [--list] [name-substring...]
 * (--no-fork runs the cases in this process, for a debugger: the first
 * failure then ends the run.)
 * Environment: MMK_TEST_TMPDIR (else TMPDIR, else /tmp) for the case
 * directories; MMK_TEST_DEBUG_MAPS=1 prints both maps on a mapping leak.
 * Output is TAP-like: "ok N - name", "not ok N - name", "# SKIP reason".
 */
#ifndef MMAPKIT_TEST_H
#define MMAPKIT_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "mmapkit.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifndef TEST_ASAN
#define TEST_ASAN 0
#endif
#if defined(__SANITIZE_THREAD__)
#define TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_TSAN 1
#endif
#endif
#ifndef TEST_TSAN
#define TEST_TSAN 0
#endif
#if TEST_ASAN
/* LeakSanitizer, run by hand at the end of each case: the case processes
 * end with _exit(), which skips the automatic check at exit. */
int __lsan_do_recoverable_leak_check(void);
#endif

#define TEST_UNUSED __attribute__((unused))
#if defined(_WIN32) /* mingw's C99 stdio (__USE_MINGW_ANSI_STDIO) */
#define TEST_PRINTF(a, b) __attribute__((format(gnu_printf, a, b)))
#else
#define TEST_PRINTF(a, b) __attribute__((format(printf, a, b)))
#endif
#define TEST_EXIT_SKIP 77
#define TEST_TIMEOUT_SECONDS 30

typedef struct test_case {
  const char *name;
  void (*fn)(void);
  unsigned flags;
} test_case;

/* The case must start in a process where mmapkit was never called (no
 * warm-up before the leak-check baseline), e.g. to install a signal handler
 * before the library installs its own. */
#define TEST_NO_WARMUP 1u
/* Not a case: the body of a child process a case starts with
 * test_run_child(name) (forked on POSIX, a re-exec of the test binary on
 * Windows), run without warm-up or leak check; it passes by returning. */
#define TEST_CHILD_ONLY 2u

#define TEST(name) static void name(void)
#define TEST_ENTRY(fn) {#fn, fn, 0}
#define TEST_ENTRY_FLAGS(fn, f) {#fn, fn, (f)}
#define TEST_END {NULL, NULL, 0}

/* ---- state ------------------------------------------------------------ */

static char test__dir[PATH_MAX];      /* per-case temporary directory */
static pid_t test__harness_pid;       /* the process running test_main */
static pid_t test__case_pid;          /* the process running the case */
static const char *test__case_name = "";
static long test_page TEST_UNUSED;    /* page size */
static const struct test_case *test__cases; /* the table test_main runs */

/* ---- failure reporting ------------------------------------------------ */

static void test__print_last_error(void) {
  const mmk_error *e = mmk_last_error();
  fprintf(stderr,
          "    last error: code=%d (%s) errno=%d op='%s' path='%s'\n"
          "    message: %s\n",
          e->code, mmk_err_name(e->code), e->sys_errno, e->op ? e->op : "(null)",
          e->path ? e->path : "(null)", e->message ? e->message : "(null)");
}

/* Ends the current process with a failure. In the case process and in any
 * child it forked the exit status carries the verdict to the parent. */
__attribute__((noreturn)) static void test__die(int code) {
  fflush(stdout);
  fflush(stderr);
  _exit(code);
}

TEST_PRINTF(3, 4) __attribute__((noreturn)) static TEST_UNUSED void
test_fail_at(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "  FAIL %s:%d [%s%s]: ", file, line, test__case_name,
          getpid() == test__case_pid ? "" : ", in a child process");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  test__print_last_error();
  test__die(1);
}

#define TEST_FAIL(...) test_fail_at(__FILE__, __LINE__, __VA_ARGS__)

TEST_PRINTF(1, 2) __attribute__((noreturn)) static TEST_UNUSED void
test_skip(const char *fmt, ...) {
  va_list ap;
  printf("  SKIP [%s]: ", test__case_name);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  test__die(TEST_EXIT_SKIP);
}
#define TEST_SKIP(...) test_skip(__VA_ARGS__)

/* The emulator running the suite (CTest sets MMK_TEST_EMULATOR in a cross
 * build, e.g. "qemu-aarch64-static"), or NULL on a real machine. Only for
 * what the emulator itself does not reproduce, each with its reason. */
static TEST_UNUSED const char *test_emulator(void) {
  const char *e = getenv("MMK_TEST_EMULATOR");
  return e && *e ? e : NULL;
}
#define TEST_SKIP_EMULATED(reason)                                             \
  do {                                                                         \
    if (test_emulator()) test_skip("%s: %s", test_emulator(), reason);        \
  } while (0)

/* Status assertion: prints both codes with their names, libuv style. */
#define ASSERT_STATUS(expr, expected)                                          \
  do {                                                                         \
    int test__got = (int)(expr);                                               \
    int test__exp = (int)(expected);                                           \
    if (test__got != test__exp)                                                \
      test_fail_at(__FILE__, __LINE__,                                         \
                   "%s: got %d (%s: %s), expected %d (%s: %s)", #expr,        \
                   test__got, mmk_err_name(test__got),                         \
                   mmk_strerror(test__got), test__exp,                         \
                   mmk_err_name(test__exp), mmk_strerror(test__exp));          \
  } while (0)
#define ASSERT_OK(expr) ASSERT_STATUS(expr, MMK_OK)

#define ASSERT_CMP_(a, op, b, type, fmt)                                       \
  do {                                                                         \
    type test__a = (type)(a);                                                  \
    type test__b = (type)(b);                                                  \
    if (!(test__a op test__b))                                                 \
      test_fail_at(__FILE__, __LINE__,                                         \
                   "%s %s %s: got " fmt " " #op " " fmt " (0x%jx, 0x%jx)", #a, \
                   #op, #b, test__a, test__b, (uintmax_t)test__a,             \
                   (uintmax_t)test__b);                                        \
  } while (0)
#define ASSERT_EQ(a, b) ASSERT_CMP_(a, ==, b, intmax_t, "%jd")
#define ASSERT_NE(a, b) ASSERT_CMP_(a, !=, b, intmax_t, "%jd")
#define ASSERT_LT(a, b) ASSERT_CMP_(a, <, b, intmax_t, "%jd")
#define ASSERT_LE(a, b) ASSERT_CMP_(a, <=, b, intmax_t, "%jd")
#define ASSERT_GT(a, b) ASSERT_CMP_(a, >, b, intmax_t, "%jd")
#define ASSERT_GE(a, b) ASSERT_CMP_(a, >=, b, intmax_t, "%jd")
#define ASSERT_UEQ(a, b) ASSERT_CMP_(a, ==, b, uintmax_t, "%ju")

#define ASSERT_TRUE(cond)                                                      \
  do {                                                                         \
    if (!(cond))                                                               \
      test_fail_at(__FILE__, __LINE__, "expected true: %s", #cond);            \
  } while (0)
#define ASSERT_FALSE(cond)                                                     \
  do {                                                                         \
    if (cond)                                                                  \
      test_fail_at(__FILE__, __LINE__, "expected false: %s", #cond);           \
  } while (0)
#define ASSERT_NULL(p)                                                         \
  do {                                                                         \
    const void *test__p = (const void *)(p);                                   \
    if (test__p != NULL)                                                       \
      test_fail_at(__FILE__, __LINE__, "%s: got %p, expected NULL", #p,        \
                   test__p);                                                   \
  } while (0)
#define ASSERT_NOT_NULL(p)                                                     \
  do {                                                                         \
    if ((const void *)(p) == NULL)                                             \
      test_fail_at(__FILE__, __LINE__, "%s: got NULL", #p);                    \
  } while (0)
#define ASSERT_PTR_EQ(a, b)                                                    \
  do {                                                                         \
    const void *test__a = (const void *)(a);                                   \
    const void *test__b = (const void *)(b);                                   \
    if (test__a != test__b)                                                    \
      test_fail_at(__FILE__, __LINE__, "%s == %s: got %p, expected %p", #a,    \
                   #b, test__a, test__b);                                      \
  } while (0)
#define ASSERT_STR_EQ(a, b)                                                    \
  do {                                                                         \
    const char *test__a = (a);                                                 \
    const char *test__b = (b);                                                 \
    if (test__a == NULL || test__b == NULL || strcmp(test__a, test__b) != 0)   \
      test_fail_at(__FILE__, __LINE__, "%s == %s: got \"%s\", expected \"%s\"", \
                   #a, #b, test__a ? test__a : "(null)",                       \
                   test__b ? test__b : "(null)");                              \
  } while (0)
#define ASSERT_STR_CONTAINS(hay, needle)                                       \
  do {                                                                         \
    const char *test__h = (hay);                                               \
    const char *test__n = (needle);                                            \
    if (test__h == NULL || strstr(test__h, test__n) == NULL)                   \
      test_fail_at(__FILE__, __LINE__, "%s: \"%s\" does not contain \"%s\"",   \
                   #hay, test__h ? test__h : "(null)", test__n);               \
  } while (0)
/* Compares n bytes and names the first differing offset. */
#define ASSERT_MEM_EQ(a, b, n)                                                 \
  do {                                                                         \
    const unsigned char *test__a = (const unsigned char *)(a);                 \
    const unsigned char *test__b = (const unsigned char *)(b);                 \
    size_t test__n = (size_t)(n);                                              \
    for (size_t test__i = 0; test__i < test__n; test__i++)                     \
      if (test__a[test__i] != test__b[test__i])                                \
        test_fail_at(__FILE__, __LINE__,                                       \
                     "%s and %s differ at byte %zu of %zu: 0x%02x != 0x%02x",  \
                     #a, #b, test__i, test__n, test__a[test__i],               \
                     test__b[test__i]);                                        \
  } while (0)

/* A libc call that must succeed (setup, not the behaviour under test). */
#define CHECK_SYS(expr)                                                        \
  do {                                                                         \
    if ((expr) < 0)                                                            \
      test_fail_at(__FILE__, __LINE__, "%s failed: %s", #expr,                 \
                   strerror(errno));                                           \
  } while (0)

/* ---- helpers ---------------------------------------------------------- */

/* A path inside the case's temporary directory. Eight rotating buffers, so
 * a few may be live at once. */
static TEST_UNUSED const char *test_path(const char *name) {
  static char bufs[8][PATH_MAX];
  static unsigned next;
  char *b = bufs[next++ % 8];
  snprintf(b, PATH_MAX, "%s/%s", test__dir, name);
  return b;
}

static TEST_UNUSED const char *test_dir(void) { return test__dir; }

/* A shared-memory name unique to this harness run; leftovers are unlinked
 * after each case. */
static TEST_UNUSED const char *test_shm_name(const char *suffix) {
  static char bufs[4][128];
  static unsigned next;
  char *b = bufs[next++ % 4];
  snprintf(b, sizeof bufs[0], "mmktest-%ld-%s", (long)test__harness_pid,
           suffix);
  return b;
}

/* The byte every pattern file holds at offset off: varies within and across
 * pages so that a view at the wrong offset is noticed. */
static inline unsigned char test_pattern_byte(uint64_t off) {
  uint64_t x = off * 0x9E3779B97F4A7C15ull;
  return (unsigned char)((x >> 56) ^ (off >> 12) ^ 0x5a);
}

static TEST_UNUSED void test_fill_pattern(void *buf, uint64_t file_off,
                                          size_t n) {
  unsigned char *p = buf;
  for (size_t i = 0; i < n; i++) p[i] = test_pattern_byte(file_off + i);
}

/* ---- platform half: file helpers, processes, threads, leak counters --- */

#if defined(_WIN32)
#include "test-win32.h"
#else
#include "test-posix.h"
#endif

/* Prints the lines of `b` that are not in `a`, prefixed. */
static void test__diff_lines(const char *a, const char *b, const char *prefix) {
  const char *p = b;
  while (*p) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    int found = 0;
    for (const char *q = a; *q;) {
      const char *qn = strchr(q, '\n');
      size_t qlen = qn ? (size_t)(qn - q) : strlen(q);
      if (qlen == len && memcmp(q, p, len) == 0) {
        found = 1;
        break;
      }
      q += qlen + (qn ? 1 : 0);
    }
    if (!found && len && test__maps_line_counts(p, len))
      fprintf(stderr, "    %s %.*s\n", prefix, (int)len, p);
    p += len + (nl ? 1 : 0);
  }
}

/* Exercises the library once so that lazy one-time set-up (the signal
 * handler, thread-local error buffers, the allocator) happens before the
 * leak-check baseline. */
static void test__warmup(void) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/.warmup", test__dir);
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  char buf[16] = {0};
  mmk_fault_guard_install();
  if (mmk_file_open(path, MMK_WRITE, MMK_CREATE, 4096, &f) == 0) {
    if (mmk_map(f, 1, 100, 0, &v) == 0) {
      mmk_view_write(v, 0, "warm", 4);
      mmk_view_read(v, 0, buf, sizeof buf);
      mmk_view_flush(v, 0, 0, MMK_FLUSH_ASYNC);
      mmk_view_close(v);
    }
    mmk_file_close(f);
  }
  unlink(path);
  if (mmk_anon_create(4096, &f) == 0) {
    if (mmk_map(f, 0, 0, 0, &v) == 0) mmk_view_close(v);
    mmk_file_close(f);
  }
  /* a failure, so that the error detail has its storage */
  mmk_file_open(path, MMK_READ, 0, 0, &f);
  /* a shared-memory name looked up (Windows keeps a handle to the named
   * objects' directory from the first lookup on) */
  mmk_shm_unlink("mmktest-warmup-never-made");
  mmk_clear_error();
}

/* ---- runner ----------------------------------------------------------- */

/* Runs one case in the current process, with the leak check. Returns the
 * exit code: 0 pass, 1 fail, TEST_EXIT_SKIP. */
static int test__run_here(const test_case *tc) {
  test__case_pid = getpid();
  test__case_name = tc->name;
  if (!(tc->flags & TEST_NO_WARMUP)) test__warmup();
  int fds0 = test__count_fds();
  char *maps0 = test__read_maps();
  int n0 = test__count_maps(maps0);

  tc->fn();

  int fds1 = test__count_fds();
  char *maps1 = test__read_maps();
  int n1 = test__count_maps(maps1);
  int rc = 0;
  if (fds1 != fds0) {
    fprintf(stderr, "  FAIL [%s]: descriptor leak: %d open before, %d after\n",
            tc->name, fds0, fds1);
    test__list_fds();
    rc = 1;
  }
  /* Under ThreadSanitizer the runtime maps its shadow memory lazily, so
   * the maps lines change whatever the case does: only descriptors count. */
  if (!TEST_TSAN && n1 != n0) {
    fprintf(stderr, "  FAIL [%s]: mapping leak: %d maps lines before, %d after\n",
            tc->name, n0, n1);
    if (getenv("MMK_TEST_DEBUG_MAPS")) fprintf(stderr, "BEFORE\n%s\nAFTER\n%s\n", maps0, maps1);
    test__diff_lines(maps0, maps1, "+");
    test__diff_lines(maps1, maps0, "-");
    rc = 1;
  }
  free(maps0);
  free(maps1);
#if TEST_ASAN
  if (__lsan_do_recoverable_leak_check()) {
    fprintf(stderr, "  FAIL [%s]: LeakSanitizer found leaked memory\n",
            tc->name);
    rc = 1;
  }
#endif
  return rc;
}

static int test__matches(const char *name, int argc, char **argv, int first) {
  int any = 0;
  for (int i = first; i < argc; i++) {
    if (argv[i][0] == '-') continue;
    any = 1;
    if (strstr(name, argv[i])) return 1;
  }
  return !any;
}

/* The child-only entry named name, or NULL. */
static TEST_UNUSED const test_case *test__child_case(const char *name) {
  for (const test_case *tc = test__cases; tc && tc->name; tc++)
    if ((tc->flags & TEST_CHILD_ONLY) && !strcmp(tc->name, name)) return tc;
  return NULL;
}

static TEST_UNUSED int test_main(int argc, char **argv,
                                 const test_case *cases) {
  int no_fork = 0, list = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--no-fork")) no_fork = 1;
    if (!strcmp(argv[i], "--list")) list = 1;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  setvbuf(stderr, NULL, _IONBF, 0);
  test__platform_init();
  test__harness_pid = getpid();
  /* A case process started by test__run_isolated (Windows) runs it alone. */
  test__cases = cases;
  if (test__is_case_process(argc, argv))
    return test__case_process_main(argc, argv, cases);
  const char *base = test__tmp_base();

  int total = 0, passed = 0, failed = 0, skipped = 0;
  test__cases = cases;
  for (const test_case *tc = cases; tc->name; tc++)
    if (!(tc->flags & TEST_CHILD_ONLY) && test__matches(tc->name, argc, argv, 1))
      total++;
  if (list) {
    for (const test_case *tc = cases; tc->name; tc++)
      if (!(tc->flags & TEST_CHILD_ONLY)) printf("%s\n", tc->name);
    return 0;
  }
  printf("1..%d\n", total);
  int index = 0;
  for (const test_case *tc = cases; tc->name; tc++) {
    if ((tc->flags & TEST_CHILD_ONLY) ||
        !test__matches(tc->name, argc, argv, 1))
      continue;
    index++;
    snprintf(test__dir, sizeof test__dir, "%s/mmk-test-%ld-%d", base,
             (long)test__harness_pid, index);
    test__rmtree(test__dir);
    if (test__mkdir_private(test__dir) != 0) {
      fprintf(stderr, "mkdir %s: %s\n", test__dir, strerror(errno));
      return 2;
    }
    int rc;
    uint64_t t0 = test_now_ns();
    if (no_fork)
      rc = test__run_here(tc);
    else
      rc = test__run_isolated(tc, argv[0]);
    if (rc < 0) return 2;
    double ms = (double)(test_now_ns() - t0) / 1e6;
    test__rmtree(test__dir);
    test__unlink_leftover_shm();
    if (rc == 0) {
      passed++;
      printf("ok %d - %s (%.0f ms)\n", index, tc->name, ms);
    } else if (rc == TEST_EXIT_SKIP) {
      skipped++;
      printf("ok %d - %s # SKIP\n", index, tc->name);
    } else {
      failed++;
      printf("not ok %d - %s\n", index, tc->name);
    }
  }
  printf("# %d passed, %d failed, %d skipped of %d\n", passed, failed, skipped,
         total);
  return failed ? 1 : 0;
}

#endif /* MMAPKIT_TEST_H */
