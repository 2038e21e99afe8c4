/*
 * tests/c/test-win32.c: behaviours of the Windows backend that differ
 * from POSIX or exist only there (the Windows notes of mmapkit.h): views
 * at offsets that are not multiples of the 64 KiB granularity, growth
 * inside a reservation from within the last mapping's granule, a file
 * that cannot shrink under a view, shared memory of a fixed size, the
 * flush modes, how a failed Win32 call is reported, and mapping a HANDLE
 * the caller opened (overlapped ones too).
 */
#include "test.h"

#include <stdatomic.h>

#define G 65536

static void open_pattern(const char *name, size_t size, mmk_file **f) {
  test_make_pattern_file(test_path(name), size);
  ASSERT_OK(mmk_file_open(test_path(name), MMK_WRITE, 0, 0, f));
}

TEST(test_win32_views_at_any_offset_see_the_right_bytes) {
  static const int64_t offs[] = {1, 4095, 4096, G - 1, G, G + 1, 3 * G + 17};
  mmk_file *f = NULL;
  unsigned char want[300];
  open_pattern("a.bin", 5 * G, &f);
  for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
    mmk_view *v = NULL;
    ASSERT_OK(mmk_map(f, offs[i], 300, 0, &v));
    test_fill_pattern(want, (uint64_t)offs[i], 300);
    ASSERT_MEM_EQ(mmk_view_data(v), want, 300);
    ASSERT_OK(mmk_view_close(v));
  }
  ASSERT_OK(mmk_file_close(f));
}

/* A reservation grown a page at a time: each growth after the first
 * starts inside the granule of the mapping before it. */
TEST(test_win32_reserved_view_grows_page_by_page_keeping_its_address) {
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  unsigned char want[4096];
  open_pattern("r.bin", 4 * G, &f);
  ASSERT_OK(mmk_map_reserve(f, 100, 4096, 3 * G, 0, &v));
  unsigned char *p = mmk_view_data(v);
  for (int64_t n = 8192; n <= 2 * G + 4096; n += 4096 * 5) {
    ASSERT_OK(mmk_view_resize(v, n));
    ASSERT_PTR_EQ(mmk_view_data(v), p);
    ASSERT_EQ(mmk_view_size(v), n);
    test_fill_pattern(want, (uint64_t)(100 + n - 4096), 4096);
    ASSERT_MEM_EQ(p + n - 4096, want, 4096);
  }
  /* writes through the grown view reach the file */
  ASSERT_OK(mmk_view_write(v, G + 5, "grown", 5));
  ASSERT_OK(mmk_view_flush(v, 0, 0, MMK_FLUSH_SYNC));
  char buf[5];
  test_pread(test_path("r.bin"), 100 + G + 5, buf, 5);
  ASSERT_MEM_EQ(buf, "grown", 5);
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_win32_file_under_a_view_cannot_shrink) {
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  open_pattern("s.bin", 2 * G, &f);
  ASSERT_OK(mmk_map(f, 0, G, 0, &v));
  ASSERT_STATUS(mmk_file_resize(f, 100), MMK_EBUSY);
  ASSERT_EQ(test_file_size(test_path("s.bin")), 2 * G);
  ASSERT_OK(mmk_file_resize(f, 3 * G)); /* growing is fine */
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_resize(f, 100)); /* and shrinking without views */
  ASSERT_EQ(test_file_size(test_path("s.bin")), 100);
  ASSERT_OK(mmk_file_close(f));
}

TEST(test_win32_shared_memory_keeps_its_creation_size) {
  const char *name = test_shm_name("fixed");
  mmk_file *f = NULL, *g = NULL;
  int64_t size;
  ASSERT_STATUS(mmk_shm_open(name, MMK_WRITE, MMK_CREATE, 0, &f), MMK_EINVAL);
  ASSERT_OK(mmk_shm_open(name, MMK_WRITE, MMK_CREATE, 10000, &f));
  ASSERT_OK(mmk_file_size(f, &size));
  /* the size as asked, or rounded up to the page (Wine's NtQuerySection) */
  ASSERT_GE(size, 10000);
  ASSERT_LT(size, 10000 + 4096);
  ASSERT_OK(mmk_file_resize(f, size)); /* the same size: nothing to do */
  ASSERT_STATUS(mmk_file_resize(f, 20000), MMK_ENOTSUP);
  ASSERT_STATUS(mmk_file_resize(f, 5000), MMK_ENOTSUP);
  ASSERT_STATUS(mmk_shm_open(name, MMK_WRITE, MMK_CREATE, 20000, &g),
                MMK_ENOTSUP);
  ASSERT_OK(mmk_shm_open(name, MMK_READ, 0, 0, &g));
  ASSERT_OK(mmk_file_size(g, &size));
  ASSERT_GE(size, 10000);
  ASSERT_LT(size, 10000 + 4096);
  ASSERT_OK(mmk_file_close(g));
  ASSERT_OK(mmk_shm_unlink(name)); /* the name exists: 0 */
  ASSERT_OK(mmk_file_close(f));
  ASSERT_STATUS(mmk_shm_unlink(name), MMK_ENOENT); /* gone with it */
}

TEST(test_win32_flush_modes_write_the_file) {
  static const int hows[] = {MMK_FLUSH_ASYNC, MMK_FLUSH_SYNC, MMK_FLUSH_FULL};
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  open_pattern("fl.bin", 2 * G, &f);
  ASSERT_OK(mmk_map(f, 7, 2 * G - 7, 0, &v));
  for (int i = 0; i < 3; i++) {
    char tag[4] = {'F', (char)('0' + i), 'x', 'y'}, got[4];
    ASSERT_OK(mmk_view_write(v, G + i, tag, 4));
    ASSERT_OK(mmk_view_flush(v, G, 100, hows[i]));
    test_pread(test_path("fl.bin"), 7 + G + i, got, 4);
    ASSERT_MEM_EQ(got, tag, 4);
  }
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

/* mmk_file_from_handle: the caller's handle is duplicated (closed right
 * after the call, the handle still maps; mmk_file_close leaves it open),
 * the mode is checked against the handle's granted access, and what is
 * not a file on disk is refused by kind. */
TEST(test_win32_from_handle_duplicates_and_checks_access_and_kind) {
  const char *path = test_path("h.bin");
  const DWORD share = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  unsigned char want[16], got[16];
  test_make_pattern_file(path, 5000);
  HANDLE h = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, share, NULL,
                         OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  ASSERT_TRUE(h != INVALID_HANDLE_VALUE);
  ASSERT_OK(mmk_file_from_handle(h, MMK_WRITE, &f));
  ASSERT_STR_CONTAINS(mmk_file_path(f), "h.bin");
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  CloseHandle(h); /* the owner closes right after mapping */
  test_fill_pattern(want, 1000, 16);
  ASSERT_OK(mmk_view_read(v, 1000, got, 16));
  ASSERT_MEM_EQ(got, want, 16);
  ASSERT_OK(mmk_view_write(v, 0, "abcd", 4));
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
  test_pread(path, 0, got, 4);
  ASSERT_MEM_EQ(got, "abcd", 4);

  h = CreateFileA(path, GENERIC_READ, share, NULL, OPEN_EXISTING,
                  FILE_ATTRIBUTE_NORMAL, NULL);
  ASSERT_TRUE(h != INVALID_HANDLE_VALUE);
  f = (mmk_file *)&f;
  ASSERT_STATUS(mmk_file_from_handle(h, MMK_WRITE, &f), MMK_EACCES);
  ASSERT_NULL(f);
  ASSERT_STR_CONTAINS(mmk_last_error_message(), "FILE_WRITE_DATA");
  ASSERT_OK(mmk_file_from_handle(h, MMK_COPY, &f));
  ASSERT_OK(mmk_file_close(f));
  ASSERT_TRUE(GetFileType(h) == FILE_TYPE_DISK); /* still the caller's */
  CloseHandle(h);

  h = CreateFileA(path, GENERIC_WRITE, share, NULL, OPEN_EXISTING,
                  FILE_ATTRIBUTE_NORMAL, NULL);
  ASSERT_TRUE(h != INVALID_HANDLE_VALUE);
  ASSERT_STATUS(mmk_file_from_handle(h, MMK_READ, &f), MMK_EACCES);
  CloseHandle(h);

  h = CreateFileA(test_dir(), GENERIC_READ, share, NULL, OPEN_EXISTING,
                  FILE_FLAG_BACKUP_SEMANTICS, NULL);
  ASSERT_TRUE(h != INVALID_HANDLE_VALUE);
  ASSERT_STATUS(mmk_file_from_handle(h, MMK_READ, &f), MMK_EISDIR);
  CloseHandle(h);

  HANDLE rd, wr;
  ASSERT_TRUE(CreatePipe(&rd, &wr, NULL, 0));
  ASSERT_STATUS(mmk_file_from_handle(rd, MMK_READ, &f), MMK_ENODEV);
  ASSERT_STR_CONTAINS(mmk_last_error_message(), "a pipe");
  CloseHandle(rd);
  CloseHandle(wr);

  h = CreateFileA("NUL", GENERIC_READ | GENERIC_WRITE, share, NULL,
                  OPEN_EXISTING, 0, NULL);
  ASSERT_TRUE(h != INVALID_HANDLE_VALUE);
  ASSERT_STATUS(mmk_file_from_handle(h, MMK_READ, &f), MMK_ENODEV);
  CloseHandle(h);

  ASSERT_STATUS(mmk_file_from_handle(INVALID_HANDLE_VALUE, MMK_READ, &f),
                MMK_EBADF);
  ASSERT_STATUS(mmk_file_from_handle(NULL, MMK_READ, &f), MMK_EBADF);
  ASSERT_STATUS(mmk_file_from_fd(0, MMK_READ, &f), MMK_ENOTSUP);
}

struct lock_waiter {
  mmk_file *f;
  _Atomic int status, done;
};

static void *lock_waiter_main(void *p) {
  struct lock_waiter *w = p;
  atomic_store(&w->status, mmk_file_lock(w->f, 0, 100, MMK_LOCK_EXCLUSIVE,
                                         MMK_LOCK_WAIT));
  atomic_store(&w->done, 1);
  return NULL;
}

/* A handle opened for overlapped I/O (a .NET FileStream with useAsync)
 * makes LockFileEx answer ERROR_IO_PENDING for a lock that must wait:
 * the waiting lock still waits for the holder, then is granted, and
 * unlocks; a try-lock is refused at once. The no-path name of a bad
 * handle is spelled "handle 0x... (no path)". */
TEST(test_win32_overlapped_handle_locks_wait_for_the_holder) {
  const char *path = test_path("ov.bin");
  const DWORD share = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
  mmk_file *f = NULL, *other = NULL;
  struct lock_waiter w = {0};
  test_thread t;
  test_make_pattern_file(path, 4096);
  HANDLE h = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, share, NULL,
                         OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);
  ASSERT_TRUE(h != INVALID_HANDLE_VALUE);
  ASSERT_OK(mmk_file_from_handle(h, MMK_WRITE, &f));
  CloseHandle(h);
  ASSERT_OK(mmk_file_open(path, MMK_WRITE, 0, 0, &other));
  ASSERT_OK(mmk_file_lock(other, 0, 100, MMK_LOCK_EXCLUSIVE, MMK_LOCK_WAIT));
  ASSERT_STATUS(mmk_file_lock(f, 0, 100, MMK_LOCK_EXCLUSIVE, MMK_LOCK_TRY),
                MMK_EAGAIN);
  w.f = f;
  test_thread_start(&t, lock_waiter_main, &w);
  test_sleep_ms(300);
  ASSERT_EQ(atomic_load(&w.done), 0); /* still waiting for the holder */
  ASSERT_OK(mmk_file_unlock(other, 0, 100));
  test_thread_join(&t);
  ASSERT_EQ(atomic_load(&w.status), 0);
  ASSERT_STATUS(mmk_file_lock(other, 0, 100, MMK_LOCK_EXCLUSIVE, MMK_LOCK_TRY),
                MMK_EAGAIN); /* f holds it now */
  ASSERT_OK(mmk_file_unlock(f, 0, 100));
  ASSERT_OK(mmk_file_lock(other, 0, 100, MMK_LOCK_EXCLUSIVE, MMK_LOCK_TRY));
  ASSERT_OK(mmk_file_close(other));
  ASSERT_OK(mmk_file_close(f));

  ASSERT_STATUS(mmk_file_from_handle(INVALID_HANDLE_VALUE, MMK_READ, &f),
                MMK_EBADF);
  ASSERT_STR_EQ(mmk_last_error_path(), "handle 0xffffffffffffffff (no path)");
}

/* A failed Win32 call is reported under the mmapkit operation, with the
 * call and its GetLastError code in the detail and in sys_errno. */
TEST(test_win32_errors_name_the_operation_then_the_win32_call) {
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  ASSERT_STATUS(mmk_file_open(test_path("missing.bin"), MMK_READ, 0, 0, &f),
                MMK_ENOENT);
  ASSERT_STR_EQ(mmk_last_error_op(), "open");
  ASSERT_EQ(mmk_last_error()->sys_errno, ERROR_FILE_NOT_FOUND);
  ASSERT_STR_CONTAINS(mmk_last_error_message(), "open '");
  ASSERT_STR_CONTAINS(mmk_last_error_message(), "[CreateFileW: Win32 error 2]");
  ASSERT_STATUS(mmk_shm_open(test_shm_name("none"), MMK_READ, 0, 0, &f),
                MMK_ENOENT);
  ASSERT_STR_EQ(mmk_last_error_op(), "shm_open");
  ASSERT_STR_CONTAINS(mmk_last_error_message(), "OpenFileMappingW: Win32 error");
  open_pattern("e.bin", 2 * G, &f);
  ASSERT_OK(mmk_map(f, 0, G, 0, &v));
  ASSERT_STATUS(mmk_file_resize(f, 100), MMK_EBUSY);
  ASSERT_STR_EQ(mmk_last_error_op(), "resize");
  ASSERT_EQ(mmk_last_error()->sys_errno, ERROR_USER_MAPPED_FILE);
  ASSERT_STR_CONTAINS(mmk_last_error_message(),
                      "SetFileInformationByHandle(FileEndOfFileInfo): Win32 "
                      "error 1224, size 100");
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(f));
}

static const test_case cases[] = {
    TEST_ENTRY(test_win32_views_at_any_offset_see_the_right_bytes),
    TEST_ENTRY(test_win32_reserved_view_grows_page_by_page_keeping_its_address),
    TEST_ENTRY(test_win32_file_under_a_view_cannot_shrink),
    TEST_ENTRY(test_win32_shared_memory_keeps_its_creation_size),
    TEST_ENTRY(test_win32_flush_modes_write_the_file),
    TEST_ENTRY(test_win32_from_handle_duplicates_and_checks_access_and_kind),
    TEST_ENTRY(test_win32_overlapped_handle_locks_wait_for_the_holder),
    TEST_ENTRY(test_win32_errors_name_the_operation_then_the_win32_call),
    TEST_END};

int main(int argc, char **argv) { return test_main(argc, argv, cases); }
