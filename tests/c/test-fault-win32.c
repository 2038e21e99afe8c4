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

/* ---- the handler chain ---------------------------------------------- */

/* A runtime's handlers around ours (the .NET and Java runtimes add their
 * own): one added first after ours sees every exception first and passes
 * it on; one added last commits its own reserved page on an access
 * violation there and takes its own software exception. */
#define OWN_EXCEPTION 0xE0000123u
static unsigned char *own_page;
static volatile LONG first_saw, last_saw_av, last_saw_own;

static LONG CALLBACK first_handler(EXCEPTION_POINTERS *ep) {
  (void)ep;
  InterlockedIncrement(&first_saw);
  return EXCEPTION_CONTINUE_SEARCH;
}

static LONG CALLBACK last_handler(EXCEPTION_POINTERS *ep) {
  const EXCEPTION_RECORD *er = ep->ExceptionRecord;
  if (er->ExceptionCode == OWN_EXCEPTION) {
    InterlockedIncrement(&last_saw_own);
    return EXCEPTION_CONTINUE_EXECUTION;
  }
  if (er->ExceptionCode == EXCEPTION_ACCESS_VIOLATION &&
      er->NumberParameters >= 2 &&
      (unsigned char *)er->ExceptionInformation[1] >= own_page &&
      (unsigned char *)er->ExceptionInformation[1] < own_page + 65536) {
    InterlockedIncrement(&last_saw_av);
    VirtualAlloc(own_page, 4096, MEM_COMMIT, PAGE_READWRITE);
    return EXCEPTION_CONTINUE_EXECUTION;
  }
  return EXCEPTION_CONTINUE_SEARCH;
}

TEST(test_fault_win32_other_handlers_in_the_chain_keep_their_exceptions) {
  mmk_view *v = fw_view(); /* our handler is installed by now */
  unsigned char buf[8];
  own_page = VirtualAlloc(NULL, 65536, MEM_RESERVE, PAGE_NOACCESS);
  ASSERT_NOT_NULL(own_page);
  void *last = AddVectoredExceptionHandler(0, last_handler);
  void *first = AddVectoredExceptionHandler(1, first_handler);
  ASSERT_NOT_NULL(last);
  ASSERT_NOT_NULL(first);
  /* their own faults reach them through ours */
  ((volatile unsigned char *)own_page)[10] = 42;
  ASSERT_EQ(last_saw_av, 1);
  ASSERT_EQ(own_page[10], 42);
  RaiseException(OWN_EXCEPTION, 0, 0, NULL);
  ASSERT_EQ(last_saw_own, 1);
  /* ours is still ours: MMK_EIO, and the last handler never saw it */
  LONG seen = first_saw;
  ASSERT_STATUS(mmk_view_read(v, FW_HOLE, buf, sizeof buf), MMK_EIO);
  ASSERT_STATUS(mmk_view_read(v, FW_HOLE, buf, 3 * 65536), MMK_ERANGE);
  ASSERT_GT(first_saw, seen);
  ASSERT_EQ(last_saw_av, 1);
  ASSERT_EQ(last_saw_own, 1);
  ASSERT_EQ(RemoveVectoredExceptionHandler(first), 1);
  ASSERT_EQ(RemoveVectoredExceptionHandler(last), 1);
  VirtualFree(own_page, 0, MEM_RELEASE);
  fw_close(v);
}

/* ---- the inert close's retry is bounded ------------------------------- */

static unsigned char *stale;

static LONG WINAPI exit_on_stale_fault(EXCEPTION_POINTERS *ep) {
  const EXCEPTION_RECORD *er = ep->ExceptionRecord;
  if (er->ExceptionCode == EXCEPTION_ACCESS_VIOLATION &&
      er->NumberParameters >= 2 &&
      (unsigned char *)er->ExceptionInformation[1] == stale)
    TerminateProcess(GetCurrentProcess(), 3);
  TerminateProcess(GetCurrentProcess(), 4);
  return EXCEPTION_EXECUTE_HANDLER;
}

/* An inert view's zero pages go with its last lease: a pointer kept past
 * that is a dangling one, and its access is the plain fault (exit 3 by
 * the filter), never retried forever by the inert close's handler,
 * whose record of that range is still there. */
TEST(child_touches_a_freed_inert_view) {
  mmk_file *f = NULL;
  mmk_view *v = NULL;
  test_make_pattern_file(test_path("i.bin"), 65536);
  ASSERT_OK(mmk_file_open(test_path("i.bin"), MMK_WRITE, 0, 0, &f));
  ASSERT_OK(mmk_map(f, 0, 0, 0, &v));
  ASSERT_OK(mmk_view_lease(v));
  stale = mmk_view_data(v);
  ASSERT_OK(mmk_view_close_inert(v));
  ASSERT_EQ(stale[100], 0); /* the inert pages: zero, no crash */
  ASSERT_OK(mmk_file_close(f));
  ASSERT_OK(mmk_view_release(v)); /* the last lease: the view is freed */
  SetUnhandledExceptionFilter(exit_on_stale_fault);
  (void)*(volatile unsigned char *)stale;
  TEST_FAIL("a freed view's address could still be read");
}

TEST(test_fault_win32_a_freed_inert_view_faults_instead_of_hanging) {
  ASSERT_EQ(test_run_child("child_touches_a_freed_inert_view"), 3);
}

static const test_case cases[] = {
    TEST_ENTRY(test_fault_win32_small_read_and_write_are_eio),
    TEST_ENTRY(test_fault_win32_large_copies_into_the_page_are_eio),
    TEST_ENTRY(test_fault_win32_atomics_on_the_page_are_eio),
    TEST_ENTRY(test_fault_win32_a_fault_outside_the_view_is_not_excused),
    TEST_ENTRY(test_fault_win32_other_handlers_in_the_chain_keep_their_exceptions),
    TEST_ENTRY(test_fault_win32_a_freed_inert_view_faults_instead_of_hanging),
    TEST_ENTRY_FLAGS(child_reads_into_an_inaccessible_buffer, TEST_CHILD_ONLY),
    TEST_ENTRY_FLAGS(child_touches_a_freed_inert_view, TEST_CHILD_ONLY),
    TEST_END};

int main(int argc, char **argv) { return test_main(argc, argv, cases); }
