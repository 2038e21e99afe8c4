/* tests/c/test-resize.c: resizing views, in place within a reservation. */
#include "test.h"

#include <stdatomic.h>

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

/* A lease holder keeps reading (size, bytes, atomics) while another thread
 * grows the view in place: every length it sees is one the view had, every
 * read within it succeeds with the right bytes. Under ThreadSanitizer this
 * is also the check that the length is shared without a data race. */
struct grow_reader {
  mmk_view *view;
  _Atomic int stop;
  _Atomic int passes; /* the growth starts after the first (busy machine) */
  int64_t min_seen, max_seen;
  int bad;
};

static void *read_while_growing(void *arg) {
  struct grow_reader *g = arg;
  if (mmk_view_lease(g->view) != 0) return (void *)1;
  g->min_seen = INT64_MAX;
  while (!atomic_load(&g->stop)) {
    int64_t n = mmk_view_size(g->view);
    unsigned char last;
    uint32_t word;
    if (n < g->min_seen) g->min_seen = n;
    if (n > g->max_seen) g->max_seen = n;
    if (n % test_page != 0 || mmk_view_read(g->view, n - 1, &last, 1) != 0 ||
        last != (unsigned char)(n / test_page) ||
        mmk_atomic_load_u32(g->view, n - 4, &word) != 0)
      g->bad++;
    atomic_fetch_add(&g->passes, 1);
  }
  return (void *)(intptr_t)mmk_view_release(g->view);
}

TEST(test_resize_growing_in_place_while_a_lease_holder_reads) {
  mmk_file *f = NULL;
  struct grow_reader g = {0};
  ASSERT_OK(mmk_anon_create(64 * test_page, &f));
  ASSERT_OK(mmk_map_reserve(f, 0, 2 * test_page, 64 * test_page, 0, &g.view));
  /* the last byte of page k-1 holds k: a length of k pages ends in k */
  for (int64_t k = 1; k <= 64; k++) {
    unsigned char b = (unsigned char)k;
    if (k > 2) ASSERT_OK(mmk_view_resize(g.view, k * test_page));
    ASSERT_OK(mmk_view_write(g.view, k * test_page - 1, &b, 1));
  }
  ASSERT_OK(mmk_view_resize(g.view, 2 * test_page));
  test_thread t;
  test_thread_start(&t, read_while_growing, &g);
  while (atomic_load(&g.passes) == 0) test_sleep_ms(1);
  for (int64_t k = 3; k <= 64; k++) ASSERT_OK(mmk_view_resize(g.view, k * test_page));
  int passes = atomic_load(&g.passes);
  while (atomic_load(&g.passes) < passes + 2) test_sleep_ms(1);
  atomic_store(&g.stop, 1);
  ASSERT_TRUE(test_thread_join(&t) == NULL);
  ASSERT_EQ(g.bad, 0);
  ASSERT_EQ(g.min_seen, 2 * test_page);
  ASSERT_EQ(g.max_seen, 64 * test_page);
  ASSERT_OK(mmk_view_close(g.view));
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
  /* occupy the page right after the view so it cannot grow in place
   * (Windows: the next 64 KiB granule) */
#if defined(_WIN32)
  void *next = VirtualAlloc(p + 65536, 65536, MEM_RESERVE, PAGE_NOACCESS);
  int blocked = next == p + 65536;
#else
  void *next = mmap(p + test_page, (size_t)test_page, PROT_READ,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  int blocked = next == p + test_page;
#endif
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
#if defined(_WIN32)
  if (next) VirtualFree(next, 0, MEM_RELEASE);
#else
  if (next != MAP_FAILED) munmap(next, (size_t)test_page);
#endif
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
#if defined(_WIN32)
  /* anonymous memory keeps its creation size there: made full size */
  ASSERT_OK(mmk_anon_create(32 * test_page, &f));
#else
  ASSERT_OK(mmk_anon_create(test_page, &f));
#endif
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

/* Advice on part of a view splits its kernel mapping in two; mremap cannot
 * move a range made of several mappings (EFAULT), so the view must move by
 * a fresh mapping: its pages are the object's, nothing is lost. */
TEST(test_resize_shared_memory_view_split_by_advice_moves_and_keeps_content) {
  mmk_file *f = NULL;
  mmk_view *v = NULL;
#if defined(_WIN32)
  /* anonymous memory keeps its creation size there: made full size */
  ASSERT_OK(mmk_anon_create(1 << 20, &f));
  ASSERT_OK(mmk_map(f, 0, 2 * test_page, 0, &v));
#else
  ASSERT_OK(mmk_anon_create(2 * test_page, &f));
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
#endif
  ASSERT_OK(mmk_view_write(v, 0, "head", 4));
  ASSERT_OK(mmk_view_write(v, 2 * test_page - 4, "tail", 4));
  ASSERT_OK(mmk_view_advise(v, 0, test_page, MMK_ADVICE_RANDOM));
  ASSERT_OK(mmk_view_resize(v, 1 << 20));
  ASSERT_EQ(mmk_view_size(v), 1 << 20);
  unsigned char *p = mmk_view_data(v);
  ASSERT_MEM_EQ(p, "head", 4);
  ASSERT_MEM_EQ(p + 2 * test_page - 4, "tail", 4);
  p[(1 << 20) - 1] = 7; /* the new part is mapped and writable */
  int64_t size = 0;
  ASSERT_OK(mmk_file_size(f, &size));
  ASSERT_EQ(size, 1 << 20);
  /* a second view of the object sees the same pages */
  mmk_view *w = NULL;
  ASSERT_OK(mmk_map(f, 0, 0, 0, &w));
  ASSERT_EQ(((unsigned char *)mmk_view_data(w))[(1 << 20) - 1], 7);
  ASSERT_MEM_EQ(mmk_view_data(w), "head", 4);
  ASSERT_OK(mmk_view_close(w));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_resize_reserved_file_view_split_by_advice_moves_past_the_reservation) {
  const char *path = test_path("split.bin");
  test_make_pattern_file(path, (size_t)(2 * test_page));
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, 0, 0, &f));
  ASSERT_OK(mmk_map_reserve(f, 5, 2 * test_page - 5, 4 * test_page, 0, &v));
  ASSERT_OK(mmk_view_advise(v, 0, 10, MMK_ADVICE_SEQUENTIAL));
  ASSERT_OK(mmk_view_resize(v, 16 * test_page));
  ASSERT_EQ(mmk_view_size(v), 16 * test_page);
  ASSERT_EQ(mmk_view_reserved(v), 0); /* documented: the reservation is gone */
  ASSERT_EQ(mmk_view_offset(v), 5);
  ASSERT_EQ(test_file_size(path), 16 * test_page + 5);
  unsigned char *p = mmk_view_data(v);
  ASSERT_EQ(p[0], test_pattern_byte(5));
  ASSERT_EQ(p[2 * test_page - 6], test_pattern_byte((uint64_t)(2 * test_page - 1)));
  ASSERT_OK(mmk_view_write(v, 16 * test_page - 3, "end", 3));
  char buf[3];
  test_pread(path, 16 * test_page + 2, buf, 3);
  ASSERT_MEM_EQ(buf, "end", 3);
  ASSERT_OK(mmk_view_close(v)); /* the leak check: old mapping and
                                   reservation are both gone */
  ASSERT_OK(mmk_file_close(f));
}

/* A copy-on-write view's private pages can only move with mremap: when it
 * cannot, the resize is refused (MMK_EBUSY) and the view, its private
 * changes and its reservation stay exactly as they were. */
TEST(test_resize_copy_view_split_by_advice_is_ebusy_and_keeps_the_view) {
  TEST_SKIP_EMULATED("qemu-user does not pass madvise to the kernel, so the "
                     "advice does not split the mapping");
  const char *path = test_path("cow.bin");
  test_make_pattern_file(path, (size_t)(32 * test_page));
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_file_open(path, MMK_COPY, 0, 0, &f));
  ASSERT_OK(mmk_map_reserve(f, 0, 2 * test_page, 4 * test_page, 0, &v));
  unsigned char *p = mmk_view_data(v);
  ASSERT_OK(mmk_view_write(v, 0, "mine", 4));
  ASSERT_OK(mmk_view_write(v, 2 * test_page - 4, "also", 4));
  ASSERT_OK(mmk_view_advise(v, 0, test_page, MMK_ADVICE_RANDOM));
  ASSERT_STATUS(mmk_view_resize(v, 16 * test_page), MMK_EBUSY);
  ASSERT_STR_EQ(mmk_last_error_op(), "resize");
  ASSERT_STR_EQ(mmk_last_error_path(), path);
  ASSERT_STR_CONTAINS(mmk_last_error_message(), "copy-on-write");
  ASSERT_PTR_EQ(mmk_view_data(v), p);
  ASSERT_EQ(mmk_view_size(v), 2 * test_page);
  ASSERT_EQ(mmk_view_reserved(v), 4 * test_page);
  ASSERT_MEM_EQ(p, "mine", 4);
  ASSERT_MEM_EQ(p + 2 * test_page - 4, "also", 4);
  ASSERT_EQ(p[test_page], test_pattern_byte((uint64_t)test_page));
  /* the reservation is still there: growth within it stays in place */
  ASSERT_OK(mmk_view_resize(v, 4 * test_page));
  ASSERT_PTR_EQ(mmk_view_data(v), p);
  ASSERT_EQ(p[3 * test_page], test_pattern_byte((uint64_t)(3 * test_page)));
  /* the way out the message names: normal advice over the whole view */
  ASSERT_OK(mmk_view_advise(v, 0, 0, MMK_ADVICE_NORMAL));
  ASSERT_OK(mmk_view_resize(v, 16 * test_page));
  p = mmk_view_data(v);
  ASSERT_MEM_EQ(p, "mine", 4);
  ASSERT_MEM_EQ(p + 2 * test_page - 4, "also", 4);
  ASSERT_EQ(p[15 * test_page], test_pattern_byte((uint64_t)(15 * test_page)));
  char buf[4];
  test_pread(path, 0, buf, 4); /* private changes never reach the file */
  ASSERT_EQ((unsigned char)buf[0], test_pattern_byte(0));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

static TEST_UNUSED int64_t vm_size_bytes(void) {
  FILE *fp = fopen("/proc/self/statm", "r");
  long long pages = -1;
  if (!fp) return -1;
  if (fscanf(fp, "%lld", &pages) != 1) pages = -1;
  fclose(fp);
  return pages < 0 ? -1 : pages * test_page;
}

/* A resize past the reservation that fails (no address space) gives
 * nothing back: the reservation, the address and the content stay. */
TEST(test_resize_failing_past_the_reservation_keeps_the_reservation) {
#if defined(_WIN32)
  TEST_SKIP("RLIMIT_AS and fork are POSIX (Windows has no per-process "
            "address-space limit to lower)");
#else
  if (TEST_ASAN) TEST_SKIP("RLIMIT_AS cannot be lowered under AddressSanitizer");
  TEST_SKIP_EMULATED("qemu-user does not enforce RLIMIT_AS");
  pid_t pid = test_fork();
  if (pid == 0) {
    mmk_file *f = NULL;
    mmk_view *v = NULL;
    ASSERT_OK(mmk_anon_create(2 * test_page, &f));
    ASSERT_OK(mmk_map_reserve(f, 0, 2 * test_page, 8 * test_page, 0, &v));
    unsigned char *p = mmk_view_data(v);
    ASSERT_OK(mmk_view_write(v, 0, "keep", 4));
    int64_t vm = vm_size_bytes();
    ASSERT_GT(vm, 0);
    struct rlimit rl = {(rlim_t)vm + (1u << 20), (rlim_t)vm + (1u << 20)};
    CHECK_SYS(setrlimit(RLIMIT_AS, &rl));
    ASSERT_STATUS(mmk_view_resize(v, 256ll << 20), MMK_ENOMEM);
    ASSERT_PTR_EQ(mmk_view_data(v), p);
    ASSERT_EQ(mmk_view_size(v), 2 * test_page);
    ASSERT_EQ(mmk_view_reserved(v), 8 * test_page);
    ASSERT_MEM_EQ(p, "keep", 4);
    ASSERT_TRUE(test_is_mapped(p, (size_t)(8 * test_page)));
    /* growth within the reservation still works, in place */
    ASSERT_OK(mmk_view_resize(v, 8 * test_page));
    ASSERT_PTR_EQ(mmk_view_data(v), p);
    p[8 * test_page - 1] = 1;
    ASSERT_OK(mmk_view_close(v));
    ASSERT_OK(mmk_file_close(f));
    test_child_exit(0);
  }
  ASSERT_CHILD_OK(pid);
#endif
}

/* Issue 11, number 8: a refused call changes nothing. Each refusal below
 * would need the file grown first; it must still be 4096 bytes. */
TEST(test_refused_map_and_resize_leave_the_file_as_it_was) {
  const char *path = test_path("r.bin");
  mmk_file *f = NULL;
  mmk_view *v = NULL, *w = (mmk_view *)&w;
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, MMK_CREATE, 4096, &f));
  /* reserve smaller than the length */
  ASSERT_STATUS(mmk_map_reserve(f, 0, 1 << 20, 4096, 0, &w), MMK_EINVAL);
  ASSERT_NULL(w);
  ASSERT_EQ(test_file_size(path), 4096);
  /* unknown option */
  ASSERT_STATUS(mmk_map(f, 0, 1 << 20, 1u << 7, &w), MMK_EINVAL);
  ASSERT_EQ(test_file_size(path), 4096);
  ASSERT_OK(mmk_map(f, 1, 4095, 0, &v));
  ASSERT_OK(mmk_view_lease(v));
  /* growing without a reservation would move a leased view */
  ASSERT_STATUS(mmk_view_resize(v, 1 << 20), MMK_EBUSY);
  ASSERT_EQ(test_file_size(path), 4096);
  ASSERT_EQ(mmk_view_size(v), 4095);
  /* offset + length overflows */
  ASSERT_STATUS(mmk_view_resize(v, INT64_MAX), MMK_ERANGE);
  ASSERT_EQ(test_file_size(path), 4096);
  ASSERT_OK(mmk_view_release(v));
  ASSERT_OK(mmk_view_close(v));
  /* a read-only view of the writable file does not grow it either */
  ASSERT_OK(mmk_map(f, 0, 4096, MMK_MAP_READONLY, &v));
  ASSERT_STATUS(mmk_view_resize(v, 8192), MMK_ERANGE);
  ASSERT_EQ(test_file_size(path), 4096);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

static const test_case tests[] = {
    TEST_ENTRY(test_resize_within_reservation_keeps_the_address),
    TEST_ENTRY(test_resize_reserved_view_at_unaligned_offset),
    TEST_ENTRY(test_resize_without_reservation_grows_and_keeps_content),
    TEST_ENTRY(test_resize_beyond_reservation_without_leases_moves_the_view),
    TEST_ENTRY(test_resize_with_lease_within_reservation_is_allowed),
    TEST_ENTRY(test_resize_growing_in_place_while_a_lease_holder_reads),
    TEST_ENTRY(test_resize_with_lease_shrinking_is_ebusy),
    TEST_ENTRY(test_resize_with_lease_beyond_reservation_never_moves_the_view),
    TEST_ENTRY(test_resize_read_and_copy_views_past_the_end_is_erange),
    TEST_ENTRY(test_resize_readonly_option_view_past_the_end_is_erange),
    TEST_ENTRY(test_resize_bad_lengths_are_einval),
    TEST_ENTRY(test_resize_anonymous_memory_view_within_reservation),
    TEST_ENTRY(test_resize_shared_memory_view_split_by_advice_moves_and_keeps_content),
    TEST_ENTRY(test_resize_reserved_file_view_split_by_advice_moves_past_the_reservation),
    TEST_ENTRY(test_resize_copy_view_split_by_advice_is_ebusy_and_keeps_the_view),
    TEST_ENTRY(test_resize_failing_past_the_reservation_keeps_the_reservation),
    TEST_ENTRY(test_refused_map_and_resize_leave_the_file_as_it_was),
    TEST_END};

int main(int argc, char **argv) { return test_main(argc, argv, tests); }
