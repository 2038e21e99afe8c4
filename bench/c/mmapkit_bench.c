/*
 * mmapkit-bench: what the core costs, next to the physical limits.
 *
 *   mmapkit-bench [--json FILE] [--dir DIR] [--touch-mib N] [--quick]
 *
 * Measures (median of several repetitions, clock_gettime(CLOCK_MONOTONIC)):
 * - guarded copy (mmk_view_read) vs memcpy from the same mapping, 8 B and
 *   1 MiB (the 1 MiB range is the same each time: cache-warm);
 * - a map + close cycle (file already open) vs raw mmap + munmap;
 * - first touch of every page of a file view, with and without
 *   MMK_MAP_POPULATE, with the file's pages evicted from the page cache
 *   (fsync + posix_fadvise(DONTNEED), "cold": the disk is read) and with
 *   them cached ("warm": only page tables are filled); the cached share is
 *   measured with mmk_view_resident before each run and printed;
 * - first write touch of anonymous memory (mmk_anon_create);
 * - the limits: memcpy bandwidth (64 MiB buffers) and read(2) of a cached
 *   file.
 * Prints a markdown table; with --json also writes the results as JSON.
 * A benchmark, not a test: nothing here asserts a speed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mmapkit.h"

#define MIB (1024 * 1024)

#define CHECK(call)                                                            \
  do {                                                                         \
    int rc_ = (call);                                                          \
    if (rc_ != MMK_OK) {                                                       \
      fprintf(stderr, "%s:%d: %s failed: %s (%s)\n", __FILE__, __LINE__,       \
              #call, mmk_last_error_message(), mmk_err_name(rc_));             \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

#define CHECK_SYS(expr)                                                        \
  do {                                                                         \
    if ((expr) < 0) {                                                          \
      fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #expr,            \
              strerror(errno));                                                \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

/* Keeps the compiler from dropping a copy whose result is not used. */
#define CLOBBER(p) __asm__ volatile("" : : "r"(p) : "memory")

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef struct result {
  char name[64];
  char state[96];
  const char *unit;
  double median, min, max;
  int reps;
} result;

static result results[64];
static int nresults;

/* Records the median (and spread) of `n` samples. */
static void record(const char *name, const char *state, const char *unit,
                   double *samples, int n) {
  result *r = &results[nresults++];
  qsort(samples, (size_t)n, sizeof *samples, cmp_double);
  snprintf(r->name, sizeof r->name, "%s", name);
  snprintf(r->state, sizeof r->state, "%s", state);
  r->unit = unit;
  r->median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  r->min = samples[0];
  r->max = samples[n - 1];
  r->reps = n;
  fprintf(stderr, "  %-44s %10.3f %s\n", name, r->median, unit);
}

static int reps_small = 11, reps_touch = 5, reps_cold = 3;
static int64_t touch_bytes = 256ll * MIB;
static char dir[1024] = "/tmp";

/* A file of `size` bytes with non-zero content, fsynced. */
static void make_file(const char *path, int64_t size) {
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK_SYS(fd);
  char *chunk = malloc(MIB);
  for (int i = 0; i < MIB; i++) chunk[i] = (char)(i * 31 + 7);
  for (int64_t done = 0; done < size; done += MIB) {
    size_t n = size - done < MIB ? (size_t)(size - done) : MIB;
    if (pwrite(fd, chunk, n, (off_t)done) != (ssize_t)n) {
      perror("pwrite");
      exit(1);
    }
  }
  fsync(fd);
  close(fd);
  free(chunk);
}

/* Evicts a file's pages from the page cache (they are clean: fsynced). */
static void evict(const char *path) {
  int fd = open(path, O_RDONLY);
  CHECK_SYS(fd);
  fdatasync(fd);
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  close(fd);
}

/* Reads a whole file once, so that its pages are cached. */
static double read_file(const char *path, char *buf, size_t bufsize) {
  int fd = open(path, O_RDONLY);
  CHECK_SYS(fd);
  double t0 = now_s();
  int64_t total = 0;
  ssize_t n;
  while ((n = read(fd, buf, bufsize)) > 0) total += n;
  double t = now_s() - t0;
  close(fd);
  return (double)total / t;
}

static void bench_copies(const char *path) {
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  const int64_t size = 64 * MIB;
  make_file(path, size);
  CHECK(mmk_file_open(path, MMK_READ, 0, 0, &f));
  CHECK(mmk_map(f, 0, 0, MMK_MAP_POPULATE, &v));
  const unsigned char *p = mmk_view_data(v);
  double s[64];

  /* 8 B: a different (cache-resident) 8 bytes each time */
  enum { N8 = 2000000 };
  const int64_t mask = (64 * 1024 - 1) & ~7;
  unsigned char b8[8];
  for (int r = 0; r < reps_small; r++) {
    double t0 = now_s();
    for (int64_t i = 0; i < N8; i++) {
      mmk_view_read(v, (i * 8) & mask, b8, 8);
      CLOBBER(b8);
    }
    s[r] = (now_s() - t0) / N8 * 1e9;
  }
  record("guarded copy 8 B (mmk_view_read)", "page cache warm, L1/L2",
         "ns/op", s, reps_small);
  for (int r = 0; r < reps_small; r++) {
    double t0 = now_s();
    for (int64_t i = 0; i < N8; i++) {
      memcpy(b8, p + ((i * 8) & mask), 8);
      CLOBBER(b8);
    }
    s[r] = (now_s() - t0) / N8 * 1e9;
  }
  record("memcpy 8 B from the same mapping", "page cache warm, L1/L2",
         "ns/op", s, reps_small);

  /* 1 MiB: the same source range each time */
  char *dst = malloc(MIB);
  memset(dst, 1, MIB);
  enum { N1 = 200 };
  for (int r = 0; r < reps_small; r++) {
    double t0 = now_s();
    for (int i = 0; i < N1; i++) {
      CHECK(mmk_view_read(v, MIB, dst, MIB));
      CLOBBER(dst);
    }
    s[r] = (double)N1 * MIB / (now_s() - t0) / 1e9;
  }
  record("guarded copy 1 MiB (mmk_view_read)", "page cache warm, same 1 MiB",
         "GB/s", s, reps_small);
  for (int r = 0; r < reps_small; r++) {
    double t0 = now_s();
    for (int i = 0; i < N1; i++) {
      memcpy(dst, p + MIB, MIB);
      CLOBBER(dst);
    }
    s[r] = (double)N1 * MIB / (now_s() - t0) / 1e9;
  }
  record("memcpy 1 MiB from the same mapping", "page cache warm, same 1 MiB",
         "GB/s", s, reps_small);
  free(dst);
  CHECK(mmk_view_close(v));

  /* map + close cycle with the file already open */
  enum { NM = 3000 };
  const int64_t len = MIB;
  for (int r = 0; r < reps_small; r++) {
    double t0 = now_s();
    for (int i = 0; i < NM; i++) {
      CHECK(mmk_map(f, 0, len, 0, &v));
      CHECK(mmk_view_close(v));
    }
    s[r] = (now_s() - t0) / NM * 1e9;
  }
  record("mmk_map + mmk_view_close, 1 MiB", "file open, no touch", "ns/op", s,
         reps_small);
  for (int r = 0; r < reps_small; r++) {
    double t0 = now_s();
    for (int i = 0; i < NM; i++) {
      CHECK(mmk_map(f, 4097, len, 0, &v));
      CHECK(mmk_view_close(v));
    }
    s[r] = (now_s() - t0) / NM * 1e9;
  }
  record("mmk_map + mmk_view_close, 1 MiB at offset 4097", "file open, no touch",
         "ns/op", s, reps_small);
  int fd = mmk_file_fd(f);
  for (int r = 0; r < reps_small; r++) {
    double t0 = now_s();
    for (int i = 0; i < NM; i++) {
      void *m = mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED, fd, 0);
      if (m == MAP_FAILED) {
        perror("mmap");
        exit(1);
      }
      munmap(m, (size_t)len);
    }
    s[r] = (now_s() - t0) / NM * 1e9;
  }
  record("raw mmap + munmap, 1 MiB", "file open, no touch", "ns/op", s,
         reps_small);
  CHECK(mmk_file_close(f));
}

/* Maps the whole file and reads one byte of every page. Returns GB/s and
 * the share of the file that was cached just before. */
static double touch_once(const char *path, unsigned options, double *cached) {
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  int64_t res = 0;
  const int64_t page = mmk_page_size();
  CHECK(mmk_file_open(path, MMK_READ, 0, 0, &f));
  {
    /* residency right before the run, through a throwaway view */
    mmk_view *probe = NULL;
    CHECK(mmk_map(f, 0, 0, 0, &probe));
    CHECK(mmk_view_resident(probe, 0, 0, &res));
    CHECK(mmk_view_close(probe));
  }
  *cached = (double)res / (double)touch_bytes;
  double t0 = now_s();
  CHECK(mmk_map(f, 0, 0, options, &v));
  const volatile unsigned char *p = mmk_view_data(v);
  unsigned sum = 0;
  for (int64_t i = 0; i < touch_bytes; i += page) sum += p[i];
  double t = now_s() - t0;
  CLOBBER(&sum);
  CHECK(mmk_view_close(v));
  CHECK(mmk_file_close(f));
  return (double)touch_bytes / t / 1e9;
}

static void bench_first_touch(const char *path) {
  make_file(path, touch_bytes);
  double s[16], cached, worst_cached;
  char state[96];
  static const struct {
    const char *name;
    unsigned options;
  } kinds[] = {{"first touch, no populate", 0},
               {"first touch, MMK_MAP_POPULATE", MMK_MAP_POPULATE}};
  for (int k = 0; k < 2; k++) {
    worst_cached = 0;
    for (int r = 0; r < reps_cold; r++) {
      evict(path);
      s[r] = touch_once(path, kinds[k].options, &cached);
      if (cached > worst_cached) worst_cached = cached;
    }
    snprintf(state, sizeof state, "cold: evicted, <=%.0f%% cached before",
             worst_cached * 100);
    record(kinds[k].name, state, "GB/s", s, reps_cold);
  }
  char *buf = malloc(MIB);
  for (int k = 0; k < 2; k++) {
    double least = 1;
    for (int r = 0; r < reps_touch; r++) {
      read_file(path, buf, MIB);
      s[r] = touch_once(path, kinds[k].options, &cached);
      if (cached < least) least = cached;
    }
    snprintf(state, sizeof state, "warm: >=%.0f%% cached before", least * 100);
    record(kinds[k].name, state, "GB/s", s, reps_touch);
  }

  /* the limit for warm data: read(2) of the cached file */
  for (int r = 0; r < reps_touch; r++) s[r] = read_file(path, buf, MIB) / 1e9;
  record("read(2) of the cached file, 1 MiB reads", "warm", "GB/s", s,
         reps_touch);
  free(buf);
  unlink(path);

  /* anonymous memory: first write of each page */
  const int64_t page = mmk_page_size();
  static const char *anon_names[] = {"anon first write touch, no populate",
                                     "anon first write touch, MMK_MAP_POPULATE"};
  for (int k = 0; k < 2; k++) {
    for (int r = 0; r < reps_touch; r++) {
      mmk_file *f = NULL;
      mmk_view *v = NULL;
      CHECK(mmk_anon_create(touch_bytes, &f));
      double t0 = now_s();
      CHECK(mmk_map(f, 0, 0, kinds[k].options, &v));
      volatile unsigned char *p = mmk_view_data(v);
      for (int64_t i = 0; i < touch_bytes; i += page) p[i] = 1;
      s[r] = (double)touch_bytes / (now_s() - t0) / 1e9;
      CHECK(mmk_view_close(v));
      CHECK(mmk_file_close(f));
    }
    record(anon_names[k], "fresh mmk_anon_create", "GB/s", s, reps_touch);
  }
}

static void bench_memcpy_limit(void) {
  const size_t size = 64 * MIB;
  char *a = malloc(size), *b = malloc(size);
  memset(a, 1, size);
  memset(b, 2, size);
  double s[16];
  for (int r = 0; r < reps_touch; r++) {
    double t0 = now_s();
    memcpy(b, a, size);
    CLOBBER(b);
    s[r] = (double)size / (now_s() - t0) / 1e9;
  }
  record("memcpy 64 MiB (memory bandwidth)", "buffers pre-touched", "GB/s", s,
         reps_touch);
  free(a);
  free(b);
}

static void print_table(FILE *out) {
  fprintf(out, "| benchmark | state | median | unit | min | max | reps |\n");
  fprintf(out, "|---|---|---:|---|---:|---:|---:|\n");
  for (int i = 0; i < nresults; i++) {
    const result *r = &results[i];
    fprintf(out, "| %s | %s | %.3f | %s | %.3f | %.3f | %d |\n", r->name,
            r->state, r->median, r->unit, r->min, r->max, r->reps);
  }
}

static void write_json(const char *path) {
  FILE *out = fopen(path, "w");
  if (!out) {
    fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
    exit(1);
  }
  fprintf(out, "{\n  \"mmapkit_version\": \"%s\",\n  \"page_size\": %" PRId64
               ",\n  \"touch_bytes\": %" PRId64 ",\n  \"results\": [\n",
          mmk_version(), mmk_page_size(), touch_bytes);
  for (int i = 0; i < nresults; i++) {
    const result *r = &results[i];
    fprintf(out,
            "    {\"name\": \"%s\", \"state\": \"%s\", \"unit\": \"%s\", "
            "\"median\": %.6g, \"min\": %.6g, \"max\": %.6g, \"reps\": %d}%s\n",
            r->name, r->state, r->unit, r->median, r->min, r->max, r->reps,
            i + 1 < nresults ? "," : "");
  }
  fprintf(out, "  ]\n}\n");
  fclose(out);
}

int main(int argc, char **argv) {
  const char *json = NULL;
  const char *tmp = getenv("TMPDIR");
  if (tmp && *tmp) snprintf(dir, sizeof dir, "%s", tmp);
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--json") && i + 1 < argc) {
      json = argv[++i];
    } else if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
      snprintf(dir, sizeof dir, "%s", argv[++i]);
    } else if (!strcmp(argv[i], "--touch-mib") && i + 1 < argc) {
      touch_bytes = atoll(argv[++i]) * MIB;
    } else if (!strcmp(argv[i], "--quick")) {
      reps_small = 3;
      reps_touch = 3;
      reps_cold = 1;
      touch_bytes = 32 * MIB;
    } else {
      fprintf(stderr,
              "usage: %s [--json FILE] [--dir DIR] [--touch-mib N] [--quick]\n",
              argv[0]);
      return 2;
    }
  }
  if (touch_bytes <= 0) touch_bytes = 256ll * MIB;
  char path[1100];
  snprintf(path, sizeof path, "%s/mmapkit-bench-%ld.bin", dir, (long)getpid());
  fprintf(stderr, "mmapkit %s, page %" PRId64 " bytes, files in %s\n",
          mmk_version(), mmk_page_size(), dir);
  bench_copies(path);
  bench_first_touch(path);
  bench_memcpy_limit();
  unlink(path);
  print_table(stdout);
  if (json) write_json(json);
  return 0;
}
