/*
 * Win32 backend, part 3: the fault guard. A vectored exception handler,
 * installed first in the chain, turns a fault of a quick routine
 * (arch/x86_64-win64.S) on the view's own pages into that routine's
 * "return 1" (MMK_EIO for the caller) and leaves every other exception to
 * the handlers after it: the .NET and Java runtimes have their own.
 *
 * The fault is EXCEPTION_IN_PAGE_ERROR when Windows cannot page a mapped
 * page in (a file truncated from outside, a network drive gone, a disk
 * error); Wine raises EXCEPTION_ACCESS_VIOLATION instead, and an access to
 * the pages a shrink made inaccessible is one too, so both are taken,
 * inside the guarded range only.
 */
#include "internal.h"
#include "win32.h"

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

/* The swaps' windows: the last few ranges swapped (a faulting thread may
 * look after the next swap has begun); live unless the swap failed (its
 * range left unmapped: a fault there is an ordinary one). Whether a swap
 * is under way is mmk__inert_mu's, held exclusively meanwhile. */
enum { MMK__INERT_RING = 8 };
static struct {
  _Atomic uintptr_t lo, hi;
  atomic_int live;
} mmk__inert[MMK__INERT_RING];
static unsigned mmk__inert_next; /* swaps begun; under mmk__inert_mu */
static SRWLOCK mmk__inert_mu = SRWLOCK_INIT;

void mmk__win_inert_begin(void *p, size_t n) {
  unsigned i;
  AcquireSRWLockExclusive(&mmk__inert_mu);
  i = mmk__inert_next++ % MMK__INERT_RING;
  atomic_store(&mmk__inert[i].live, 0);
  atomic_store(&mmk__inert[i].lo, (uintptr_t)p);
  atomic_store(&mmk__inert[i].hi, (uintptr_t)p + n);
  atomic_store(&mmk__inert[i].live, 1);
}

/* The swap begun last (the lock is still held) ends. */
void mmk__win_inert_end(int ok) {
  atomic_store(&mmk__inert[(mmk__inert_next - 1) % MMK__INERT_RING].live, ok);
  ReleaseSRWLockExclusive(&mmk__inert_mu);
}

/* Whether the page at addr now allows the faulting access (kind: 0 read,
 * 1 write, 8 execute: ExceptionInformation[0]). */
static int mmk__now_accessible(uintptr_t addr, ULONG_PTR kind) {
  MEMORY_BASIC_INFORMATION mi;
  DWORD p;
  if (!VirtualQuery((void *)addr, &mi, sizeof mi) || mi.State != MEM_COMMIT)
    return 0;
  p = mi.Protect & 0xff;
  if ((mi.Protect & PAGE_GUARD) || p == PAGE_NOACCESS) return 0;
  if (kind == 1)
    return p == PAGE_READWRITE || p == PAGE_WRITECOPY ||
           p == PAGE_EXECUTE_READWRITE || p == PAGE_EXECUTE_WRITECOPY;
  return 1;
}

/* The bounds of the retry: the swap takes microseconds, so a thread
 * waits for it at most MMK__INERT_WAIT_MS; and the same access is run
 * again at most MMK__INERT_RETRIES times in a row (a hang is worse than
 * the crash the access would be without us). */
enum { MMK__INERT_WAIT_MS = 5000, MMK__INERT_RETRIES = 16 };
static _Thread_local uintptr_t mmk__retry_addr;
static _Thread_local unsigned mmk__retry_gen, mmk__retry_count;

/* Whether addr lies in a range being (or lately) swapped. */
static int mmk__inert_swapped(uintptr_t addr) {
  int i;
  for (i = 0; i < MMK__INERT_RING; i++)
    if (atomic_load(&mmk__inert[i].live) &&
        addr >= atomic_load(&mmk__inert[i].lo) &&
        addr < atomic_load(&mmk__inert[i].hi))
      return 1;
  return 0;
}

/* 1 if, once no swap is under way, the page at addr allows the access:
 * it is to run again. The page is asked holding the swaps' lock shared,
 * so that no swap is half done meanwhile: a thread that waited for one
 * swap could otherwise look just as the next swap of the same range (a
 * view growing step by step past its file's end) had unmapped it again,
 * and report a fault that is none. A page that refuses this kind of
 * access (a view freed, a shrink's inaccessible tail) is an ordinary
 * fault. */
static int mmk__retry_if_accessible(uintptr_t addr, ULONG_PTR kind) {
  int ok;
  unsigned gen;
  ULONGLONG t0 = 0;
  while (!TryAcquireSRWLockShared(&mmk__inert_mu)) {
    if (!t0) t0 = GetTickCount64();
    if (GetTickCount64() - t0 >= MMK__INERT_WAIT_MS) return 0;
    SwitchToThread();
  }
  gen = mmk__inert_next;
  ok = mmk__now_accessible(addr, kind);
  ReleaseSRWLockShared(&mmk__inert_mu);
  if (!ok) return 0;
  if (mmk__retry_addr != addr || mmk__retry_gen != gen) {
    mmk__retry_addr = addr;
    mmk__retry_gen = gen;
    mmk__retry_count = 0;
  }
  return ++mmk__retry_count <= MMK__INERT_RETRIES;
}

/* An access violation is run again if the page allows it by the time we
 * look and the access was either in a range lately swapped (any code: a
 * stale span or pointer) or one of the quick routines' (a guarded copy:
 * under Wine the exception can reach us only after the ring has
 * forgotten the swap that caused it, the faulting thread having waited
 * for the system's address-space lock meanwhile). Else a quick routine's
 * fault is its "return 1"; any other exception is not ours. */
static LONG CALLBACK mmk__veh(EXCEPTION_POINTERS *ep) {
  const EXCEPTION_RECORD *er = ep->ExceptionRecord;
  uintptr_t addr, exit;
  if ((er->ExceptionCode != EXCEPTION_IN_PAGE_ERROR &&
       er->ExceptionCode != EXCEPTION_ACCESS_VIOLATION) ||
      er->NumberParameters < 2)
    return EXCEPTION_CONTINUE_SEARCH;
  addr = (uintptr_t)er->ExceptionInformation[1];
  /* The Win64 argument registers: rcx, rdx, r8, r9. */
  exit = mmk__quick_resume((uintptr_t)ep->ContextRecord->Rip, addr,
                           (uintptr_t)ep->ContextRecord->Rcx,
                           (uintptr_t)ep->ContextRecord->R8,
                           (uintptr_t)ep->ContextRecord->R9);
  if (er->ExceptionCode == EXCEPTION_ACCESS_VIOLATION &&
      (exit || mmk__inert_swapped(addr)) &&
      mmk__retry_if_accessible(addr, er->ExceptionInformation[0]))
    return EXCEPTION_CONTINUE_EXECUTION;
  if (!exit) return EXCEPTION_CONTINUE_SEARCH;
  ep->ContextRecord->Rip = exit;
  return EXCEPTION_CONTINUE_EXECUTION;
}

static void *mmk__veh_handle;

static void mmk__veh_install(void) {
  mmk__veh_handle = AddVectoredExceptionHandler(1, mmk__veh);
}

/* Once per process, first in the chain (the .NET and Java runtimes add
 * theirs later, behind it, and get every exception that is not ours).
 * Nothing to re-assert: a handler added first after ours sees our faults
 * first and, not knowing them, passes them on. */
int mmk__os_guard_install(int mapping) {
  static mmk__once once = MMK__ONCE_INIT;
  (void)mapping;
  mmk__os_once(&once, mmk__veh_install);
  if (!mmk__veh_handle)
    return mmk__win_error(ERROR_NOT_ENOUGH_MEMORY, "fault_guard_install",
                          "AddVectoredExceptionHandler", "", NULL);
  return 0;
}

/* The move routine handles any size: no jump buffer anywhere. */
int mmk__guarded_copy(void *dst, const void *src, size_t n,
                      const void *guard_p) {
  return mmk__quick_guarded_move(dst, src, n, guard_p);
}
