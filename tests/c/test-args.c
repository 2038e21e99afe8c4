/* tests/c/test-args.c: every argument is checked. Each row gives a call,
 * the exact status, and (for calls about a path) that the last-error
 * message names the operation and the path. */
#include "test.h"

/* Failed rows of the current table: every row runs, all failures are
 * listed, then the case fails. */
static int bad_rows;

static void row_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void row_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "  FAIL %s:%d: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  bad_rows++;
}

#define test_fail_at(file, line, ...)                                          \
  do {                                                                         \
    row_fail(file, line, __VA_ARGS__);                                         \
    return;                                                                    \
  } while (0)

/* Checks one call. `path` NULL: the call names no path. */
static void check_row(const char *file, int line, const char *what, int got,
                      int expected, const char *path) {
  if (got != expected)
    test_fail_at(file, line, "%s: got %d (%s), expected %d (%s)", what, got,
                 mmk_err_name(got), expected, mmk_err_name(expected));
  if (expected == MMK_OK) return;
  const mmk_error *e = mmk_last_error();
  if (e->code != expected)
    test_fail_at(file, line, "%s: last error code %s, expected %s", what,
                 mmk_err_name(e->code), mmk_err_name(expected));
  if (!e->message || !*e->message)
    test_fail_at(file, line, "%s: empty last-error message", what);
  if (!e->op || !*e->op)
    test_fail_at(file, line, "%s: last error names no operation", what);
  if (!strstr(e->message, e->op))
    test_fail_at(file, line, "%s: message \"%s\" does not name the operation "
                 "\"%s\"", what, e->message, e->op);
  if (path) {
    if (!e->path || strcmp(e->path, path) != 0)
      test_fail_at(file, line, "%s: last error path \"%s\", expected \"%s\"",
                   what, e->path ? e->path : "(null)", path);
    if (!strstr(e->message, path))
      test_fail_at(file, line, "%s: message \"%s\" does not name \"%s\"", what,
                   e->message, path);
  }
}

#undef test_fail_at

#define END_TABLE()                                                            \
  do {                                                                         \
    if (bad_rows) TEST_FAIL("%d row(s) of the table failed (above)", bad_rows); \
  } while (0)

#define ROW(call, expected, path)                                              \
  do {                                                                         \
    mmk_clear_error();                                                         \
    check_row(__FILE__, __LINE__, #call, (call), (expected), (path));          \
  } while (0)

TEST(test_args_file_open_table) {
  const char *file = test_path("file.bin");
  const char *missing = test_path("missing.bin");
  const char *dir = test_path("dir");
  test_make_pattern_file(file, 4096);
  test_mkdir(dir);
  mmk_file *f = NULL;
  ROW(mmk_file_open(NULL, MMK_READ, 0, 0, &f), MMK_EINVAL, NULL);
  ROW(mmk_file_open("", MMK_READ, 0, 0, &f), MMK_EINVAL, NULL);
  ROW(mmk_file_open(file, MMK_READ, 0, 0, NULL), MMK_EINVAL, file);
  ROW(mmk_file_open(file, -1, 0, 0, &f), MMK_EINVAL, file);
  ROW(mmk_file_open(file, 3, 0, 0, &f), MMK_EINVAL, file);
  ROW(mmk_file_open(file, MMK_WRITE, 1u << 3, 0, &f), MMK_EINVAL, file);
  ROW(mmk_file_open(file, MMK_WRITE, 0x80000000u, 0, &f), MMK_EINVAL, file);
  ROW(mmk_file_open(file, MMK_READ, MMK_CREATE, 0, &f), MMK_EINVAL, file);
  ROW(mmk_file_open(file, MMK_READ, MMK_TRUNCATE, 0, &f), MMK_EINVAL, file);
  ROW(mmk_file_open(file, MMK_COPY, MMK_CREATE, 0, &f), MMK_EINVAL, file);
  ROW(mmk_file_open(missing, MMK_WRITE, MMK_EXCLUSIVE, 0, &f), MMK_EINVAL,
      missing);
  ROW(mmk_file_open(file, MMK_WRITE, 0, -1, &f), MMK_EINVAL, file);
  ROW(mmk_file_open(file, MMK_WRITE, 0, INT64_MIN, &f), MMK_EINVAL, file);
  ROW(mmk_file_open(file, MMK_READ, 0, 10, &f), MMK_EINVAL, file);
  ROW(mmk_file_open(file, MMK_COPY, 0, 10, &f), MMK_EINVAL, file);
  ROW(mmk_file_open(missing, MMK_READ, 0, 0, &f), MMK_ENOENT, missing);
  ROW(mmk_file_open(test_path("no/such/dir.bin"), MMK_WRITE, MMK_CREATE, 0, &f),
      MMK_ENOENT, test_path("no/such/dir.bin"));
  ROW(mmk_file_open(dir, MMK_READ, 0, 0, &f), MMK_EISDIR, dir);
  ROW(mmk_file_open(dir, MMK_WRITE, 0, 0, &f), MMK_EISDIR, dir);
  ROW(mmk_file_open(dir, MMK_COPY, 0, 0, &f), MMK_EISDIR, dir);
  ROW(mmk_file_open(TEST_DEV_ZERO, MMK_READ, 0, 0, &f), MMK_ENODEV,
      TEST_DEV_ZERO);
  ROW(mmk_file_open(TEST_DEV_ZERO, MMK_WRITE, 0, 0, &f), MMK_ENODEV,
      TEST_DEV_ZERO);
  ROW(mmk_file_open(TEST_DEV_NULL, MMK_COPY, 0, 0, &f), MMK_ENODEV,
      TEST_DEV_NULL);
  ROW(mmk_file_open(file, MMK_WRITE, MMK_CREATE | MMK_EXCLUSIVE, 0, &f),
      MMK_EEXIST, file);
  /* nothing was created or changed by the refused calls */
  ASSERT_EQ(access(missing, F_OK), -1);
  ASSERT_EQ(test_file_size(file), 4096);
  END_TABLE();
}

/* A FIFO must be refused without waiting for a writer: a blocking open
 * would hang here until the case's watchdog fires. */
TEST(test_args_fifo_is_enodev_and_does_not_hang) {
  const char *fifo = test_path("fifo");
#if defined(_WIN32)
  (void)fifo;
  TEST_SKIP("Windows has no FIFOs in the file system (its pipes are "
            "devices, covered by the device rows of the open table)");
#else
  CHECK_SYS(mkfifo(fifo, 0600));
#endif
  mmk_file *f = NULL;
  ROW(mmk_file_open(fifo, MMK_READ, 0, 0, &f), MMK_ENODEV, fifo);
  ROW(mmk_file_open(fifo, MMK_WRITE, 0, 0, &f), MMK_ENODEV, fifo);
  ROW(mmk_file_open(fifo, MMK_COPY, 0, 0, &f), MMK_ENODEV, fifo);
  ROW(mmk_file_open(fifo, MMK_WRITE, MMK_CREATE, 0, &f), MMK_ENODEV, fifo);
  END_TABLE();
}

TEST(test_args_map_table) {
  const char *file = test_path("file.bin");
  test_make_pattern_file(file, 4096);
  mmk_file *r = NULL, *w = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_file_open(file, MMK_READ, 0, 0, &r));
  ASSERT_OK(mmk_file_open(file, MMK_WRITE, 0, 0, &w));
  ROW(mmk_map(NULL, 0, 0, 0, &v), MMK_EINVAL, NULL);
  ROW(mmk_map(r, 0, 0, 0, NULL), MMK_EINVAL, file);
  ROW(mmk_map(r, -1, 0, 0, &v), MMK_EINVAL, file);
  ROW(mmk_map(r, INT64_MIN, 10, 0, &v), MMK_EINVAL, file);
  ROW(mmk_map(r, 0, -1, 0, &v), MMK_EINVAL, file);
  ROW(mmk_map(r, 0, 0, 1u << 3, &v), MMK_EINVAL, file);
  ROW(mmk_map(r, 0, 0, 0x80000000u, &v), MMK_EINVAL, file);
  ROW(mmk_map(r, INT64_MAX, 2, 0, &v), MMK_ERANGE, file);
  ROW(mmk_map(r, 2, INT64_MAX, 0, &v), MMK_ERANGE, file);
  ROW(mmk_map(r, INT64_MAX, INT64_MAX, 0, &v), MMK_ERANGE, file);
  ROW(mmk_map(r, 4097, 0, 0, &v), MMK_ERANGE, file);
  ROW(mmk_map(r, 0, 4097, 0, &v), MMK_ERANGE, file);
  /* overflow in a writable mode is not a request to grow */
  ROW(mmk_map(w, INT64_MAX, 2, 0, &v), MMK_ERANGE, file);
  ROW(mmk_map(w, INT64_MAX - 1, INT64_MAX, 0, &v), MMK_ERANGE, file);
  ROW(mmk_map_reserve(r, 0, 100, 50, 0, &v), MMK_EINVAL, file);
  ROW(mmk_map_reserve(r, 0, 100, -1, 0, &v), MMK_EINVAL, file);
  ROW(mmk_map_reserve(NULL, 0, 100, 4096, 0, &v), MMK_EINVAL, NULL);
  ROW(mmk_map_reserve(r, 0, 100, 4096, 0, NULL), MMK_EINVAL, file);
  ROW(mmk_map_reserve(r, 0, 0, 4095, 0, &v), MMK_EINVAL, file); /* < 4096 */
  ASSERT_EQ(test_file_size(file), 4096);
  ASSERT_EQ(test_maps_lines_containing(file), 0);
  ASSERT_OK(mmk_file_close(r));
  ASSERT_OK(mmk_file_close(w));
  END_TABLE();
}

TEST(test_args_file_calls_table) {
  const char *file = test_path("file.bin");
  test_make_pattern_file(file, 4096);
  mmk_file *r = NULL, *w = NULL;
  ASSERT_OK(mmk_file_open(file, MMK_READ, 0, 0, &r));
  ASSERT_OK(mmk_file_open(file, MMK_WRITE, 0, 0, &w));
  int64_t size;
  ROW(mmk_file_size(NULL, &size), MMK_EINVAL, NULL);
  ROW(mmk_file_size(r, NULL), MMK_EINVAL, file);
  ROW(mmk_file_resize(NULL, 10), MMK_EINVAL, NULL);
  ROW(mmk_file_resize(w, -1), MMK_EINVAL, file);
  ROW(mmk_file_resize(r, 10), MMK_EACCES, file);
  ROW(mmk_file_lock(NULL, 0, 1, MMK_LOCK_SHARED, 0), MMK_EINVAL, NULL);
  ROW(mmk_file_lock(r, -1, 1, MMK_LOCK_SHARED, 0), MMK_EINVAL, file);
  ROW(mmk_file_lock(r, 0, -1, MMK_LOCK_SHARED, 0), MMK_EINVAL, file);
  ROW(mmk_file_lock(r, 0, 1, 0, 0), MMK_EINVAL, file);
  ROW(mmk_file_lock(r, 0, 1, 4, 0), MMK_EINVAL, file);
  ROW(mmk_file_lock(r, INT64_MAX, 2, MMK_LOCK_SHARED, 0), MMK_EINVAL, file);
  ROW(mmk_file_lock(r, 0, 1, MMK_LOCK_EXCLUSIVE, 0), MMK_EACCES, file);
  ROW(mmk_file_unlock(NULL, 0, 1), MMK_EINVAL, NULL);
  ROW(mmk_file_unlock(r, -1, 1), MMK_EINVAL, file);
  mmk_file *t = NULL;
#if defined(_WIN32) /* descriptors are POSIX-only (mmapkit.h) */
  ROW(mmk_file_from_fd(-1, MMK_READ, &t), MMK_ENOTSUP, NULL);
  ROW(mmk_file_from_handle(NULL, MMK_READ, &t), MMK_EBADF, NULL);
#else
  ROW(mmk_file_from_fd(-1, MMK_READ, &t), MMK_EBADF, "fd -1 (no path)");
  ROW(mmk_file_from_handle(NULL, MMK_READ, &t), MMK_ENOTSUP, NULL);
#endif
  ROW(mmk_anon_create(0, &t), MMK_EINVAL, NULL);
  ROW(mmk_anon_create(-1, &t), MMK_EINVAL, NULL);
  ROW(mmk_anon_create(1, NULL), MMK_EINVAL, NULL);
  ROW(mmk_shm_open(NULL, MMK_READ, 0, 0, &t), MMK_EINVAL, NULL);
  ROW(mmk_shm_open("bad/name", MMK_WRITE, MMK_CREATE, 10, &t), MMK_EINVAL,
      "bad/name");
  ROW(mmk_shm_unlink(".dot"), MMK_EINVAL, ".dot");
  ROW(mmk_shm_unlink(test_shm_name("never-made")), MMK_ENOENT,
      test_shm_name("never-made"));
  ASSERT_EQ(test_file_size(file), 4096);
  ASSERT_NOT_NULL(r);
  ASSERT_OK(mmk_file_close(r));
  ASSERT_OK(mmk_file_close(w));
  END_TABLE();
}

TEST(test_args_view_calls_table) {
  const char *file = test_path("file.bin");
  test_make_pattern_file(file, 8192);
  mmk_file *f = NULL;
  mmk_view *v = NULL, *ro = NULL;
  ASSERT_OK(mmk_file_open(file, MMK_WRITE, 0, 0, &f));
  ASSERT_OK(mmk_map(f, 1, 100, 0, &v));
  ASSERT_OK(mmk_map(f, 0, 100, MMK_MAP_READONLY, &ro));
  char buf[200];
  int64_t res;
  ROW(mmk_view_read(NULL, 0, buf, 1), MMK_EINVAL, NULL);
  ROW(mmk_view_read(v, -1, buf, 1), MMK_EINVAL, NULL);
  ROW(mmk_view_read(v, 0, NULL, 1), MMK_EINVAL, NULL);
  ROW(mmk_view_read(v, 0, buf, 101), MMK_ERANGE, NULL);
  ROW(mmk_view_read(v, 101, buf, 0), MMK_ERANGE, NULL);
  ROW(mmk_view_read(v, INT64_MAX, buf, 1), MMK_ERANGE, NULL);
  ROW(mmk_view_read(v, 50, buf, SIZE_MAX), MMK_ERANGE, NULL);
  ROW(mmk_view_write(v, 99, "ab", 2), MMK_ERANGE, NULL);
  ROW(mmk_view_write(ro, 0, "ab", 2), MMK_EACCES, NULL);
  ROW(mmk_view_flush(NULL, 0, 0, MMK_FLUSH_SYNC), MMK_EINVAL, NULL);
  ROW(mmk_view_flush(v, 0, 0, 3), MMK_EINVAL, NULL);
  ROW(mmk_view_flush(v, -1, 0, MMK_FLUSH_SYNC), MMK_EINVAL, NULL);
  ROW(mmk_view_flush(v, 0, 101, MMK_FLUSH_SYNC), MMK_ERANGE, NULL);
  ROW(mmk_view_flush(v, 1, INT64_MAX, MMK_FLUSH_SYNC), MMK_ERANGE, NULL);
  ROW(mmk_view_advise(v, 0, 0, 99), MMK_EINVAL, NULL);
  ROW(mmk_view_advise(v, 0, 101, MMK_ADVICE_NORMAL), MMK_ERANGE, NULL);
  ROW(mmk_view_advise(v, INT64_MAX, INT64_MAX, MMK_ADVICE_NORMAL), MMK_ERANGE,
      NULL);
  ROW(mmk_view_resident(NULL, 0, 0, &res), MMK_EINVAL, NULL);
  ROW(mmk_view_resident(v, 0, 0, NULL), MMK_EINVAL, NULL);
  ROW(mmk_view_resident(v, -1, 0, &res), MMK_EINVAL, NULL);
  ROW(mmk_view_resident(v, 0, 101, &res), MMK_ERANGE, NULL);
  ROW(mmk_view_resize(NULL, 10), MMK_EINVAL, NULL);
  ROW(mmk_view_resize(v, 0), MMK_EINVAL, NULL);
  ROW(mmk_view_resize(v, -1), MMK_EINVAL, NULL);
  ROW(mmk_view_resize(ro, 8193), MMK_ERANGE, NULL);
  ROW(mmk_view_lease(NULL), MMK_EINVAL, NULL);
  ROW(mmk_view_release(NULL), MMK_EINVAL, NULL);
  ROW(mmk_view_release(v), MMK_EINVAL, NULL); /* no lease outstanding */
  ROW(mmk_view_lock_memory(NULL), MMK_EINVAL, NULL);
  ROW(mmk_view_unlock_memory(NULL), MMK_EINVAL, NULL);
  /* the refused calls changed nothing */
  ASSERT_EQ(mmk_view_size(v), 100);
  ASSERT_EQ(mmk_view_size(ro), 100);
  ASSERT_EQ(mmk_view_leases(v), 0);
  ASSERT_EQ(test_file_size(file), 8192);
  ASSERT_OK(mmk_view_close(ro));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
  END_TABLE();
}

TEST(test_args_atomic_calls_table) {
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_anon_create(4096, &f));
  ASSERT_OK(mmk_map(f, 0, 100, 0, &v));
  uint32_t u32;
  uint64_t u64;
  ROW(mmk_atomic_load_u32(NULL, 0, &u32), MMK_EINVAL, NULL);
  ROW(mmk_atomic_load_u32(v, 0, NULL), MMK_EINVAL, NULL);
  ROW(mmk_atomic_load_u64(v, 0, NULL), MMK_EINVAL, NULL);
  ROW(mmk_atomic_load_u32(v, -4, &u32), MMK_EINVAL, NULL);
  ROW(mmk_atomic_load_u32(v, 2, &u32), MMK_EINVAL, NULL);
  ROW(mmk_atomic_load_u64(v, 4, &u64), MMK_EINVAL, NULL);
  ROW(mmk_atomic_load_u32(v, 100, &u32), MMK_ERANGE, NULL);
  ROW(mmk_atomic_load_u64(v, 96, &u64), MMK_ERANGE, NULL);
  ROW(mmk_atomic_load_u64(v, INT64_MAX - 7, &u64), MMK_ERANGE, NULL);
  ROW(mmk_atomic_store_u64(v, 3, 1), MMK_EINVAL, NULL);
  ROW(mmk_wait_u32(NULL, 0, 0, 0), MMK_EINVAL, NULL);
  ROW(mmk_wait_u32(v, 1, 0, 0), MMK_EINVAL, NULL);
  ROW(mmk_wait_u32(v, 100, 0, 0), MMK_ERANGE, NULL);
  ROW(mmk_wake(NULL, 0, 1), MMK_EINVAL, NULL);
  ROW(mmk_wake(v, 2, 1), MMK_EINVAL, NULL);
  ROW(mmk_wake(v, 100, 1), MMK_ERANGE, NULL);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
  END_TABLE();
}

static const test_case tests[] = {
    TEST_ENTRY(test_args_file_open_table),
    TEST_ENTRY(test_args_fifo_is_enodev_and_does_not_hang),
    TEST_ENTRY(test_args_map_table),
    TEST_ENTRY(test_args_file_calls_table),
    TEST_ENTRY(test_args_view_calls_table),
    TEST_ENTRY(test_args_atomic_calls_table),
    TEST_END};

int main(int argc, char **argv) { return test_main(argc, argv, tests); }
