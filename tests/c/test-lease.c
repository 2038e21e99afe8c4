/* tests/c/test-lease.c: zero-copy exports, refused close, inert close. */
#include "test.h"

#include <sched.h>
#include <stdatomic.h>

#if defined(__x86_64__) || defined(__i386__)
#  define MMK_TEST_RELAX() __builtin_ia32_pause()
#else
#  define MMK_TEST_RELAX() atomic_signal_fence(memory_order_seq_cst)
#endif

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

TEST(test_lease_range_gives_the_address_and_holds_one_lease) {
  const char *path = test_path("lr.bin");
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  void *p = NULL;
  make_view(path, &f, &v);
  ASSERT_OK(mmk_view_lease_range(v, 100, 50, 1, &p));
  ASSERT_PTR_EQ(p, (unsigned char *)mmk_view_data(v) + 100);
  ASSERT_EQ(mmk_view_leases(v), 1);
  ASSERT_EQ(((unsigned char *)p)[0], test_pattern_byte(5 + 100));
  /* The whole view, and an empty range at its very end, are in range. */
  ASSERT_OK(mmk_view_lease_range(v, 0, mmk_view_size(v), 0, &p));
  ASSERT_OK(mmk_view_lease_range(v, mmk_view_size(v), 0, 0, &p));
  ASSERT_EQ(mmk_view_leases(v), 3);
  ASSERT_STATUS(mmk_view_close(v), MMK_EBUSY);
  for (int i = 0; i < 3; i++) ASSERT_OK(mmk_view_release(v));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

/* A refused lease holds nothing and says why, naming the file. */
TEST(test_lease_range_refusals_hold_no_lease) {
  const char *path = test_path("lr.bin");
  mmk_file *f = NULL;
  mmk_view *v = NULL, *ro = NULL;
  void *p = (void *)1;
  make_view(path, &f, &v);
  int64_t size = mmk_view_size(v);
  ASSERT_STATUS(mmk_view_lease_range(v, size - 10, 11, 0, &p), MMK_ERANGE);
  ASSERT_PTR_EQ(p, NULL);
  ASSERT_TRUE(strstr(mmk_last_error_message(), "lr.bin") != NULL);
  ASSERT_STATUS(mmk_view_lease_range(v, size + 1, 0, 0, &p), MMK_ERANGE);
  ASSERT_STATUS(mmk_view_lease_range(v, INT64_MAX, INT64_MAX, 0, &p),
                MMK_ERANGE);
  ASSERT_STATUS(mmk_view_lease_range(v, -1, 1, 0, &p), MMK_EINVAL);
  ASSERT_STATUS(mmk_view_lease_range(v, 0, -1, 0, &p), MMK_EINVAL);
  ASSERT_STATUS(mmk_view_lease_range(v, 0, 1, 0, NULL), MMK_EINVAL);
  ASSERT_STATUS(mmk_view_lease_range(NULL, 0, 1, 0, &p), MMK_EINVAL);
  ASSERT_OK(mmk_map(f, 0, 100, MMK_MAP_READONLY, &ro));
  ASSERT_STATUS(mmk_view_lease_range(ro, 0, 1, 1, &p), MMK_EACCES);
  ASSERT_TRUE(strstr(mmk_last_error_message(), "read-only") != NULL);
  ASSERT_OK(mmk_view_lease_range(ro, 0, 1, 0, &p)); /* reading is fine */
  ASSERT_OK(mmk_view_release(ro));
  ASSERT_EQ(mmk_view_leases(v), 0);
  ASSERT_EQ(mmk_view_leases(ro), 0);
  ASSERT_OK(mmk_view_close(ro));
  /* Inert but alive (a lease keeps it): no new lease. */
  ASSERT_OK(mmk_view_lease(v));
  ASSERT_OK(mmk_view_close_inert(v));
  ASSERT_STATUS(mmk_view_lease_range(v, 0, 1, 0, &p), MMK_ECLOSED);
  ASSERT_EQ(mmk_view_leases(v), 1);
  ASSERT_OK(mmk_view_release(v)); /* frees it */
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
  ASSERT_STATUS(mmk_shm_unlink(name), TEST_SHM_UNLINK_CLOSED);
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

/* ---- lock-free leases against close, close_inert and resize ---------- */

/* The harness's threads (default stacks under ThreadSanitizer, see
 * test_thread_start). */
typedef test_thread lt_thread;
#define lt_start test_thread_start
#define lt_join test_thread_join

struct lease_hammer {
  mmk_view *view;
  unsigned char *p;     /* the exported pointer (close_inert case) */
  int iterations;
  _Atomic int done;     /* workers past their loop */
  _Atomic int inert;    /* close_inert was called */
  _Atomic int errors;   /* unexpected statuses or contents */
  _Atomic int closed;   /* leases refused with ECLOSED */
  _Atomic int stop;
  _Atomic long leased;  /* leases granted */
};

/* Holds one lease taken for it by the main thread (its anchor) and gives it
 * back as its very last touch of the view. */
static void *hammer_close(void *arg) {
  struct lease_hammer *h = arg;
  for (int i = 0; i < h->iterations; i++) {
    if (mmk_view_lease(h->view) != 0) atomic_fetch_add(&h->errors, 1);
    if (mmk_view_release(h->view) != 0) atomic_fetch_add(&h->errors, 1);
  }
  atomic_fetch_add(&h->done, 1);
  if (mmk_view_release(h->view) != 0) atomic_fetch_add(&h->errors, 1);
  return NULL;
}

/* close is refused (EBUSY, with the count) exactly while leases are out,
 * and succeeds once the last worker has released its lease. */
TEST(test_lease_close_is_busy_until_hammering_threads_release_all) {
  const char *path = test_path("hc.bin");
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  long busy_total = 0;
  make_view(path, &f, &v);
  for (int round = 0; round < 20; round++) {
    if (!v) ASSERT_OK(mmk_map(f, 5, 2 * test_page, 0, &v));
    struct lease_hammer h = {.view = v, .iterations = 2000 + 500 * round};
    lt_thread t[2];
    for (int i = 0; i < 2; i++) {
      ASSERT_OK(mmk_view_lease(v)); /* the worker's anchor */
      lt_start(&t[i], hammer_close, &h);
    }
    int busy = 0;
    for (;;) {
      int r = mmk_view_close(v);
      if (r == 0) break;
      ASSERT_EQ(r, MMK_EBUSY);
      ASSERT_STR_CONTAINS(mmk_last_error_message(), "export(s) outstanding");
      busy++;
    }
    /* closed only after both anchors were released */
    ASSERT_EQ(atomic_load(&h.done), 2);
    busy_total += busy;
    v = NULL;
    for (int i = 0; i < 2; i++) lt_join(&t[i]);
    ASSERT_EQ(h.errors, 0);
  }
  ASSERT_GT(busy_total, 0); /* the closes did meet outstanding leases */
  ASSERT_EQ(test_maps_lines_containing(path), 0);
  ASSERT_OK(mmk_file_close(f));
}

/* A read through the exported pointer. It may run while close_inert puts
 * inert pages in place (mmap MAP_FIXED), which is the point of the inert
 * close; TSan models that mmap as a plain write of the range, so it is
 * kept out of TSan's view here. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline, no_sanitize("thread")))
#endif
static unsigned char stale_read(const unsigned char *p, size_t i) {
  return ((const volatile unsigned char *)p)[i];
}

static void *hammer_inert(void *arg) {
  struct lease_hammer *h = arg;
  const unsigned char *p = h->p;
  int refused = 0;
  for (int i = 0; i < h->iterations; i++) {
    int r = mmk_view_lease(h->view);
    if (r == 0) {
      /* a lease is granted only before the inert close */
      if (refused) atomic_fetch_add(&h->errors, 1);
      atomic_fetch_add(&h->leased, 1);
      (void)stale_read(p, (size_t)i % (size_t)(2 * test_page));
      if (mmk_view_release(h->view) != 0) atomic_fetch_add(&h->errors, 1);
    } else {
      if (r != MMK_ECLOSED || !atomic_load(&h->inert))
        atomic_fetch_add(&h->errors, 1);
      refused = 1;
      atomic_fetch_add(&h->closed, 1);
    }
    /* the stale pointer stays readable whatever the state */
    (void)stale_read(p, 2 * (size_t)test_page - 1 - (size_t)i % 4096);
  }
  atomic_fetch_add(&h->done, 1);
  if (mmk_view_release(h->view) != 0) atomic_fetch_add(&h->errors, 1);
  return NULL;
}

/* close_inert while threads lease, release and read the exported pointer:
 * the pointer stays readable, new leases are refused, and whichever
 * release is last (racing the remap of close_inert) frees everything. */
TEST(test_lease_close_inert_races_hammering_threads_and_last_release) {
  const char *path = test_path("hi.bin");
  mmk_file *f = NULL;
  test_make_pattern_file(path, (size_t)(3 * test_page));
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, 0, 0, &f));
  long refused = 0;
  for (int round = 0; round < 60; round++) {
    mmk_view *v = NULL;
    ASSERT_OK(mmk_map(f, 5, 2 * test_page, 0, &v));
    unsigned char *p = mmk_view_data(v);
    struct lease_hammer h = {.view = v, .p = p,
                             .iterations = 200 + 97 * (round % 20)};
    lt_thread t[2];
    for (int i = 0; i < 2; i++) {
      ASSERT_OK(mmk_view_lease(v));
      lt_start(&t[i], hammer_inert, &h);
    }
    /* vary the moment: from before the workers start to after they end */
    for (int spin = 0; spin < (round % 10) * 3000; spin++) MMK_TEST_RELAX();
    atomic_store(&h.inert, 1);
    ASSERT_OK(mmk_view_close_inert(v)); /* v may be freed from here on */
    for (int i = 0; i < 2; i++) lt_join(&t[i]);
    ASSERT_EQ(h.errors, 0);
    refused += h.closed;
    /* Under ThreadSanitizer the runtime maps memory of its own at any time
     * and may take the range just freed (seen: an anonymous 72 KiB mmap of
     * its own over it right after the view's munmap), so there only the
     * file's mapping is checked. */
    if (!TEST_TSAN) ASSERT_FALSE(test_is_mapped(p, 1));
    ASSERT_EQ(test_maps_lines_containing(path), 0);
  }
  ASSERT_GT(refused, 0); /* some leases did meet the inert close */
  ASSERT_OK(mmk_file_close(f));
}

static void *hammer_resize(void *arg) {
  struct lease_hammer *h = arg;
  unsigned char want[16];
  while (!atomic_load(&h->stop)) {
    if (mmk_view_lease(h->view) != 0) {
      atomic_fetch_add(&h->errors, 1);
      continue;
    }
    atomic_fetch_add(&h->leased, 1);
    /* With a lease held the view cannot move or shrink: its current
     * address and size stay valid to the last byte until the release. */
    volatile unsigned char *p = mmk_view_data(h->view);
    int64_t n = mmk_view_size(h->view);
    test_fill_pattern(want, 5, 1);
    test_fill_pattern(want + 1, 5 + (uint64_t)n - 1, 1);
    if (!p || n < 2 * test_page || p[0] != want[0] || p[n - 1] != want[1])
      atomic_fetch_add(&h->errors, 1);
    sched_yield();
    if (p[0] != want[0] || p[n - 1] != want[1])
      atomic_fetch_add(&h->errors, 1);
    if (mmk_view_release(h->view) != 0) atomic_fetch_add(&h->errors, 1);
    sched_yield();
  }
  return NULL;
}

/* Moving and shrinking resizes against leasing threads: each is refused
 * (EBUSY) or done while no lease exists; no lease ever sees an old
 * address or a dropped tail. */
TEST(test_lease_moving_resize_never_moves_a_leased_view) {
  const char *path = test_path("hr.bin");
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  test_make_pattern_file(path, (size_t)(64 * test_page));
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, 0, 0, &f));
  ASSERT_OK(mmk_map(f, 5, 2 * test_page, 0, &v)); /* no reservation */
  struct lease_hammer h = {.view = v};
  lt_thread t[2];
  for (int i = 0; i < 2; i++) lt_start(&t[i], hammer_resize, &h);
  int moved = 0, shrunk = 0, busy = 0;
  void *old = mmk_view_data(v);
  /* Until the hammers have leased too: under emulation the threads may
   * start only after 100 moves and shrinks (seen under qemu-aarch64). */
  for (int i = 0; i < 200000 && (moved < 100 || shrunk < 100 ||
                                 atomic_load(&h.leased) == 0);
       i++) {
    /* growing by many pages makes the kernel move the mapping often */
    int64_t to = (i & 1) ? 2 * test_page : (2 + i % 50) * test_page;
    int64_t from = mmk_view_size(v);
    int r = mmk_view_resize(v, to);
    if (r == MMK_EBUSY) {
      busy++;
      ASSERT_STR_CONTAINS(mmk_last_error_message(), "outstanding");
      ASSERT_EQ(mmk_view_size(v), from);
      continue;
    }
    ASSERT_OK(r);
    ASSERT_EQ(mmk_view_size(v), to);
    if (to < from) shrunk++;
    if (mmk_view_data(v) != old) moved++;
    old = mmk_view_data(v);
  }
  atomic_store(&h.stop, 1);
  for (int i = 0; i < 2; i++) lt_join(&t[i]);
  ASSERT_EQ(h.errors, 0);
  ASSERT_GT(h.leased, 0);
  ASSERT_GT(moved, 0);
  ASSERT_GT(shrunk, 0);
  /* a held lease refuses both, and leaves the view as it was */
  ASSERT_OK(mmk_view_lease(v));
  void *p = mmk_view_data(v);
  int64_t n = mmk_view_size(v);
  ASSERT_STATUS(mmk_view_resize(v, n + 60 * test_page), MMK_EBUSY);
  ASSERT_STATUS(mmk_view_resize(v, test_page), MMK_EBUSY);
  ASSERT_PTR_EQ(mmk_view_data(v), p);
  ASSERT_EQ(mmk_view_size(v), n);
  ASSERT_EQ(mmk_view_leases(v), 1);
  ASSERT_OK(mmk_view_release(v));
  ASSERT_OK(mmk_view_resize(v, n + 60 * test_page));
  ASSERT_OK(mmk_view_lease(v)); /* a lease works again after a move */
  ASSERT_OK(mmk_view_release(v));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

static const test_case tests[] = {
    TEST_ENTRY(test_lease_close_is_refused_with_ebusy_while_leased),
    TEST_ENTRY(test_lease_count_tracks_leases_and_releases),
    TEST_ENTRY(test_lease_range_gives_the_address_and_holds_one_lease),
    TEST_ENTRY(test_lease_range_refusals_hold_no_lease),
    TEST_ENTRY(test_lease_close_inert_keeps_pointer_usable_without_touching_the_file),
    TEST_ENTRY(test_lease_close_inert_without_leases_is_a_plain_close),
    TEST_ENTRY(test_lease_inert_range_freed_only_by_the_last_of_several_releases),
    TEST_ENTRY(test_lease_close_inert_of_copy_and_shared_memory_views),
    TEST_ENTRY(test_lease_counting_is_exact_across_threads),
    TEST_ENTRY(test_lease_close_is_busy_until_hammering_threads_release_all),
    TEST_ENTRY(test_lease_close_inert_races_hammering_threads_and_last_release),
    TEST_ENTRY(test_lease_moving_resize_never_moves_a_leased_view),
    TEST_END};

int main(int argc, char **argv) { return test_main(argc, argv, tests); }
