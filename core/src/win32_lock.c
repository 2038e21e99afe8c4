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

static int mmk__overlaps(const mmk__held *l, uint64_t lo, uint64_t hi) {
  return l->lo < hi && lo < l->hi;
}

int mmk__os_file_lock(mmk_file *f, int kind, int64_t offset, int64_t length,
                      int wait) {
  OVERLAPPED ov;
  DWORD nlo, nhi, fl = 0, e = 0;
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
  mmk__overlapped(lo, hi, &ov, &nlo, &nhi);
  if (!LockFileEx(f->fd, fl, 0, nlo, nhi, &ov)) return (int)GetLastError();
  AcquireSRWLockExclusive(&mmk__locks_mu);
  if (mmk__nlocks == mmk__locks_cap) { /* another thread took the room */
    size_t cap = 2 * mmk__locks_cap;
    mmk__held *n = realloc(mmk__locks, cap * sizeof *n);
    if (!n) {
      ReleaseSRWLockExclusive(&mmk__locks_mu);
      UnlockFileEx(f->fd, 0, nlo, nhi, &ov);
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
  OVERLAPPED ov;
  DWORD nlo, nhi, e = 0;
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
    mmk__overlapped(l->lo, l->hi, &ov, &nlo, &nhi);
    if (!UnlockFileEx(f->fd, 0, nlo, nhi, &ov) &&
        GetLastError() != ERROR_NOT_LOCKED && !e)
      e = GetLastError();
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
