/*
 * tests/c/test-proc.c: what two processes see of each other's mmapkit
 * objects, on every platform: named shared memory, byte-range locks,
 * atomics and wait/wake on a shared word. The second process is a child
 * entry of this binary (test_run_child: forked on POSIX, the test binary
 * re-executed on Windows), so it shares no memory with the parent but
 * what mmapkit maps.
 */
#include "test.h"

#define PROC_ADDS 20000

/* The parent's name for the child to open; the harness's pid makes it
 * the same in both processes. */
static const char *proc_shm(void) { return test_shm_name("proc"); }
static const char *proc_file(void) { return test_path("proc.bin"); }

/* ---- named shared memory ---------------------------------------------- */

TEST(child_reads_and_answers_by_name) {
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  char buf[6];
  ASSERT_OK(mmk_shm_open(proc_shm(), MMK_WRITE, 0, 0, &f));
  ASSERT_EQ(mmk_file_created(f), 0);
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  ASSERT_EQ(mmk_view_size(v), 3 * 4096);
  ASSERT_OK(mmk_view_read(v, 4096, buf, 6));
  ASSERT_MEM_EQ(buf, "parent", 6);
  ASSERT_OK(mmk_view_write(v, 2 * 4096 + 1, "child", 5));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_proc_shm_is_shared_by_name_with_another_process) {
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  char buf[5];
  ASSERT_OK(mmk_shm_open(proc_shm(), MMK_WRITE, MMK_CREATE | MMK_EXCLUSIVE,
                         3 * 4096, &f));
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  ASSERT_OK(mmk_view_write(v, 4096, "parent", 6));
  ASSERT_EQ(test_run_child("child_reads_and_answers_by_name"), 0);
  ASSERT_OK(mmk_view_read(v, 2 * 4096 + 1, buf, 5));
  ASSERT_MEM_EQ(buf, "child", 5);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
  mmk_shm_unlink(proc_shm());
}

/* ---- byte-range locks ------------------------------------------------- */

TEST(child_finds_range_locked) {
  mmk_file *f = NULL;
  ASSERT_OK(mmk_file_open(proc_file(), MMK_WRITE, 0, 0, &f));
  ASSERT_STATUS(mmk_file_lock(f, 100, 50, MMK_LOCK_EXCLUSIVE, MMK_LOCK_TRY),
                MMK_EAGAIN);
  ASSERT_STATUS(mmk_file_lock(f, 100, 50, MMK_LOCK_SHARED, MMK_LOCK_TRY),
                MMK_EAGAIN);
  /* a range that does not overlap is free */
  ASSERT_OK(mmk_file_lock(f, 150, 50, MMK_LOCK_EXCLUSIVE, MMK_LOCK_TRY));
  ASSERT_OK(mmk_file_unlock(f, 150, 50));
  ASSERT_OK(mmk_file_close(f));
}

TEST(child_takes_range) {
  mmk_file *f = NULL;
  ASSERT_OK(mmk_file_open(proc_file(), MMK_WRITE, 0, 0, &f));
  ASSERT_OK(mmk_file_lock(f, 100, 50, MMK_LOCK_EXCLUSIVE, MMK_LOCK_TRY));
  ASSERT_OK(mmk_file_unlock(f, 100, 50));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_proc_lock_conflicts_with_another_process_until_unlocked) {
  mmk_file *f = NULL;
  test_make_pattern_file(proc_file(), 4096);
  ASSERT_OK(mmk_file_open(proc_file(), MMK_WRITE, 0, 0, &f));
  ASSERT_OK(mmk_file_lock(f, 100, 50, MMK_LOCK_EXCLUSIVE, MMK_LOCK_TRY));
  ASSERT_EQ(test_run_child("child_finds_range_locked"), 0);
  ASSERT_OK(mmk_file_unlock(f, 100, 50));
  ASSERT_EQ(test_run_child("child_takes_range"), 0);
  ASSERT_OK(mmk_file_close(f));
}

/* ---- atomics and wait/wake -------------------------------------------- */

/* Word 0: the counter both add to; word 8: "go" for the child. */
TEST(child_adds) {
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  uint64_t old;
  ASSERT_OK(mmk_shm_open(proc_shm(), MMK_WRITE, 0, 0, &f));
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  for (int i = 0; i < PROC_ADDS; i++)
    ASSERT_OK(mmk_atomic_fetch_add_u64(v, 0, 1, &old));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

typedef struct {
  const char *child;
  int rc;
} proc_run;

static void *proc_run_child(void *arg) {
  proc_run *r = arg;
  r->rc = test_run_child(r->child);
  return NULL;
}

TEST(test_proc_atomic_adds_of_two_processes_are_all_counted) {
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  uint64_t old, total;
  ASSERT_OK(mmk_shm_open(proc_shm(), MMK_WRITE, MMK_CREATE | MMK_EXCLUSIVE,
                         4096, &f));
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  proc_run r = {"child_adds", -1};
  test_thread t;
  test_thread_start(&t, proc_run_child, &r);
  for (int i = 0; i < PROC_ADDS; i++)
    ASSERT_OK(mmk_atomic_fetch_add_u64(v, 0, 1, &old));
  test_thread_join(&t);
  ASSERT_EQ(r.rc, 0);
  ASSERT_OK(mmk_atomic_load_u64(v, 0, &total));
  ASSERT_UEQ(total, 2 * PROC_ADDS);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
  mmk_shm_unlink(proc_shm());
}

/* Waits for word 8 to leave 0, then answers on word 12. */
TEST(child_waits_then_answers) {
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  uint32_t go = 0;
  ASSERT_OK(mmk_shm_open(proc_shm(), MMK_WRITE, 0, 0, &f));
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  ASSERT_OK(mmk_atomic_store_u32(v, 4, 1)); /* ready */
  mmk_wake(v, 4, 1);
  for (;;) {
    ASSERT_OK(mmk_atomic_load_u32(v, 8, &go));
    if (go) break;
    int r = mmk_wait_u32(v, 8, 0, 10 * 1000000000LL);
    if (r != MMK_OK && r != MMK_EAGAIN) ASSERT_OK(r);
  }
  ASSERT_EQ(go, 7);
  ASSERT_OK(mmk_atomic_store_u32(v, 12, go + 1));
  ASSERT_TRUE(mmk_wake(v, 12, 1) >= 0); /* the number woken */
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

/* Blocks until the word at off is not 0 (10 s at most); its value. */
static uint32_t proc_await(mmk_view *v, int64_t off) {
  uint32_t x = 0;
  uint64_t t0 = test_now_ns();
  for (;;) {
    ASSERT_OK(mmk_atomic_load_u32(v, off, &x));
    if (x) return x;
    if (test_now_ns() - t0 > 10000000000ull) TEST_FAIL("no answer at %d", (int)off);
    int r = mmk_wait_u32(v, off, 0, 1000000000LL);
    if (r != MMK_OK && r != MMK_EAGAIN && r != MMK_ETIMEDOUT) ASSERT_OK(r);
  }
}

TEST(test_proc_wait_is_woken_by_another_process) {
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_OK(mmk_shm_open(proc_shm(), MMK_WRITE, MMK_CREATE | MMK_EXCLUSIVE,
                         4096, &f));
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  proc_run r = {"child_waits_then_answers", -1};
  test_thread t;
  test_thread_start(&t, proc_run_child, &r);
  ASSERT_EQ(proc_await(v, 4), 1); /* the child is there */
  ASSERT_OK(mmk_atomic_store_u32(v, 8, 7));
  ASSERT_TRUE(mmk_wake(v, 8, 1) >= 0); /* the number woken */
  ASSERT_EQ(proc_await(v, 12), 8);
  test_thread_join(&t);
  ASSERT_EQ(r.rc, 0);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
  mmk_shm_unlink(proc_shm());
}

/* ---- a failing child fails the case ----------------------------------- */

/* Its FAIL line in the log is expected, and says so: the parent case checks
 * that a child's failure reaches it. */
TEST(child_fails_on_purpose) {
  int expected_failure = 0;
  ASSERT_TRUE(expected_failure);
}

TEST(test_proc_a_failing_child_is_seen_by_the_parent) {
  ASSERT_EQ(test_run_child("child_fails_on_purpose"), 1);
}

static const test_case cases[] = {
    TEST_ENTRY(test_proc_shm_is_shared_by_name_with_another_process),
    TEST_ENTRY(test_proc_lock_conflicts_with_another_process_until_unlocked),
    TEST_ENTRY(test_proc_atomic_adds_of_two_processes_are_all_counted),
    TEST_ENTRY(test_proc_wait_is_woken_by_another_process),
    TEST_ENTRY(test_proc_a_failing_child_is_seen_by_the_parent),
    TEST_ENTRY_FLAGS(child_reads_and_answers_by_name, TEST_CHILD_ONLY),
    TEST_ENTRY_FLAGS(child_finds_range_locked, TEST_CHILD_ONLY),
    TEST_ENTRY_FLAGS(child_takes_range, TEST_CHILD_ONLY),
    TEST_ENTRY_FLAGS(child_adds, TEST_CHILD_ONLY),
    TEST_ENTRY_FLAGS(child_waits_then_answers, TEST_CHILD_ONLY),
    TEST_ENTRY_FLAGS(child_fails_on_purpose, TEST_CHILD_ONLY),
    TEST_END};

int main(int argc, char **argv) { return test_main(argc, argv, cases); }
