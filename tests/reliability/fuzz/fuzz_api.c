/*
 * libFuzzer harness over the mmapkit C API.
 *
 * Each input is decoded into a sequence of calls (open / shm / anon with
 * fuzzed modes, flags and sizes; map with fuzzed offsets, lengths and
 * options; copies, flush, advise, residency, mlock, resize, leases, close,
 * inert close, atomics, wait/wake; and truncation or sparse growth of the
 * underlying object behind mmapkit's back). Every object opened is kept in
 * a small table and closed at the end of the input.
 *
 * Invariants checked (a violation aborts, which libFuzzer reports):
 * - no crash (ASan, UBSan, SIGBUS/SIGSEGV escaping the fault guard);
 * - each status is in the set the header documents for that call, and a
 *   failure leaves a matching, non-empty last-error detail;
 * - model oracles: map ranges in read/copy mode, view geometry, lease
 *   counts, close-while-leased, written bytes read back, the guarded read
 *   of a truncated range is MMK_EIO exactly when a byte lies in a page past
 *   the end of the object, misaligned atomics are MMK_EINVAL, wait returns
 *   at once when the word differs and times out when it does not;
 * - no descriptor, mapping or shared-memory object outlives an input.
 *
 * Sizes: with MMKFUZZ_SANDBOX=1 (set by run.sh after mounting small tmpfs
 * file systems over the work directory and /dev/shm in a private mount
 * namespace, and verified here with statfs) huge sizes reach the core and
 * must come back as MMK_ENOSPC / MMK_EFBIG / MMK_ENOMEM. Without the
 * sandbox, growth is capped so a run cannot fill the real disk.
 */
#define _GNU_SOURCE 1
#include "mmapkit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <unistd.h>

/* ---------------------------------------------------------------- setup */

#define MAX_FILES 6
#define MAX_VIEWS 10
#define MAX_OPS 96
#define NPATHS 12

static char g_dir[256];
static char g_paths[NPATHS][320];
static char g_longpath[6000];
static char g_shm_prefix[64];
static int g_sandbox;
static int64_t g_page;
static int g_base_fds = -1;
static int g_trace; /* MMKFUZZ_TRACE=1: print every call (to triage a finding) */
static int g_soft; /* MMKFUZZ_SURVEY=1: undocumented statuses are reported, not fatal */
static void print_stats(void);

/* Growth limit: the sandbox tmpfs (64 MiB) refuses more by itself; outside
 * it, sizes above this are clamped. Anonymous memory (memfd) has no file
 * system limit even in the sandbox, so it is always clamped (a memfd sized
 * at 1 TiB would be populated by mlock or fallocate until the OOM killer). */
#define SAFE_GROW (16ll << 20)

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "fuzz_api: invariant violated: ");
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  const mmk_error *e = mmk_last_error();
  fprintf(stderr, "\n  last error: code=%d (%s) errno=%d op='%s' path='%s' msg='%s'\n",
          e->code, mmk_err_name(e->code), e->sys_errno, e->op ? e->op : "(null)",
          e->path ? e->path : "(null)", e->message ? e->message : "(null)");
  abort();
}

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) die("opendir /proc/self/fd: %s", strerror(errno));
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    if (de->d_name[0] != '.') n++;
  closedir(d);
  return n - 1; /* the directory's own descriptor */
}

/* Mappings of our files, shared memory objects or memfds. */
static int count_our_mappings(void) {
  FILE *fp = fopen("/proc/self/maps", "r");
  if (!fp) die("fopen /proc/self/maps: %s", strerror(errno));
  char line[1024];
  int n = 0;
  while (fgets(line, sizeof line, fp)) {
    if (strstr(line, g_dir) || strstr(line, g_shm_prefix) || strstr(line, "memfd:"))
      n++;
  }
  fclose(fp);
  return n;
}

/* Whether the mapping containing addr is one of our files/objects. */
static int mapping_is_ours(uintptr_t addr) {
  FILE *fp = fopen("/proc/self/maps", "r");
  if (!fp) die("fopen /proc/self/maps: %s", strerror(errno));
  char line[1024];
  int ours = 0;
  while (fgets(line, sizeof line, fp)) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx", &lo, &hi) != 2) continue;
    if (addr >= lo && addr < hi) {
      ours = strstr(line, g_dir) || strstr(line, g_shm_prefix) || strstr(line, "memfd:");
      break;
    }
  }
  fclose(fp);
  return ours;
}

static int tmpfs_small(const char *path) {
  struct statfs s;
  if (statfs(path, &s) != 0) return 0;
  return s.f_type == 0x01021994 /* TMPFS_MAGIC */ &&
         (uint64_t)s.f_blocks * (uint64_t)s.f_bsize <= (256ull << 20);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  g_page = mmk_page_size();
  atexit(print_stats);
  g_trace = getenv("MMKFUZZ_TRACE") && !strcmp(getenv("MMKFUZZ_TRACE"), "1");
  g_soft = getenv("MMKFUZZ_SURVEY") && !strcmp(getenv("MMKFUZZ_SURVEY"), "1");
  const char *base = getenv("MMKFUZZ_DIR");
  if (base && *base)
    snprintf(g_dir, sizeof g_dir, "%s/mmkfz.%d", base, (int)getpid());
  else
    snprintf(g_dir, sizeof g_dir, "/tmp/mmkfz.%d", (int)getpid());
  if (mkdir(g_dir, 0700) != 0 && errno != EEXIST) {
    fprintf(stderr, "fuzz_api: mkdir %s: %s\n", g_dir, strerror(errno));
    exit(2);
  }
  const char *sb = getenv("MMKFUZZ_SANDBOX");
  g_sandbox = sb && strcmp(sb, "1") == 0 && tmpfs_small(g_dir) && tmpfs_small("/dev/shm");
  fprintf(stderr, "fuzz_api: work dir %s, sandbox %s (huge sizes %s)\n", g_dir,
          g_sandbox ? "on" : "off", g_sandbox ? "reach the core" : "are clamped");
  snprintf(g_shm_prefix, sizeof g_shm_prefix, "mmkfz%d", (int)getpid());

  /* Paths: regular files (0-3 recreated per input), then hostile ones. */
  for (int i = 0; i < 4; i++) snprintf(g_paths[i], sizeof g_paths[i], "%s/f%d", g_dir, i);
  snprintf(g_paths[4], sizeof g_paths[4], "%s/fifo", g_dir);
  mkfifo(g_paths[4], 0600);
  snprintf(g_paths[5], sizeof g_paths[5], "%s", g_dir);           /* directory */
  snprintf(g_paths[6], sizeof g_paths[6], "/dev/zero");
  snprintf(g_paths[7], sizeof g_paths[7], "/proc/self/status");
  snprintf(g_paths[8], sizeof g_paths[8], "%s/missing/x", g_dir); /* ENOENT */
  snprintf(g_paths[9], sizeof g_paths[9], "%s", "");              /* empty */
  snprintf(g_paths[10], sizeof g_paths[10], "/dev/null");
  snprintf(g_paths[11], sizeof g_paths[11], "%s/f0/sub", g_dir);  /* ENOTDIR */
  memset(g_longpath, 'a', sizeof g_longpath - 1);
  g_longpath[0] = '/';
  return 0;
}

/* --------------------------------------------------------------- decoder */

typedef struct {
  const uint8_t *p;
  size_t n;
} input;

static uint8_t u8(input *in) {
  if (in->n == 0) return 0;
  in->n--;
  return *in->p++;
}

static uint64_t u64raw(input *in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)u8(in) << (8 * i);
  return v;
}

/* A 64-bit value biased toward boundaries: page edges, signed and
 * unsigned extremes, values whose sum with another overflows. */
static int64_t i64(input *in) {
  static const int64_t table[] = {0, 1, 2, 3, 4, 7, 8, 15, 16, 100, 4095, 4096, 4097, 8191, 8192,
                                  8193, 12288, 65535, 65536, 1 << 20, (1 << 20) + 1, 3 << 20,
                                  -1, -4096, INT64_MIN, INT64_MAX, INT64_MAX - 4095,
                                  INT64_MAX - 1, (int64_t)1 << 31, ((int64_t)1 << 31) - 1,
                                  (int64_t)1 << 32, (int64_t)1 << 40, (int64_t)1 << 62,
                                  (int64_t)SIZE_MAX >> 1, 6000, 12345};
  uint8_t sel = u8(in);
  if (sel < 160) return table[sel % (sizeof table / sizeof table[0])];
  if (sel < 224) return (int64_t)(u8(in) | ((uint64_t)u8(in) << 8)); /* small */
  if (sel < 240) return (int64_t)(u8(in) * g_page + (u8(in) % 16) - 8);
  return (int64_t)u64raw(in);
}

/* ----------------------------------------------------------------- model */

typedef struct {
  mmk_file *f; /* NULL once closed */
  int statfd;  /* our own dup of the object, for fstat/ftruncate: -1 if none */
  int kind, mode;
} frec;

typedef struct {
  mmk_view *v;   /* NULL once freed */
  int statfd;    /* dup of the object's descriptor (outlives the file) */
  int mode, kind, inert;
  int64_t leases;
  int readonly;  /* MMK_MAP_READONLY or MMK_READ */
  uintptr_t base;
  size_t span;   /* bytes from base that must be unmapped after close */
} vrec;

static frec F[MAX_FILES];
static vrec V[MAX_VIEWS];
static char shm_names[8][96];
static int shm_used[8];

/* One bit per status; codes above 3000 get their own bits. */
#define BIT_OF(code)                                                          \
  ((code) == MMK_ECLOSED ? 1ull << 63                                         \
   : (code) == MMK_EUNKNOWN ? 1ull << 62                                      \
   : (code) == MMK_ENOTSUP ? 1ull << 60                                       \
   : (code) == MMK_ETIMEDOUT ? 1ull << 59                                     \
   : (code) == 0 ? 1ull                                                       \
   : ((code) < 0 && (code) > -59) ? 1ull << ((-(code)) & 63)                  \
   : 1ull << 61 /* anything else: never allowed */)
static uint64_t bit(int code) { return BIT_OF(code); }
#define S(c) BIT_OF(MMK_##c)
#define OK_ BIT_OF(0)

static const uint64_t OPEN_SET = OK_ | S(EINVAL) | S(ENOENT) | S(EACCES) | S(EEXIST) |
                                 S(EISDIR) | S(ENODEV) | S(ENOSPC) | S(EFBIG) | S(EROFS) |
                                 S(EMFILE) | S(ENAMETOOLONG) | S(ENOMEM) | S(EIO);
static const uint64_t MAP_SET = OK_ | S(EINVAL) | S(ECLOSED) | S(ERANGE) | S(ENOSPC) |
                                S(EFBIG) | S(EACCES) | S(ENOMEM) | S(ENODEV);

/* Run statistics, printed at exit (libFuzzer exits through exit()). */
static uint64_t st_inputs, st_calls, st_errors, st_eio, st_truncs, st_by_code[64];

static void print_stats(void) {
  fprintf(stderr,
          "fuzz_api stats: inputs=%llu calls=%llu errors=%llu guarded_faults(EIO)=%llu "
          "truncations=%llu leaks=0 (checked after every input)\n  statuses:",
          (unsigned long long)st_inputs, (unsigned long long)st_calls,
          (unsigned long long)st_errors, (unsigned long long)st_eio,
          (unsigned long long)st_truncs);
  for (int b = 0; b < 64; b++) {
    if (!st_by_code[b]) continue;
    int code = b == 0 ? 0 : b == 63 ? MMK_ECLOSED : b == 62 ? MMK_EUNKNOWN : b == 60 ? MMK_ENOTSUP
               : b == 59 ? MMK_ETIMEDOUT : -b;
    fprintf(stderr, " %s=%llu", mmk_err_name(code), (unsigned long long)st_by_code[b]);
  }
  fprintf(stderr, "\n");
}

static void check(const char *what, int r, uint64_t allowed) {
  if (g_trace) fprintf(stderr, "  %s -> %s\n", what, mmk_err_name(r));
  st_calls++;
  st_by_code[__builtin_ctzll(bit(r))]++;
  if (r < 0) st_errors++;
  if (r == MMK_EIO) st_eio++;
  if (!(bit(r) & allowed)) {
    /* MMKFUZZ_STOP_ON=name: in survey mode, still stop (and save the input)
     * for that call, to get a reproducer of one finding. */
    const char *stop = getenv("MMKFUZZ_STOP_ON"); /* e.g. "mmk_view_resize:MMK_EIO" */
    char tag[128];
    snprintf(tag, sizeof tag, "%s:%s", what, mmk_err_name(r));
    if (g_soft && !(stop && *stop && strstr(tag, stop))) {
      /* Survey mode: report each undocumented (call, status) pair once. */
      static char seen[64][96];
      static int nseen;
      char key[96];
      snprintf(key, sizeof key, "%s:%d", what, r);
      for (int i = 0; i < nseen; i++)
        if (!strcmp(seen[i], key)) return;
      if (nseen < 64) snprintf(seen[nseen++], sizeof seen[0], "%s", key);
      fprintf(stderr, "fuzz_api: SURVEY: %s returned %s: %s\n", what, mmk_err_name(r),
              mmk_last_error_message());
      return;
    }
    die("%s returned %d (%s), not a documented status for it", what, r, mmk_err_name(r));
  }
  if (r < 0) {
    const mmk_error *e = mmk_last_error();
    if (e->code != r) die("%s returned %d but last error code is %d", what, r, e->code);
    if (!e->message || !e->message[0]) die("%s failed with an empty message", what);
    if (!e->op) die("%s failed with a NULL op", what);
    if (!e->path) die("%s failed with a NULL path", what);
  }
}

/* A hole in a shared tmpfs mapping needs a page even to be read: on a
 * full file system that fault is a legitimate MMK_EIO. */
static int fs_nearly_full(int fd) {
  struct statfs s;
  if (fd < 0 || fstatfs(fd, &s) != 0) return 1;
  return s.f_blocks != 0 && (uint64_t)s.f_bavail * (uint64_t)s.f_bsize < (4ull << 20);
}

static int64_t obj_size(int fd) {
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) return -1;
  return st.st_size;
}

static int64_t clamp_grow(int64_t v, int kind) {
  if (v <= 0) return v;
  if (kind == MMK_KIND_ANON || !g_sandbox) {
    /* Huge values stay huge only where they must be refused anyway
     * (beyond what the core or the kernel accepts: >= 2^62). */
    if (v > SAFE_GROW && v < ((int64_t)1 << 62)) return v % SAFE_GROW;
  }
  return v;
}

static int free_file_slot(void) {
  for (int i = 0; i < MAX_FILES; i++)
    if (!F[i].f) return i;
  return -1;
}

static int free_view_slot(void) {
  for (int i = 0; i < MAX_VIEWS; i++)
    if (!V[i].v) return i;
  return -1;
}

static void add_file(mmk_file *f) {
  int s = free_file_slot();
  if (s < 0) die("no file slot");
  int fd = mmk_file_fd(f);
  if (fd < 0) die("mmk_file_fd of an open handle is %d", fd);
  F[s].f = f;
  F[s].statfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  F[s].kind = mmk_file_kind(f);
  F[s].mode = mmk_file_mode(f);
  if (F[s].kind < 0 || F[s].kind > 2) die("mmk_file_kind %d", F[s].kind);
  int created = mmk_file_created(f);
  if (created != 0 && created != 1) die("mmk_file_created %d", created);
  if (F[s].kind == MMK_KIND_ANON && created != 1) die("anonymous memory not 'created'");
}

/* After a view is unmapped, none of its pages may remain mapped: msync on
 * an unmapped page is ENOMEM. Checks the first and last page. */
static void check_unmapped(uintptr_t base, size_t span, const char *what) {
  if (!base || !span) return;
  uintptr_t pages[2] = {base, base + ((span - 1) & ~(size_t)(g_page - 1))};
  for (int i = 0; i < 2; i++) {
    if (msync((void *)pages[i], (size_t)g_page, MS_ASYNC) == 0 || errno != ENOMEM) {
      FILE *fp = fopen("/proc/self/maps", "r");
      char line[512];
      while (fp && fgets(line, sizeof line, fp)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && hi > base && lo < base + span)
          fprintf(stderr, "  overlapping: %s", line);
      }
      if (fp) fclose(fp);
      die("%s: page %p of the view [%p, +%zu) is still mapped", what, (void *)pages[i],
          (void *)base, span);
    }
  }
}

static void record_geometry(vrec *r) {
  void *d = mmk_view_data(r->v);
  int64_t sz = mmk_view_size(r->v);
  int64_t res = mmk_view_reserved(r->v);
  if (!d) die("mmk_view_data is NULL for an open view");
  if (sz < 0) die("mmk_view_size %lld", (long long)sz);
  if (res != 0 && res < sz) die("reserved %lld < size %lld", (long long)res, (long long)sz);
  if (sz == 0 && res == 0) {
    r->base = 0; /* an empty view's pointer is a placeholder, nothing mapped */
    r->span = 0;
    return;
  }
  uintptr_t off_in_page = (uintptr_t)(mmk_view_offset(r->v) % g_page);
  r->base = ((uintptr_t)d - off_in_page);
  if (r->base % (uintptr_t)g_page) die("view data %p not at offset %% page", d);
  int64_t len = res > sz ? res : sz;
  r->span = len > 0 ? (size_t)len + off_in_page : 0;
}

static void view_freed(vrec *r, const char *what) {
  check_unmapped(r->base, r->span, what);
  if (r->statfd >= 0) close(r->statfd);
  memset(r, 0, sizeof *r);
  r->statfd = -1;
}

/* --------------------------------------------------------------- the ops */

static mmk_file *pick_file(input *in, int *idx) {
  int i = u8(in) % (MAX_FILES + 1);
  if (idx) *idx = i;
  return i < MAX_FILES ? F[i].f : NULL; /* NULL on purpose sometimes */
}

static vrec *pick_view(input *in) {
  int i = u8(in) % MAX_VIEWS;
  return V[i].v ? &V[i] : NULL;
}

static int fuzz_mode(input *in) {
  static const int modes[] = {MMK_READ, MMK_WRITE, MMK_COPY, MMK_WRITE, 3, -1, INT_MAX};
  return modes[u8(in) % 7];
}

static unsigned fuzz_flags(input *in) {
  uint8_t b = u8(in);
  if (b < 200) return b & 7;
  return b; /* unknown bits */
}

static void op_file_open(input *in) {
  if (free_file_slot() < 0) return;
  uint8_t p = u8(in);
  const char *path = p < 250 ? g_paths[p % NPATHS] : p < 253 ? g_longpath : NULL;
  int mode = fuzz_mode(in);
  unsigned flags = fuzz_flags(in);
  int64_t size = clamp_grow(i64(in), MMK_KIND_FILE);
  mmk_file *f = (mmk_file *)(uintptr_t)1;
  int r = mmk_file_open(path, mode, flags, size, &f);
  check("mmk_file_open", r, OPEN_SET);
  if (r == 0) {
    if (!f) die("mmk_file_open ok with NULL handle");
    if (mode != MMK_WRITE && flags) die("flags 0x%x accepted with mode %d", flags, mode);
    if (mode != MMK_WRITE && size) die("size accepted with mode %d", mode);
    if (size < 0) die("negative size accepted");
    add_file(f);
  } else if (f != NULL) {
    die("mmk_file_open failed but *out is not NULL");
  }
}

static void op_shm_open(input *in) {
  if (free_file_slot() < 0) return;
  char name[300];
  uint8_t k = u8(in);
  int slot = -1;
  if (k < 180) {
    slot = k % 8;
    snprintf(name, sizeof name, "%s-%d", g_shm_prefix, slot);
  } else if (k < 220) {
    /* prefix + fuzzed bytes: valid or not, never someone else's object */
    int n = snprintf(name, sizeof name, "%s", g_shm_prefix);
    int extra = u8(in) % 12;
    for (int i = 0; i < extra; i++) name[n++] = (char)u8(in);
    name[n] = 0;
  } else {
    static const char *bad[] = {"", ".hidden", "a/b", "sp ace", "x\xff", "..", "/lead"};
    if (k < 227) snprintf(name, sizeof name, "%s", bad[k - 220]);
    else {
      memset(name, 'n', 201); /* 201 characters: too long */
      name[201] = 0;
    }
  }
  int mode = fuzz_mode(in);
  uint8_t fb = in->n ? in->p[0] : 0;
  unsigned flags = fuzz_flags(in) | (fb < 200 ? (fb & MMK_ALLOW_FOREIGN) : 0);
  int64_t size = clamp_grow(i64(in), MMK_KIND_SHM);
  mmk_file *f = NULL;
  int r = mmk_shm_open(name, mode, flags, size, &f);
  check("mmk_shm_open", r, OPEN_SET);
  int valid = mmk_shm_name_check(name) == 0;
  check("mmk_shm_name_check", mmk_shm_name_check(name), OK_ | S(EINVAL));
  if (r == 0) {
    if (!valid) die("mmk_shm_open accepted invalid name '%s'", name);
    if (slot < 0) {
      /* A fuzzed valid name: remove it now; the handle keeps the memory. */
      check("mmk_shm_unlink", mmk_shm_unlink(name), OK_);
    } else {
      shm_used[slot] = 1;
      snprintf(shm_names[slot], sizeof shm_names[slot], "%s", name);
    }
    add_file(f);
  } else if (!valid && r != MMK_EINVAL) {
    die("mmk_shm_open with an invalid name gave %s", mmk_err_name(r));
  }
}

/* mmk_file_from_fd over hostile descriptors: invalid, closed, a directory,
 * a FIFO, a device, a pipe, a socket, a write-only and a read-only
 * descriptor asked for writing. The caller's descriptor is closed right
 * after the call (the handle must not need it); a failure names the
 * descriptor (its path, or "fd N (no path)"). */
static void op_from_fd(input *in) {
  if (free_file_slot() < 0) return;
  int kind = u8(in) % 10, fd = -1, own = 1, peer = -1;
  int pair[2];
  switch (kind) {
  case 0: fd = -1; own = 0; break;
  case 1: fd = 1 << 20; own = 0; break; /* never open */
  case 2: fd = open(g_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC); break;
  case 3: fd = open(g_paths[4], O_RDWR | O_NONBLOCK | O_CLOEXEC); break;
  case 4: fd = open("/dev/zero", O_RDWR | O_CLOEXEC); break;
  case 5:
    if (pipe2(pair, O_CLOEXEC) == 0) fd = pair[0], peer = pair[1];
    break;
  case 6:
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0)
      fd = pair[0], peer = pair[1];
    break;
  case 7: fd = open(g_paths[0], O_WRONLY | O_CLOEXEC); break;
  case 8: fd = open(g_paths[0], O_RDONLY | O_CLOEXEC); break;
  default: fd = open(g_paths[0], O_RDWR | O_CLOEXEC); break;
  }
  int mode = fuzz_mode(in);
  mmk_file *f = (mmk_file *)(uintptr_t)1;
  int r = mmk_file_from_fd(fd, mode, &f);
  check("mmk_file_from_fd", r,
        OK_ | S(EINVAL) | S(EBADF) | S(EACCES) | S(EISDIR) | S(ENODEV) | S(EMFILE));
  if (r == 0) {
    if (kind < 8) die("mmk_file_from_fd accepted descriptor kind %d", kind);
    if (kind == 8 && mode == MMK_WRITE) die("a read-only descriptor was accepted for MMK_WRITE");
    if (mmk_file_fd(f) == fd) die("mmk_file_from_fd did not duplicate the descriptor");
    if (!mmk_file_path(f)[0]) die("mmk_file_from_fd gave a handle without a name");
    add_file(f);
  } else {
    if (f != NULL) die("mmk_file_from_fd failed but *out is not NULL");
    if (r != MMK_EINVAL && !mmk_last_error_path()[0])
      die("mmk_file_from_fd failed without naming the descriptor: %s",
          mmk_last_error_message());
  }
  if (own && fd >= 0) close(fd); /* the caller keeps ownership */
  if (peer >= 0) close(peer);
}

static void op_shm_unlink(input *in) {
  uint8_t k = u8(in);
  char name[96];
  if (k < 200)
    snprintf(name, sizeof name, "%s-%d", g_shm_prefix, k % 8);
  else
    snprintf(name, sizeof name, "%s", k & 1 ? "" : "a/b");
  int r = mmk_shm_unlink(name);
  check("mmk_shm_unlink", r, OK_ | S(EINVAL) | S(ENOENT) | S(EACCES));
}

static void op_anon(input *in) {
  if (free_file_slot() < 0) return;
  int64_t size = clamp_grow(i64(in), MMK_KIND_ANON);
  mmk_file *f = NULL;
  int r = mmk_anon_create(size, &f);
  check("mmk_anon_create", r, OK_ | S(EINVAL) | S(ENOMEM) | S(ENOSPC) | S(EMFILE));
  if (r == 0) {
    if (size <= 0) die("anon size %lld accepted", (long long)size);
    add_file(f);
  } else if (size > 0 && size <= SAFE_GROW) {
    die("anon create of %lld bytes failed", (long long)size);
  }
}

static void op_file_info(input *in) {
  int i;
  mmk_file *f = pick_file(in, &i);
  int64_t sz = -7;
  int r = mmk_file_size(f, u8(in) == 0 ? NULL : &sz);
  check("mmk_file_size", r, OK_ | S(EINVAL) | S(ECLOSED) | S(EIO));
  if (r == 0 && f) {
    int64_t real = obj_size(F[i].statfd);
    if (real >= 0 && real != sz) die("mmk_file_size %lld, fstat %lld", (long long)sz, (long long)real);
  }
  (void)mmk_file_path(f);
  (void)mmk_file_mode(f);
  int code = (int)i64(in);
  if (!mmk_strerror(code) || !mmk_err_name(code)) die("NULL message for code %d", code);
}

static void op_file_resize(input *in) {
  int i;
  mmk_file *f = pick_file(in, &i);
  int64_t n = i64(in);
  if (f) n = clamp_grow(n, F[i].kind);
  int r = mmk_file_resize(f, n);
  check("mmk_file_resize", r,
        OK_ | S(EINVAL) | S(EACCES) | S(ECLOSED) | S(ENOSPC) | S(EFBIG) | S(ENODEV) | S(EIO));
  if (r == 0) {
    if (!f || n < 0) die("resize accepted a NULL handle or negative size");
    if (F[i].mode != MMK_WRITE) die("resize accepted on mode %d", F[i].mode);
    int64_t real = obj_size(F[i].statfd);
    if (real >= 0 && real != n) die("resized to %lld, fstat %lld", (long long)n, (long long)real);
  }
}

static void op_file_lock(input *in) {
  int i;
  mmk_file *f = pick_file(in, &i);
  int64_t off = i64(in), len = i64(in);
  static const int kinds[] = {MMK_LOCK_SHARED, MMK_LOCK_EXCLUSIVE, 0, 3, -1};
  int kind = kinds[u8(in) % 5];
  int unlock = u8(in) & 1;
  int r;
  if (unlock) {
    r = mmk_file_unlock(f, off, len);
    check("mmk_file_unlock", r, OK_ | S(EINVAL) | S(ECLOSED));
  } else {
    /* Never wait: another handle of this process may hold a conflicting
     * OFD lock, and waiting for ourselves would hang the fuzzer. */
    r = mmk_file_lock(f, off, len, kind, 0);
    check("mmk_file_lock", r,
          OK_ | S(EINVAL) | S(EAGAIN) | S(EACCES) | S(EDEADLK) | S(ENOMEM) | S(ECLOSED));
  }
  if (r == 0 && (off < 0 || len < 0)) die("lock accepted a negative range");
}

static void op_file_close(input *in) {
  int i = u8(in) % MAX_FILES;
  if (!F[i].f) {
    check("mmk_file_close(NULL)", mmk_file_close(NULL), OK_);
    return;
  }
  int r = mmk_file_close(F[i].f);
  check("mmk_file_close", r, OK_ | S(EIO));
  F[i].f = NULL;
  if (F[i].statfd >= 0) close(F[i].statfd);
  F[i].statfd = -1;
}

static void op_map(input *in) {
  int i;
  int slot = free_view_slot();
  if (slot < 0) return;
  mmk_file *f = pick_file(in, &i);
  int64_t off = i64(in), len = i64(in);
  uint8_t ob = u8(in);
  unsigned opts = ob < 220 ? (ob & 7) : ob;
  int reserve = u8(in);
  int64_t res = 0;
  if (f) {
    off = clamp_grow(off, F[i].kind);
    len = clamp_grow(len, F[i].kind);
  }
  int64_t before = f ? obj_size(F[i].statfd) : -1;
  /* Anonymous memory is not capped by the sandbox's small tmpfs: populating
   * a view of gigabytes of it exhausts the machine (the OOM killer ended a
   * run) instead of testing the core, so huge anonymous views stay lazy. */
  if (f && F[i].kind == MMK_KIND_ANON && (opts & MMK_MAP_POPULATE)) {
    int64_t eff = len > 0 ? len : (off >= 0 && before > off ? before - off : 0);
    if (eff > SAFE_GROW) opts &= ~MMK_MAP_POPULATE;
  }
  if (g_trace)
    fprintf(stderr, "map file[%d] (kind %d mode %d size %lld) off %lld len %lld opts 0x%x reserve-sel %d\n",
            i, f ? F[i].kind : -1, f ? F[i].mode : -1, (long long)before, (long long)off,
            (long long)len, opts, reserve);
  mmk_view *v = (mmk_view *)(uintptr_t)1;
  int r;
  if (reserve < 64) {
    res = reserve < 8 ? (int64_t)reserve * g_page : i64(in);
    if (f) res = clamp_grow(res, MMK_KIND_ANON);
    r = mmk_map_reserve(f, off, len, res, opts, &v);
    check("mmk_map_reserve", r, MAP_SET);
  } else {
    r = mmk_map(f, off, len, opts, &v);
    check("mmk_map", r, MAP_SET);
  }
  if (r != 0) {
    if (v != NULL) die("mmk_map failed but *out is not NULL");
    /* A valid in-range read-only/copy map must not fail, unless its
     * page-rounded end passes INT64_MAX, the kernel's limit for a file
     * mapping (mmap: EOVERFLOW, MMK_EFBIG). */
    int in_range = before >= 0 && off >= 0 && len >= 0 && off <= before && len <= before - off;
    int64_t span = in_range ? (len > 0 ? len : before - off) : 0;
    int past_max = in_range && off > INT64_MAX - g_page - span;
    if (f && in_range && (F[i].mode == MMK_READ || F[i].mode == MMK_COPY) && opts <= 7 && res == 0 &&
        !(opts & MMK_MAP_POPULATE) && r != MMK_ENOMEM && r != MMK_ENODEV && r != MMK_EACCES &&
        !(past_max && r == MMK_EFBIG))
      die("in-range map (off %lld len %lld size %lld mode %d) failed with %s", (long long)off,
          (long long)len, (long long)before, F[i].mode, mmk_err_name(r));
    return;
  }
  if (!f) die("mmk_map accepted a NULL file");
  if (off < 0 || len < 0 || opts > 7) die("mmk_map accepted off %lld len %lld opts 0x%x",
                                          (long long)off, (long long)len, opts);
  if ((F[i].mode == MMK_READ || F[i].mode == MMK_COPY) && before >= 0 &&
      (off > before || len > before - off))
      die("map past the end (off %lld len %lld size %lld) in mode %d succeeded",
          (long long)off, (long long)len, (long long)before, F[i].mode);
  int64_t want = len ? len : (before >= off ? before - off : -1);
  if (want >= 0 && mmk_view_size(v) != want)
    die("view size %lld, expected %lld", (long long)mmk_view_size(v), (long long)want);
  if (mmk_view_offset(v) != off) die("view offset %lld != %lld", (long long)mmk_view_offset(v), (long long)off);
  if (mmk_view_closed(v) != 0) die("new view reports closed");
  if (F[i].mode == MMK_WRITE && len > 0 && before >= 0 && off + len > before &&
      obj_size(F[i].statfd) != off + len)
    die("write map past the end did not grow the file to %lld", (long long)(off + len));
  vrec *rv = &V[slot];
  rv->v = v;
  rv->statfd = F[i].statfd >= 0 ? fcntl(F[i].statfd, F_DUPFD_CLOEXEC, 0) : -1;
  rv->mode = F[i].mode;
  rv->kind = F[i].kind;
  rv->readonly = F[i].mode == MMK_READ || (opts & MMK_MAP_READONLY);
  if (mmk_view_writable(v) != !rv->readonly)
    die("mmk_view_writable %d for mode %d opts 0x%x", mmk_view_writable(v), F[i].mode, opts);
  record_geometry(rv);
}

/* Whether [off, off+n) of the view lies in pages of the object that exist
 * (1), past the end (0) or partly (-1). Shared mappings only. */
static int in_object(vrec *r, int64_t off, int64_t n) {
  int64_t size = obj_size(r->statfd);
  if (size < 0) return -2;
  __int128 end_ok = ((__int128)size + g_page - 1) / g_page * g_page;
  __int128 fo = (__int128)mmk_view_offset(r->v) + off;
  if (fo + n <= end_ok) return 1;
  if (fo >= end_ok) return 0;
  return -1;
}

static uint8_t g_buf[1 << 16], g_buf2[1 << 16];

static void op_read_write(input *in) {
  vrec *r = pick_view(in);
  mmk_view *v = r ? r->v : NULL;
  int64_t vsz = mmk_view_size(v);
  int64_t off = u8(in) < 128 && vsz > 0 ? (int64_t)(u64raw(in) % (uint64_t)vsz) : i64(in);
  uint8_t nb = u8(in);
  size_t n = nb < 200 ? (size_t)(u8(in) | (u8(in) << 8)) % sizeof g_buf
                      : nb < 250 ? (size_t)(vsz > off && off >= 0 ? vsz - off : 0) : (size_t)i64(in);
  int write = u8(in) & 1;
  uint8_t *buf = g_buf, *heap = NULL;
  if (n > sizeof g_buf) {
    /* A large copy that the view can hold gets a buffer of its size; one
     * that it cannot hold keeps the small buffer: the range check must
     * refuse it before any byte moves (ASan would see the overflow). */
    if (vsz >= 0 && off >= 0 && off <= vsz && n <= (uint64_t)(vsz - off)) {
      if (n > (64u << 20)) return;
      heap = malloc(n);
      if (!heap) return;
      buf = heap;
    }
  }
  if (u8(in) == 7) buf = NULL;
  size_t fill = buf ? (n <= sizeof g_buf || heap ? n : 0) : 0;
  int r_;
  if (write) {
    uint8_t seed = u8(in);
    for (size_t k = 0; k < fill; k++) buf[k] = (uint8_t)(seed + k * 31);
    r_ = mmk_view_write(v, off, buf, n);
    check("mmk_view_write", r_, OK_ | S(EINVAL) | S(ERANGE) | S(EACCES) | S(ECLOSED) | S(EIO));
    if (r_ == 0 && r) {
      if (r->readonly) die("write to a read-only view succeeded");
      if (n && n <= sizeof g_buf2) {
        int rr = mmk_view_read(v, off, g_buf2, n);
        if (rr == 0 && memcmp(buf, g_buf2, n) != 0) die("bytes written do not read back");
        if (rr != 0 && rr != MMK_EIO) die("read back gave %s", mmk_err_name(rr));
      }
    }
  } else {
    r_ = mmk_view_read(v, off, buf, n);
    check("mmk_view_read", r_, OK_ | S(EINVAL) | S(ERANGE) | S(ECLOSED) | S(EIO));
  }
  free(heap);
  if (r_ == 0 && !buf && n > 0) die("a copy with a NULL buffer succeeded");
  if (r && !r->inert && r_ != MMK_ERANGE && r_ != MMK_EINVAL && r_ != MMK_EACCES && n > 0 &&
      r->mode != MMK_COPY && buf && off >= 0 && off <= vsz && n <= (uint64_t)(vsz - off)) {
    /* The fault guard's oracle: EIO exactly when a touched page is past
     * the end of the object (reads only: a write to a hole may also meet a
     * full file system). */
    int where = in_object(r, off, (int64_t)n);
    if (!write && where == 1 && r_ != 0 && !fs_nearly_full(r->statfd)) die("read inside the object failed: %s", mmk_err_name(r_));
    if (where == 0 && r_ != MMK_EIO) die("%s past the end of the object gave %s",
                                         write ? "write" : "read", mmk_err_name(r_));
    if (where == -1 && r_ != MMK_EIO) die("%s straddling the end of the object gave %s",
                                          write ? "write" : "read", mmk_err_name(r_));
  }
  if (r && r->inert && r_ != MMK_ECLOSED && r_ != MMK_EINVAL) die("copy on an inert view gave %d", r_);
}

static void op_view_misc(input *in) {
  vrec *r = pick_view(in);
  mmk_view *v = r ? r->v : NULL;
  int64_t off = i64(in), len = i64(in);
  int r_;
  switch (u8(in) % 6) {
  case 0: {
    static const int hows[] = {MMK_FLUSH_ASYNC, MMK_FLUSH_SYNC, MMK_FLUSH_FULL, 3, -1};
    r_ = mmk_view_flush(v, off, len, hows[u8(in) % 5]);
    check("mmk_view_flush", r_, OK_ | S(EINVAL) | S(ERANGE) | S(ECLOSED) | S(EIO) | S(ENOSPC));
    break;
  }
  case 1: {
    int adv = (int)(u8(in) % 8) - 1; /* -1 and 6 are invalid */
    if (adv == MMK_ADVICE_DONTNEED && r && r->mode == MMK_COPY) adv = MMK_ADVICE_NORMAL;
    r_ = mmk_view_advise(v, off, len, adv);
    check("mmk_view_advise", r_, OK_ | S(EINVAL) | S(ERANGE) | S(ECLOSED) | S(ENOTSUP));
    if (r_ == 0 && (adv < 0 || adv > 5)) die("advice %d accepted", adv);
    break;
  }
  case 2: {
    int64_t res = -5;
    r_ = mmk_view_resident(v, off, len, &res);
    check("mmk_view_resident", r_, OK_ | S(EINVAL) | S(ERANGE) | S(ECLOSED) | S(ENOMEM));
    if (r_ == 0) {
      int64_t vsz = mmk_view_size(v);
      int64_t want = len ? len : vsz - off;
      if (res < 0 || res > want) die("resident %lld of %lld", (long long)res, (long long)want);
    }
    break;
  }
  case 3:
    /* mlock faults every page in: same reason as for POPULATE in op_map. */
    if (mmk_view_size(v) > SAFE_GROW) break;
    r_ = (u8(in) & 1) ? mmk_view_unlock_memory(v) : mmk_view_lock_memory(v);
    check("mmk_view_(un)lock_memory", r_,
          OK_ | S(ENOMEM) | S(EPERM) | S(ECLOSED) | S(EINVAL) | S(EIO) | S(EAGAIN));
    break;
  case 4: {
    int64_t n = i64(in);
    if (r) n = clamp_grow(n, r->kind);
    if (g_trace) fprintf(stderr, "view resize to %lld (size %lld reserved %lld)\n", (long long)n,
                         (long long)mmk_view_size(v), (long long)mmk_view_reserved(v));
    r_ = mmk_view_resize(v, n);
    /* EFBIG: the header says resize "grows the file as mmk_map does", and
     * mmk_map documents EFBIG (reported to the lead: list it here too). */
    check("mmk_view_resize", r_,
          OK_ | S(EINVAL) | S(ERANGE) | S(EBUSY) | S(ENOMEM) | S(ENOSPC) | S(ECLOSED) | S(EFBIG) |
              S(ENODEV));
    if (r_ == 0 && r) {
      if (n <= 0) die("view resize to %lld accepted", (long long)n);
      if (mmk_view_size(v) != n) die("view resized to %lld has size %lld", (long long)n,
                                     (long long)mmk_view_size(v));
      uintptr_t old_base = r->base;
      size_t old_span = r->span;
      record_geometry(r);
      if (r->base != old_base && r->leases > 0) die("a leased view moved");
      (void)old_span;
    } else if (r && !r->inert) {
      /* A refused move beyond the reservation gives the reservation back
       * (the core's documented design: past it, the view may move), so the
       * range to check at close is what the view holds now. */
      record_geometry(r);
    }
    break;
  }
  default:
    (void)mmk_view_data(v);
    (void)mmk_view_size(v);
    (void)mmk_view_offset(v);
    (void)mmk_view_reserved(v);
    (void)mmk_view_mode(v);
    if (r && mmk_view_closed(v) != r->inert) die("mmk_view_closed %d, model %d", mmk_view_closed(v), r->inert);
    break;
  }
}

static void op_lease(input *in) {
  vrec *r = pick_view(in);
  if (!r) {
    check("mmk_view_lease(NULL)", mmk_view_lease(NULL), S(EINVAL));
    check("mmk_view_release(NULL)", mmk_view_release(NULL), S(EINVAL));
    return;
  }
  if (mmk_view_leases(r->v) != r->leases)
    die("mmk_view_leases %lld, model %lld", (long long)mmk_view_leases(r->v), (long long)r->leases);
  uint8_t how = u8(in);
  if (how % 4 == 2) {
    /* lease_range: the model decides the status, in the core's order. */
    int64_t off = i64(in), len = i64(in), size = mmk_view_size(r->v);
    int write = u8(in) & 1, want;
    void *p = (void *)1;
    int x = mmk_view_lease_range(r->v, off, len, write, &p);
    if (r->inert) want = MMK_ECLOSED;
    else if (off < 0 || len < 0) want = MMK_EINVAL;
    else if (off > size || len > size - off) want = MMK_ERANGE;
    else if (write && r->readonly) want = MMK_EACCES;
    else want = 0;
    if (x != want)
      die("mmk_view_lease_range(%lld, %lld, %d) gave %d, model %d",
          (long long)off, (long long)len, write, x, want);
    if (x != 0 && p != NULL) die("a refused lease_range left *out set");
    if (x == 0) {
      if ((unsigned char *)p != (unsigned char *)mmk_view_data(r->v) + off)
        die("lease_range address is not data + offset");
      r->leases++;
    }
  } else if (how & 1) {
    int x = mmk_view_lease(r->v);
    check("mmk_view_lease", x, OK_ | S(EINVAL) | S(ECLOSED));
    if (r->inert && x != MMK_ECLOSED) die("lease on an inert view gave %d", x);
    if (!r->inert && x != 0) die("lease on an open view gave %d", x);
    if (x == 0) r->leases++;
  } else {
    if (r->leases == 0) {
      check("mmk_view_release", mmk_view_release(r->v), S(EINVAL));
      return;
    }
    int x = mmk_view_release(r->v);
    check("mmk_view_release", x, OK_);
    r->leases--;
    if (r->inert && r->leases == 0) view_freed(r, "last release of an inert view");
  }
}

static void close_view(vrec *r, int inert) {
  if (inert) {
    int x = mmk_view_close_inert(r->v);
    if (r->inert) {
      check("mmk_view_close_inert (again)", x, OK_ | S(ECLOSED));
      return;
    }
    check("mmk_view_close_inert", x, OK_);
    if (r->leases == 0) {
      view_freed(r, "inert close without leases");
    } else {
      r->inert = 1;
      if (!mmk_view_closed(r->v)) die("inert view does not report closed");
      if (mmk_view_data(r->v)) die("mmk_view_data of an inert view is not NULL");
      /* The range must no longer map the object (it holds inert memory). */
      if (mapping_is_ours(r->base)) die("inert view still maps the file at %p", (void *)r->base);
    }
    return;
  }
  int x = mmk_view_close(r->v);
  check("mmk_view_close", x, OK_ | S(EBUSY) | S(ECLOSED));
  if (r->inert) {
    if (x != MMK_ECLOSED) die("close of an inert view gave %d", x);
  } else if (r->leases > 0) {
    if (x != MMK_EBUSY) die("close with %lld leases gave %d", (long long)r->leases, x);
    if (mmk_view_closed(r->v)) die("refused close left the view closed");
  } else {
    if (x != 0) die("close without leases gave %d", x);
    view_freed(r, "mmk_view_close");
  }
}

static void op_close_view(input *in) {
  vrec *r = pick_view(in);
  if (!r) {
    check("mmk_view_close(NULL)", mmk_view_close(NULL), OK_);
    check("mmk_view_close_inert(NULL)", mmk_view_close_inert(NULL), OK_);
    return;
  }
  close_view(r, u8(in) & 1);
}

static void op_atomic(input *in) {
  vrec *r = pick_view(in);
  mmk_view *v = r ? r->v : NULL;
  int64_t vsz = mmk_view_size(v);
  int64_t off = u8(in) < 160 && vsz > 0 ? (int64_t)(u64raw(in) % (uint64_t)vsz) : i64(in);
  int wide = u8(in) & 1;
  int which = u8(in) % 6;
  uint64_t a = u64raw(in), b = u64raw(in);
  int x;
  const uint64_t AT = OK_ | S(EINVAL) | S(ERANGE) | S(ECLOSED) | S(EIO) | S(EACCES);
  uint64_t cur = 0;
  switch (which) {
  case 0:
    if (wide) { uint64_t o; x = mmk_atomic_load_u64(v, off, &o); cur = o; }
    else { uint32_t o; x = mmk_atomic_load_u32(v, off, &o); cur = o; }
    check("mmk_atomic_load", x, OK_ | S(EINVAL) | S(ERANGE) | S(ECLOSED) | S(EIO));
    break;
  case 1:
    x = wide ? mmk_atomic_store_u64(v, off, a) : mmk_atomic_store_u32(v, off, (uint32_t)a);
    check("mmk_atomic_store", x, AT);
    break;
  case 2:
    if (wide) { uint64_t o; x = mmk_atomic_fetch_add_u64(v, off, a, &o); }
    else { uint32_t o; x = mmk_atomic_fetch_add_u32(v, off, (uint32_t)a, &o); }
    check("mmk_atomic_fetch_add", x, AT);
    break;
  case 3:
    if (wide) { uint64_t o; x = mmk_atomic_cas_u64(v, off, a, b, &o); }
    else { uint32_t o; x = mmk_atomic_cas_u32(v, off, (uint32_t)a, (uint32_t)b, &o); }
    check("mmk_atomic_cas", x, AT);
    break;
  case 4: {
    /* wait: first learn the word, then wait for a different value (must
     * return at once, even with no timeout) and for the same value (must
     * time out). */
    uint32_t w = 0;
    x = mmk_atomic_load_u32(v, off, &w);
    check("mmk_atomic_load_u32", x, OK_ | S(EINVAL) | S(ERANGE) | S(ECLOSED) | S(EIO));
    const uint64_t WS = OK_ | S(ETIMEDOUT) | S(EINVAL) | S(ERANGE) | S(ECLOSED) | S(EIO) | S(ENOTSUP);
    uint8_t sel = u8(in);
    /* sel & 0x80: the variant that returns MMK_EINTR on a signal (here:
     * libFuzzer's SIGALRM; the word differs, so it returns at once). */
    int64_t tmo = x == 0 ? -1 : (int64_t)(sel % 3) * 1000;
    int y = sel & 0x80 ? mmk_wait_u32_intr(v, off, w + 1, tmo) : mmk_wait_u32(v, off, w + 1, tmo);
    check("mmk_wait_u32", y, WS | ((sel & 0x80) ? S(EINTR) : 0));
    if (x == 0 && y != 0) die("wait on a differing word gave %s", mmk_err_name(y));
    int z = mmk_wait_u32(v, off, w, (int64_t)(u8(in) % 3) * 50000);
    check("mmk_wait_u32", z, WS);
    if (x == 0 && z != MMK_ETIMEDOUT) die("wait on an equal word gave %s", mmk_err_name(z));
    return;
  }
  default: {
    int cnt = (int)(u8(in)) - 2;
    x = mmk_wake(v, off, cnt);
    /* EIO: the atomics section's "a fault while touching mapped memory is
     * MMK_EIO" (the futex word is in a page past the end of the object). */
    if (x < 0) check("mmk_wake", x, S(EINVAL) | S(ERANGE) | S(ECLOSED) | S(EIO));
    else if (x > 0) die("mmk_wake woke %d waiters in a single-threaded process", x);
    break;
  }
  }
  if (r && r->inert && x != MMK_ECLOSED) die("atomic on an inert view gave %s", mmk_err_name(x));
  int size = (which == 5) ? 4 : (wide ? 8 : 4);
  if (r && !r->inert && off >= 0 && off <= vsz - size) {
    uintptr_t addr = (uintptr_t)mmk_view_data(v) + (uintptr_t)off;
    if (addr % (uintptr_t)size && x != MMK_EINVAL)
      die("misaligned atomic (addr %% %d = %d) gave %s", size, (int)(addr % size), mmk_err_name(x));
    if (addr % (uintptr_t)size == 0 && x == MMK_EINVAL) die("aligned in-range atomic gave EINVAL");
    if (which != 5 && addr % (uintptr_t)size == 0 && r->mode != MMK_COPY) {
      int where = in_object(r, off, size);
      if (where == 0 && x != MMK_EIO && !(x == MMK_EACCES && r->readonly))
        die("atomic past the end of the object gave %s", mmk_err_name(x));
      if (where == 1 && x == MMK_EIO && !fs_nearly_full(r->statfd)) die("atomic inside the object gave EIO");
    }
    if (which != 0 && which != 5 && r->readonly && x == 0) die("atomic write to a read-only view succeeded");
  }
  (void)cur;
}

/* Truncates or sparsely grows the object behind mmapkit's back, as another
 * process would: the guarded copies must turn the resulting faults into
 * MMK_EIO. */
static void op_truncate(input *in) {
  int i = u8(in) % MAX_FILES;
  int fd = F[i].statfd;
  if (!F[i].f || fd < 0) {
    vrec *r = pick_view(in);
    if (!r) return;
    fd = r->statfd;
  }
  int64_t n = i64(in);
  if (n < 0) n = n == INT64_MIN ? 0 : -n;
  n = clamp_grow(n, MMK_KIND_ANON); /* sparse growth: tmpfs keeps it sparse, but stay modest */
  st_truncs++;
  if (ftruncate(fd, (off_t)n) != 0) {
    /* Read-only descriptor: reopen the object read-write through /proc. */
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    int w = open(p, O_RDWR | O_CLOEXEC);
    if (w >= 0) {
      if (ftruncate(w, (off_t)n) != 0) { /* e.g. /dev/null: fine */ }
      close(w);
    }
  }
}

/* ------------------------------------------------------------ lifecycle */

/* 0, or -1 when the scratch file system is full (with --jobs, workers
 * share one sandbox tmpfs and another worker may hold all of it). */
static int reset_files(void) {
  for (int i = 0; i < 4; i++) {
    unlink(g_paths[i]);
  }
  /* f0: 3 pages + 100 bytes of a pattern; f1: empty; f2, f3: absent. */
  int fd = open(g_paths[0], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) die("create %s: %s", g_paths[0], strerror(errno));
  static uint8_t pat[3 * 65536 + 100];
  size_t n = (size_t)(3 * g_page + 100);
  if (n > sizeof pat) n = sizeof pat;
  for (size_t k = 0; k < n; k++) pat[k] = (uint8_t)(k * 7 + 1);
  ssize_t written = write(fd, pat, n);
  if (written != (ssize_t)n) {
    /* A short write sets no errno: on the scratch tmpfs it means full. */
    int err = written < 0 ? errno : ENOSPC;
    close(fd);
    if (err == ENOSPC) return -1;
    die("write %s: %s", g_paths[0], strerror(err));
  }
  close(fd);
  fd = open(g_paths[1], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) die("create %s", g_paths[1]);
  close(fd);
  return 0;
}

static void teardown(void) {
  for (int i = 0; i < MAX_VIEWS; i++) {
    vrec *r = &V[i];
    if (!r->v) continue;
    if (!r->inert) {
      if (r->leases > 0) {
        int x = mmk_view_close(r->v);
        if (x != MMK_EBUSY) die("teardown: close with leases gave %d", x);
      }
      while (r->leases > 0) {
        check("mmk_view_release", mmk_view_release(r->v), OK_);
        r->leases--;
      }
      check("mmk_view_close", mmk_view_close(r->v), OK_);
      view_freed(r, "teardown close");
    } else {
      while (r->leases > 1) {
        check("mmk_view_release", mmk_view_release(r->v), OK_);
        r->leases--;
      }
      check("mmk_view_release", mmk_view_release(r->v), OK_);
      view_freed(r, "teardown last release");
    }
  }
  for (int i = 0; i < MAX_FILES; i++) {
    if (F[i].f) check("mmk_file_close", mmk_file_close(F[i].f), OK_ | S(EIO));
    if (F[i].statfd >= 0) close(F[i].statfd);
    F[i].f = NULL;
    F[i].statfd = -1;
  }
  for (int s = 0; s < 8; s++) {
    if (shm_used[s]) {
      int x = mmk_shm_unlink(shm_names[s]);
      check("mmk_shm_unlink", x, OK_ | S(ENOENT));
      shm_used[s] = 0;
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  input in = {data, size};
  st_inputs++;
  for (int i = 0; i < MAX_FILES; i++) F[i].statfd = -1;
  for (int i = 0; i < MAX_VIEWS; i++) V[i].statfd = -1;
  if (reset_files() != 0) return 0; /* no room for this input's files */
  /* Measured per input: libFuzzer itself opens descriptors between inputs. */
  g_base_fds = count_fds();

  for (int k = 0; k < MAX_OPS && in.n > 0; k++) {
    uint8_t op = u8(&in);
    if (op >= 252) { /* added later: a rare byte keeps older seeds' meaning */
      op_from_fd(&in);
      continue;
    }
    switch (op % 17) {
    case 0: op_file_open(&in); break;
    case 1: op_shm_open(&in); break;
    case 2: op_anon(&in); break;
    case 3: op_file_info(&in); break;
    case 4: op_file_resize(&in); break;
    case 5: op_file_lock(&in); break;
    case 6: op_file_close(&in); break;
    case 7: case 8: op_map(&in); break;
    case 9: case 10: op_read_write(&in); break;
    case 11: op_view_misc(&in); break;
    case 12: op_lease(&in); break;
    case 13: op_close_view(&in); break;
    case 14: op_atomic(&in); break;
    case 15: op_shm_unlink(&in); break;
    default: op_truncate(&in); break;
    }
  }
  teardown();

  int fds = count_fds();
  if (fds != g_base_fds) die("descriptor leak: %d open, %d at start", fds, g_base_fds);
  int maps = count_our_mappings();
  if (maps != 0) die("mapping leak: %d mappings of fuzzer objects remain", maps);
  return 0;
}
