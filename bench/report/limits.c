/*
 * The machine's physical limits that the language benchmarks are compared
 * against, in the same run: memcpy bandwidth, read(2) of a cached file,
 * and first touch of a mapped file with and without MAP_POPULATE under
 * three controlled page-cache states:
 *
 *   cold       written, fsync'ed, then evicted (posix_fadvise DONTNEED):
 *              first touch reads from the device;
 *   written    just written with write(2): the cache holds it in the small
 *              folios the writes created;
 *   reread     evicted, then read back with read(2): readahead fills the
 *              cache with large folios, so faulting is much cheaper.
 *
 * Only this benchmark's own file is evicted (fadvise), never the whole
 * page cache, so other work on the machine is left alone.
 *
 *   limits [--size MiB] [--reps N] [--dir DIR] [--json FILE]
 * prints a markdown table; with --json also writes
 *   {"suite":"limits","results":[{"name","impl","value","unit","note"}...]}
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct {
  const char *name, *impl, *unit, *note;
  double value;
} row;

static row rows[64];
static int nrows;

static void add(const char *name, const char *impl, double v, const char *unit, const char *note) {
  rows[nrows++] = (row){name, impl, unit, note, v};
}

static double median(double *x, int n) {
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && x[j] < x[j - 1]; j--) {
      double t = x[j];
      x[j] = x[j - 1];
      x[j - 1] = t;
    }
  return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

static void die(const char *what) {
  fprintf(stderr, "limits: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void write_file(const char *path, size_t size) {
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) die(path);
  static char chunk[1 << 20];
  for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = (char)(i * 13 + 1);
  for (size_t done = 0; done < size; done += sizeof chunk)
    if (write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk) die("write");
  close(fd);
}

static void evict(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) die(path);
  if (fdatasync(fd) != 0) die("fdatasync");
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  close(fd);
}

static void reread(const char *path, size_t size) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) die(path);
  static char buf[1 << 20];
  for (size_t done = 0; done < size;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r <= 0) break;
    done += (size_t)r;
  }
  close(fd);
}

/* The fastest single-thread scan we can write: 32-byte vector loads into
 * four independent accumulators (GCC vector extensions, so it builds on
 * any target; on x86-64 an AVX2 clone is picked at run time where the CPU
 * has it). This, not a scalar 8-byte loop, is the bound of a zero-copy
 * scan: .NET's span scan and numpy's sum beat the scalar loop. */
typedef uint64_t v4u64 __attribute__((vector_size(32)));
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
static uint64_t vector_sum(const unsigned char *p, size_t size) {
  v4u64 a = {0}, b = {0}, c = {0}, d = {0}, x;
  size_t i = 0;
  for (; i + 128 <= size; i += 128) {
    memcpy(&x, p + i, 32), a += x;
    memcpy(&x, p + i + 32, 32), b += x;
    memcpy(&x, p + i + 64, 32), c += x;
    memcpy(&x, p + i + 96, 32), d += x;
  }
  a += b + c + d;
  uint64_t s = a[0] + a[1] + a[2] + a[3];
  for (; i + 8 <= size; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    s += w;
  }
  return s;
}

/* GB/s of the first full pass (8-byte loads) over a fresh mapping: the
 * scan plus the cost of faulting every page in. */
static double first_touch(const char *path, size_t size, int populate) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) die(path);
  double t0 = now();
  const uint64_t *p =
      mmap(NULL, size, PROT_READ, MAP_SHARED | (populate ? MAP_POPULATE : 0), fd, 0);
  if (p == MAP_FAILED) die("mmap");
  uint64_t sum = 0;
  for (size_t i = 0; i < size / 8; i++) sum += p[i];
  __asm__ __volatile__("" : : "r"(sum));
  double t = now() - t0;
  munmap((void *)p, size);
  close(fd);
  return size / t / 1e9;
}

int main(int argc, char **argv) {
  size_t mib = 256;
  int reps = 5;
  const char *dir = ".", *json = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--size") && i + 1 < argc) mib = strtoul(argv[++i], NULL, 0);
    else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
    else if (!strcmp(argv[i], "--json") && i + 1 < argc) json = argv[++i];
    else {
      fprintf(stderr, "usage: limits [--size MiB] [--reps N] [--dir DIR] [--json FILE]\n");
      return 2;
    }
  }
  if (reps < 1) reps = 1;
  if (reps > 32) reps = 32;
  size_t size = mib << 20;
  double x[32];

  /* memcpy bandwidth: 1 MiB (cache-resident) and the full size (DRAM). */
  size_t sizes[2] = {1u << 20, size};
  const char *names[2] = {"memcpy 1 MiB", "memcpy large"};
  for (int k = 0; k < 2; k++) {
    char *a = malloc(sizes[k]), *b = malloc(sizes[k]);
    if (!a || !b) die("malloc");
    memset(a, 1, sizes[k]);
    memset(b, 2, sizes[k]);
    int inner = k == 0 ? 256 : 1;
    for (int r = 0; r < reps; r++) {
      double t0 = now();
      for (int i = 0; i < inner; i++) {
        memcpy(b, a, sizes[k]);
        __asm__ __volatile__("" : : "r"(b) : "memory");
      }
      x[r] = (double)sizes[k] * inner / (now() - t0) / 1e9;
    }
    add(names[k], "C limit", median(x, reps), "GB/s", k ? "DRAM to DRAM" : "in cache");
    free(a);
    free(b);
  }

  char path[4096];
  snprintf(path, sizeof path, "%s/mmapkit-limits-%d.bin", dir, (int)getpid());
  write_file(path, size);

  /* read(2) of a cached file, 1 MiB at a time. */
  reread(path, size);
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    reread(path, size);
    x[r] = size / (now() - t0) / 1e9;
  }
  add("read(2) cached file", "C limit", median(x, reps), "GB/s", "1 MiB reads, file in page cache");

  /* Sequential scan of a mapped, cached, already-faulted file. */
  {
    int fd = open(path, O_RDONLY);
    const uint64_t *p = mmap(NULL, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (p == MAP_FAILED) die("mmap");
    for (int r = 0; r < reps; r++) {
      double t0 = now();
      uint64_t s = 0;
      for (size_t i = 0; i < size / 8; i++) s += p[i];
      __asm__ __volatile__("" : : "r"(s));
      x[r] = size / (now() - t0) / 1e9;
    }
    add("mapped scan (8-byte loads)", "C limit", median(x, reps), "GB/s",
        "warm mapping, scalar loop");
    for (int r = 0; r < reps; r++) {
      double t0 = now();
      uint64_t s = vector_sum((const unsigned char *)p, size);
      __asm__ __volatile__("" : : "r"(s));
      x[r] = size / (now() - t0) / 1e9;
    }
    add("mapped scan (vector loads)", "C limit", median(x, reps), "GB/s",
        "warm mapping, 32-byte loads, 4 accumulators, 1 thread: the scan bound");
    munmap((void *)p, size);
    close(fd);
  }

  /* First touch under each page-cache state, with and without populate. */
  static const char *states[3] = {"cold", "written", "reread"};
  for (int s = 0; s < 3; s++) {
    for (int pop = 0; pop < 2; pop++) {
      for (int r = 0; r < reps; r++) {
        if (s == 0) {
          evict(path);
        } else if (s == 1) {
          write_file(path, size);
        } else {
          evict(path);
          reread(path, size);
        }
        x[r] = first_touch(path, size, pop);
      }
      char *nm = malloc(96);
      snprintf(nm, 96, "first touch, %s cache%s", states[s], pop ? ", populate" : "");
      add(nm, "C limit", median(x, reps), "GB/s",
          s == 0 ? "evicted with fadvise: read from the device"
          : s == 1 ? "just written with write(2): small folios"
                   : "evicted then read(2) back: large folios");
    }
  }
  unlink(path);

  printf("| benchmark | impl | value | unit | note |\n|---|---|---:|---|---|\n");
  for (int i = 0; i < nrows; i++)
    printf("| %s | %s | %.2f | %s | %s |\n", rows[i].name, rows[i].impl, rows[i].value,
           rows[i].unit, rows[i].note);
  if (json) {
    FILE *f = fopen(json, "w");
    if (!f) die(json);
    fprintf(f, "{\"suite\": \"limits\", \"size_mib\": %zu, \"reps\": %d, \"results\": [\n", mib, reps);
    for (int i = 0; i < nrows; i++)
      fprintf(f, "  {\"name\": \"%s\", \"impl\": \"%s\", \"value\": %.4f, \"unit\": \"%s\", \"note\": \"%s\"}%s\n",
              rows[i].name, rows[i].impl, rows[i].value, rows[i].unit, rows[i].note,
              i + 1 < nrows ? "," : "");
    fprintf(f, "]}\n");
    fclose(f);
  }
  return 0;
}
