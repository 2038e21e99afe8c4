/*
 * tests/c/test-posix.h: the POSIX half of the harness (test.h includes it):
 * file helpers, fork and threads, tmpfs mounts, the /proc based leak
 * check, and the forking runner.
 */
#ifndef MMAPKIT_TEST_POSIX_H
#define MMAPKIT_TEST_POSIX_H

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

static TEST_UNUSED void test_mkdir(const char *path) {
  if (mkdir(path, 0755) != 0) TEST_FAIL("mkdir(%s): %s", path, strerror(errno));
}

/* mmk_shm_unlink of a name whose handles and views are all closed. */
#define TEST_SHM_UNLINK_CLOSED MMK_OK

/* Devices that must never be mapped (MMK_ENODEV). */
#define TEST_DEV_ZERO "/dev/zero"
#define TEST_DEV_NULL "/dev/null"

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

/* Writes n bytes at off into the file, outside any mapping. */
static TEST_UNUSED void test_pwrite(const char *path, int64_t off,
                                    const void *data, size_t n) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) TEST_FAIL("open(%s): %s", path, strerror(errno));
  if (pwrite(fd, data, n, (off_t)off) != (ssize_t)n)
    TEST_FAIL("pwrite(%s, %zu at %" PRId64 "): %s", path, n, off,
              strerror(errno));
  close(fd);
}

/* The bytes of storage the file has allocated. */
static TEST_UNUSED int64_t test_allocated(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) TEST_FAIL("stat(%s): %s", path, strerror(errno));
  return (int64_t)st.st_blocks * 512;
}

/* Creates a sparse file of size bytes: 0, or the errno that refused it. */
static TEST_UNUSED int test_make_sparse(const char *path, int64_t size) {
  int fd = open(path, O_RDWR | O_CREAT, 0644);
  if (fd < 0) TEST_FAIL("open(%s): %s", path, strerror(errno));
  int e = ftruncate(fd, (off_t)size) == 0 ? 0 : errno;
  close(fd);
  return e;
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


/* Runs the TEST_CHILD_ONLY entry `name` in a forked child; its exit code
 * (0: it returned), or 128 + the signal that killed it. */
static const struct test_case *test__child_case(const char *name);
static TEST_UNUSED int test_run_child(const char *name) {
  const struct test_case *tc = test__child_case(name);
  if (!tc) TEST_FAIL("no child entry named %s", name);
  pid_t pid = test_fork();
  if (pid == 0) {
    tc->fn();
    test__die(0);
  }
  int st = test_wait(pid);
  return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

/* ---- runner (POSIX) --------------------------------------------------- */

static void test__platform_init(void) {
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
}

static const char *test__tmp_base(void) {
  const char *base = getenv("MMK_TEST_TMPDIR");
  if (!base || !*base) base = getenv("TMPDIR");
  if (!base || !*base) base = "/tmp";
  return base;
}

static int test__mkdir_private(const char *dir) { return mkdir(dir, 0700); }

/* The harness forks for each case: no case processes to recognise. */
static int test__is_case_process(int argc, char **argv) {
  (void)argc, (void)argv;
  return 0;
}
static int test__case_process_main(int argc, char **argv,
                                   const test_case *cases) {
  (void)argc, (void)argv, (void)cases;
  return 2;
}

static int test__run_here(const test_case *tc);

/* Runs the case in a forked child with a watchdog alarm: its exit code,
 * 1 if it was killed, -1 if it could not be started. */
static int test__run_isolated(const test_case *tc, const char *argv0) {
  (void)argv0;
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return -1;
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
    return 1;
  }
  return WEXITSTATUS(st);
}

#endif /* MMAPKIT_TEST_POSIX_H */
