/* tests/c/test-lock.c: byte-range locks owned by the handle (OFD locks). */
#include "test.h"

#include <stdatomic.h>

static mmk_file *open_rw(const char *path) {
  mmk_file *f = NULL;
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, MMK_CREATE, 4096, &f));
  return f;
}

TEST(test_lock_exclusive_conflicts_between_two_handles_in_one_process) {
  const char *path = test_path("l.bin");
  mmk_file *a = open_rw(path), *b = open_rw(path);
  ASSERT_OK(mmk_file_lock(a, 0, 100, MMK_LOCK_EXCLUSIVE, 0));
  ASSERT_STATUS(mmk_file_lock(b, 50, 10, MMK_LOCK_EXCLUSIVE, 0), MMK_EAGAIN);
  ASSERT_STATUS(mmk_file_lock(b, 99, 1, MMK_LOCK_SHARED, 0), MMK_EAGAIN);
  ASSERT_STATUS(mmk_file_lock(b, 0, 0, MMK_LOCK_SHARED, 0), MMK_EAGAIN);
  /* next to it is free */
  ASSERT_OK(mmk_file_lock(b, 100, 10, MMK_LOCK_EXCLUSIVE, 0));
#if defined(_WIN32)
  /* Windows locks neither convert nor merge: the handle's own exclusive
   * range refuses a second lock through it too */
  ASSERT_STATUS(mmk_file_lock(a, 0, 100, MMK_LOCK_SHARED, 0), MMK_EAGAIN);
  ASSERT_OK(mmk_file_unlock(a, 0, 100));
  ASSERT_OK(mmk_file_lock(a, 0, 100, MMK_LOCK_SHARED, 0));
#else
  /* the same handle may re-lock and convert its own range */
  ASSERT_OK(mmk_file_lock(a, 0, 100, MMK_LOCK_SHARED, 0));
#endif
  ASSERT_OK(mmk_file_lock(b, 50, 10, MMK_LOCK_SHARED, 0));
  ASSERT_STATUS(mmk_file_lock(b, 50, 10, MMK_LOCK_EXCLUSIVE, 0), MMK_EAGAIN);
  ASSERT_OK(mmk_file_unlock(a, 0, 100));
#if defined(_WIN32) /* b's own shared range does not convert: unlocked first */
  ASSERT_STATUS(mmk_file_lock(b, 50, 10, MMK_LOCK_EXCLUSIVE, 0), MMK_EAGAIN);
  ASSERT_STATUS(mmk_file_lock(b, 50, 10, MMK_LOCK_EXCLUSIVE, MMK_LOCK_WAIT),
                MMK_EDEADLK);
  ASSERT_OK(mmk_file_unlock(b, 50, 10));
#endif
  ASSERT_OK(mmk_file_lock(b, 50, 10, MMK_LOCK_EXCLUSIVE, 0));
  ASSERT_OK(mmk_file_close(a));
  ASSERT_OK(mmk_file_close(b));
}

TEST(test_lock_shared_locks_coexist_and_block_exclusive) {
  const char *path = test_path("l.bin");
  mmk_file *a = open_rw(path), *b = open_rw(path), *c = open_rw(path);
  ASSERT_OK(mmk_file_lock(a, 10, 20, MMK_LOCK_SHARED, 0));
  ASSERT_OK(mmk_file_lock(b, 0, 100, MMK_LOCK_SHARED, 0));
  ASSERT_STATUS(mmk_file_lock(c, 15, 1, MMK_LOCK_EXCLUSIVE, 0), MMK_EAGAIN);
  ASSERT_OK(mmk_file_unlock(b, 0, 0));
  ASSERT_STATUS(mmk_file_lock(c, 15, 1, MMK_LOCK_EXCLUSIVE, 0), MMK_EAGAIN);
  ASSERT_OK(mmk_file_lock(c, 30, 1, MMK_LOCK_EXCLUSIVE, 0));
  ASSERT_OK(mmk_file_close(a)); /* closing releases a's locks */
  ASSERT_OK(mmk_file_lock(c, 15, 1, MMK_LOCK_EXCLUSIVE, 0));
  ASSERT_OK(mmk_file_close(b));
  ASSERT_OK(mmk_file_close(c));
}

TEST(test_lock_read_only_handles_take_shared_locks) {
  const char *path = test_path("l.bin");
  test_make_pattern_file(path, 100);
  mmk_file *r = NULL, *w = open_rw(path);
  ASSERT_OK(mmk_file_open(path, MMK_READ, 0, 0, &r));
  ASSERT_OK(mmk_file_lock(r, 0, 10, MMK_LOCK_SHARED, 0));
  ASSERT_STATUS(mmk_file_lock(w, 5, 1, MMK_LOCK_EXCLUSIVE, 0), MMK_EAGAIN);
  ASSERT_STATUS(mmk_file_lock(r, 20, 10, MMK_LOCK_EXCLUSIVE, 0), MMK_EACCES);
  ASSERT_OK(mmk_file_close(r));
  ASSERT_OK(mmk_file_close(w));
}

TEST(test_lock_closing_another_handle_keeps_our_lock) {
  const char *path = test_path("l.bin");
  mmk_file *a = open_rw(path), *b = open_rw(path);
  ASSERT_OK(mmk_file_lock(a, 0, 10, MMK_LOCK_EXCLUSIVE, 0));
  mmk_file *other = open_rw(path);
  ASSERT_OK(mmk_file_close(other)); /* a classic fcntl lock would drop here */
  FILE *fp = fopen(path, "r+b");    /* and with a plain close() too */
  ASSERT_NOT_NULL(fp);
  fclose(fp);
  ASSERT_STATUS(mmk_file_lock(b, 0, 10, MMK_LOCK_SHARED, 0), MMK_EAGAIN);
  ASSERT_OK(mmk_file_close(a));
  ASSERT_OK(mmk_file_close(b));
}

/* A handle closed while a view keeps the file open drops its own locks
 * (on Windows the file handle lives on for the view, so the core drops
 * them range by range), and the view still works. */
TEST(test_lock_close_with_a_live_view_drops_the_handles_locks) {
  const char *path = test_path("l.bin");
  mmk_file *a = open_rw(path), *b = open_rw(path);
  mmk_view *v = NULL;
  ASSERT_OK(mmk_file_lock(a, 0, 10, MMK_LOCK_EXCLUSIVE, 0));
  ASSERT_OK(mmk_file_lock(a, 100, 10, MMK_LOCK_SHARED, 0));
  ASSERT_OK(mmk_file_lock(a, 200, 0, MMK_LOCK_EXCLUSIVE, 0));
  ASSERT_OK(mmk_file_lock(b, 100, 10, MMK_LOCK_SHARED, 0));
  ASSERT_OK(mmk_map(a, 0, 4096, 0, &v));
  ASSERT_STATUS(mmk_file_lock(b, 5, 1, MMK_LOCK_SHARED, 0), MMK_EAGAIN);
  ASSERT_OK(mmk_file_close(a)); /* the view keeps the file open */
  ASSERT_OK(mmk_file_lock(b, 0, 10, MMK_LOCK_EXCLUSIVE, 0));
  ASSERT_OK(mmk_file_lock(b, 200, 0, MMK_LOCK_EXCLUSIVE, 0));
  ASSERT_OK(mmk_file_unlock(b, 100, 10));
  ASSERT_OK(mmk_file_lock(b, 100, 10, MMK_LOCK_EXCLUSIVE, 0));
  ASSERT_OK(mmk_view_write(v, 0, "still", 5));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(b));
}

TEST(test_lock_length_zero_reaches_any_future_end) {
  const char *path = test_path("l.bin");
  mmk_file *a = open_rw(path), *b = open_rw(path);
  ASSERT_OK(mmk_file_lock(a, 100, 0, MMK_LOCK_EXCLUSIVE, 0));
  ASSERT_STATUS(mmk_file_lock(b, 1ll << 40, 1, MMK_LOCK_SHARED, 0), MMK_EAGAIN);
  ASSERT_STATUS(mmk_file_lock(b, INT64_MAX - 1, 1, MMK_LOCK_SHARED, 0),
                MMK_EAGAIN);
  ASSERT_OK(mmk_file_lock(b, 0, 100, MMK_LOCK_EXCLUSIVE, 0));
#if defined(_WIN32)
  /* Windows unlocks a range only as it was locked: a part is refused and
   * leaves the lock whole */
  ASSERT_STATUS(mmk_file_unlock(a, 1000, 0), MMK_EINVAL);
  ASSERT_STR_CONTAINS(mmk_last_error_message(), "exactly");
  ASSERT_STATUS(mmk_file_lock(b, 2000, 10, MMK_LOCK_EXCLUSIVE, 0), MMK_EAGAIN);
  ASSERT_OK(mmk_file_unlock(a, 100, 0));
  ASSERT_OK(mmk_file_lock(b, 2000, 10, MMK_LOCK_EXCLUSIVE, 0));
#else
  ASSERT_OK(mmk_file_unlock(a, 1000, 0)); /* a partial unlock */
  ASSERT_OK(mmk_file_lock(b, 2000, 10, MMK_LOCK_EXCLUSIVE, 0));
  ASSERT_STATUS(mmk_file_lock(b, 500, 10, MMK_LOCK_EXCLUSIVE, 0), MMK_EAGAIN);
#endif
  ASSERT_OK(mmk_file_close(a));
  ASSERT_OK(mmk_file_close(b));
}

TEST(test_lock_bad_arguments) {
  const char *path = test_path("l.bin");
  mmk_file *a = open_rw(path);
  ASSERT_STATUS(mmk_file_lock(NULL, 0, 1, MMK_LOCK_SHARED, 0), MMK_EINVAL);
  ASSERT_STATUS(mmk_file_lock(a, -1, 1, MMK_LOCK_SHARED, 0), MMK_EINVAL);
  ASSERT_STATUS(mmk_file_lock(a, 0, -1, MMK_LOCK_SHARED, 0), MMK_EINVAL);
  ASSERT_STATUS(mmk_file_lock(a, 0, 1, 0, 0), MMK_EINVAL);
  ASSERT_STATUS(mmk_file_lock(a, 0, 1, 3, 0), MMK_EINVAL);
  ASSERT_STATUS(mmk_file_lock(a, INT64_MAX, 2, MMK_LOCK_SHARED, 0), MMK_EINVAL);
  ASSERT_STATUS(mmk_file_unlock(NULL, 0, 1), MMK_EINVAL);
  ASSERT_STATUS(mmk_file_unlock(a, -5, 1), MMK_EINVAL);
  ASSERT_STATUS(mmk_file_unlock(a, 0, -5), MMK_EINVAL);
  ASSERT_OK(mmk_file_unlock(a, 0, 10)); /* not held: fine */
  ASSERT_OK(mmk_file_close(a));
}

/* Child: opens its own handle and reports the non-blocking result. */
static TEST_UNUSED int child_try_lock(const char *path, int64_t off, int64_t len, int kind) {
  mmk_file *f = NULL;
  if (mmk_file_open(path, MMK_WRITE, 0, 0, &f) != 0) return 100;
  int r = mmk_file_lock(f, off, len, kind, 0);
  mmk_file_close(f);
  return r == 0 ? 0 : r == MMK_EAGAIN ? 1 : 101;
}

#if !defined(_WIN32)
static int child_result(const char *path, int64_t off, int64_t len, int kind) {
  pid_t pid = test_fork();
  if (pid == 0) test_child_exit(child_try_lock(path, off, len, kind));
  int st = test_wait(pid);
  if (!WIFEXITED(st)) TEST_FAIL("child died (status 0x%x)", st);
  return WEXITSTATUS(st);
}
#endif

TEST(test_lock_conflicts_between_two_processes) {
#if defined(_WIN32)
  TEST_SKIP("needs fork(); the Windows cross-process lock case is test-proc's");
#else
  const char *path = test_path("l.bin");
  mmk_file *a = open_rw(path);
  ASSERT_OK(mmk_file_lock(a, 0, 100, MMK_LOCK_EXCLUSIVE, 0));
  ASSERT_EQ(child_result(path, 10, 10, MMK_LOCK_SHARED), 1);
  ASSERT_EQ(child_result(path, 10, 10, MMK_LOCK_EXCLUSIVE), 1);
  ASSERT_EQ(child_result(path, 100, 10, MMK_LOCK_EXCLUSIVE), 0);
  ASSERT_OK(mmk_file_lock(a, 0, 100, MMK_LOCK_SHARED, 0));
  ASSERT_EQ(child_result(path, 10, 10, MMK_LOCK_SHARED), 0);
  ASSERT_EQ(child_result(path, 10, 10, MMK_LOCK_EXCLUSIVE), 1);
  ASSERT_OK(mmk_file_unlock(a, 0, 0));
  ASSERT_EQ(child_result(path, 10, 10, MMK_LOCK_EXCLUSIVE), 0);
  /* and the other way: a child holds, we are refused until it exits */
  int go[2], done[2];
  CHECK_SYS(pipe(go));
  CHECK_SYS(pipe(done));
  pid_t pid = test_fork();
  if (pid == 0) {
    mmk_file *f = NULL;
    ASSERT_OK(mmk_file_open(path, MMK_WRITE, 0, 0, &f));
    ASSERT_OK(mmk_file_lock(f, 0, 10, MMK_LOCK_SHARED, 0));
    char c = 'l';
    ASSERT_EQ(write(go[1], &c, 1), 1);
    ASSERT_EQ(read(done[0], &c, 1), 1);
    test_child_exit(0);
  }
  char c;
  ASSERT_EQ(read(go[0], &c, 1), 1);
  ASSERT_STATUS(mmk_file_lock(a, 5, 1, MMK_LOCK_EXCLUSIVE, 0), MMK_EAGAIN);
  ASSERT_OK(mmk_file_lock(a, 5, 1, MMK_LOCK_SHARED, 0));
  ASSERT_EQ(write(done[1], &c, 1), 1);
  ASSERT_CHILD_OK(pid);
  /* the child's exit released its lock */
  ASSERT_OK(mmk_file_lock(a, 0, 10, MMK_LOCK_EXCLUSIVE, 0));
  close(go[0]);
  close(go[1]);
  close(done[0]);
  close(done[1]);
  ASSERT_OK(mmk_file_close(a));
#endif
}

/* A blocking lock waits for the holder (another process) and is granted
 * once it releases: the holder marks shared memory just before unlocking,
 * and the waiter must see that mark once granted. */
TEST(test_lock_blocking_is_granted_after_another_process_releases) {
  const char *path = test_path("l.bin");
  mmk_file *anon = NULL;
  mmk_view *flag = NULL;
  ASSERT_OK(mmk_anon_create(4096, &anon));
  ASSERT_OK(mmk_map(anon, 0, 0, 0, &flag));
  volatile int *released = mmk_view_data(flag);
  int go[2], blocking[2];
  CHECK_SYS(pipe(go));
  CHECK_SYS(pipe(blocking));
  pid_t pid = test_fork();
  if (pid == 0) {
    mmk_file *f = open_rw(path);
    ASSERT_OK(mmk_file_lock(f, 0, 100, MMK_LOCK_EXCLUSIVE, 0));
    char c = 'l';
    ASSERT_EQ(write(go[1], &c, 1), 1);
    ASSERT_EQ(read(blocking[0], &c, 1), 1); /* the parent is about to block */
    test_sleep_ms(100);
    *released = 1;
    __sync_synchronize();
    ASSERT_OK(mmk_file_unlock(f, 0, 100));
    test_sleep_ms(50);
    ASSERT_OK(mmk_file_close(f));
    test_child_exit(0);
  }
  char c;
  ASSERT_EQ(read(go[0], &c, 1), 1);
  mmk_file *a = open_rw(path);
  ASSERT_STATUS(mmk_file_lock(a, 50, 1, MMK_LOCK_SHARED, 0), MMK_EAGAIN);
  ASSERT_EQ(write(blocking[1], &c, 1), 1);
  ASSERT_OK(mmk_file_lock(a, 50, 1, MMK_LOCK_SHARED, 1)); /* blocks */
  __sync_synchronize();
  ASSERT_EQ(*released, 1);
  close(blocking[0]);
  close(blocking[1]);
  ASSERT_CHILD_OK(pid);
  close(go[0]);
  close(go[1]);
  ASSERT_OK(mmk_file_close(a));
  ASSERT_OK(mmk_view_close(flag));
  ASSERT_OK(mmk_file_close(anon));
}

/* released is atomic: the thread sets it before it unlocks, the main thread
 * reads it once its own lock is granted. That order comes from the kernel's
 * record lock, which ThreadSanitizer does not see, so a plain int would be
 * reported as a race. */
struct holder {
  mmk_file *f;
  int go[2];
  _Atomic int released;
};

static void *hold_then_release(void *arg) {
  struct holder *h = arg;
  if (mmk_file_lock(h->f, 0, 10, MMK_LOCK_EXCLUSIVE, 0) != 0) return (void *)1;
  char c = 'l';
  if (write(h->go[1], &c, 1) != 1) return (void *)2;
  test_sleep_ms(100);
  h->released = 1;
  __sync_synchronize();
  if (mmk_file_unlock(h->f, 0, 10) != 0) return (void *)3;
  return NULL;
}

/* Two handles in one process conflict like two processes: a blocking lock
 * on one handle waits for a thread holding it through the other. */
TEST(test_lock_blocking_between_two_handles_in_one_process) {
  const char *path = test_path("l.bin");
  struct holder h = {open_rw(path), {-1, -1}, 0};
  CHECK_SYS(pipe(h.go));
  mmk_file *b = open_rw(path);
  test_thread t;
  test_thread_start(&t, hold_then_release, &h);
  char c;
  ASSERT_EQ(read(h.go[0], &c, 1), 1);
  ASSERT_OK(mmk_file_lock(b, 5, 1, MMK_LOCK_EXCLUSIVE, 1));
  __sync_synchronize();
  ASSERT_EQ(h.released, 1);
  ASSERT_PTR_EQ(test_thread_join(&t), NULL);
  close(h.go[0]);
  close(h.go[1]);
  ASSERT_OK(mmk_file_close(h.f));
  ASSERT_OK(mmk_file_close(b));
}


#if !defined(_WIN32)
/* Atomic rather than volatile sig_atomic_t: the handler runs in the main
 * thread and the holder thread reads the count. */
static _Atomic int usr1_count;
static void on_usr1(int sig) {
  (void)sig;
  usr1_count++;
}

struct interrupter {
  pthread_t target;
  _Atomic int stop;
};

/* Holds the lock until the blocked thread has been interrupted a few
 * times (or 5 s passed), then releases it. */
static void *hold_until_interrupted(void *arg) {
  struct holder *h = arg;
  if (mmk_file_lock(h->f, 0, 10, MMK_LOCK_EXCLUSIVE, 0) != 0) return (void *)1;
  char c = 'l';
  if (write(h->go[1], &c, 1) != 1) return (void *)2;
  for (int i = 0; i < 1000 && usr1_count < 5; i++) test_sleep_ms(5);
  test_sleep_ms(20);
  h->released = 1;
  __sync_synchronize();
  if (mmk_file_unlock(h->f, 0, 10) != 0) return (void *)3;
  return NULL;
}

static void *interrupt_loop(void *arg) {
  struct interrupter *it = arg;
  while (!atomic_load(&it->stop)) {
    pthread_kill(it->target, SIGUSR1);
    test_sleep_ms(5);
  }
  return NULL;
}
#endif

/* A blocking lock is not ended by signals (EINTR is retried inside): with
 * a handler installed without SA_RESTART, the wait still lasts until the
 * holder releases. */
TEST(test_lock_blocking_wait_survives_signals) {
#if defined(_WIN32)
  TEST_SKIP("POSIX signals (Windows has no EINTR: nothing interrupts "
            "LockFileEx)");
#else
  if (TEST_TSAN)
    TEST_SKIP("ThreadSanitizer runs an asynchronous signal's handler at the "
              "next intercepted call, and the retried fcntl is none: the "
              "handler cannot count the interruptions");
  const char *path = test_path("l.bin");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1; /* no SA_RESTART: fcntl returns EINTR */
  CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
  struct holder h = {open_rw(path), {-1, -1}, 0};
  CHECK_SYS(pipe(h.go));
  mmk_file *b = open_rw(path);
  test_thread holder, intr;
  test_thread_start(&holder, hold_until_interrupted, &h);
  char c;
  ASSERT_EQ(read(h.go[0], &c, 1), 1);
  static struct interrupter it;
  it.target = pthread_self();
  atomic_store(&it.stop, 0);
  test_thread_start(&intr, interrupt_loop, &it);
  ASSERT_OK(mmk_file_lock(b, 0, 1, MMK_LOCK_EXCLUSIVE, 1));
  __sync_synchronize();
  ASSERT_EQ(h.released, 1);
  atomic_store(&it.stop, 1);
  test_thread_join(&intr);
  ASSERT_PTR_EQ(test_thread_join(&holder), NULL);
  ASSERT_GE(usr1_count, 5);
  close(h.go[0]);
  close(h.go[1]);
  ASSERT_OK(mmk_file_close(h.f));
  ASSERT_OK(mmk_file_close(b));
#endif
}

/* MMK_LOCK_WAIT_INTR: the first signal that interrupts the wait ends it
 * with MMK_EINTR and nothing locked (a third handle can take the range
 * once the holder releases); MMK_LOCK_WAIT on the same lock would retry. */
TEST(test_lock_wait_intr_returns_eintr_and_locks_nothing) {
#if defined(_WIN32)
  TEST_SKIP("POSIX signals (Windows: MMK_LOCK_WAIT_INTR waits like "
            "MMK_LOCK_WAIT)");
#else
  const char *path = test_path("l.bin");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1; /* no SA_RESTART: fcntl returns EINTR */
  CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
  mmk_file *a = open_rw(path), *b = open_rw(path), *c = open_rw(path);
  ASSERT_OK(mmk_file_lock(a, 0, 10, MMK_LOCK_EXCLUSIVE, MMK_LOCK_TRY));
  static struct interrupter it;
  it.target = pthread_self();
  atomic_store(&it.stop, 0);
  test_thread intr;
  test_thread_start(&intr, interrupt_loop, &it);
  uint64_t t0 = test_now_ns();
  int r = mmk_file_lock(b, 0, 10, MMK_LOCK_EXCLUSIVE, MMK_LOCK_WAIT_INTR);
  uint64_t waited = test_now_ns() - t0;
  atomic_store(&it.stop, 1);
  test_thread_join(&intr);
  ASSERT_STATUS(r, MMK_EINTR);
  ASSERT_STR_EQ(mmk_last_error_op(), "lock");
  ASSERT_STR_CONTAINS(mmk_last_error_message(), path);
  ASSERT_LT(waited, 5 * 1000000000ull);
  ASSERT_OK(mmk_file_unlock(a, 0, 10));
  ASSERT_OK(mmk_file_lock(c, 0, 10, MMK_LOCK_EXCLUSIVE, MMK_LOCK_TRY));
  ASSERT_OK(mmk_file_unlock(c, 0, 10));
  /* uncontended it is granted like the other modes */
  ASSERT_OK(mmk_file_lock(b, 0, 10, MMK_LOCK_EXCLUSIVE, MMK_LOCK_WAIT_INTR));
  ASSERT_STATUS(mmk_file_lock(c, 0, 10, MMK_LOCK_SHARED, MMK_LOCK_TRY),
                MMK_EAGAIN);
  ASSERT_OK(mmk_file_close(a));
  ASSERT_OK(mmk_file_close(b));
  ASSERT_OK(mmk_file_close(c));
#endif
}

TEST(test_lock_unknown_wait_mode_is_einval) {
  mmk_file *a = open_rw(test_path("l.bin"));
  ASSERT_STATUS(mmk_file_lock(a, 0, 10, MMK_LOCK_EXCLUSIVE, 3), MMK_EINVAL);
  ASSERT_STATUS(mmk_file_lock(a, 0, 10, MMK_LOCK_EXCLUSIVE, -1), MMK_EINVAL);
  ASSERT_STR_CONTAINS(mmk_last_error_message(), "wait");
  ASSERT_OK(mmk_file_close(a));
}

TEST(test_lock_on_shared_memory_handles) {
  const char *name = test_shm_name("lock");
  mmk_file *a = NULL, *b = NULL;
  ASSERT_OK(mmk_shm_open(name, MMK_WRITE, MMK_CREATE, 4096, &a));
  ASSERT_OK(mmk_shm_open(name, MMK_WRITE, 0, 0, &b));
#if defined(_WIN32)
  /* A section is no file: LockFileEx has nothing to lock */
  ASSERT_STATUS(mmk_file_lock(a, 0, 8, MMK_LOCK_EXCLUSIVE, 0), MMK_ENOTSUP);
  ASSERT_STR_EQ(mmk_last_error_op(), "lock");
  ASSERT_STR_CONTAINS(mmk_last_error_message(), name);
  ASSERT_STATUS(mmk_file_unlock(a, 0, 8), MMK_ENOTSUP);
  ASSERT_OK(mmk_file_close(a));
  ASSERT_OK(mmk_file_close(b));
  return;
#endif
  ASSERT_OK(mmk_file_lock(a, 0, 8, MMK_LOCK_EXCLUSIVE, 0));
  ASSERT_STATUS(mmk_file_lock(b, 0, 8, MMK_LOCK_EXCLUSIVE, 0), MMK_EAGAIN);
  ASSERT_OK(mmk_file_close(a));
  ASSERT_OK(mmk_file_lock(b, 0, 8, MMK_LOCK_EXCLUSIVE, 0));
  ASSERT_OK(mmk_file_close(b));
  ASSERT_OK(mmk_shm_unlink(name));
}

static const test_case tests[] = {
    TEST_ENTRY(test_lock_exclusive_conflicts_between_two_handles_in_one_process),
    TEST_ENTRY(test_lock_shared_locks_coexist_and_block_exclusive),
    TEST_ENTRY(test_lock_read_only_handles_take_shared_locks),
    TEST_ENTRY(test_lock_closing_another_handle_keeps_our_lock),
    TEST_ENTRY(test_lock_close_with_a_live_view_drops_the_handles_locks),
    TEST_ENTRY(test_lock_length_zero_reaches_any_future_end),
    TEST_ENTRY(test_lock_bad_arguments),
    TEST_ENTRY(test_lock_conflicts_between_two_processes),
    TEST_ENTRY(test_lock_blocking_is_granted_after_another_process_releases),
    TEST_ENTRY(test_lock_blocking_between_two_handles_in_one_process),
    TEST_ENTRY(test_lock_blocking_wait_survives_signals),
    TEST_ENTRY(test_lock_wait_intr_returns_eintr_and_locks_nothing),
    TEST_ENTRY(test_lock_unknown_wait_mode_is_einval),
    TEST_ENTRY(test_lock_on_shared_memory_handles),
    TEST_END};

int main(int argc, char **argv) { return test_main(argc, argv, tests); }
