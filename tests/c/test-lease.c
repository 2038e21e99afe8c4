/* tests/c/test-lease.c: zero-copy exports, refused close, inert close. */
#include "test.h"

#include <stdatomic.h>

static void make_view(const char *path, mmk_file **f, mmk_view **v) {
  test_make_pattern_file(path, (size_t)(3 * test_page));
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, 0, 0, f));
  ASSERT_OK(mmk_map(*f, 5, 2 * test_page, 0, v));
}

TEST(test_lease_close_is_refused_with_ebusy_while_leased) {
  const char *path = test_path("l.bin");
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  make_view(path, &f, &v);
  ASSERT_OK(mmk_view_lease(v));
  ASSERT_EQ(mmk_view_leases(v), 1);
  ASSERT_STATUS(mmk_view_close(v), MMK_EBUSY);
  ASSERT_EQ(mmk_last_error_code(), MMK_EBUSY);
  /* refused means untouched: still open, mapped and usable */
  ASSERT_EQ(mmk_view_closed(v), 0);
  ASSERT_EQ(mmk_view_size(v), 2 * test_page);
  ASSERT_OK(mmk_view_write(v, 0, "still", 5));
  char buf[5];
  ASSERT_OK(mmk_view_read(v, 0, buf, 5));
  ASSERT_MEM_EQ(buf, "still", 5);
  test_pread(path, 5, buf, 5);
  ASSERT_MEM_EQ(buf, "still", 5);
  ASSERT_OK(mmk_view_release(v));
  ASSERT_EQ(mmk_view_leases(v), 0);
  void *p = mmk_view_data(v);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_FALSE(test_is_mapped(p, 1));
  ASSERT_EQ(test_maps_lines_containing(path), 0);
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_lease_count_tracks_leases_and_releases) {
  const char *path = test_path("l.bin");
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  make_view(path, &f, &v);
  for (int i = 1; i <= 3; i++) {
    ASSERT_OK(mmk_view_lease(v));
    ASSERT_EQ(mmk_view_leases(v), i);
  }
  for (int i = 2; i >= 0; i--) {
    ASSERT_STATUS(mmk_view_close(v), MMK_EBUSY);
    ASSERT_OK(mmk_view_release(v));
    ASSERT_EQ(mmk_view_leases(v), i);
  }
  ASSERT_STATUS(mmk_view_release(v), MMK_EINVAL); /* none left */
  ASSERT_EQ(mmk_view_leases(v), 0);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

/* The inert close: the old pointer stays readable and writable, the file
 * is no longer touched, and the last release frees the range. */
TEST(test_lease_close_inert_keeps_pointer_usable_without_touching_the_file) {
  const char *path = test_path("inert.bin");
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  make_view(path, &f, &v);
  unsigned char *expect = malloc((size_t)(3 * test_page));
  test_fill_pattern(expect, 0, (size_t)(3 * test_page));
  ASSERT_OK(mmk_view_lease(v));
  unsigned char *p = mmk_view_data(v);
  ASSERT_GE(test_maps_lines_containing(path), 1);
  ASSERT_OK(mmk_view_close_inert(v));
  ASSERT_EQ(mmk_view_closed(v), 1);
  /* the file is no longer mapped */
  ASSERT_EQ(test_maps_lines_containing(path), 0);
  /* the exported pointer stays readable and writable over the whole range */
  volatile unsigned char *vp = p;
  for (int64_t i = 0; i < 2 * test_page; i += 512) (void)vp[i];
  memset(p, 0xCD, (size_t)(2 * test_page));
  ASSERT_EQ(vp[2 * test_page - 1], 0xCD);
  /* and none of that reached the file */
  unsigned char *got = malloc((size_t)(3 * test_page));
  test_pread(path, 0, got, (size_t)(3 * test_page));
  ASSERT_MEM_EQ(got, expect, 3 * test_page);
  /* even a truncated file cannot make the old pointer fault now */
  test_truncate(path, 0);
  memset(p, 0x11, (size_t)(2 * test_page));
  (void)vp[test_page + 3];
  ASSERT_EQ(test_file_size(path), 0);
  /* every other call says closed */
  char buf[4];
  ASSERT_NULL(mmk_view_data(v));
  ASSERT_EQ(mmk_view_size(v), 0);
  ASSERT_EQ(mmk_view_writable(v), 0);
  ASSERT_STATUS(mmk_view_read(v, 0, buf, 4), MMK_ECLOSED);
  ASSERT_STATUS(mmk_view_write(v, 0, "x", 1), MMK_ECLOSED);
  ASSERT_STATUS(mmk_view_flush(v, 0, 0, MMK_FLUSH_SYNC), MMK_ECLOSED);
  ASSERT_STATUS(mmk_view_advise(v, 0, 0, MMK_ADVICE_NORMAL), MMK_ECLOSED);
  int64_t res;
  ASSERT_STATUS(mmk_view_resident(v, 0, 0, &res), MMK_ECLOSED);
  ASSERT_STATUS(mmk_view_resize(v, 10), MMK_ECLOSED);
  ASSERT_STATUS(mmk_view_lock_memory(v), MMK_ECLOSED);
  ASSERT_STATUS(mmk_view_lease(v), MMK_ECLOSED);
  uint64_t u64;
  ASSERT_STATUS(mmk_atomic_load_u64(v, 3, &u64), MMK_ECLOSED);
  ASSERT_STATUS(mmk_wake(v, 3, 1), MMK_ECLOSED);
  ASSERT_STATUS(mmk_view_close(v), MMK_ECLOSED);
  ASSERT_OK(mmk_view_close_inert(v)); /* idempotent */
  /* the last release frees it: the leak check at the end of the case
   * verifies that the inert range is unmapped */
  ASSERT_OK(mmk_view_release(v));
  ASSERT_FALSE(test_is_mapped(p, 1));
  ASSERT_OK(mmk_file_close(f));
  free(expect);
  free(got);
}

TEST(test_lease_close_inert_without_leases_is_a_plain_close) {
  const char *path = test_path("plain.bin");
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  make_view(path, &f, &v);
  void *p = mmk_view_data(v);
  ASSERT_OK(mmk_view_close_inert(v));
  ASSERT_FALSE(test_is_mapped(p, 1));
  ASSERT_EQ(test_maps_lines_containing(path), 0);
  ASSERT_OK(mmk_view_close_inert(NULL));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_lease_inert_range_freed_only_by_the_last_of_several_releases) {
  const char *path = test_path("multi.bin");
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  make_view(path, &f, &v);
  ASSERT_OK(mmk_view_lease(v));
  ASSERT_OK(mmk_view_lease(v));
  unsigned char *p = mmk_view_data(v);
  ASSERT_OK(mmk_view_close_inert(v));
  ASSERT_OK(mmk_view_release(v));
  /* one lease left: the pointer must still be valid */
  memset(p, 0x5A, (size_t)(2 * test_page));
  ASSERT_EQ(((volatile unsigned char *)p)[7], 0x5A);
  ASSERT_TRUE(test_is_mapped(p, (size_t)(2 * test_page)));
  ASSERT_OK(mmk_view_release(v)); /* freed here */
  ASSERT_FALSE(test_is_mapped(p, 1));
  ASSERT_EQ(test_maps_lines_containing(path), 0);
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_lease_close_inert_of_copy_and_shared_memory_views) {
  const char *name = test_shm_name("inert");
  mmk_file *f = NULL;
  mmk_view *v = NULL, *other = NULL;
  ASSERT_OK(mmk_shm_open(name, MMK_WRITE, MMK_CREATE, 2 * 4096, &f));
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  ASSERT_OK(mmk_map(f, 0, 0, 0, &other));
  ASSERT_OK(mmk_view_write(other, 0, "shared", 6));
  ASSERT_OK(mmk_view_lease(v));
  unsigned char *p = mmk_view_data(v);
  ASSERT_OK(mmk_view_close_inert(v));
  memcpy(p, "inert!", 6); /* must not reach the shared memory */
  char buf[6];
  ASSERT_OK(mmk_view_read(other, 0, buf, 6));
  ASSERT_MEM_EQ(buf, "shared", 6);
  ASSERT_OK(mmk_view_release(v));
  ASSERT_FALSE(test_is_mapped(p, 1));
  ASSERT_OK(mmk_view_close(other));
  ASSERT_OK(mmk_file_close(f));
  ASSERT_OK(mmk_shm_unlink(name));
}

struct lease_race {
  mmk_view *view;
  _Atomic int errors;
};

static void *lease_loop(void *arg) {
  struct lease_race *r = arg;
  for (int i = 0; i < 20000; i++) {
    if (mmk_view_lease(r->view) != 0) atomic_fetch_add(&r->errors, 1);
    if (mmk_view_release(r->view) != 0) atomic_fetch_add(&r->errors, 1);
  }
  return NULL;
}

/* Leases from several threads are counted exactly; a close attempted
 * meanwhile is either refused (EBUSY) or, once they are done, succeeds. */
TEST(test_lease_counting_is_exact_across_threads) {
  const char *path = test_path("race.bin");
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  make_view(path, &f, &v);
  ASSERT_OK(mmk_view_lease(v)); /* hold one so close must stay refused */
  struct lease_race r = {v, 0};
  test_thread t[2];
  for (int i = 0; i < 2; i++) test_thread_start(&t[i], lease_loop, &r);
  for (int i = 0; i < 200; i++) ASSERT_STATUS(mmk_view_close(v), MMK_EBUSY);
  for (int i = 0; i < 2; i++) test_thread_join(&t[i]);
  ASSERT_EQ(r.errors, 0);
  ASSERT_EQ(mmk_view_leases(v), 1);
  ASSERT_OK(mmk_view_release(v));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

static const test_case tests[] = {
    TEST_ENTRY(test_lease_close_is_refused_with_ebusy_while_leased),
    TEST_ENTRY(test_lease_count_tracks_leases_and_releases),
    TEST_ENTRY(test_lease_close_inert_keeps_pointer_usable_without_touching_the_file),
    TEST_ENTRY(test_lease_close_inert_without_leases_is_a_plain_close),
    TEST_ENTRY(test_lease_inert_range_freed_only_by_the_last_of_several_releases),
    TEST_ENTRY(test_lease_close_inert_of_copy_and_shared_memory_views),
    TEST_ENTRY(test_lease_counting_is_exact_across_threads),
    TEST_END};

int main(int argc, char **argv) { return test_main(argc, argv, tests); }
