/*
 * Win32 backend, part 4: byte-range locks (os.h) with LockFileEx and
 * UnlockFileEx.
 *
 * Windows locks differ from POSIX's in ways the caller can see, and the
 * header says so: they are mandatory for ReadFile/WriteFile through other
 * handles (mapped access is not checked); they never merge, split or
 * convert, so a range is unlocked only exactly as it was locked
 * (MMK_EINVAL for a part of one); a handle's own exclusive range refuses
 * a second lock through that handle (MMK_EAGAIN, or MMK_EDEADLK for a
 * waiting lock, which would wait for itself forever); shared memory and
 * anonymous memory are sections, not files, and take no locks
 * (MMK_ENOTSUP).
 *
 * To keep those answers exact on every Windows (and under Wine, which
 * lets a handle lock over its own exclusive range), the ranges each
 * handle holds are tracked here: that is also what lets the close of a
 * handle whose views keep the file open drop exactly its locks
 * (mmk_file_close's unlock of everything), which UnlockFileEx of one
 * whole-file range cannot do.
 */
#include "internal.h"
#include "win32.h"

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdlib.h>

typedef struct {
  HANDLE h;
  uint64_t lo, hi; /* [lo, hi); hi UINT64_MAX: to the end of any file */
  int exclusive;
} mmk__held;

static SRWLOCK mmk__locks_mu = SRWLOCK_INIT;
static mmk__held *mmk__locks;  /* under mmk__locks_mu */
static size_t mmk__nlocks, mmk__locks_cap;

static void mmk__span(int64_t offset, int64_t length, uint64_t *lo,
                      uint64_t *hi) {
  *lo = (uint64_t)offset;
  *hi = length ? (uint64_t)offset + (uint64_t)length : UINT64_MAX;
}

/* LockFileEx / UnlockFileEx take the offset in an OVERLAPPED and the
 * length in two halves. */
static void mmk__overlapped(uint64_t lo, uint64_t hi, OVERLAPPED *ov,
                            DWORD *nlo, DWORD *nhi) {
  uint64_t n = hi - lo;
  memset(ov, 0, sizeof *ov);
  ov->Offset = (DWORD)lo;
  ov->OffsetHigh = (DWORD)(lo >> 32);
  *nlo = (DWORD)n;
  *nhi = (DWORD)(n >> 32);
}

/* LockFileEx / UnlockFileEx through a handle opened for overlapped I/O
 * (a .NET FileStream with useAsync, any FILE_FLAG_OVERLAPPED handle given
 * to mmk_file_from_handle) may answer ERROR_IO_PENDING: the request then
 * completes later into ov, so it must not outlive this frame. It gets an
 * event of its own, waited for here; the event's low bit keeps the
 * completion off an I/O completion port the handle may be bound to (the
 * owner's thread pool would take our OVERLAPPED for one of its own). A
 * synchronous handle completes at once and never touches the event.
 * 0 or the call's GetLastError(). */
static DWORD mmk__lock_call(HANDLE h, int lock, DWORD fl, uint64_t lo,
                            uint64_t hi) {
  OVERLAPPED ov;
  DWORD nlo, nhi, e = 0, got;
  HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);
  BOOL ok;
  if (!ev) return GetLastError();
  mmk__overlapped(lo, hi, &ov, &nlo, &nhi);
  ov.hEvent = (HANDLE)((uintptr_t)ev | 1);
  ok = lock ? LockFileEx(h, fl, 0, nlo, nhi, &ov)
            : UnlockFileEx(h, 0, nlo, nhi, &ov);
  if (!ok) {
    e = GetLastError();
    if (e == ERROR_IO_PENDING)
      e = GetOverlappedResult(h, &ov, &got, TRUE) ? 0 : GetLastError();
  }
  CloseHandle(ev);
  return e;
}

typedef LONG(NTAPI *mmk__nt_query_file)(HANDLE, void *, void *, ULONG, int);

/* Whether h was opened for overlapped I/O: FileModeInformation (16)
 * without FILE_SYNCHRONOUS_IO_ALERT / _NONALERT (0x10 / 0x20). */
static int mmk__is_overlapped(HANDLE h) {
  static mmk__nt_query_file query;
  ULONG_PTR io[2];
  ULONG mode = 0;
  if (!query)
    query = (mmk__nt_query_file)(void (*)(void))GetProcAddress(
        GetModuleHandleW(L"ntdll.dll"), "NtQueryInformationFile");
  return query && query(h, io, &mode, sizeof mode, 16) >= 0 &&
         !(mode & 0x30);
}

/* A waiting lock through an overlapped handle is a try-lock repeated
 * with a growing pause (1 to 16 ms): Windows would queue the request,
 * but Wine acknowledges it without queuing it (a lock granted to no
 * one), so a queued wait could be neither trusted nor tested here. */
static DWORD mmk__lock_polling(HANDLE h, DWORD fl, uint64_t lo, uint64_t hi) {
  DWORD e, pause = 1;
  while ((e = mmk__lock_call(h, 1, fl | LOCKFILE_FAIL_IMMEDIATELY, lo, hi)) ==
         ERROR_LOCK_VIOLATION) {
    Sleep(pause);
    if (pause < 16) pause *= 2;
  }
  return e;
}

static int mmk__overlaps(const mmk__held *l, uint64_t lo, uint64_t hi) {
  return l->lo < hi && lo < l->hi;
}

int mmk__os_file_lock(mmk_file *f, int kind, int64_t offset, int64_t length,
                      int wait) {
  DWORD fl = 0, e = 0;
  uint64_t lo, hi;
  size_t i;
  int excl = kind == MMK_LOCK_EXCLUSIVE;
  if (f->kind != MMK_KIND_FILE) return MMK__WIN_ERR_SECTION_LOCK;
  mmk__span(offset, length, &lo, &hi);
  /* Through the same handle, Windows grants only shared over shared. */
  AcquireSRWLockShared(&mmk__locks_mu);
  for (i = 0; i < mmk__nlocks && !e; i++)
    if (mmk__locks[i].h == f->fd && mmk__overlaps(&mmk__locks[i], lo, hi) &&
        (excl || mmk__locks[i].exclusive))
      e = wait == MMK_LOCK_TRY ? ERROR_LOCK_VIOLATION : ERROR_POSSIBLE_DEADLOCK;
  ReleaseSRWLockShared(&mmk__locks_mu);
  if (e) return (int)e;
  AcquireSRWLockExclusive(&mmk__locks_mu);
  if (mmk__nlocks == mmk__locks_cap) {
    size_t cap = mmk__locks_cap ? 2 * mmk__locks_cap : 8;
    mmk__held *n = realloc(mmk__locks, cap * sizeof *n);
    if (!n) e = ERROR_NOT_ENOUGH_MEMORY;
    else mmk__locks = n, mmk__locks_cap = cap;
  }
  ReleaseSRWLockExclusive(&mmk__locks_mu);
  if (e) return (int)e; /* room first: a granted lock is always tracked */
  if (excl) fl |= LOCKFILE_EXCLUSIVE_LOCK;
  if (wait == MMK_LOCK_TRY) fl |= LOCKFILE_FAIL_IMMEDIATELY;
  e = wait != MMK_LOCK_TRY && mmk__is_overlapped(f->fd)
          ? mmk__lock_polling(f->fd, fl, lo, hi)
          : mmk__lock_call(f->fd, 1, fl, lo, hi);
  if (e) return (int)e;
  AcquireSRWLockExclusive(&mmk__locks_mu);
  if (mmk__nlocks == mmk__locks_cap) { /* another thread took the room */
    size_t cap = 2 * mmk__locks_cap;
    mmk__held *n = realloc(mmk__locks, cap * sizeof *n);
    if (!n) {
      ReleaseSRWLockExclusive(&mmk__locks_mu);
      mmk__lock_call(f->fd, 0, 0, lo, hi);
      return ERROR_NOT_ENOUGH_MEMORY;
    }
    mmk__locks = n, mmk__locks_cap = cap;
  }
  mmk__locks[mmk__nlocks].h = f->fd;
  mmk__locks[mmk__nlocks].lo = lo;
  mmk__locks[mmk__nlocks].hi = hi;
  mmk__locks[mmk__nlocks].exclusive = excl;
  mmk__nlocks++;
  ReleaseSRWLockExclusive(&mmk__locks_mu);
  return 0;
}

/* Unlocks every range of the handle inside [offset, offset+length), each
 * exactly as it was locked; a range only partly inside refuses the call
 * before anything is unlocked. Nothing held there: 0, as on POSIX. */
int mmk__os_file_unlock(mmk_file *f, int64_t offset, int64_t length) {
  DWORD e = 0, u;
  uint64_t lo, hi;
  size_t i;
  if (f->kind != MMK_KIND_FILE) return MMK__WIN_ERR_SECTION_LOCK;
  mmk__span(offset, length, &lo, &hi);
  AcquireSRWLockExclusive(&mmk__locks_mu);
  for (i = 0; i < mmk__nlocks; i++) {
    const mmk__held *l = &mmk__locks[i];
    if (l->h == f->fd && mmk__overlaps(l, lo, hi) &&
        (l->lo < lo || l->hi > hi)) {
      ReleaseSRWLockExclusive(&mmk__locks_mu);
      return MMK__WIN_ERR_UNLOCK_PART;
    }
  }
  for (i = 0; i < mmk__nlocks;) {
    mmk__held *l = &mmk__locks[i];
    if (l->h != f->fd || !mmk__overlaps(l, lo, hi)) {
      i++;
      continue;
    }
    u = mmk__lock_call(f->fd, 0, 0, l->lo, l->hi);
    if (u && u != ERROR_NOT_LOCKED && !e) e = u;
    *l = mmk__locks[--mmk__nlocks];
  }
  ReleaseSRWLockExclusive(&mmk__locks_mu);
  return (int)e;
}

/* The handle is being closed (its locks go with it): forget them, so
 * that a later handle of the same value starts with none. */
void mmk__win_locks_forget(void *h) {
  size_t i;
  AcquireSRWLockExclusive(&mmk__locks_mu);
  for (i = 0; i < mmk__nlocks;)
    if (mmk__locks[i].h == h)
      mmk__locks[i] = mmk__locks[--mmk__nlocks];
    else
      i++;
  ReleaseSRWLockExclusive(&mmk__locks_mu);
}
