/* tests/c/test-resize.c: resizing views, in place within a reservation. */
#include "test.h"

TEST(test_resize_within_reservation_keeps_the_address) {
  const char *path = test_path("r.bin");
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, MMK_CREATE, 0, &f));
  ASSERT_OK(mmk_map_reserve(f, 0, test_page, 64 * test_page, 0, &v));
  ASSERT_GE(mmk_view_reserved(v), 64 * test_page);
  ASSERT_LT(mmk_view_reserved(v), 65 * test_page);
  ASSERT_EQ(mmk_view_size(v), test_page);
  ASSERT_EQ(test_file_size(path), test_page);
  unsigned char *p = mmk_view_data(v);
  ASSERT_OK(mmk_view_write(v, 0, "start", 5));
  ASSERT_OK(mmk_view_resize(v, 10 * test_page + 5));
  ASSERT_PTR_EQ(mmk_view_data(v), p);
  ASSERT_EQ(mmk_view_size(v), 10 * test_page + 5);
  ASSERT_EQ(test_file_size(path), 10 * test_page + 5); /* grown exactly */
  ASSERT_MEM_EQ(p, "start", 5);
  memcpy(p + 10 * test_page, "end!!", 5); /* the new part is usable */
  char buf[5];
  test_pread(path, 10 * test_page, buf, 5);
  ASSERT_MEM_EQ(buf, "end!!", 5);
  /* up to the whole reservation */
  ASSERT_OK(mmk_view_resize(v, 64 * test_page));
  ASSERT_PTR_EQ(mmk_view_data(v), p);
  p[64 * test_page - 1] = 9;
  /* shrink in place */
  ASSERT_OK(mmk_view_resize(v, 100));
  ASSERT_PTR_EQ(mmk_view_data(v), p);
  ASSERT_EQ(mmk_view_size(v), 100);
  ASSERT_STATUS(mmk_view_read(v, 100, buf, 1), MMK_ERANGE);
  ASSERT_OK(mmk_view_resize(v, 3 * test_page));
  ASSERT_PTR_EQ(mmk_view_data(v), p);
  ASSERT_MEM_EQ(p, "start", 5);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_resize_reserved_view_at_unaligned_offset) {
  const char *path = test_path("u.bin");
  test_make_pattern_file(path, (size_t)(4 * test_page));
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, 0, 0, &f));
  const int64_t off = test_page + 7;
  ASSERT_OK(mmk_map_reserve(f, off, 10, 16 * test_page, 0, &v));
  unsigned char *p = mmk_view_data(v);
  ASSERT_OK(mmk_view_resize(v, 3 * test_page - 7)); /* to the end of file */
  ASSERT_PTR_EQ(mmk_view_data(v), p);
  ASSERT_EQ(test_file_size(path), 4 * test_page);
  ASSERT_EQ(p[2 * test_page], test_pattern_byte((uint64_t)(off + 2 * test_page)));
  ASSERT_OK(mmk_view_resize(v, 16 * test_page));
  ASSERT_PTR_EQ(mmk_view_data(v), p);
  ASSERT_EQ(test_file_size(path), off + 16 * test_page);
  ASSERT_EQ(mmk_view_offset(v), off);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_resize_without_reservation_grows_and_keeps_content) {
  const char *path = test_path("n.bin");
  test_make_pattern_file(path, (size_t)test_page);
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, 0, 0, &f));
  ASSERT_OK(mmk_map(f, 3, test_page - 3, 0, &v));
  ASSERT_EQ(mmk_view_reserved(v), 0);
  ASSERT_OK(mmk_view_resize(v, 5 * test_page));
  ASSERT_EQ(mmk_view_size(v), 5 * test_page);
  ASSERT_EQ(test_file_size(path), 5 * test_page + 3);
  unsigned char *p = mmk_view_data(v); /* may have moved */
  ASSERT_EQ(p[0], test_pattern_byte(3));
  ASSERT_EQ(p[test_page - 4], test_pattern_byte((uint64_t)test_page - 1));
  ASSERT_OK(mmk_view_write(v, 5 * test_page - 4, "tail", 4));
  char buf[4];
  test_pread(path, 5 * test_page - 1, buf, 4);
  ASSERT_MEM_EQ(buf, "tail", 4);
  ASSERT_OK(mmk_view_resize(v, 10));
  ASSERT_EQ(mmk_view_size(v), 10);
  ASSERT_EQ(((unsigned char *)mmk_view_data(v))[9], test_pattern_byte(12));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_resize_beyond_reservation_without_leases_moves_the_view) {
  const char *path = test_path("b.bin");
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, MMK_CREATE, 0, &f));
  ASSERT_OK(mmk_map_reserve(f, 0, 100, 2 * test_page, 0, &v));
  ASSERT_OK(mmk_view_write(v, 0, "keep", 4));
  ASSERT_OK(mmk_view_resize(v, 8 * test_page));
  ASSERT_EQ(mmk_view_size(v), 8 * test_page);
  ASSERT_MEM_EQ(mmk_view_data(v), "keep", 4);
  ((unsigned char *)mmk_view_data(v))[8 * test_page - 1] = 1;
  ASSERT_EQ(test_file_size(path), 8 * test_page);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_resize_with_lease_within_reservation_is_allowed) {
  const char *path = test_path("l.bin");
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, MMK_CREATE, 0, &f));
  ASSERT_OK(mmk_map_reserve(f, 0, test_page, 8 * test_page, 0, &v));
  void *p = mmk_view_data(v);
  ASSERT_OK(mmk_view_lease(v));
  ASSERT_OK(mmk_view_resize(v, 8 * test_page));
  ASSERT_PTR_EQ(mmk_view_data(v), p);
  ASSERT_OK(mmk_view_release(v));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_resize_with_lease_shrinking_is_ebusy) {
  const char *path = test_path("s.bin");
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, MMK_CREATE, 0, &f));
  ASSERT_OK(mmk_map_reserve(f, 0, 4 * test_page, 8 * test_page, 0, &v));
  void *p = mmk_view_data(v);
  ASSERT_OK(mmk_view_lease(v));
  ASSERT_STATUS(mmk_view_resize(v, test_page), MMK_EBUSY);
  ASSERT_EQ(mmk_view_size(v), 4 * test_page);
  ASSERT_PTR_EQ(mmk_view_data(v), p);
  memset(p, 1, (size_t)(4 * test_page)); /* the export is intact */
  ASSERT_OK(mmk_view_release(v));
  ASSERT_OK(mmk_view_resize(v, test_page));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

/* Growing past the reservation (or without one) would move the view:
 * with a lease it may only succeed in place, else it is MMK_EBUSY. */
TEST(test_resize_with_lease_beyond_reservation_never_moves_the_view) {
  const char *path = test_path("m.bin");
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, MMK_CREATE, 0, &f));
  ASSERT_OK(mmk_map(f, 0, test_page, 0, &v));
  unsigned char *p = mmk_view_data(v);
  /* occupy the page right after the view so it cannot grow in place */
  void *next = mmap(p + test_page, (size_t)test_page, PROT_READ,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  int blocked = next == p + test_page;
  ASSERT_OK(mmk_view_lease(v));
  int r = mmk_view_resize(v, 64 * test_page);
  if (r == MMK_OK) {
    ASSERT_FALSE(blocked); /* could not have grown in place */
    ASSERT_PTR_EQ(mmk_view_data(v), p);
    ASSERT_EQ(mmk_view_size(v), 64 * test_page);
  } else {
    ASSERT_STATUS(r, MMK_EBUSY);
    ASSERT_PTR_EQ(mmk_view_data(v), p);
    ASSERT_EQ(mmk_view_size(v), test_page);
  }
  p[0] = 1; /* the export is still valid */
  ASSERT_OK(mmk_view_release(v));
  /* without the lease it may move */
  ASSERT_OK(mmk_view_resize(v, 64 * test_page));
  ASSERT_EQ(mmk_view_size(v), 64 * test_page);
  ASSERT_EQ(((unsigned char *)mmk_view_data(v))[0], 1);
  if (next != MAP_FAILED) munmap(next, (size_t)test_page);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_resize_read_and_copy_views_past_the_end_is_erange) {
  const char *path = test_path("e.bin");
  test_make_pattern_file(path, (size_t)(2 * test_page));
  const int modes[] = {MMK_READ, MMK_COPY};
  for (size_t i = 0; i < 2; i++) {
    mmk_file *f = NULL;
    mmk_view *v = NULL;
    ASSERT_OK(mmk_file_open(path, modes[i], 0, 0, &f));
    ASSERT_OK(mmk_map_reserve(f, 0, 10, 8 * test_page, 0, &v));
    ASSERT_OK(mmk_view_resize(v, 2 * test_page)); /* within the file: fine */
    ASSERT_STATUS(mmk_view_resize(v, 2 * test_page + 1), MMK_ERANGE);
    ASSERT_EQ(mmk_view_size(v), 2 * test_page);
    ASSERT_OK(mmk_view_close(v));
    ASSERT_OK(mmk_map(f, 0, 10, 0, &v));
    ASSERT_STATUS(mmk_view_resize(v, 3 * test_page), MMK_ERANGE);
    ASSERT_EQ(mmk_view_size(v), 10);
    ASSERT_OK(mmk_view_close(v));
    ASSERT_OK(mmk_file_close(f));
  }
  ASSERT_EQ(test_file_size(path), 2 * test_page);
}

TEST(test_resize_readonly_option_view_past_the_end_is_erange) {
  const char *path = test_path("ro.bin");
  test_make_pattern_file(path, (size_t)test_page);
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, 0, 0, &f));
  ASSERT_OK(mmk_map(f, 0, 0, MMK_MAP_READONLY, &v));
  ASSERT_STATUS(mmk_view_resize(v, 2 * test_page), MMK_ERANGE);
  ASSERT_EQ(test_file_size(path), test_page);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_resize_bad_lengths_are_einval) {
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_anon_create(4096, &f));
  ASSERT_OK(mmk_map_reserve(f, 0, 100, 8192, 0, &v));
  ASSERT_STATUS(mmk_view_resize(v, 0), MMK_EINVAL);
  ASSERT_STATUS(mmk_view_resize(v, -1), MMK_EINVAL);
  ASSERT_STATUS(mmk_view_resize(v, INT64_MIN), MMK_EINVAL);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_resize_anonymous_memory_view_within_reservation) {
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_anon_create(test_page, &f));
  ASSERT_OK(mmk_map_reserve(f, 0, 0, 32 * test_page, 0, &v));
  void *p = mmk_view_data(v);
  ASSERT_OK(mmk_view_resize(v, 32 * test_page));
  ASSERT_PTR_EQ(mmk_view_data(v), p);
  int64_t size = 0;
  ASSERT_OK(mmk_file_size(f, &size));
  ASSERT_EQ(size, 32 * test_page);
  memset(p, 3, (size_t)(32 * test_page));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

static const test_case tests[] = {
    TEST_ENTRY(test_resize_within_reservation_keeps_the_address),
    TEST_ENTRY(test_resize_reserved_view_at_unaligned_offset),
    TEST_ENTRY(test_resize_without_reservation_grows_and_keeps_content),
    TEST_ENTRY(test_resize_beyond_reservation_without_leases_moves_the_view),
    TEST_ENTRY(test_resize_with_lease_within_reservation_is_allowed),
    TEST_ENTRY(test_resize_with_lease_shrinking_is_ebusy),
    TEST_ENTRY(test_resize_with_lease_beyond_reservation_never_moves_the_view),
    TEST_ENTRY(test_resize_read_and_copy_views_past_the_end_is_erange),
    TEST_ENTRY(test_resize_readonly_option_view_past_the_end_is_erange),
    TEST_ENTRY(test_resize_bad_lengths_are_einval),
    TEST_ENTRY(test_resize_anonymous_memory_view_within_reservation),
    TEST_END};

int main(int argc, char **argv) { return test_main(argc, argv, tests); }
