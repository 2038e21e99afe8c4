/*
 * Win32 backend, part 1: the platform functions of os.h (errors, clock,
 * threads), files by UTF-8 path, a caller's handle (its duplicate, kind
 * and access, its name: mmk_file_from_handle is in file.c), named and
 * anonymous shared memory as paging-file sections (created in
 * win32_shm.c). Views are in
 * win32_view.c, the fault guard in win32_guard.c, locks in win32_lock.c.
 * Only OS calls: every check and state machine is in the common code.
 *
 * Windows facts this file is built on (os.h conventions otherwise):
 * - The native error is GetLastError(); mmk__os_status is its one
 *   translation, the Win32 code stays in the error detail.
 * - Shared and anonymous memory are sections backed by the paging file,
 *   whose size is fixed when they are created (hence the size argument of
 *   mmk__os_open / mmk__os_anon_open): they can neither grow nor shrink
 *   (MMK_ENOTSUP), and a name lives until its last handle and view are
 *   closed (shm_unlink cannot remove it earlier).
 * - No signals: nothing is ever interrupted (no EINTR anywhere).
 */
#include "internal.h"
#include "win32.h"

#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <aclapi.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

_Static_assert(sizeof(mmk__mutex) == sizeof(SRWLOCK), "mmk__mutex layout");
_Static_assert(sizeof(mmk__once) == sizeof(INIT_ONCE), "mmk__once layout");
_Static_assert(sizeof(mmk__tls_key) == sizeof(DWORD), "mmk__tls_key layout");

/* ------------------------------------------------------------------------
 * Platform (os.h)
 * ---------------------------------------------------------------------- */

size_t mmk__os_page_size(void) {
  SYSTEM_INFO si;
  GetSystemInfo(&si);
  return si.dwPageSize ? si.dwPageSize : 4096;
}

/* MapViewOfFileEx takes offsets and addresses in multiples of the
 * allocation granularity (64 KiB), not of the page. */
size_t mmk__os_map_granularity(void) {
  SYSTEM_INFO si;
  GetSystemInfo(&si);
  return si.dwAllocationGranularity ? si.dwAllocationGranularity : 65536;
}

int mmk__os_status(int err) {
  switch ((DWORD)err) {
  case 0: return MMK_EUNKNOWN;
  case MMK__WIN_ERR_UNLOCK_PART: return MMK_EINVAL;
  case MMK__WIN_ERR_SECTION_LOCK: return MMK_ENOTSUP;
  case ERROR_FILE_NOT_FOUND:
  case ERROR_PATH_NOT_FOUND:
  case ERROR_INVALID_DRIVE:
  case ERROR_BAD_NETPATH:
  case ERROR_BAD_PATHNAME: return MMK_ENOENT;
  case ERROR_TOO_MANY_OPEN_FILES: return MMK_EMFILE;
  case ERROR_ACCESS_DENIED:
  case ERROR_INVALID_ACCESS: return MMK_EACCES;
  case ERROR_PRIVILEGE_NOT_HELD: return MMK_EPERM;
  case ERROR_INVALID_HANDLE: return MMK_EBADF;
  case ERROR_NOT_ENOUGH_MEMORY:
  case ERROR_OUTOFMEMORY:
  case ERROR_COMMITMENT_LIMIT:
  case ERROR_WORKING_SET_QUOTA:
  case ERROR_NO_SYSTEM_RESOURCES: return MMK_ENOMEM;
  case ERROR_INVALID_PARAMETER:
  case ERROR_INVALID_NAME:
  case ERROR_MAPPED_ALIGNMENT:
  case ERROR_NOT_LOCKED: return MMK_EINVAL;
  case ERROR_WRITE_PROTECT: return MMK_EROFS;
  case ERROR_SHARING_VIOLATION:
  case ERROR_BUSY:
  /* SetEndOfFile below the end of a mapped view. */
  case ERROR_USER_MAPPED_FILE: return MMK_EBUSY;
  case ERROR_LOCK_VIOLATION: return MMK_EAGAIN; /* a conflicting lock */
  case ERROR_HANDLE_DISK_FULL:
  case ERROR_DISK_FULL:
  case 1295 /* ERROR_DISK_QUOTA_EXCEEDED */: return MMK_ENOSPC;
  case ERROR_INVALID_FUNCTION:
  case ERROR_NOT_SUPPORTED:
  case ERROR_CALL_NOT_IMPLEMENTED: return MMK_ENOTSUP;
  case ERROR_FILE_EXISTS:
  case ERROR_ALREADY_EXISTS: return MMK_EEXIST;
  case ERROR_FILENAME_EXCED_RANGE: return MMK_ENAMETOOLONG;
  case ERROR_DIRECTORY: return MMK_ENOENT;
  case ERROR_DEV_NOT_EXIST:
  case ERROR_FILE_INVALID: return MMK_ENODEV;
  case ERROR_FILE_TOO_LARGE:
  case ERROR_ARITHMETIC_OVERFLOW: return MMK_EFBIG;
  case ERROR_POSSIBLE_DEADLOCK: return MMK_EDEADLK;
  case ERROR_TIMEOUT:
  case WAIT_TIMEOUT: return MMK_ETIMEDOUT;
  /* The kernel touched mapped memory it could not page in. */
  case ERROR_NOACCESS:
  case ERROR_CRC:
  case ERROR_NOT_READY:
  case ERROR_IO_DEVICE: return MMK_EIO;
  default: return MMK_EUNKNOWN;
  }
}

const char *mmk__os_reason(int err, char *buf, size_t len) {
  DWORD n;
  if ((DWORD)err == MMK__WIN_ERR_UNLOCK_PART)
    return "Windows unlocks a byte range only exactly as it was locked";
  if ((DWORD)err == MMK__WIN_ERR_SECTION_LOCK)
    return "Windows shared and anonymous memory takes no byte-range locks "
           "(LockFileEx needs a file)";
  n = FormatMessageA(
      FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
      (DWORD)err, MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US), buf,
      (DWORD)len, NULL);
  if (n == 0) {
    snprintf(buf, len, "Win32 error %d", err);
    return buf;
  }
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
                   buf[n - 1] == ' ' || buf[n - 1] == '.'))
    buf[--n] = '\0';
  return buf;
}

int mmk__win_error(unsigned long err, const char *op, const char *call,
                   const char *path, const char *fmt, ...) {
  char extra[192];
  extra[0] = '\0';
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(extra, sizeof extra, fmt, ap);
    va_end(ap);
  }
  return mmk__set_error(mmk__os_status((int)err), (int)err, op, path, NULL,
                        "%s: Win32 error %lu%s%s", call, err,
                        extra[0] ? ", " : "", extra);
}

void mmk__os_yield(void) { SwitchToThread(); }

int mmk__os_sleep_ns(int64_t ns) {
  Sleep(ns <= 0 ? 0 : (DWORD)((ns + 999999) / 1000000));
  return 0;
}

int64_t mmk__os_now_ns(void) {
  static LARGE_INTEGER freq; /* constant after boot: a benign race */
  LARGE_INTEGER c;
  if (!freq.QuadPart) QueryPerformanceFrequency(&freq);
  QueryPerformanceCounter(&c);
  return (int64_t)(c.QuadPart / freq.QuadPart) * 1000000000 +
         (int64_t)(c.QuadPart % freq.QuadPart) * 1000000000 / freq.QuadPart;
}

/* FlushProcessWriteBuffers would do, but Wine 8 implements it as a stub
 * that orders nothing: the calls fence themselves instead. */
int mmk__os_barrier_register(void) { return MMK__OS_CANNOT; }
int mmk__os_barrier(void) { return MMK__OS_CANNOT; }

int mmk__mutex_init(mmk__mutex *m) {
  InitializeSRWLock((SRWLOCK *)m);
  return 0;
}
void mmk__mutex_destroy(mmk__mutex *m) { (void)m; }
void mmk__mutex_lock(mmk__mutex *m) { AcquireSRWLockExclusive((SRWLOCK *)m); }
void mmk__mutex_unlock(mmk__mutex *m) {
  ReleaseSRWLockExclusive((SRWLOCK *)m);
}

static BOOL CALLBACK mmk__once_cb(INIT_ONCE *o, void *fn, void **ctx) {
  (void)o, (void)ctx;
  ((void (*)(void))fn)();
  return TRUE;
}
void mmk__os_once(mmk__once *o, void (*fn)(void)) {
  InitOnceExecuteOnce((INIT_ONCE *)o, mmk__once_cb, (void *)fn, NULL);
}

/* Fiber-local storage: its callback runs at thread exit with the
 * thread's value, like a pthread key destructor. */
void mmk__os_key_create(mmk__tls_key *k, void (*dtor)(void *)) {
  *k = FlsAlloc((PFLS_CALLBACK_FUNCTION)(void (*)(void))dtor);
}
void mmk__os_key_set(mmk__tls_key k, void *value) { FlsSetValue(k, value); }

/* ------------------------------------------------------------------------
 * Wait / wake: WaitOnAddress only wakes threads of the same process, and
 * the words live in memory shared between processes: MMK__OS_CANNOT, the
 * common code's bounded spin then sleep serves both.
 * ---------------------------------------------------------------------- */

int mmk__os_wait32(void *addr, uint32_t expected, int64_t deadline_ns,
                   const char *path, int64_t off) {
  (void)addr, (void)expected, (void)deadline_ns, (void)path, (void)off;
  return MMK__OS_CANNOT;
}

int mmk__os_wake(void *addr, int count, const char *path, int64_t off,
                 int *woken) {
  (void)addr, (void)count, (void)path, (void)off;
  *woken = 0;
  return MMK__OS_CANNOT;
}

/* ------------------------------------------------------------------------
 * Names: UTF-8 to UTF-16
 * ---------------------------------------------------------------------- */

/* A malloc'ed UTF-16 copy of s behind prefix; a path too long for the
 * classic API gets the \\?\ form of its full path (no MAX_PATH limit).
 * NULL with the error recorded. */
wchar_t *mmk__wide(const char *s, const wchar_t *prefix, int is_path,
                   const char *op) {
  size_t pre = wcslen(prefix);
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
  wchar_t *w;
  if (n <= 0)
    return mmk__set_error(MMK_EINVAL, 0, op, s, "not valid UTF-8", NULL),
           NULL;
  w = malloc((pre + (size_t)n) * sizeof *w);
  if (!w)
    return mmk__win_error(ERROR_NOT_ENOUGH_MEMORY, op, "malloc", s, NULL),
           NULL;
  wmemcpy(w, prefix, pre);
  MultiByteToWideChar(CP_UTF8, 0, s, -1, w + pre, n);
  if (is_path) {
    /* Windows file systems take at most 255 UTF-16 units a component
     * (Wine passes longer ones on to the host, which may take them). */
    const wchar_t *c = w + pre, *q;
    for (q = c;; q++) {
      if (*q && *q != L'\\' && *q != L'/') continue;
      if (q - c > 255) {
        free(w);
        return mmk__set_error(MMK_ENAMETOOLONG, 0, op, s,
                              "a path component is longer than 255 "
                              "characters",
                              "%d characters", (int)(q - c)),
               NULL;
      }
      if (!*q) break;
      c = q + 1;
    }
  }
  if (is_path && n >= MAX_PATH - 12 && wcsncmp(w, L"\\\\", 2) != 0) {
    DWORD full = GetFullPathNameW(w, 0, NULL, NULL);
    wchar_t *l = full ? malloc((full + 4) * sizeof *l) : NULL;
    if (l) {
      wmemcpy(l, L"\\\\?\\", 4);
      GetFullPathNameW(w, full, l + 4, NULL);
      free(w);
      w = l; /* GetFullPathNameW already turned '/' into '\' */
    }
  }
  return w;
}

/* ------------------------------------------------------------------------
 * Sections: their size (shared and anonymous memory, win32_shm.c)
 * ---------------------------------------------------------------------- */

typedef struct {
  PVOID base;
  ULONG attributes;
  LARGE_INTEGER size;
} mmk__section_info;
typedef LONG(NTAPI *mmk__nt_query_section)(HANDLE, int, PVOID, SIZE_T,
                                            PSIZE_T);

/* The exact size of a section (NtQuerySection: no Win32 call gives it).
 * 0 if h is not a section. */
int mmk__section_size(void *h, int64_t *size) {
  static mmk__nt_query_section q;
  mmk__section_info info;
  if (!q)
    q = (mmk__nt_query_section)(void (*)(void))GetProcAddress(
        GetModuleHandleW(L"ntdll.dll"), "NtQuerySection");
  if (!q || q(h, 0 /* SectionBasicInformation */, &info, sizeof info,
              NULL) < 0)
    return 0;
  *size = info.size.QuadPart;
  return 1;
}

/* ------------------------------------------------------------------------
 * Files
 * ---------------------------------------------------------------------- */

static HANDLE mmk__create(const wchar_t *w, int mode, DWORD disp) {
  DWORD acc = GENERIC_READ | (mode == MMK_WRITE ? GENERIC_WRITE : 0);
  /* BACKUP_SEMANTICS: a directory opens too, and is then refused as one
   * by the common code's check (MMK_EISDIR), as on POSIX. */
  return CreateFileW(w, acc, FILE_SHARE_READ | FILE_SHARE_WRITE |
                                 FILE_SHARE_DELETE,
                     NULL, disp,
                     FILE_ATTRIBUTE_NORMAL | FILE_FLAG_BACKUP_SEMANTICS, NULL);
}

/* CREATE without EXCLUSIVE: an exclusive create, then an open of what
 * exists, so *created is exact; a name that vanishes in between is
 * tried again. */
static HANDLE mmk__open_created(const wchar_t *w, int mode, unsigned flags,
                                int *created) {
  HANDLE h;
  int tries;
  *created = 0;
  if (!(flags & MMK_CREATE)) return mmk__create(w, mode, OPEN_EXISTING);
  for (tries = 0; tries < 4; tries++) {
    h = mmk__create(w, mode, CREATE_NEW);
    if (h != INVALID_HANDLE_VALUE) {
      *created = 1;
      return h;
    }
    if ((flags & MMK_EXCLUSIVE) || GetLastError() != ERROR_FILE_EXISTS)
      return h;
    h = mmk__create(w, mode, OPEN_EXISTING);
    if (h != INVALID_HANDLE_VALUE || GetLastError() != ERROR_FILE_NOT_FOUND)
      return h;
  }
  return h;
}

int mmk__os_open(int kind, const char *name, int mode, unsigned flags,
                 int64_t size, mmk__os_fd *fd, int *created) {
  wchar_t *w;
  HANDLE h;
  DWORD e, attr;
  if (kind == MMK_KIND_SHM)
    return mmk__shm_open(name, mode, flags, size, (HANDLE *)fd, created);
  w = mmk__wide(name, L"", 1, "open");
  if (!w) return mmk_last_error()->code; /* recorded by mmk__wide */
  h = mmk__open_created(w, mode, flags, created);
  e = GetLastError();
  attr = h == INVALID_HANDLE_VALUE ? GetFileAttributesW(w) : 0;
  free(w);
  if (h == INVALID_HANDLE_VALUE) {
    /* A directory opened for writing: POSIX says EISDIR. */
    if (e == ERROR_ACCESS_DENIED && attr != INVALID_FILE_ATTRIBUTES &&
        (attr & FILE_ATTRIBUTE_DIRECTORY))
      return mmk__set_error(MMK_EISDIR, 0, "open", name, NULL, NULL);
    return mmk__win_error(e, "open", "CreateFileW", name, NULL);
  }
  *fd = h;
  return 0;
}

int mmk__os_close(mmk__os_fd fd) {
  mmk__win_locks_forget(fd);
  return CloseHandle(fd) ? 0 : (int)GetLastError();
}

/* Is the account that owns a kernel object this process's user? What
 * cannot be found out counts as foreign. */
void mmk__os_owner_of(mmk__os_fd fd, const mmk__os_stat *st,
                      mmk__os_owner *o) {
  PSID owner = NULL;
  PSECURITY_DESCRIPTOR sd = NULL;
  HANDLE tok;
  char buf[256];
  DWORD n;
  (void)st;
  o->ours = 0;
  o->uid = o->self = -1; /* SIDs, not numbers */
  o->perm = 0;
  if (GetSecurityInfo(fd, SE_KERNEL_OBJECT, OWNER_SECURITY_INFORMATION,
                      &owner, NULL, NULL, NULL, &sd) != ERROR_SUCCESS)
    return;
  if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok)) {
    if (GetTokenInformation(tok, TokenUser, buf, sizeof buf, &n))
      o->ours = EqualSid(owner, ((TOKEN_USER *)buf)->User.Sid) ? 1 : 0;
    CloseHandle(tok);
  }
  LocalFree(sd);
}

int mmk__os_stat_fd(mmk__os_fd fd, mmk__os_stat *st, const char *path) {
  BY_HANDLE_FILE_INFORMATION bi;
  memset(st, 0, sizeof *st);
  if (mmk__section_size(fd, &st->size)) {
    st->type = MMK__OS_REG;
    st->dev = 0;
    st->ino = (uint64_t)(uintptr_t)fd;
    return 0;
  }
  if (GetFileType(fd) != FILE_TYPE_DISK) {
    st->type = MMK__OS_OTHER; /* pipe, console, device */
    return 0;
  }
  if (!GetFileInformationByHandle(fd, &bi))
    return mmk__win_error(GetLastError(), "open", "GetFileInformationByHandle",
                          path,
                          NULL);
  st->type = (bi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) ? MMK__OS_DIR
                                                               : MMK__OS_REG;
  st->size = (int64_t)(((uint64_t)bi.nFileSizeHigh << 32) | bi.nFileSizeLow);
  st->dev = bi.dwVolumeSerialNumber;
  st->ino = ((uint64_t)bi.nFileIndexHigh << 32) | bi.nFileIndexLow;
  return 0;
}

/* The device namespace: \\.\ paths and the reserved DOS device names
 * (NUL, CON, COM1...), in any directory and with any extension. */
int mmk__os_stat_device(const char *path, mmk__os_stat *st) {
  static const char *const names[] = {"CON", "PRN", "AUX", "NUL", "CONIN$",
                                      "CONOUT$"};
  const char *b = path, *p;
  size_t n, i;
  if ((path[0] == '\\' || path[0] == '/') &&
      (path[1] == '\\' || path[1] == '/') && path[2] == '.' &&
      (path[3] == '\\' || path[3] == '/'))
    goto device;
  for (p = path; *p; p++)
    if (*p == '/' || *p == '\\' || *p == ':') b = p + 1;
  for (n = 0; b[n] && b[n] != '.'; n++) {}
  while (n > 0 && b[n - 1] == ' ') n--;
  for (i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strlen(names[i]) == n && _strnicmp(b, names[i], n) == 0) goto device;
  if (n == 4 && (_strnicmp(b, "COM", 3) == 0 || _strnicmp(b, "LPT", 3) == 0) &&
      b[3] >= '1' && b[3] <= '9')
    goto device;
  return 0;
device:
  memset(st, 0, sizeof *st);
  st->type = MMK__OS_OTHER;
  return 1;
}

/* A created file is deleted again while the name still refers to it; a
 * section has no name of its own to remove (it goes with its handle). */
void mmk__os_undo_create(int kind, const char *path, const mmk__os_stat *st) {
  BY_HANDLE_FILE_INFORMATION bi;
  wchar_t *w;
  HANDLE h;
  if (kind != MMK_KIND_FILE) return;
  w = mmk__wide(path, L"", 1, "open");
  if (!w) return;
  h = CreateFileW(w, DELETE | FILE_READ_ATTRIBUTES,
                  FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                  OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
  free(w);
  if (h == INVALID_HANDLE_VALUE) return;
  if (GetFileInformationByHandle(h, &bi) &&
      bi.dwVolumeSerialNumber == st->dev &&
      (((uint64_t)bi.nFileIndexHigh << 32) | bi.nFileIndexLow) == st->ino) {
    FILE_DISPOSITION_INFO del = {TRUE};
    SetFileInformationByHandle(h, FileDispositionInfo, &del, sizeof del);
  }
  CloseHandle(h);
}

int mmk__os_file_size(mmk_file *f, int64_t *size) {
  LARGE_INTEGER n;
  if (f->kind != MMK_KIND_FILE) {
    if (mmk__section_size(f->fd, size)) return 0;
    return mmk__win_error(ERROR_INVALID_HANDLE, "size", "NtQuerySection",
                          mmk__fpath(f),
                          NULL);
  }
  if (!GetFileSizeEx(f->fd, &n))
    return mmk__win_error(GetLastError(), "size", "GetFileSizeEx",
                          mmk__fpath(f), NULL);
  *size = n.QuadPart;
  return 0;
}

static int mmk__section_fixed(mmk_file *f, int64_t size, const char *op) {
  int64_t cur;
  int r = mmk__os_file_size(f, &cur);
  if (r || size == cur) return r;
  return mmk__set_error(MMK_ENOTSUP, 0, op, mmk__fpath(f),
                        "Windows shared and anonymous memory keeps the size "
                        "it was created with",
                        "size %lld, asked for %lld", (long long)cur,
                        (long long)size);
}

/* Sets the end of file for op. Growing, ERROR_INVALID_PARAMETER means a
 * size past what the file system holds (Wine: EFBIG from ftruncate):
 * MMK_EFBIG, as POSIX says. */
static int mmk__set_eof(mmk_file *f, int64_t size, int growing,
                        const char *op) {
  FILE_END_OF_FILE_INFO eof;
  DWORD e;
  eof.EndOfFile.QuadPart = size;
  if (SetFileInformationByHandle(f->fd, FileEndOfFileInfo, &eof, sizeof eof))
    return 0;
  e = GetLastError();
  if (growing && e == ERROR_INVALID_PARAMETER)
    return mmk__set_error(MMK_EFBIG, (int)e, op, mmk__fpath(f),
                          "larger than the file system's largest file",
                          "SetFileInformationByHandle(FileEndOfFileInfo): "
                          "Win32 error %lu, size %lld",
                          e, (long long)size);
  return mmk__win_error(e, op, "SetFileInformationByHandle(FileEndOfFileInfo)",
                        mmk__fpath(f), "size %lld", (long long)size);
}

/* Fails with ERROR_USER_MAPPED_FILE (MMK_EBUSY) below the end of a
 * mapped view: Windows never shrinks a file under a mapping. */
int mmk__os_file_truncate(mmk_file *f, int64_t size) {
  if (f->kind != MMK_KIND_FILE) return mmk__section_fixed(f, size, "resize");
  return mmk__set_eof(f, size, 0, "resize");
}

/* The allocation is set first, which reserves the clusters (a full disk
 * is ERROR_DISK_FULL here), then the end of file; the size is read again
 * right before, so a larger size another process reached is kept. Where
 * the allocation cannot be set (Wine 8: not implemented), the end of file
 * alone: on NTFS, whose files are not sparse unless asked, that allocates
 * the clusters too. */
int mmk__os_file_grow(mmk_file *f, int64_t cur, int64_t new_size,
                      const char *op) {
  FILE_ALLOCATION_INFO alloc;
  int64_t now;
  int r;
  if (f->kind != MMK_KIND_FILE) {
    r = mmk__os_file_size(f, &now);
    return r ? r : now >= new_size ? 0 : mmk__section_fixed(f, new_size, op);
  }
  r = mmk__os_file_size(f, &now);
  if (r || now >= new_size) return r;
  alloc.AllocationSize.QuadPart = new_size;
  if (!SetFileInformationByHandle(f->fd, FileAllocationInfo, &alloc,
                                  sizeof alloc)) {
    DWORD e = GetLastError();
    if (e != ERROR_CALL_NOT_IMPLEMENTED && e != ERROR_NOT_SUPPORTED &&
        e != ERROR_INVALID_PARAMETER && e != ERROR_INVALID_FUNCTION)
      return mmk__win_error(e, op,
                            "SetFileInformationByHandle(FileAllocationInfo)",
                            mmk__fpath(f), "growing from %lld to %lld bytes",
                            (long long)cur, (long long)new_size);
  }
  return mmk__set_eof(f, new_size, 1, op);
}

/* NtQueryObject's ObjectBasicInformation: the access the handle was
 * granted (no Win32 call tells it). */
typedef struct {
  ULONG attributes;
  ACCESS_MASK granted;
  ULONG handles, pointers, reserved[10];
} mmk__object_info;
typedef LONG(NTAPI *mmk__nt_query_object)(HANDLE, int, PVOID, ULONG, PULONG);

/* The final path name of a file on disk (\\?\C:\... without the \\?\,
 * \\?\UNC\server\... as \\server\...). Only a file on disk is asked:
 * asking a pipe for its name can block behind a read another thread has
 * pending on it. */
int mmk__os_fd_name(mmk__os_fd h, char *buf, size_t len) {
  DWORD saved = GetLastError(), n;
  int saved_errno = errno, named = 0;
  wchar_t w[1024];
  wchar_t *p = w;
  if (GetFileType(h) == FILE_TYPE_DISK &&
      (n = GetFinalPathNameByHandleW(h, w, 1024, FILE_NAME_NORMALIZED)) > 0 &&
      n < 1024) {
    if (wcsncmp(p, L"\\\\?\\UNC\\", 8) == 0)
      p += 6, p[0] = L'\\';
    else if (wcsncmp(p, L"\\\\?\\", 4) == 0)
      p += 4;
    named = WideCharToMultiByte(CP_UTF8, 0, p, -1, buf, (int)len, NULL,
                                NULL) > 0;
  }
  SetLastError(saved);
  errno = saved_errno;
  return named;
}

/* A native error for the common code: never 0 (which says success). */
static int mmk__last_error(void) {
  DWORD e = GetLastError();
  return e ? (int)e : ERROR_INVALID_HANDLE;
}

/* DuplicateHandle with the same access, not inheritable; the kind by
 * GetFileType, then GetFileInformationByHandle (a directory); the access
 * the handle was granted by NtQueryObject, or unknown (-1) without it. */
int mmk__os_adopt(mmk__os_fd callers, int want_write, mmk__os_fd *dup,
                  mmk__os_adopted *a) {
  static mmk__nt_query_object query;
  BY_HANDLE_FILE_INFORMATION bi;
  mmk__object_info oi;
  HANDLE h;
  DWORD type;
  (void)want_write;
  memset(a, 0, sizeof *a);
  a->can_read = a->can_write = -1;
  *dup = MMK__OS_FD_NONE;
  if (!DuplicateHandle(GetCurrentProcess(), callers, GetCurrentProcess(), &h,
                       0, FALSE, DUPLICATE_SAME_ACCESS))
    return mmk__last_error();
  *dup = h;
  type = GetFileType(h);
  if (type != FILE_TYPE_DISK) {
    a->kind = type == FILE_TYPE_PIPE   ? MMK__OS_ADOPT_PIPE
              : type == FILE_TYPE_CHAR ? MMK__OS_ADOPT_CHAR
                                       : MMK__OS_ADOPT_OTHER;
    return 0;
  }
  if (!GetFileInformationByHandle(h, &bi)) return mmk__last_error();
  if (bi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
    a->kind = MMK__OS_ADOPT_DIR;
    return 0;
  }
  a->kind = MMK__OS_ADOPT_REG;
  if (!query)
    query = (mmk__nt_query_object)(void (*)(void))GetProcAddress(
        GetModuleHandleW(L"ntdll.dll"), "NtQueryObject");
  if (query && query(h, 0 /* ObjectBasicInformation */, &oi, sizeof oi,
                     NULL) >= 0) {
    a->can_read = (oi.granted & FILE_READ_DATA) != 0;
    a->can_write = (oi.granted & FILE_WRITE_DATA) != 0;
  }
  return 0;
}
