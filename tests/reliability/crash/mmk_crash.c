/*
 * Crash-consistency and full-disk checks for mmapkit (C side, and the
 * driver for the other languages' writers).
 *
 *   mmk_crash kill [--iterations N] [--dir D] [--label L] [-- WRITER...]
 *       N times: starts a writer (default: this program's own "writer"
 *       mode; else WRITER... with PATH SIZE OFFSET LEN SEED appended), waits
 *       for its "flushed" line, checks with cachestat(2) that no page of
 *       the flushed range is dirty or under writeback (the SYNC flush put
 *       the data on the device), kills the writer with SIGKILL while it is
 *       dirtying other pages, then reads the file back with pread and
 *       compares the flushed range byte for byte.
 *   mmk_crash writer PATH SIZE OFFSET LEN SEED
 *       creates PATH with SIZE bytes, maps it, writes the pattern over
 *       [OFFSET, OFFSET+LEN), flushes that range with MMK_FLUSH_SYNC,
 *       prints "flushed", then dirties other pages until killed.
 *   mmk_crash enospc
 *       in a private mount namespace with a 1 MiB tmpfs as the work
 *       directory and as /dev/shm: growing by open, map, file resize, view
 *       resize and shared-memory creation each give MMK_ENOSPC with a
 *       message naming the path; writing into a hole of a sparse file on
 *       the full file system gives MMK_EIO; the process lives; no
 *       descriptor or mapping leaks.
 *   mmk_crash enospc-race [SECONDS]
 *       on an 8 MiB tmpfs (private namespace): process A grows a file
 *       step by step while process B keeps failing to grow it past the
 *       file system; A's size must never shrink and its writes into the
 *       grown tail never fault (a failed grow must not "undo" to a size
 *       read before A's grow).
 *   mmk_crash sandbox SIZE_KIB -- CMD...
 *       runs CMD in a private mount namespace where a SIZE_KIB tmpfs is
 *       mounted on a fresh directory (exported as MMK_SMALLFS) and on
 *       /dev/shm: the other languages' ENOSPC checks run under it.
 *
 * Exit status: 0 pass, 1 failure, 77 skipped (no root / no namespaces).
 * The pattern is shared with the writers of the other languages:
 *   byte k of the range = (seed * 7 + k * 131 + (k >> 9)) & 255.
 */
#define _GNU_SOURCE 1
#include "mmapkit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SKIP 77

static int failures;

#define CHECK(cond, ...)                                                      \
  do {                                                                        \
    if (!(cond)) {                                                            \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                    \
      fprintf(stderr, __VA_ARGS__);                                           \
      fprintf(stderr, "\n");                                                  \
      failures++;                                                             \
    }                                                                         \
  } while (0)

#define CHECK_ST(expr, want)                                                  \
  do {                                                                        \
    int r_ = (expr);                                                          \
    if (r_ != (want)) {                                                       \
      fprintf(stderr, "FAIL %s:%d: %s = %s, want %s (%s)\n", __FILE__,        \
              __LINE__, #expr, mmk_err_name(r_), mmk_err_name(want),          \
              mmk_last_error_message());                                      \
      failures++;                                                             \
    }                                                                         \
  } while (0)

static uint8_t pattern(uint32_t seed, uint64_t k) {
  return (uint8_t)((seed * 7u + k * 131u + (k >> 9)) & 255u);
}

/* ------------------------------------------------------------- cachestat */

struct mmk__cachestat_range {
  uint64_t off, len;
};
struct mmk__cachestat {
  uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};
#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif

/* 0 and fills *cs, or -1 with errno (ENOSYS before Linux 6.5). */
static int cachestat(int fd, uint64_t off, uint64_t len, struct mmk__cachestat *cs) {
  struct mmk__cachestat_range r = {off, len};
  return (int)syscall(__NR_cachestat, fd, &r, cs, 0);
}

/* ---------------------------------------------------------------- writer */

static int cmd_writer(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: mmk_crash writer PATH SIZE OFFSET LEN SEED\n");
    return 2;
  }
  const char *path = argv[2];
  int64_t size = strtoll(argv[3], NULL, 0), off = strtoll(argv[4], NULL, 0),
          len = strtoll(argv[5], NULL, 0);
  uint32_t seed = (uint32_t)strtoul(argv[6], NULL, 0);
  mmk_file *f;
  mmk_view *v;
  if (mmk_file_open(path, MMK_WRITE, MMK_CREATE | MMK_TRUNCATE, size, &f) != 0 ||
      mmk_map(f, 0, 0, 0, &v) != 0) {
    fprintf(stderr, "writer: %s\n", mmk_last_error_message());
    return 1;
  }
  uint8_t *p = mmk_view_data(v);
  for (int64_t k = 0; k < len; k++) p[off + k] = pattern(seed, (uint64_t)k);
  if (mmk_view_flush(v, off, len, MMK_FLUSH_SYNC) != 0) {
    fprintf(stderr, "writer: %s\n", mmk_last_error_message());
    return 1;
  }
  printf("flushed\n");
  fflush(stdout);
  /* Keep dirtying pages outside the flushed range until killed, so the
   * kill lands while the process is busy with unflushed writes. */
  int64_t pg = mmk_page_size();
  int64_t lo = (off / pg) * pg, hi = ((off + len + pg - 1) / pg) * pg;
  for (uint64_t i = 0;; i++) {
    int64_t at = (int64_t)((i * 4099) % (uint64_t)size);
    if (at >= lo && at < hi) continue;
    p[at] = (uint8_t)i;
  }
}

/* ------------------------------------------------------------------ kill */

static int read_line(int fd, char *buf, size_t cap, int timeout_s) {
  size_t n = 0;
  time_t end = time(NULL) + timeout_s;
  while (n + 1 < cap) {
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(fd, &rs);
    struct timeval tv = {1, 0};
    int s = select(fd + 1, &rs, NULL, NULL, &tv);
    if (s < 0 && errno == EINTR) continue;
    if (s == 0) {
      if (time(NULL) > end) return -1;
      continue;
    }
    char c;
    ssize_t r = read(fd, &c, 1);
    if (r <= 0) return -1;
    if (c == '\n') break;
    buf[n++] = c;
  }
  buf[n] = 0;
  return (int)n;
}

static int cmd_kill(int argc, char **argv) {
  int iters = 20;
  const char *dir = ".";
  const char *label = "c";
  char **writer = NULL;
  int wargc = 0;
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--iterations") && i + 1 < argc) iters = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
    else if (!strcmp(argv[i], "--label") && i + 1 < argc) label = argv[++i];
    else if (!strcmp(argv[i], "--")) {
      writer = argv + i + 1;
      wargc = argc - i - 1;
      break;
    } else {
      fprintf(stderr, "mmk_crash kill: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  mkdir(dir, 0755);
  char path[4096];
  snprintf(path, sizeof path, "%s/crash-%s-%d.bin", dir, label, (int)getpid());
  srand((unsigned)getpid());
  int64_t pg = mmk_page_size();
  int cachestat_ok = 1;
  uint64_t total_bytes = 0, dirty_seen = 0;
  int passed = 0;
  for (int it = 0; it < iters; it++) {
    /* Unaligned offsets and lengths: the flush range is widened inside. */
    int64_t size = (int64_t)(1 + rand() % 64) * pg + rand() % pg;
    int64_t off = rand() % (size / 2);
    int64_t len = 1 + rand() % (size - off);
    uint32_t seed = (uint32_t)rand();
    char a_size[32], a_off[32], a_len[32], a_seed[32];
    snprintf(a_size, sizeof a_size, "%" PRId64, size);
    snprintf(a_off, sizeof a_off, "%" PRId64, off);
    snprintf(a_len, sizeof a_len, "%" PRId64, len);
    snprintf(a_seed, sizeof a_seed, "%u", seed);
    int pfd[2];
    if (pipe(pfd) != 0) return 1;
    pid_t pid = fork();
    if (pid == 0) {
      dup2(pfd[1], 1);
      close(pfd[0]);
      close(pfd[1]);
      char *args[64];
      int n = 0;
      if (writer) {
        for (int k = 0; k < wargc && n < 56; k++) args[n++] = writer[k];
      } else {
        args[n++] = "/proc/self/exe";
        args[n++] = "writer";
      }
      args[n++] = path;
      args[n++] = a_size;
      args[n++] = a_off;
      args[n++] = a_len;
      args[n++] = a_seed;
      args[n] = NULL;
      execvp(args[0], args);
      perror("exec writer");
      _exit(127);
    }
    close(pfd[1]);
    char line[256];
    int fails_before = failures;
    int got = read_line(pfd[0], line, sizeof line, 120);
    close(pfd[0]);
    if (got < 0 || strcmp(line, "flushed") != 0) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      CHECK(0, "[%s] iteration %d: writer did not report \"flushed\" (got '%s')", label, it,
            got < 0 ? "<eof/timeout>" : line);
      continue;
    }
    /* Evidence that the data reached the device before the kill: no page
     * of the flushed range is dirty or being written back. */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
    if (fd < 0) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      continue;
    }
    struct mmk__cachestat cs;
    uint64_t lo = (uint64_t)(off / pg) * (uint64_t)pg;
    uint64_t hi = (uint64_t)((off + len + pg - 1) / pg) * (uint64_t)pg;
    if (cachestat_ok && cachestat(fd, lo, hi - lo, &cs) == 0) {
      dirty_seen += cs.nr_dirty + cs.nr_writeback;
      CHECK(cs.nr_dirty == 0 && cs.nr_writeback == 0,
            "[%s] iteration %d: after a SYNC flush of [%" PRId64 ", +%" PRId64
            ") %" PRIu64 " pages are dirty and %" PRIu64 " under writeback",
            label, it, off, len, cs.nr_dirty, cs.nr_writeback);
    } else if (cachestat_ok) {
      cachestat_ok = 0;
      fprintf(stderr, "note: cachestat(2) unavailable (%s): checking content only\n",
              strerror(errno));
    }
    kill(pid, SIGKILL);
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "[%s] writer did not die of SIGKILL", label);
    uint8_t *buf = malloc((size_t)len);
    ssize_t r = pread(fd, buf, (size_t)len, off);
    CHECK(r == len, "[%s] pread %zd of %" PRId64, label, r, len);
    int64_t bad = -1;
    for (int64_t k = 0; r == len && k < len; k++)
      if (buf[k] != pattern(seed, (uint64_t)k)) {
        bad = k;
        break;
      }
    CHECK(bad < 0, "[%s] iteration %d: byte %" PRId64 " of the flushed range lost", label, it, bad);
    if (failures == fails_before) passed++;
    total_bytes += (uint64_t)len;
    free(buf);
    close(fd);
    unlink(path);
  }
  printf("crash[%s]: %d/%d SIGKILLed writers left their SYNC-flushed data (%" PRIu64
         " bytes checked; dirty/writeback pages after flush: %" PRIu64 "%s)\n",
         label, passed, iters, total_bytes, dirty_seen,
         cachestat_ok ? ", by cachestat(2)" : ", cachestat unavailable");
  return failures ? 1 : 0;
}

/* --------------------------------------------------------------- sandbox */

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL)
    if (de->d_name[0] != '.') n++;
  if (d) closedir(d);
  return n - 1;
}

static int count_maps(const char *needle) {
  FILE *fp = fopen("/proc/self/maps", "r");
  char line[1024];
  int n = 0;
  while (fp && fgets(line, sizeof line, fp))
    if (strstr(line, needle)) n++;
  if (fp) fclose(fp);
  return n;
}

/* A private mount namespace with a small tmpfs on dir and on /dev/shm.
 * 0, or SKIP when this is not allowed here. */
static int small_fs(const char *dir, long kib) {
  if (unshare(CLONE_NEWNS) != 0) {
    fprintf(stderr, "skip: unshare(CLONE_NEWNS): %s (needs root)\n", strerror(errno));
    return SKIP;
  }
  if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
    fprintf(stderr, "skip: make / private: %s\n", strerror(errno));
    return SKIP;
  }
  char opts[64];
  snprintf(opts, sizeof opts, "size=%ldk,mode=0777", kib);
  if (mount("tmpfs", dir, "tmpfs", 0, opts) != 0 ||
      mount("tmpfs", "/dev/shm", "tmpfs", 0, opts) != 0) {
    fprintf(stderr, "skip: mount tmpfs: %s\n", strerror(errno));
    return SKIP;
  }
  return 0;
}

static char *make_dir(void) {
  static char dir[] = "/tmp/mmk-smallfs-XXXXXX";
  return mkdtemp(dir);
}

static int cmd_sandbox(int argc, char **argv) {
  if (argc < 5 || strcmp(argv[3], "--")) {
    fprintf(stderr, "usage: mmk_crash sandbox SIZE_KIB -- CMD...\n");
    return 2;
  }
  char *dir = make_dir();
  if (!dir) return 1;
  int s = small_fs(dir, atol(argv[2]));
  if (s) return s;
  setenv("MMK_SMALLFS", dir, 1);
  pid_t pid = fork();
  if (pid == 0) {
    execvp(argv[4], argv + 4);
    perror("exec");
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  umount2("/dev/shm", MNT_DETACH);
  umount2(dir, MNT_DETACH);
  rmdir(dir);
  if (WIFSIGNALED(st)) {
    fprintf(stderr, "sandbox: command killed by signal %d\n", WTERMSIG(st));
    return 1;
  }
  return WEXITSTATUS(st);
}

/* ---------------------------------------------------------------- enospc */

static int cmd_enospc(void) {
  char *dir = make_dir();
  if (!dir) return 1;
  int s = small_fs(dir, 1024);
  if (s) return s;
  int fds0 = count_fds();
  int checks = 0;
  char path[512], path2[512], path3[512];
  snprintf(path, sizeof path, "%s/grow.bin", dir);
  snprintf(path2, sizeof path2, "%s/sparse.bin", dir);
  snprintf(path3, sizeof path3, "%s/filler.bin", dir);
  mmk_file *f = NULL;
  mmk_view *v = NULL;

  /* 1. open with a size the file system cannot hold */
  CHECK_ST(mmk_file_open(path, MMK_WRITE, MMK_CREATE, 4 << 20, &f), MMK_ENOSPC);
  CHECK(f == NULL, "handle set on failure");
  CHECK(strstr(mmk_last_error_message(), "grow.bin") != NULL, "message lacks the path: %s",
        mmk_last_error_message());
  CHECK(access(path, F_OK) != 0, "the failed create left %s behind", path);
  checks++;
  unlink(path);

  /* 2. map past the end grows the file: refused, nothing mapped */
  CHECK_ST(mmk_file_open(path, MMK_WRITE, MMK_CREATE, 4096, &f), MMK_OK);
  CHECK_ST(mmk_map(f, 0, 8 << 20, 0, &v), MMK_ENOSPC);
  CHECK(v == NULL, "view set on failure");
  CHECK(count_maps("grow.bin") == 0, "a mapping remains after a failed map");
  checks++;

  /* 3. file resize */
  CHECK_ST(mmk_file_resize(f, 8 << 20), MMK_ENOSPC);
  checks++;

  /* 4. view resize within a reservation */
  CHECK_ST(mmk_map_reserve(f, 0, 4096, 16 << 20, 0, &v), MMK_OK);
  if (v) {
    CHECK_ST(mmk_view_resize(v, 8 << 20), MMK_ENOSPC);
    CHECK(mmk_view_size(v) == 4096, "view size changed by a failed resize");
    CHECK_ST(mmk_view_write(v, 0, "still alive", 11), MMK_OK);
    char back[11];
    CHECK_ST(mmk_view_read(v, 0, back, 11), MMK_OK);
    CHECK(memcmp(back, "still alive", 11) == 0, "view content lost");
    CHECK_ST(mmk_view_close(v), MMK_OK);
    v = NULL;
  }
  checks++;
  CHECK_ST(mmk_file_close(f), MMK_OK);
  f = NULL;

  /* 5. named shared memory on a full /dev/shm */
  char name[64];
  snprintf(name, sizeof name, "mmk-enospc-%d", (int)getpid());
  CHECK_ST(mmk_shm_open(name, MMK_WRITE, MMK_CREATE, 4 << 20, &f), MMK_ENOSPC);
  CHECK(strstr(mmk_last_error_message(), name) != NULL, "message lacks the name: %s",
        mmk_last_error_message());
  CHECK(mmk_shm_unlink(name) == MMK_ENOENT, "the failed create left /dev/shm/%s behind",
        name);
  checks++;

  /* 6. a hole in a sparse file (made behind mmapkit's back) on a full file
   * system: the store faults, the fault-safe copy turns it into EIO. */
  unlink(path);
  int sfd = open(path2, O_RDWR | O_CREAT | O_TRUNC, 0600);
  CHECK(sfd >= 0 && ftruncate(sfd, 512 << 10) == 0, "sparse file: %s", strerror(errno));
  int ffd = open(path3, O_RDWR | O_CREAT | O_TRUNC, 0600);
  static char chunk[65536];
  while (ffd >= 0 && write(ffd, chunk, sizeof chunk) > 0) {
  }
  while (ffd >= 0 && write(ffd, chunk, 4096) > 0) {
  }
  if (ffd >= 0) close(ffd);
  if (sfd >= 0) close(sfd);
  CHECK_ST(mmk_file_open(path2, MMK_WRITE, 0, 0, &f), MMK_OK);
  if (f) {
    CHECK_ST(mmk_map(f, 0, 0, 0, &v), MMK_OK);
    if (v) {
      CHECK_ST(mmk_view_write(v, 100 << 10, "x", 1), MMK_EIO);
      uint32_t old;
      CHECK_ST(mmk_atomic_fetch_add_u32(v, 200 << 10, 1, &old), MMK_EIO);
      /* Reading a hole may need a page too on tmpfs: zero or EIO, alive. */
      char c = 1;
      int rr = mmk_view_read(v, 300 << 10, &c, 1);
      CHECK((rr == MMK_OK && c == 0) || rr == MMK_EIO, "hole read: %s, byte %d",
            mmk_err_name(rr), c);
      CHECK_ST(mmk_view_close(v), MMK_OK);
      v = NULL;
    }
    CHECK_ST(mmk_file_close(f), MMK_OK);
  }
  checks += 2;
  unlink(path2);
  unlink(path3);

  CHECK(count_fds() == fds0, "descriptor leak: %d -> %d", fds0, count_fds());
  CHECK(count_maps(dir) == 0, "mapping leak");
  printf("enospc[c]: %d full-disk cases, %d failures, process alive, fds %d -> %d\n", checks,
         failures, fds0, count_fds());
  umount2("/dev/shm", MNT_DETACH);
  umount2(dir, MNT_DETACH);
  rmdir(dir);
  return failures ? 1 : 0;
}

/* ----------------------------------------------------------- enospc-race */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Issue 11, number 7: process A grows a file on an 8 MiB tmpfs step by
 * step, and after each grow checks that the size is still at least what
 * it made and that the new last page takes a write; process B meanwhile
 * keeps trying to grow the same file far past the file system (file
 * resize, map, view resize: MMK_ENOSPC each time). A failed grow of B must
 * never shrink what A made. */
static int cmd_enospc_race(int argc, char **argv) {
  double seconds = argc > 2 ? atof(argv[2]) : 3.0;
  char *dir = make_dir();
  if (!dir) return 1;
  int s = small_fs(dir, 8192);
  if (s) return s;
  char path[512];
  snprintf(path, sizeof path, "%s/shared.bin", dir);
  mmk_file *f = NULL;
  CHECK_ST(mmk_file_open(path, MMK_WRITE, MMK_CREATE, 1 << 20, &f), MMK_OK);
  if (!f) return 1;
  volatile long *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) return 1;
  pid_t b = fork();
  if (b == 0) {
    mmk_file *g = NULL;
    mmk_view *v = NULL, *w = NULL;
    long tries = 0, other = 0;
    if (mmk_file_open(path, MMK_WRITE, 0, 0, &g) != 0) _exit(1);
    if (mmk_map_reserve(g, 0, 4096, 64 << 20, 0, &v) != 0) _exit(1);
    while (!shared[0]) {
      int r1 = mmk_file_resize(g, 64 << 20);
      int r2 = mmk_map(g, 0, 32 << 20, 0, &w);
      int r3 = mmk_view_resize(v, 48 << 20);
      if (r2 == MMK_OK) mmk_view_close(w);
      other += (r1 != MMK_ENOSPC) + (r2 != MMK_ENOSPC) + (r3 != MMK_ENOSPC);
      tries += 3;
    }
    shared[1] = tries;
    shared[2] = other;
    _exit(0);
  }
  long grows = 0, shrinks = 0, faults = 0, transient = 0;
  double end = now_s() + seconds;
  while (now_s() < end) {
    CHECK_ST(mmk_file_resize(f, 1 << 20), MMK_OK); /* A's own shrink */
    for (int64_t size = (1 << 20) + (128 << 10); size <= (6 << 20);
         size += 128 << 10) {
      int r = mmk_file_resize(f, size);
      if (r == MMK_ENOSPC) {
        /* B's reservation holds the pages for a moment: not a shrink */
        transient++;
        size -= 128 << 10;
        continue;
      }
      CHECK_ST(r, MMK_OK);
      grows++;
      struct stat st;
      mmk_view *v = NULL;
      if (fstat(mmk_file_fd(f), &st) == 0 && (int64_t)st.st_size < size)
        shrinks++;
      if (mmk_map(f, size - 4096, 4096, 0, &v) == MMK_OK) {
        char back[8];
        if (mmk_view_write(v, 4088, "A's data", 8) != MMK_OK ||
            mmk_view_read(v, 4088, back, 8) != MMK_OK ||
            memcmp(back, "A's data", 8) != 0)
          faults++;
        mmk_view_close(v);
      } else if (mmk_last_error_code() != MMK_ENOSPC) {
        faults++;
      }
    }
  }
  shared[0] = 1;
  int st = 0;
  waitpid(b, &st, 0);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "process B failed (status %d)",
        st);
  CHECK(shared[1] > 0, "process B never tried to grow");
  CHECK(shared[2] == 0, "process B: %ld results other than MMK_ENOSPC",
        shared[2]);
  CHECK(shrinks == 0, "%ld of %ld grows of A were shrunk by B's failures",
        shrinks, grows);
  CHECK(faults == 0, "%ld writes of A into its grown tail faulted", faults);
  printf("enospc-race[c]: A grew %ld times (%ld transient ENOSPC), B failed "
         "%ld grows; %ld shrinks, %ld faults in A\n",
         grows, transient, shared[1], shrinks, faults);
  mmk_file_close(f);
  umount2("/dev/shm", MNT_DETACH);
  umount2(dir, MNT_DETACH);
  rmdir(dir);
  return failures ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr,
            "usage: mmk_crash kill|writer|enospc|enospc-race|sandbox ...\n");
    return 2;
  }
  if (!strcmp(argv[1], "writer")) return cmd_writer(argc, argv);
  if (!strcmp(argv[1], "kill")) return cmd_kill(argc, argv);
  if (!strcmp(argv[1], "enospc")) return cmd_enospc();
  if (!strcmp(argv[1], "sandbox")) return cmd_sandbox(argc, argv);
  if (!strcmp(argv[1], "enospc-race")) return cmd_enospc_race(argc, argv);
  fprintf(stderr, "mmk_crash: unknown command %s\n", argv[1]);
  return 2;
}
