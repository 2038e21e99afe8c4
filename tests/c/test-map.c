/* tests/c/test-map.c: views in every mode, at any offset, of any size. */
#include "test.h"

#define GIB (1024ll * 1024 * 1024)

static mmk_file *open_file(const char *path, int mode) {
  mmk_file *f = NULL;
  ASSERT_OK(mmk_file_open(path, mode, 0, 0, &f));
  return f;
}

TEST(test_map_read_view_sees_file_bytes) {
  const char *path = test_path("d.bin");
  test_make_pattern_file(path, 3 * 4096 + 17);
  mmk_file *f = open_file(path, MMK_READ);
  mmk_view *v = NULL;
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  ASSERT_EQ(mmk_view_size(v), 3 * 4096 + 17);
  ASSERT_EQ(mmk_view_offset(v), 0);
  ASSERT_EQ(mmk_view_reserved(v), 0);
  ASSERT_EQ(mmk_view_writable(v), 0);
  ASSERT_EQ(mmk_view_mode(v), MMK_READ);
  ASSERT_EQ(mmk_view_closed(v), 0);
  ASSERT_EQ(mmk_view_leases(v), 0);
  unsigned char expect[3 * 4096 + 17], got[3 * 4096 + 17];
  test_fill_pattern(expect, 0, sizeof expect);
  ASSERT_MEM_EQ(mmk_view_data(v), expect, sizeof expect);
  ASSERT_OK(mmk_view_read(v, 0, got, sizeof got));
  ASSERT_MEM_EQ(got, expect, sizeof got);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_map_write_view_writes_reach_the_file_and_back) {
  const char *path = test_path("d.bin");
  test_make_pattern_file(path, 2 * 4096);
  mmk_file *f = open_file(path, MMK_WRITE);
  mmk_view *v = NULL;
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  ASSERT_EQ(mmk_view_writable(v), 1);
  memcpy((char *)mmk_view_data(v) + 10, "direct", 6);
  ASSERT_OK(mmk_view_write(v, 5000, "guarded", 7));
  /* a shared mapping and the page cache are one: visible without flush */
  char buf[8];
  test_pread(path, 10, buf, 6);
  ASSERT_MEM_EQ(buf, "direct", 6);
  test_pread(path, 5000, buf, 7);
  ASSERT_MEM_EQ(buf, "guarded", 7);
  /* and the other way round */
  test_pwrite(path, 7000, "pwrite", 6);
  ASSERT_OK(mmk_view_read(v, 7000, buf, 6));
  ASSERT_MEM_EQ(buf, "pwrite", 6);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_map_copy_view_writes_never_reach_the_file_nor_other_processes) {
  const char *path = test_path("c.bin");
  const size_t size = 3 * 4096;
  test_make_pattern_file(path, size);
  unsigned char expect[3 * 4096], got[3 * 4096];
  test_fill_pattern(expect, 0, size);
  mmk_file *f = open_file(path, MMK_COPY);
  mmk_view *v = NULL;
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  ASSERT_EQ(mmk_view_mode(v), MMK_COPY);
  ASSERT_EQ(mmk_view_writable(v), 1);
  unsigned char *p = mmk_view_data(v);
  memset(p, 0xEE, 4096);
  ASSERT_OK(mmk_view_write(v, 8000, "private", 7));
  ASSERT_OK(mmk_view_flush(v, 0, 0, MMK_FLUSH_FULL)); /* a no-op */
  ASSERT_EQ(p[0], 0xEE);
  /* the file is unchanged */
  test_pread(path, 0, got, size);
  ASSERT_MEM_EQ(got, expect, size);
  /* another handle in this process sees the file, not our copy */
  mmk_file *g = open_file(path, MMK_READ);
  mmk_view *w = NULL;
  ASSERT_OK(mmk_map(g, 0, 0, 0, &w));
  ASSERT_MEM_EQ(mmk_view_data(w), expect, size);
  ASSERT_OK(mmk_view_close(w));
  ASSERT_OK(mmk_file_close(g));
  /* another process sees nothing of it either, and its own private writes
   * do not come back to us */
  pid_t pid = test_fork();
  if (pid == 0) {
    mmk_file *cf = NULL;
    mmk_view *cv = NULL;
    ASSERT_OK(mmk_file_open(path, MMK_READ, 0, 0, &cf));
    ASSERT_OK(mmk_map(cf, 0, 0, 0, &cv));
    ASSERT_MEM_EQ(mmk_view_data(cv), expect, size);
    memset(p + 4096, 0x11, 4096); /* our inherited private copy */
    test_child_exit(0);
  }
  ASSERT_CHILD_OK(pid);
  ASSERT_MEM_EQ(p + 4096, expect + 4096, 3000);
  test_pread(path, 0, got, size);
  ASSERT_MEM_EQ(got, expect, size);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

/* A view at an unaligned offset points at exactly that byte, in every mode,
 * and writes land at that file offset. */
static void check_unaligned(int64_t offset) {
  const char *path = test_path("u.bin");
  const int64_t len = 2 * test_page + 3;
  test_make_pattern_file(path, (size_t)(4 * test_page));
  unsigned char *expect = malloc((size_t)len);
  test_fill_pattern(expect, (uint64_t)offset, (size_t)len);
  const int modes[] = {MMK_READ, MMK_COPY, MMK_WRITE};
  for (size_t i = 0; i < 3; i++) {
    mmk_file *f = open_file(path, modes[i]);
    mmk_view *v = NULL;
    ASSERT_OK(mmk_map(f, offset, len, 0, &v));
    ASSERT_EQ(mmk_view_offset(v), offset);
    ASSERT_EQ(mmk_view_size(v), len);
    ASSERT_EQ((uintptr_t)mmk_view_data(v) % (uintptr_t)test_page,
              offset % test_page);
    ASSERT_MEM_EQ(mmk_view_data(v), expect, len);
    unsigned char last;
    ASSERT_OK(mmk_view_read(v, len - 1, &last, 1));
    ASSERT_EQ(last, expect[len - 1]);
    ASSERT_STATUS(mmk_view_read(v, len, &last, 1), MMK_ERANGE);
    if (modes[i] == MMK_WRITE) {
      ASSERT_OK(mmk_view_write(v, 0, "AB", 2));
      ((unsigned char *)mmk_view_data(v))[len - 1] = 'Z';
      ASSERT_OK(mmk_view_flush(v, 0, 0, MMK_FLUSH_SYNC));
      char buf[2];
      test_pread(path, offset, buf, 2);
      ASSERT_MEM_EQ(buf, "AB", 2);
      test_pread(path, offset + len - 1, buf, 1);
      ASSERT_EQ(buf[0], 'Z');
      /* the neighbours are untouched */
      test_pread(path, offset - 1, buf, 1);
      ASSERT_EQ((unsigned char)buf[0], test_pattern_byte((uint64_t)offset - 1));
      test_pread(path, offset + len, buf, 1);
      ASSERT_EQ((unsigned char)buf[0], test_pattern_byte((uint64_t)(offset + len)));
    }
    ASSERT_OK(mmk_view_close(v));
    ASSERT_OK(mmk_file_close(f));
  }
  free(expect);
}

TEST(test_map_unaligned_offset_one) { check_unaligned(1); }
TEST(test_map_unaligned_offset_page_minus_one) { check_unaligned(test_page - 1); }
TEST(test_map_unaligned_offset_page_plus_one) { check_unaligned(test_page + 1); }

TEST(test_map_length_zero_maps_to_the_end) {
  const char *path = test_path("z.bin");
  test_make_pattern_file(path, (size_t)(3 * test_page + 10));
  mmk_file *f = open_file(path, MMK_READ);
  mmk_view *v = NULL;
  ASSERT_OK(mmk_map(f, test_page + 1, 0, 0, &v));
  ASSERT_EQ(mmk_view_size(v), 2 * test_page + 9);
  ASSERT_EQ(((unsigned char *)mmk_view_data(v))[2 * test_page + 8],
            test_pattern_byte((uint64_t)(3 * test_page + 9)));
  ASSERT_OK(mmk_view_close(v));
  /* offset == size: an empty view */
  ASSERT_OK(mmk_map(f, 3 * test_page + 10, 0, 0, &v));
  ASSERT_EQ(mmk_view_size(v), 0);
  ASSERT_NOT_NULL(mmk_view_data(v));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_map_past_end_in_read_and_copy_mode_is_erange) {
  const char *path = test_path("e.bin");
  test_make_pattern_file(path, 100);
  const int modes[] = {MMK_READ, MMK_COPY};
  for (size_t i = 0; i < 2; i++) {
    mmk_file *f = open_file(path, modes[i]);
    mmk_view *v = (mmk_view *)&v;
    ASSERT_STATUS(mmk_map(f, 0, 101, 0, &v), MMK_ERANGE);
    ASSERT_NULL(v);
    ASSERT_STATUS(mmk_map(f, 50, 51, 0, &v), MMK_ERANGE);
    ASSERT_STATUS(mmk_map(f, 101, 0, 0, &v), MMK_ERANGE);
    ASSERT_STATUS(mmk_map(f, 4096, 1, 0, &v), MMK_ERANGE);
    ASSERT_STR_CONTAINS(mmk_last_error_message(), path);
    ASSERT_OK(mmk_map(f, 99, 1, 0, &v));
    ASSERT_OK(mmk_view_close(v));
    ASSERT_OK(mmk_file_close(f));
  }
  ASSERT_EQ(test_file_size(path), 100);
}

TEST(test_map_write_past_end_grows_file_to_exactly_offset_plus_length) {
  const char *path = test_path("grow.bin");
  test_make_pattern_file(path, 100);
  mmk_file *f = open_file(path, MMK_WRITE);
  mmk_view *v = NULL;
  ASSERT_OK(mmk_map(f, 5000, 3000, 0, &v));
  ASSERT_EQ(test_file_size(path), 8000);
  ASSERT_GE(test_allocated(path), 8000); /* blocks reserved */
  int64_t size = 0;
  ASSERT_OK(mmk_file_size(f, &size));
  ASSERT_EQ(size, 8000);
  /* the new bytes are zero, the old ones kept */
  unsigned char buf[3000], zero[3000] = {0}, expect[100];
  ASSERT_MEM_EQ(mmk_view_data(v), zero, 3000);
  test_pread(path, 100, buf, 3000);
  ASSERT_MEM_EQ(buf, zero, 3000);
  test_pread(path, 0, buf, 100);
  test_fill_pattern(expect, 0, 100);
  ASSERT_MEM_EQ(buf, expect, 100);
  /* the whole view is writable without a fault */
  memset(mmk_view_data(v), 7, 3000);
  test_pread(path, 5000, buf, 3000);
  ASSERT_EQ(buf[0], 7);
  ASSERT_EQ(buf[2999], 7);
  ASSERT_OK(mmk_view_close(v));
  /* a view inside the file does not change its size */
  ASSERT_OK(mmk_map(f, 10, 20, 0, &v));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_EQ(test_file_size(path), 8000);
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_map_write_on_empty_file_grows_it) {
  const char *path = test_path("empty.bin");
  mmk_file *f = NULL;
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, MMK_CREATE, 0, &f));
  mmk_view *v = NULL;
  ASSERT_OK(mmk_map(f, 0, 10, 0, &v));
  ASSERT_EQ(test_file_size(path), 10);
  ASSERT_OK(mmk_view_write(v, 0, "0123456789", 10));
  ASSERT_OK(mmk_view_close(v));
  char buf[10];
  test_pread(path, 0, buf, 10);
  ASSERT_MEM_EQ(buf, "0123456789", 10);
  ASSERT_OK(mmk_file_close(f));
}

/* A sparse 6 GiB file, a view at 5 GiB: the bytes land at the right offset
 * (no 32-bit truncation anywhere) and the file stays sparse. */
TEST(test_map_sparse_6gib_file_view_at_5gib) {
  const char *path = test_path("sparse.bin");
  int e = test_make_sparse(path, 6 * GIB);
  if (e) TEST_SKIP("cannot make a 6 GiB sparse file here: error %d", e);
  const int64_t at = 5 * GIB + 1;
  const size_t len = 1 << 20;
  unsigned char *buf = malloc(len), *got = malloc(len);
  test_fill_pattern(buf, (uint64_t)at, len);

  mmk_file *f = open_file(path, MMK_WRITE);
  mmk_view *v = NULL;
  ASSERT_OK(mmk_map(f, at, (int64_t)len, 0, &v));
  ASSERT_EQ(mmk_view_offset(v), at);
  memcpy(mmk_view_data(v), buf, len / 2);
  ASSERT_OK(mmk_view_write(v, (int64_t)len / 2, buf + len / 2, len / 2));
  ASSERT_OK(mmk_view_flush(v, 0, 0, MMK_FLUSH_SYNC));
  ASSERT_OK(mmk_view_close(v));
  test_pread(path, at, got, len);
  ASSERT_MEM_EQ(got, buf, len);
  /* nothing landed 4 GiB lower (a 32-bit wrap) */
  test_pread(path, at - 4 * GIB, got, 4096);
  unsigned char zero[4096] = {0};
  ASSERT_MEM_EQ(got, zero, 4096);
  ASSERT_EQ(test_file_size(path), 6 * GIB);
  ASSERT_LT(test_allocated(path), 64ll << 20); /* still sparse */
  /* a read view of the whole file, larger than 4 GiB */
  mmk_file *r = open_file(path, MMK_READ);
  ASSERT_OK(mmk_map(r, 0, 0, 0, &v));
  ASSERT_EQ(mmk_view_size(v), 6 * GIB);
  ASSERT_OK(mmk_view_read(v, at, got, len));
  ASSERT_MEM_EQ(got, buf, len);
  ASSERT_MEM_EQ((unsigned char *)mmk_view_data(v) + at, buf, 4096);
  ASSERT_OK(mmk_view_read(v, 6 * GIB - 8, got, 8));
  ASSERT_MEM_EQ(got, zero, 8);
  ASSERT_STATUS(mmk_view_read(v, 6 * GIB - 8, got, 9), MMK_ERANGE);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(r));
  ASSERT_OK(mmk_file_close(f));
  free(buf);
  free(got);
}

TEST(test_map_readonly_option_makes_a_read_only_view_of_writable_file) {
  const char *path = test_path("ro.bin");
  test_make_pattern_file(path, 4096);
  mmk_file *f = open_file(path, MMK_WRITE);
  mmk_view *v = NULL;
  ASSERT_OK(mmk_map(f, 0, 0, MMK_MAP_READONLY, &v));
  ASSERT_EQ(mmk_view_writable(v), 0);
  ASSERT_EQ(mmk_view_mode(v), MMK_READ);
  ASSERT_STATUS(mmk_view_write(v, 0, "x", 1), MMK_EACCES);
  ASSERT_OK(mmk_view_close(v));
  unsigned char b;
  test_pread(path, 0, &b, 1);
  ASSERT_EQ(b, test_pattern_byte(0));
  /* past the end with the read-only option: nothing to grow */
  ASSERT_STATUS(mmk_map(f, 0, 8192, MMK_MAP_READONLY, &v), MMK_ERANGE);
  ASSERT_EQ(test_file_size(path), 4096);
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_view_write_on_read_view_is_eacces) {
  const char *path = test_path("r.bin");
  test_make_pattern_file(path, 100);
  mmk_file *f = open_file(path, MMK_READ);
  mmk_view *v = NULL;
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  ASSERT_STATUS(mmk_view_write(v, 0, "x", 1), MMK_EACCES);
  ASSERT_STATUS(mmk_view_write(v, 99, "x", 1), MMK_EACCES);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_map_populate_makes_the_range_resident) {
  TEST_SKIP_EMULATED("qemu-user maps without MAP_POPULATE's read-ahead "
                     "(mincore: nothing resident)");
  const char *path = test_path("pop.bin");
  const int64_t size = 64 * test_page;
  test_make_pattern_file(path, (size_t)size);
#if !defined(_WIN32) /* Windows has no call to evict a file's pages */
  int fd = open(path, O_RDONLY);
  CHECK_SYS(fd);
  fsync(fd);
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED); /* start cold */
  close(fd);
#endif
  mmk_file *f = open_file(path, MMK_READ);
  mmk_view *v = NULL;
  int64_t res = -1;
  ASSERT_OK(mmk_map(f, 1, size - 1, MMK_MAP_POPULATE, &v));
  ASSERT_OK(mmk_view_resident(v, 0, 0, &res));
  ASSERT_EQ(res, size - 1);
  /* clamped to the asked range, at any offsets */
  ASSERT_OK(mmk_view_resident(v, 5, 100, &res));
  ASSERT_EQ(res, 100);
  ASSERT_OK(mmk_view_resident(v, test_page - 3, 6, &res));
  ASSERT_EQ(res, 6);
  ASSERT_OK(mmk_view_resident(v, size - 1, 0, &res));
  ASSERT_EQ(res, 0);
  ASSERT_STATUS(mmk_view_resident(v, 0, size, &res), MMK_ERANGE);
  ASSERT_STATUS(mmk_view_resident(v, 0, 0, NULL), MMK_EINVAL);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_map_hugepage_option_never_fails) {
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_anon_create(4 << 20, &f));
  ASSERT_OK(mmk_map(f, 0, 0, MMK_MAP_HUGEPAGE, &v));
  memset(mmk_view_data(v), 1, 4 << 20);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_map(f, 3, 100, MMK_MAP_HUGEPAGE | MMK_MAP_POPULATE, &v));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_view_close_null_is_ok) { ASSERT_OK(mmk_view_close(NULL)); }

TEST(test_view_getters_on_null_are_harmless) {
  ASSERT_NULL(mmk_view_data(NULL));
  ASSERT_EQ(mmk_view_size(NULL), 0);
  ASSERT_EQ(mmk_view_leases(NULL), 0);
  ASSERT_EQ(mmk_view_writable(NULL), 0);
  ASSERT_EQ(mmk_file_mode(NULL), MMK_EINVAL);
  ASSERT_EQ(mmk_file_kind(NULL), MMK_EINVAL);
}

TEST(test_map_many_views_and_close_leaves_no_mapping) {
  const char *path = test_path("many.bin");
  test_make_pattern_file(path, (size_t)(8 * test_page));
  mmk_file *f = open_file(path, MMK_WRITE);
  mmk_view *v[64];
  for (int i = 0; i < 64; i++) {
    ASSERT_OK(mmk_map(f, i * 97, test_page + i, i % 2 ? MMK_MAP_POPULATE : 0,
                      &v[i]));
    ASSERT_EQ(((unsigned char *)mmk_view_data(v[i]))[0],
              test_pattern_byte((uint64_t)i * 97));
  }
  ASSERT_GE(test_maps_lines_containing(path), 1);
  for (int i = 0; i < 64; i++) ASSERT_OK(mmk_view_close(v[i]));
  ASSERT_OK(mmk_file_close(f));
  ASSERT_EQ(test_maps_lines_containing(path), 0);
}

TEST(test_two_views_of_one_file_share_memory) {
  const char *path = test_path("two.bin");
  test_make_pattern_file(path, (size_t)(4 * test_page));
  mmk_file *f = open_file(path, MMK_WRITE);
  mmk_view *a = NULL, *b = NULL;
  ASSERT_OK(mmk_map(f, 0, 0, 0, &a));
  ASSERT_OK(mmk_map(f, test_page + 3, 100, 0, &b));
  ASSERT_OK(mmk_view_write(a, test_page + 5, "shared", 6));
  char buf[6];
  ASSERT_OK(mmk_view_read(b, 2, buf, 6));
  ASSERT_MEM_EQ(buf, "shared", 6);
  ASSERT_OK(mmk_view_close(a));
  ASSERT_OK(mmk_view_close(b));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_view_read_write_bounds) {
  const char *path = test_path("b.bin");
  test_make_pattern_file(path, 1000);
  mmk_file *f = open_file(path, MMK_WRITE);
  mmk_view *v = NULL;
  ASSERT_OK(mmk_map(f, 10, 100, 0, &v));
  char buf[200];
  ASSERT_OK(mmk_view_read(v, 0, buf, 100));
  ASSERT_OK(mmk_view_read(v, 100, buf, 0));
  ASSERT_OK(mmk_view_read(v, 100, NULL, 0));
  ASSERT_OK(mmk_view_write(v, 50, NULL, 0));
  ASSERT_STATUS(mmk_view_read(v, 0, buf, 101), MMK_ERANGE);
  ASSERT_STATUS(mmk_view_read(v, 99, buf, 2), MMK_ERANGE);
  ASSERT_STATUS(mmk_view_read(v, 101, buf, 0), MMK_ERANGE);
  ASSERT_STATUS(mmk_view_read(v, INT64_MAX, buf, 1), MMK_ERANGE);
  ASSERT_STATUS(mmk_view_read(v, 1, buf, SIZE_MAX), MMK_ERANGE);
  ASSERT_STATUS(mmk_view_write(v, 1, buf, SIZE_MAX), MMK_ERANGE);
  ASSERT_STATUS(mmk_view_write(v, 100, "x", 1), MMK_ERANGE);
  ASSERT_STATUS(mmk_view_read(v, -1, buf, 1), MMK_EINVAL);
  ASSERT_STATUS(mmk_view_write(v, -1, "x", 1), MMK_EINVAL);
  ASSERT_STATUS(mmk_view_read(v, 0, NULL, 1), MMK_EINVAL);
  ASSERT_STATUS(mmk_view_write(v, 0, NULL, 1), MMK_EINVAL);
  ASSERT_STATUS(mmk_view_read(NULL, 0, buf, 1), MMK_EINVAL);
  ASSERT_STATUS(mmk_view_write(NULL, 0, buf, 1), MMK_EINVAL);
  /* the file around the view is untouched by the refused writes */
  unsigned char b;
  test_pread(path, 110, &b, 1);
  ASSERT_EQ(b, test_pattern_byte(110));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_view_advise_every_value) {
  const char *path = test_path("adv.bin");
  test_make_pattern_file(path, (size_t)(8 * test_page));
  mmk_file *f = open_file(path, MMK_WRITE);
  mmk_view *v = NULL;
  ASSERT_OK(mmk_map(f, 3, 0, 0, &v));
  ASSERT_OK(mmk_view_advise(v, 0, 0, MMK_ADVICE_NORMAL));
  ASSERT_OK(mmk_view_advise(v, 1, 100, MMK_ADVICE_SEQUENTIAL));
  ASSERT_OK(mmk_view_advise(v, test_page - 1, 2, MMK_ADVICE_RANDOM));
  ASSERT_OK(mmk_view_advise(v, 0, 0, MMK_ADVICE_WILLNEED));
  int r = mmk_view_advise(v, 0, 0, MMK_ADVICE_HUGEPAGE);
  if (r != MMK_OK) ASSERT_STATUS(r, MMK_ENOTSUP);
  /* DONTNEED drops the pages of a shared view: the file content comes back */
  ASSERT_OK(mmk_view_write(v, 10, "kept", 4));
  ASSERT_OK(mmk_view_advise(v, 0, 0, MMK_ADVICE_DONTNEED));
  char buf[4];
  ASSERT_OK(mmk_view_read(v, 10, buf, 4));
  ASSERT_MEM_EQ(buf, "kept", 4);
  ASSERT_STATUS(mmk_view_advise(v, 0, 0, 6), MMK_EINVAL);
  ASSERT_STATUS(mmk_view_advise(v, 0, 0, -1), MMK_EINVAL);
  ASSERT_STATUS(mmk_view_advise(v, -1, 0, MMK_ADVICE_NORMAL), MMK_EINVAL);
  ASSERT_STATUS(mmk_view_advise(v, 0, -1, MMK_ADVICE_NORMAL), MMK_EINVAL);
  ASSERT_STATUS(mmk_view_advise(v, 0, 8 * test_page, MMK_ADVICE_NORMAL),
                MMK_ERANGE);
  ASSERT_STATUS(mmk_view_advise(NULL, 0, 0, MMK_ADVICE_NORMAL), MMK_EINVAL);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_view_lock_memory_and_unlock) {
  const char *path = test_path("mlock.bin");
  test_make_pattern_file(path, (size_t)(4 * test_page));
  mmk_file *f = open_file(path, MMK_READ);
  mmk_view *v = NULL;
  ASSERT_OK(mmk_map(f, 5, 2 * test_page, 0, &v));
  int r = mmk_view_lock_memory(v);
  if (r == MMK_ENOMEM || r == MMK_EPERM)
    TEST_SKIP("mlock refused here (%s): RLIMIT_MEMLOCK", mmk_err_name(r));
  ASSERT_OK(r);
  int64_t res = 0;
  ASSERT_OK(mmk_view_resident(v, 0, 0, &res));
  ASSERT_EQ(res, 2 * test_page);
  ASSERT_OK(mmk_view_unlock_memory(v));
  ASSERT_STATUS(mmk_view_lock_memory(NULL), MMK_EINVAL);
  ASSERT_STATUS(mmk_view_unlock_memory(NULL), MMK_EINVAL);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}


/* Without the privilege to lock memory the limit applies: MMK_EPERM when
 * it is 0, MMK_ENOMEM when the view is larger than it. */
TEST(test_view_lock_memory_beyond_rlimit_memlock) {
#if defined(_WIN32)
  TEST_SKIP("RLIMIT_MEMLOCK and setuid are POSIX; Windows bounds VirtualLock "
            "by the working set (test_view_lock_memory_and_unlock)");
#else
  if (TEST_ASAN)
    TEST_SKIP("AddressSanitizer turns mlock into a no-op that succeeds");
  if (TEST_TSAN)
    TEST_SKIP("ThreadSanitizer turns mlock into a no-op that succeeds");
  const char *path = test_path("mlock.bin");
  test_make_pattern_file(path, (size_t)(4 * test_page));
  CHECK_SYS(chmod(test_dir(), 0755));
  pid_t pid = test_fork();
  if (pid == 0) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
      test_skip("cannot drop privileges: %s", strerror(errno));
    mmk_file *f = NULL;
    mmk_view *v = NULL;
    ASSERT_OK(mmk_file_open(path, MMK_READ, 0, 0, &f));
    ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
    struct rlimit rl = {0, 0};
    if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0)
      test_skip("cannot lower RLIMIT_MEMLOCK: %s", strerror(errno));
    ASSERT_STATUS(mmk_view_lock_memory(v), MMK_EPERM);
    ASSERT_STATUS(mmk_view_lock_memory(v), MMK_EPERM);
    test_child_exit(0);
  }
  ASSERT_CHILD_OK(pid);
  pid = test_fork();
  if (pid == 0) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
      test_skip("cannot drop privileges: %s", strerror(errno));
    mmk_file *f = NULL;
    mmk_view *v = NULL;
    ASSERT_OK(mmk_file_open(path, MMK_READ, 0, 0, &f));
    ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
    struct rlimit rl = {(rlim_t)test_page, (rlim_t)test_page};
    if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0)
      test_skip("cannot lower RLIMIT_MEMLOCK: %s", strerror(errno));
    ASSERT_STATUS(mmk_view_lock_memory(v), MMK_ENOMEM);
    ASSERT_STR_CONTAINS(mmk_last_error_message(), path);
    test_child_exit(0);
  }
  ASSERT_CHILD_OK(pid);
#endif
}

/* Growing on a full filesystem is MMK_ENOSPC at the call, never a SIGBUS
 * later. Needs a small tmpfs (a private mount namespace, as root). */
TEST(test_map_grow_on_full_filesystem_is_enospc) {
#if defined(_WIN32)
  TEST_SKIP("needs a small tmpfs mounted in a private namespace (Linux); "
            "no small volume can be made under Wine");
#else
  pid_t pid = test_fork();
  if (pid == 0) {
    const char *dir = test_path("small");
    const char *how;
    int e = test_mount_tmpfs(dir, "size=1m", &how);
    if (e) {
      /* The equivalent without a mount: a file size limit makes growing fail
       * at the call, as MMK_EFBIG (SIGXFSZ ignored). */
      printf("  SKIP part [%s]: cannot mount a tmpfs (%s: %s); checking "
             "RLIMIT_FSIZE instead\n",
             test__case_name, how, strerror(e));
      signal(SIGXFSZ, SIG_IGN);
      struct rlimit rl = {1 << 20, 1 << 20};
      CHECK_SYS(setrlimit(RLIMIT_FSIZE, &rl));
      mmk_file *f = NULL;
      mmk_view *v = (mmk_view *)&v;
      ASSERT_OK(mmk_file_open(test_path("lim.bin"), MMK_WRITE, MMK_CREATE, 0,
                              &f));
      ASSERT_STATUS(mmk_map(f, 0, 4 << 20, 0, &v), MMK_EFBIG);
      ASSERT_NULL(v);
      ASSERT_OK(mmk_file_close(f));
      test_child_exit(TEST_EXIT_SKIP);
    }
    char path[PATH_MAX], path2[PATH_MAX];
    snprintf(path, sizeof path, "%s/grow.bin", dir);
    snprintf(path2, sizeof path2, "%s/big.bin", dir);
    mmk_file *f = NULL, *g = (mmk_file *)&g;
    mmk_view *v = (mmk_view *)&v;
    ASSERT_OK(mmk_file_open(path, MMK_WRITE, MMK_CREATE, 0, &f));
    ASSERT_STATUS(mmk_map(f, 0, 4 << 20, 0, &v), MMK_ENOSPC);
    ASSERT_NULL(v);
    ASSERT_STR_CONTAINS(mmk_last_error_message(), path);
    ASSERT_EQ(test_maps_lines_containing(path), 0); /* nothing mapped */
    ASSERT_STATUS(mmk_file_resize(f, 4 << 20), MMK_ENOSPC);
    ASSERT_STATUS(mmk_file_open(path2, MMK_WRITE, MMK_CREATE, 4 << 20, &g),
                  MMK_ENOSPC);
    ASSERT_NULL(g);
    /* what fits is reserved: every byte can be written, no fault */
    ASSERT_OK(mmk_file_resize(f, 0));
    ASSERT_OK(mmk_map(f, 0, 512 << 10, 0, &v));
    memset(mmk_view_data(v), 0x42, 512 << 10);
    /* a second grow that cannot fit fails and leaves the first view alone */
    mmk_view *w = (mmk_view *)&w;
    ASSERT_STATUS(mmk_map(f, 512 << 10, 1 << 20, 0, &w), MMK_ENOSPC);
    ASSERT_NULL(w);
    ASSERT_OK(mmk_view_write(v, 0, "still fine", 10));
    ASSERT_OK(mmk_view_close(v));
    ASSERT_OK(mmk_file_close(f));
    test_child_exit(0);
  }
  ASSERT_CHILD_OK(pid);
#endif
}

/* A sparse page of a file on a full filesystem cannot be allocated when it
 * is first written: the guarded write returns MMK_EIO, the process lives. */
TEST(test_view_write_into_hole_on_full_filesystem_is_eio) {
#if defined(_WIN32)
  TEST_SKIP("needs a small tmpfs mounted in a private namespace (Linux); "
            "the Windows fault path is in test-fault-win32");
#else
  pid_t pid = test_fork();
  if (pid == 0) {
    const char *dir = test_path("small");
    const char *how;
    int e = test_mount_tmpfs(dir, "size=1m", &how);
    if (e) test_skip("cannot mount a tmpfs (%s): %s", how, strerror(e));
    char hole[PATH_MAX], filler[PATH_MAX];
    snprintf(hole, sizeof hole, "%s/hole.bin", dir);
    snprintf(filler, sizeof filler, "%s/filler.bin", dir);
    int fd = open(hole, O_RDWR | O_CREAT, 0644);
    CHECK_SYS(fd);
    CHECK_SYS(ftruncate(fd, 512 << 10)); /* sparse: no blocks */
    ASSERT_EQ(pwrite(fd, "allocated", 9, 0), 9); /* page 0 has a block */
    close(fd);
    fd = open(filler, O_RDWR | O_CREAT, 0644);
    CHECK_SYS(fd);
    char chunk[4096];
    memset(chunk, 1, sizeof chunk);
    while (write(fd, chunk, sizeof chunk) > 0) {
    }
    ASSERT_EQ(errno, ENOSPC);
    close(fd);
    mmk_file *f = NULL;
    mmk_view *v = NULL;
    ASSERT_OK(mmk_file_open(hole, MMK_WRITE, 0, 0, &f));
    ASSERT_OK(mmk_map(f, 0, 0, 0, &v)); /* inside the file: nothing to grow */
    ASSERT_STATUS(mmk_view_write(v, 8192, chunk, sizeof chunk), MMK_EIO);
    ASSERT_EQ(mmk_last_error_code(), MMK_EIO);
    ASSERT_STR_CONTAINS(mmk_last_error_message(), hole);
    /* (on tmpfs even a read of a hole through a shared mapping must allocate
     * a page, so it faults as well) */
    char buf[9];
    ASSERT_STATUS(mmk_view_read(v, 3 * 4096, buf, sizeof buf), MMK_EIO);
    /* the process goes on, and the allocated page still works */
    ASSERT_OK(mmk_view_read(v, 0, buf, 9));
    ASSERT_MEM_EQ(buf, "allocated", 9);
    ASSERT_OK(mmk_view_write(v, 100, "fine", 4));
    ASSERT_OK(mmk_view_close(v));
    ASSERT_OK(mmk_file_close(f));
    test_child_exit(0);
  }
  ASSERT_CHILD_OK(pid);
#endif
}

static const test_case tests[] = {
    TEST_ENTRY(test_map_read_view_sees_file_bytes),
    TEST_ENTRY(test_map_write_view_writes_reach_the_file_and_back),
    TEST_ENTRY(test_map_copy_view_writes_never_reach_the_file_nor_other_processes),
    TEST_ENTRY(test_map_unaligned_offset_one),
    TEST_ENTRY(test_map_unaligned_offset_page_minus_one),
    TEST_ENTRY(test_map_unaligned_offset_page_plus_one),
    TEST_ENTRY(test_map_length_zero_maps_to_the_end),
    TEST_ENTRY(test_map_past_end_in_read_and_copy_mode_is_erange),
    TEST_ENTRY(test_map_write_past_end_grows_file_to_exactly_offset_plus_length),
    TEST_ENTRY(test_map_write_on_empty_file_grows_it),
    TEST_ENTRY(test_map_sparse_6gib_file_view_at_5gib),
    TEST_ENTRY(test_map_readonly_option_makes_a_read_only_view_of_writable_file),
    TEST_ENTRY(test_view_write_on_read_view_is_eacces),
    TEST_ENTRY(test_map_populate_makes_the_range_resident),
    TEST_ENTRY(test_map_hugepage_option_never_fails),
    TEST_ENTRY(test_view_close_null_is_ok),
    TEST_ENTRY(test_view_getters_on_null_are_harmless),
    TEST_ENTRY(test_map_many_views_and_close_leaves_no_mapping),
    TEST_ENTRY(test_two_views_of_one_file_share_memory),
    TEST_ENTRY(test_view_read_write_bounds),
    TEST_ENTRY(test_view_advise_every_value),
    TEST_ENTRY(test_view_lock_memory_and_unlock),
    TEST_ENTRY(test_view_lock_memory_beyond_rlimit_memlock),
    TEST_ENTRY(test_map_grow_on_full_filesystem_is_enospc),
    TEST_ENTRY(test_view_write_into_hole_on_full_filesystem_is_eio),
    TEST_END};

int main(int argc, char **argv) { return test_main(argc, argv, tests); }
