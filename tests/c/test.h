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

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
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

__attribute__((format(printf, 3, 4), noreturn)) static TEST_UNUSED void
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

__attribute__((format(printf, 1, 2), noreturn)) static TEST_UNUSED void
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

/* Creates (or replaces) a file of `size` pattern bytes. */
static TEST_UNUSED void test_make_pattern_file(const char *path, size_t size) {
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) TEST_FAIL("open(%s): %s", path, strerror(errno));
  unsigned char buf[65536];
  size_t done = 0;
  while (done < size) {
    size_t n = size - done < sizeof buf ? size - done : sizeof buf;
    test_fill_pattern(buf, done, n);
    if (pwrite(fd, buf, n, (off_t)done) != (ssize_t)n)
      TEST_FAIL("pwrite(%s): %s", path, strerror(errno));
    done += n;
  }
  close(fd);
}

static TEST_UNUSED void test_write_file(const char *path, const void *data,
                                        size_t n) {
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) TEST_FAIL("open(%s): %s", path, strerror(errno));
  if (n && write(fd, data, n) != (ssize_t)n)
    TEST_FAIL("write(%s): %s", path, strerror(errno));
  close(fd);
}

/* Reads n bytes at off from the file, outside any mapping. */
static TEST_UNUSED void test_pread(const char *path, int64_t off, void *buf,
                                   size_t n) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) TEST_FAIL("open(%s): %s", path, strerror(errno));
  ssize_t r = pread(fd, buf, n, (off_t)off);
  if (r != (ssize_t)n)
    TEST_FAIL("pread(%s, %zu at %" PRId64 ") = %zd: %s", path, n, off, r,
              strerror(errno));
  close(fd);
}

static TEST_UNUSED int64_t test_file_size(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) TEST_FAIL("stat(%s): %s", path, strerror(errno));
  return (int64_t)st.st_size;
}

static TEST_UNUSED void test_truncate(const char *path, int64_t size) {
  if (truncate(path, (off_t)size) != 0)
    TEST_FAIL("truncate(%s, %" PRId64 "): %s", path, size, strerror(errno));
}

static TEST_UNUSED uint64_t test_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static TEST_UNUSED void test_sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* fork() for use inside a case: the child runs the given code and must end
 * with test_child_exit(); a failed assertion in it exits non-zero. */
static TEST_UNUSED pid_t test_fork(void) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) TEST_FAIL("fork: %s", strerror(errno));
  return pid;
}

__attribute__((noreturn)) static TEST_UNUSED void test_child_exit(int code) {
  test__die(code);
}

/* Waits for a child and returns its raw wait status. */
static TEST_UNUSED int test_wait(pid_t pid) {
  int st;
  while (waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) TEST_FAIL("waitpid: %s", strerror(errno));
  }
  return st;
}

/* Waits for a child that must exit with status 0. */
#define ASSERT_CHILD_OK(pid)                                                   \
  do {                                                                         \
    int test__st = test_wait(pid);                                             \
    if (WIFSIGNALED(test__st))                                                 \
      test_fail_at(__FILE__, __LINE__, "child %d killed by signal %d (%s)",    \
                   (int)(pid), WTERMSIG(test__st),                             \
                   strsignal(WTERMSIG(test__st)));                             \
    if (WEXITSTATUS(test__st) == TEST_EXIT_SKIP)                               \
      test_skip("a child process skipped (see above)");                        \
    if (WEXITSTATUS(test__st) != 0)                                            \
      test_fail_at(__FILE__, __LINE__, "child %d exited with %d", (int)(pid),  \
                   WEXITSTATUS(test__st));                                     \
  } while (0)

/* Threads run on stacks we map and unmap ourselves: glibc caches the stacks
 * it allocates, which the mapping leak check would see as a leak. Under
 * ThreadSanitizer, which does not support user-supplied stacks, threads get
 * default stacks (the mapping check is off there). */
typedef struct test_thread {
  pthread_t tid;
  void *stack;
  size_t stack_size;
} test_thread;

static TEST_UNUSED void test_thread_start(test_thread *t, void *(*fn)(void *),
                                          void *arg) {
#if TEST_TSAN
  t->stack = NULL;
  t->stack_size = 0;
  int r = pthread_create(&t->tid, NULL, fn, arg);
#else
  pthread_attr_t attr;
  t->stack_size = 512 * 1024;
  t->stack = mmap(NULL, t->stack_size, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (t->stack == MAP_FAILED) TEST_FAIL("mmap stack: %s", strerror(errno));
  pthread_attr_init(&attr);
  pthread_attr_setstack(&attr, t->stack, t->stack_size);
  int r = pthread_create(&t->tid, &attr, fn, arg);
  pthread_attr_destroy(&attr);
#endif
  if (r != 0) TEST_FAIL("pthread_create: %s", strerror(r));
}

static TEST_UNUSED void *test_thread_join(test_thread *t) {
  void *ret = NULL;
  int r = pthread_join(t->tid, &ret);
  if (r != 0) TEST_FAIL("pthread_join: %s", strerror(r));
  if (t->stack) munmap(t->stack, t->stack_size);
  return ret;
}

static int test__write_proc(const char *path, const char *text) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* For a forked child only: mounts a tmpfs with `opts` (e.g. "size=1m") at
 * dir, in a private mount namespace. As root that is unshare(CLONE_NEWNS);
 * otherwise a user namespace (mapping our uid to root in it) is tried
 * first; as a last resort, as root, the shared namespace (the harness
 * detaches the mount when the case ends). Returns 0 or the errno of the
 * failing step; *how names the method. */
static TEST_UNUSED int test_mount_tmpfs(const char *dir, const char *opts,
                                        const char **how) {
  *how = "unshare(CLONE_NEWNS) + mount -t tmpfs";
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) return errno;
  uid_t uid = geteuid();
  gid_t gid = getegid();
  int ns = unshare(CLONE_NEWNS) == 0;
  if (!ns && unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0) {
    char map[64];
    *how = "unshare(CLONE_NEWUSER | CLONE_NEWNS) + mount -t tmpfs";
    test__write_proc("/proc/self/setgroups", "deny");
    snprintf(map, sizeof map, "0 %ld 1", (long)uid);
    if (test__write_proc("/proc/self/uid_map", map) != 0) return errno;
    snprintf(map, sizeof map, "0 %ld 1", (long)gid);
    if (test__write_proc("/proc/self/gid_map", map) != 0) return errno;
    ns = 1;
  }
  if (ns) {
    /* keep our mounts out of the parent's namespace */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return errno;
  } else {
    *how = "mount -t tmpfs (no private namespace)";
  }
  if (mount("tmpfs", dir, "tmpfs", 0, opts) != 0) return errno;
  return 0;
}

/* Whether every page of [p, p+n) is mapped (mincore fails with ENOMEM on
 * an unmapped page). */
static TEST_UNUSED int test_is_mapped(const void *p, size_t n) {
  uintptr_t a = (uintptr_t)p & ~((uintptr_t)test_page - 1);
  size_t len = (size_t)((uintptr_t)p + n - a);
  unsigned char vec[64];
  size_t pages = (len + (size_t)test_page - 1) / (size_t)test_page;
  if (pages > sizeof vec) pages = sizeof vec;
  return mincore((void *)a, pages * (size_t)test_page, vec) == 0;
}

/* Lines of /proc/self/maps mentioning `needle` (e.g. a file path). */
static TEST_UNUSED int test_maps_lines_containing(const char *needle) {
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) TEST_FAIL("fopen /proc/self/maps: %s", strerror(errno));
  char line[PATH_MAX + 256];
  int n = 0;
  while (fgets(line, sizeof line, f))
    if (strstr(line, needle)) n++;
  fclose(f);
  return n;
}

/* ---- leak check ------------------------------------------------------- */

static int test__count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

/* Reads /proc/self/maps into a malloc'ed string. */
static char *test__read_maps(void) {
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (len + 4096 + 1 > cap) buf = realloc(buf, cap *= 2);
    ssize_t r = read(fd, buf + len, cap - len - 1);
    if (r <= 0) break;
    len += (size_t)r;
  }
  close(fd);
  buf[len] = '\0';
  return buf;
}

/* Whether a maps line counts for the leak check. Under AddressSanitizer the
 * runtime maps and unmaps anonymous memory of its own (allocator regions,
 * fake stacks) at any time, so there only lines naming a file count. */
static int test__maps_line_counts(const char *line, size_t len) {
  if (!TEST_ASAN) return 1;
  return memchr(line, '/', len) != NULL;
}

static int test__count_maps(const char *maps) {
  int n = 0;
  const char *p = maps;
  while (*p) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    if (len && test__maps_line_counts(p, len)) n++;
    p += len + (nl ? 1 : 0);
  }
  return n;
}

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

static void test__list_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char link[PATH_MAX], target[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
    ssize_t n = readlink(link, target, sizeof target - 1);
    target[n > 0 ? n : 0] = '\0';
    fprintf(stderr, "    fd %s -> %s\n", e->d_name, target);
  }
  closedir(d);
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
  mmk_clear_error();
}

/* ---- runner ----------------------------------------------------------- */

static void test__rmtree(const char *path) {
  DIR *d = opendir(path);
  if (!d) {
    unlink(path);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char sub[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
    struct stat st;
    if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
      umount2(sub, MNT_DETACH); /* in case a case mounted here */
      test__rmtree(sub);
    } else {
      unlink(sub);
    }
  }
  closedir(d);
  rmdir(path);
}

static void test__unlink_leftover_shm(void) {
  char prefix[64];
  snprintf(prefix, sizeof prefix, "mmktest-%ld-", (long)test__harness_pid);
  DIR *d = opendir("/dev/shm");
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (!strncmp(e->d_name, prefix, strlen(prefix))) {
      char p[PATH_MAX];
      snprintf(p, sizeof p, "/%s", e->d_name);
      shm_unlink(p);
    }
  closedir(d);
}

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

static TEST_UNUSED int test_main(int argc, char **argv,
                                 const test_case *cases) {
  int no_fork = 0, list = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--no-fork")) no_fork = 1;
    if (!strcmp(argv[i], "--list")) list = 1;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  setvbuf(stderr, NULL, _IONBF, 0);
  /* One malloc arena: threads would otherwise create arenas that stay
   * mapped after they exit (seen as a mapping leak). */
  mallopt(M_ARENA_MAX, 1);
  /* A heap grown once, up front, and never trimmed: in a forked child a brk
   * extension becomes a separate [heap] line (it cannot merge with the
   * inherited one), which would read as a mapping leak. A fixed mmap
   * threshold keeps big blocks on mmap/munmap, which the check balances. */
  mallopt(M_TOP_PAD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  mallopt(M_MMAP_THRESHOLD, 256 << 10);
  free(malloc(1));
  test_page = sysconf(_SC_PAGESIZE);
  test__harness_pid = getpid();
  const char *base = getenv("MMK_TEST_TMPDIR");
  if (!base || !*base) base = getenv("TMPDIR");
  if (!base || !*base) base = "/tmp";

  int total = 0, passed = 0, failed = 0, skipped = 0;
  for (const test_case *tc = cases; tc->name; tc++)
    if (test__matches(tc->name, argc, argv, 1)) total++;
  if (list) {
    for (const test_case *tc = cases; tc->name; tc++) printf("%s\n", tc->name);
    return 0;
  }
  printf("1..%d\n", total);
  int index = 0;
  for (const test_case *tc = cases; tc->name; tc++) {
    if (!test__matches(tc->name, argc, argv, 1)) continue;
    index++;
    snprintf(test__dir, sizeof test__dir, "%s/mmk-test-%ld-%d", base,
             (long)test__harness_pid, index);
    test__rmtree(test__dir);
    if (mkdir(test__dir, 0700) != 0) {
      fprintf(stderr, "mkdir %s: %s\n", test__dir, strerror(errno));
      return 2;
    }
    int rc;
    uint64_t t0 = test_now_ns();
    if (no_fork) {
      rc = test__run_here(tc);
    } else {
      pid_t pid = fork();
      if (pid < 0) {
        perror("fork");
        return 2;
      }
      if (pid == 0) {
        alarm(TEST_TIMEOUT_SECONDS);
        test__die(test__run_here(tc));
      }
      int st;
      while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
      }
      if (WIFSIGNALED(st)) {
        fprintf(stderr, "  FAIL [%s]: killed by signal %d (%s)%s\n", tc->name,
                WTERMSIG(st), strsignal(WTERMSIG(st)),
                WTERMSIG(st) == SIGALRM ? ": timed out" : "");
        rc = 1;
      } else {
        rc = WEXITSTATUS(st);
      }
    }
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
