/*
 * The machine's physical limits that the language benchmarks are compared
 * against, in the same run: the best single-thread read scan (the widest
 * vector loads the CPU has) over a memory-sized and a cache-sized buffer,
 * the same scan on all cores (labelled so), memcpy bandwidth, read(2) of a
 * cached file, and first touch of a mapped file with and without MAP_POPULATE under
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
 * page cache, so other work on the machine is left alone. Bandwidth limits
 * are the best 32 MiB piece of their rounds, not a median: a limit is what
 * the machine can do, and other load on a shared machine only ever lowers
 * a figure.
 *
 *   limits [--size MiB] [--reps N] [--dir DIR] [--json FILE]
 * prints a markdown table; with --json also writes
 *   {"suite":"limits","results":[{"name","impl","value","unit","note","class"}...]}
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdarg.h>
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

/* A row's class says which language rows it bounds (merge.py matches on
 * it, not on the name): "scan/memory", "scan/cache", "scan/memory/all-cores",
 * "copy/memory", "copy/cache", "copy/out" (a memory-sized source copied
 * chunk by chunk into one cache-sized buffer); "" for the rest. */
typedef struct {
  const char *name, *impl, *unit, *note, *cls;
  double value;
} row;

static row rows[64];
static int nrows;

static void add(const char *name, const char *impl, double v, const char *unit, const char *note) {
  rows[nrows++] = (row){name, impl, unit, note, "", v};
}

static void add_limit(const char *name, const char *cls, double v, const char *note) {
  rows[nrows++] = (row){name, "C limit", "GB/s", note, cls, v};
}

/* A string that lives until exit (row names and notes built at run time). */
static const char *fmtstr(const char *f, ...) __attribute__((format(printf, 1, 2)));
static const char *fmtstr(const char *f, ...) {
  char *out = malloc(256);
  if (!out) exit(1);
  va_list ap;
  va_start(ap, f);
  vsnprintf(out, 256, f, ap);
  va_end(ap);
  return out;
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

/* The fastest single-thread read scan this file knows how to write: the
 * widest vector loads the CPU has, four independent accumulators, the sum
 * consumed so the compiler cannot drop a load. On x86-64 the AVX-512 and
 * AVX2 versions are compiled with target attributes and picked at run time
 * (__builtin_cpu_supports), so the binary still runs on any x86-64 (SSE2
 * is the baseline); elsewhere GCC vector extensions give 16-byte loads
 * (NEON on arm64). This, not a scalar 8-byte loop, bounds a zero-copy
 * scan: .NET's span scan and numpy's sum both beat the scalar loop. */
typedef uint64_t (*scan_fn)(const unsigned char *, size_t);

static uint64_t scan_tail(const unsigned char *p, size_t i, size_t size, uint64_t s) {
  for (; i + 8 <= size; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    s += w;
  }
  return s;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86_SCANS 1

__attribute__((target("avx512f"))) static uint64_t scan_avx512(const unsigned char *p,
                                                                size_t size) {
  __m512i a = _mm512_setzero_si512(), b = a, c = a, d = a;
  size_t i = 0;
  for (; i + 256 <= size; i += 256) {
    a = _mm512_add_epi64(a, _mm512_loadu_si512((const void *)(p + i)));
    b = _mm512_add_epi64(b, _mm512_loadu_si512((const void *)(p + i + 64)));
    c = _mm512_add_epi64(c, _mm512_loadu_si512((const void *)(p + i + 128)));
    d = _mm512_add_epi64(d, _mm512_loadu_si512((const void *)(p + i + 192)));
  }
  a = _mm512_add_epi64(_mm512_add_epi64(a, b), _mm512_add_epi64(c, d));
  uint64_t lane[8];
  _mm512_storeu_si512((void *)lane, a);
  uint64_t s = 0;
  for (int k = 0; k < 8; k++) s += lane[k];
  return scan_tail(p, i, size, s);
}

__attribute__((target("avx2"))) static uint64_t scan_avx2(const unsigned char *p, size_t size) {
  __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
  size_t i = 0;
  for (; i + 128 <= size; i += 128) {
    a = _mm256_add_epi64(a, _mm256_loadu_si256((const __m256i *)(p + i)));
    b = _mm256_add_epi64(b, _mm256_loadu_si256((const __m256i *)(p + i + 32)));
    c = _mm256_add_epi64(c, _mm256_loadu_si256((const __m256i *)(p + i + 64)));
    d = _mm256_add_epi64(d, _mm256_loadu_si256((const __m256i *)(p + i + 96)));
  }
  a = _mm256_add_epi64(_mm256_add_epi64(a, b), _mm256_add_epi64(c, d));
  uint64_t lane[4];
  _mm256_storeu_si256((__m256i *)lane, a);
  return scan_tail(p, i, size, lane[0] + lane[1] + lane[2] + lane[3]);
}

static uint64_t scan_sse2(const unsigned char *p, size_t size) {
  __m128i a = _mm_setzero_si128(), b = a, c = a, d = a;
  size_t i = 0;
  for (; i + 64 <= size; i += 64) {
    a = _mm_add_epi64(a, _mm_loadu_si128((const __m128i *)(p + i)));
    b = _mm_add_epi64(b, _mm_loadu_si128((const __m128i *)(p + i + 16)));
    c = _mm_add_epi64(c, _mm_loadu_si128((const __m128i *)(p + i + 32)));
    d = _mm_add_epi64(d, _mm_loadu_si128((const __m128i *)(p + i + 48)));
  }
  a = _mm_add_epi64(_mm_add_epi64(a, b), _mm_add_epi64(c, d));
  uint64_t lane[2];
  _mm_storeu_si128((__m128i *)lane, a);
  return scan_tail(p, i, size, lane[0] + lane[1]);
}
#else
typedef uint64_t v2u64 __attribute__((vector_size(16)));
static uint64_t scan_vec16(const unsigned char *p, size_t size) {
  v2u64 a = {0}, b = {0}, c = {0}, d = {0}, x;
  size_t i = 0;
  for (; i + 64 <= size; i += 64) {
    memcpy(&x, p + i, 16), a += x;
    memcpy(&x, p + i + 16, 16), b += x;
    memcpy(&x, p + i + 32, 16), c += x;
    memcpy(&x, p + i + 48, 16), d += x;
  }
  a += b + c + d;
  return scan_tail(p, i, size, a[0] + a[1]);
}
#endif

/* The vector scans this CPU runs, widest first. */
typedef struct {
  scan_fn fn;
  const char *isa;
} kernel;

static int scan_kernels(kernel *k) {
  int n = 0;
#ifdef HAVE_X86_SCANS
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) k[n++] = (kernel){scan_avx512, "AVX-512, 64-byte loads"};
  if (__builtin_cpu_supports("avx2")) k[n++] = (kernel){scan_avx2, "AVX2, 32-byte loads"};
  k[n++] = (kernel){scan_sse2, "SSE2, 16-byte loads"};
#else
  k[n++] = (kernel){scan_vec16, "16-byte vector loads"};
#endif
  return n;
}

static uint64_t scalar_scan(const unsigned char *p, size_t size) {
  const uint64_t *w = (const void *)p;
  uint64_t s = 0;
  for (size_t i = 0; i < size / 8; i++) s += w[i];
  return s;
}

/* The machine may be shared, and a pass long enough to be preempted
 * measures the scheduler, not the memory. So a pass is timed in pieces of
 * PIECE bytes (long past a piece's start-up cost, short enough to fit in a
 * time slice) and its best piece counts. A memory-sized buffer is cut into
 * pieces of itself, so each piece still streams from memory (the rest of
 * the previous pass evicted it); a cache-sized one is worked over
 * PIECE / size times per piece. */
#define PIECE ((size_t)32 << 20)

typedef struct {
  scan_fn fn;
  const unsigned char *src;
  unsigned char *dst;
  size_t chunk; /* copy-out: the size of the one reused target buffer */
} job;

typedef void (*work_fn)(const job *j, size_t off, size_t len);

static void work_scan(const job *j, size_t off, size_t len) {
  uint64_t s = j->fn(j->src + off, len);
  __asm__ __volatile__("" : : "r"(s) : "memory");
}

static void work_copy(const job *j, size_t off, size_t len) {
  memcpy(j->dst + off, j->src + off, len);
  __asm__ __volatile__("" : : "r"(j->dst) : "memory");
}

static void work_copy_out(const job *j, size_t off, size_t len) {
  for (size_t o = off; o + j->chunk <= off + len; o += j->chunk) {
    memcpy(j->dst, j->src + o, j->chunk);
    __asm__ __volatile__("" : : "r"(j->dst) : "memory");
  }
}

/* One pass over [0, size): the best GB/s of its pieces. */
static double best_piece(work_fn w, const job *j, size_t size) {
  double best = 0;
  if (size >= PIECE) {
    for (size_t off = 0; off + PIECE <= size; off += PIECE) {
      double t0 = now();
      w(j, off, PIECE);
      double g = PIECE / (now() - t0) / 1e9;
      if (g > best) best = g;
    }
  } else {
    size_t times = PIECE / size;
    for (int k = 0; k < 8; k++) {
      double t0 = now();
      for (size_t i = 0; i < times; i++) w(j, 0, size);
      double g = (double)size * times / (now() - t0) / 1e9;
      if (g > best) best = g;
    }
  }
  return best;
}

/* The best of `reps` passes after an untimed warm-up pass. */
static double best_of(work_fn w, const job *j, size_t size, int reps) {
  best_piece(w, j, size);
  double best = 0;
  for (int r = 0; r < reps; r++) {
    double g = best_piece(w, j, size);
    if (g > best) best = g;
  }
  return best;
}

/* The best GB/s any of the n kernels reaches over `reps` rounds after a
 * warm-up round; the kernels take turns within each round, so a burst of
 * other load on the machine does not fall on one kernel only. *won is the
 * index of the kernel that reached it. On a memory-sized buffer the width
 * hardly matters (memory is the bound) and the winner is partly noise; on
 * a cache-sized one the widest loads win. */
static double best_of_kernels(const kernel *k, int n, const unsigned char *p, size_t size,
                              int reps, int *won) {
  double best = 0;
  *won = 0;
  for (int r = 0; r <= reps; r++)
    for (int i = 0; i < n; i++) {
      job j = {k[i].fn, p, NULL, 0};
      double g = best_piece(work_scan, &j, size);
      if (r > 0 && g > best) best = g, *won = i;
    }
  return best;
}

/* All cores: one thread per online CPU scans its own slice of the buffer,
 * a piece at a time, all threads in step (a barrier before each piece).
 * Each thread notes when it started and ended each piece; GB/s is the
 * bytes all threads read in a piece over the time from the first start to
 * the last end (the threads keep their own clocks so that a coordinator
 * preempted at the wrong moment cannot shorten the interval). */
#define MAX_PIECES 64
typedef struct {
  scan_fn fn;
  const unsigned char *p;
  size_t pieces;
  pthread_barrier_t *sync;
  double start[MAX_PIECES], end[MAX_PIECES];
} slice;

static void *scan_slice(void *arg) {
  slice *s = arg;
  for (size_t k = 0; k < s->pieces; k++) {
    pthread_barrier_wait(s->sync);
    s->start[k] = now();
    uint64_t sum = s->fn(s->p + k * PIECE, PIECE);
    __asm__ __volatile__("" : : "r"(sum) : "memory");
    s->end[k] = now();
  }
  return NULL;
}

static double all_cores_gbps(scan_fn fn, const unsigned char *p, size_t size, int nthreads,
                             int reps) {
  static pthread_t tid[256];
  static slice sl[256];
  pthread_barrier_t sync;
  size_t pieces = size / nthreads / PIECE;
  if (pieces > MAX_PIECES) pieces = MAX_PIECES;
  if (pieces == 0) return 0;
  double best = 0;
  for (int r = 0; r <= reps; r++) { /* pass 0 is the warm-up */
    pthread_barrier_init(&sync, NULL, nthreads);
    for (int t = 0; t < nthreads; t++) {
      sl[t] = (slice){.fn = fn, .p = p + pieces * PIECE * t, .pieces = pieces, .sync = &sync};
      if (pthread_create(&tid[t], NULL, scan_slice, &sl[t]) != 0) die("pthread_create");
    }
    for (int t = 0; t < nthreads; t++) pthread_join(tid[t], NULL);
    pthread_barrier_destroy(&sync);
    for (size_t k = 0; r > 0 && k < pieces; k++) {
      double t0 = sl[0].start[k], t1 = sl[0].end[k];
      for (int t = 1; t < nthreads; t++) {
        if (sl[t].start[k] < t0) t0 = sl[t].start[k];
        if (sl[t].end[k] > t1) t1 = sl[t].end[k];
      }
      double g = (double)PIECE * nthreads / (t1 - t0) / 1e9;
      if (g > best) best = g;
    }
  }
  return best;
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

  /* The cache-sized buffer: half of one core's L2, so that it and the
   * code's other data stay there (256 KiB where the size is unknown). */
  long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  size_t csize = l2 >= (128 << 10) && l2 <= (64L << 20) ? (size_t)l2 / 2 : 256u << 10;
  kernel kern[4];
  int nkern = scan_kernels(kern), won;
  /* Bandwidth passes are short and the machine may be shared: more rounds. */
  int scan_reps = reps * 3 < 15 ? 15 : reps * 3;
  const char *widths = nkern > 1 ? fmtstr("fastest of %d widths", nkern) : "the one width built";

  /* memcpy bandwidth, single thread, best of scan_reps after a warm-up pass:
   * both buffers in L2 (each a quarter of it), and both memory-sized.
   * GB/s counts the bytes copied (the memory traffic is twice that). */
  size_t msizes[2] = {csize / 2, size};
  for (int k = 0; k < 2; k++) {
    size_t n = msizes[k];
    char *a = malloc(n), *b = malloc(n);
    if (!a || !b) die("malloc");
    memset(a, 1, n);
    memset(b, 2, n);
    job j = {NULL, (const unsigned char *)a, (unsigned char *)b, 0};
    double best = best_of(work_copy, &j, n, scan_reps);
    if (k == 0)
      add_limit(fmtstr("memcpy, cache-sized (%zu KiB)", n >> 10), "copy/cache", best,
                "both buffers in L2, 1 thread, best 32 MiB piece");
    else
      add_limit(fmtstr("memcpy, memory-sized (%zu MiB)", n >> 20), "copy/memory", best,
                "memory to memory, 1 thread, best 32 MiB piece; bytes copied, not moved");
    free(a);
    free(b);
  }

  /* The vectorised scan over a cache-sized buffer. */
  {
    unsigned char *c = malloc(csize);
    if (!c) die("malloc");
    for (size_t i = 0; i < csize; i++) c[i] = (unsigned char)(i * 7 + 3);
    double g = best_of_kernels(kern, nkern, c, csize, scan_reps, &won);
    add_limit(fmtstr("scan, cache-sized (%zu KiB)", csize >> 10), "scan/cache", g,
              fmtstr("%s (%s), 1 thread, half of L2, best 32 MiB piece",
                     kern[won].isa, widths));
    free(c);
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

  /* Scans of the mapped, cached, already-faulted file: the memory-sized
   * buffer every language's zero-copy scan reads. */
  {
    int fd = open(path, O_RDONLY);
    const unsigned char *p = mmap(NULL, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (p == MAP_FAILED) die("mmap");
    close(fd);
    double g = best_of_kernels(kern, nkern, p, size, scan_reps, &won);
    add_limit(fmtstr("scan, memory-sized (%zu MiB)", mib), "scan/memory", g,
              fmtstr("%s (%s), 1 thread, warm mapping, best 32 MiB piece: "
                     "the scan limit",
                     kern[won].isa, widths));
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu < 1) ncpu = 1;
    if (ncpu > 256) ncpu = 256;
    /* (0 when the buffer has less than a piece per thread: no row then) */
    double all = all_cores_gbps(kern[0].fn, p, size, (int)ncpu, scan_reps);
    if (all > 0)
      add_limit(fmtstr("scan, memory-sized (%zu MiB), all cores", mib), "scan/memory/all-cores",
              all,
              fmtstr("%s, %ld threads in step, best 32 MiB piece each: all cores, not a "
                     "1-thread bound",
                     kern[0].isa, ncpu));
    kernel scalar = {scalar_scan, "scalar"};
    add_limit(fmtstr("scan, memory-sized (%zu MiB), scalar 8-byte loads", mib), "",
              best_of_kernels(&scalar, 1, p, size, scan_reps, &won),
              "for comparison: the old scan limit (8-byte loads), 1 thread, best 32 MiB piece");

    /* What a copy-out row does: the mapping copied 1 MiB at a time into one
     * reused 1 MiB buffer (memory-sized source, cache-resident target). */
    size_t chunk = 1u << 20;
    char *dst = malloc(chunk);
    if (!dst) die("malloc");
    memset(dst, 0, chunk);
    job j = {NULL, p, (unsigned char *)dst, chunk};
    double best = best_of(work_copy_out, &j, size, scan_reps);
    add_limit(fmtstr("memcpy out of the mapping, 1 MiB chunks"), "copy/out", best,
              "warm mapping into one reused 1 MiB buffer, 1 thread, best 32 MiB piece");
    free(dst);
    munmap((void *)p, size);
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

  printf("| benchmark | class | value | unit | note |\n|---|---|---:|---|---|\n");
  for (int i = 0; i < nrows; i++)
    printf("| %s | %s | %.2f | %s | %s |\n", rows[i].name, rows[i].cls, rows[i].value,
           rows[i].unit, rows[i].note);
  if (json) {
    FILE *f = fopen(json, "w");
    if (!f) die(json);
    fprintf(f, "{\"suite\": \"limits\", \"size_mib\": %zu, \"reps\": %d, \"results\": [\n", mib, reps);
    for (int i = 0; i < nrows; i++)
      fprintf(f, "  {\"name\": \"%s\", \"impl\": \"%s\", \"value\": %.4f, \"unit\": \"%s\", "
                 "\"note\": \"%s\", \"class\": \"%s\"}%s\n",
              rows[i].name, rows[i].impl, rows[i].value, rows[i].unit, rows[i].note, rows[i].cls,
              i + 1 < nrows ? "," : "");
    fprintf(f, "]}\n");
    fclose(f);
  }
  return 0;
}
