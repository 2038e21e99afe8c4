/*
 * tests/c/test-fault-win32.c: the Windows fault guard (win32_guard.c and
 * arch/x86_64-win64.S). A page of a view made inaccessible with
 * VirtualProtect raises the access violation a failing page-in raises on
 * Wine (Windows raises EXCEPTION_IN_PAGE_ERROR, which the handler takes
 * alike): every guarded access to it must return MMK_EIO, and a fault
 * outside the view must still reach the default handling (the process
 * dies), so the handler excuses nothing else.
 */
#include "test.h"

#define FW_SIZE (4 * 65536)
#define FW_HOLE (2 * 65536) /* offset of the inaccessible page */

static mmk_file *fw_file;

/* A writable view of a pattern file whose page at FW_HOLE faults. */
static mmk_view *fw_view(void) {
  mmk_view *v = NULL;
  DWORD old;
  test_make_pattern_file(test_path("f.bin"), FW_SIZE);
  ASSERT_OK(mmk_file_open(test_path("f.bin"), MMK_WRITE, 0, 0, &fw_file));
  ASSERT_OK(mmk_map(fw_file, 0, 0, 0, &v));
  if (!VirtualProtect((unsigned char *)mmk_view_data(v) + FW_HOLE, 4096,
                      PAGE_NOACCESS, &old))
    TEST_FAIL("VirtualProtect: error %lu", GetLastError());
  return v;
}

static void fw_close(mmk_view *v) {
  ASSERT_OK(mmk_view_close(v));
  ASSERT_OK(mmk_file_close(fw_file));
}

TEST(test_fault_win32_small_read_and_write_are_eio) {
  mmk_view *v = fw_view();
  unsigned char buf[64], want[8];
  for (size_t n = 1; n <= 64; n = n * 2 + 1) {
    ASSERT_STATUS(mmk_view_read(v, FW_HOLE + 3, buf, n), MMK_EIO);
    ASSERT_STATUS(mmk_view_write(v, FW_HOLE + 3, buf, n), MMK_EIO);
  }
  /* the neighbours still work, and the caller's registers survived */
  ASSERT_OK(mmk_view_read(v, FW_HOLE - 8, buf, 8));
  test_fill_pattern(want, FW_HOLE - 8, 8);
  ASSERT_MEM_EQ(buf, want, 8);
  fw_close(v);
}

TEST(test_fault_win32_large_copies_into_the_page_are_eio) {
  mmk_view *v = fw_view();
  size_t n = 3 * 65536;
  unsigned char *buf = malloc(n);
  ASSERT_STATUS(mmk_view_read(v, 1000, buf, n), MMK_EIO);
  ASSERT_STATUS(mmk_view_write(v, 1000, buf, n), MMK_EIO);
  /* a move inside the view into the hole: source and destination
   * overlap, so it runs backwards, from the faulting end */
  unsigned char *d = mmk_view_data(v);
  ASSERT_STATUS(mmk_view_write(v, FW_HOLE - 65536 + 16, d + FW_HOLE - 65536,
                               65536),
                MMK_EIO);
  /* an overlapping move that succeeds is a memmove */
  unsigned char *want = malloc(5000);
  test_fill_pattern(want, 100, 5000);
  ASSERT_OK(mmk_view_write(v, 116, d + 100, 5000));
  ASSERT_OK(mmk_view_read(v, 116, buf, 5000));
  ASSERT_MEM_EQ(buf, want, 5000);
  free(want);
  free(buf);
  fw_close(v);
}

TEST(test_fault_win32_atomics_on_the_page_are_eio) {
  mmk_view *v = fw_view();
  uint32_t u32;
  uint64_t u64;
  ASSERT_STATUS(mmk_atomic_load_u32(v, FW_HOLE, &u32), MMK_EIO);
  ASSERT_STATUS(mmk_atomic_load_u64(v, FW_HOLE + 8, &u64), MMK_EIO);
  ASSERT_STATUS(mmk_atomic_store_u32(v, FW_HOLE, 1), MMK_EIO);
  ASSERT_STATUS(mmk_atomic_store_u64(v, FW_HOLE, 1), MMK_EIO);
  ASSERT_STATUS(mmk_atomic_fetch_add_u32(v, FW_HOLE, 1, &u32), MMK_EIO);
  ASSERT_STATUS(mmk_atomic_fetch_add_u64(v, FW_HOLE, 1, &u64), MMK_EIO);
  ASSERT_STATUS(mmk_atomic_cas_u32(v, FW_HOLE, 0, 1, &u32), MMK_EIO);
  ASSERT_STATUS(mmk_atomic_cas_u64(v, FW_HOLE, 0, 1, &u64), MMK_EIO);
  ASSERT_OK(mmk_atomic_fetch_add_u64(v, FW_HOLE - 8, 1, &u64));
  fw_close(v);
}

/* The caller's own buffer faults: not the view's, so not excused. */
TEST(child_reads_into_an_inaccessible_buffer) {
  mmk_view *v = fw_view();
  unsigned char *buf = VirtualAlloc(NULL, 65536, MEM_COMMIT | MEM_RESERVE,
                                    PAGE_NOACCESS);
  mmk_view_read(v, 0, buf, 8);
  TEST_FAIL("a fault on the caller's buffer was excused");
}

TEST(test_fault_win32_a_fault_outside_the_view_is_not_excused) {
  ASSERT_EQ(test_run_child("child_reads_into_an_inaccessible_buffer"), 1);
}

static const test_case cases[] = {
    TEST_ENTRY(test_fault_win32_small_read_and_write_are_eio),
    TEST_ENTRY(test_fault_win32_large_copies_into_the_page_are_eio),
    TEST_ENTRY(test_fault_win32_atomics_on_the_page_are_eio),
    TEST_ENTRY(test_fault_win32_a_fault_outside_the_view_is_not_excused),
    TEST_ENTRY_FLAGS(child_reads_into_an_inaccessible_buffer, TEST_CHILD_ONLY),
    TEST_END};

int main(int argc, char **argv) { return test_main(argc, argv, cases); }
