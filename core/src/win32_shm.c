/*
 * Win32 backend, part 4: named and anonymous shared memory, as sections
 * backed by the paging file (SEC_COMMIT: charged to the commit limit in
 * full when created, so a full paging file fails there and never as a
 * fault later). Their size is fixed at creation; a name lives until the
 * last handle and view of it close, in any process.
 */
#include "internal.h"
#include "win32.h"

#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <sddl.h>

#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

/* This process's user SID as an SDDL string (LocalFree it), or NULL. */
static wchar_t *mmk__user_sid(void) {
  char buf[256];
  DWORD n;
  HANDLE tok;
  wchar_t *sid = NULL;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok)) return NULL;
  if (GetTokenInformation(tok, TokenUser, buf, sizeof buf, &n))
    ConvertSidToStringSidW(((TOKEN_USER *)buf)->User.Sid, &sid);
  CloseHandle(tok);
  return sid;
}

/* Owner-only access (this account, nobody else), like the 0600 of POSIX
 * shared memory: a protected DACL granting all access to the user's SID
 * only, owned by that user (not the token's default owner, which may be a
 * group). Not the OWNER RIGHTS SID "OW": Wine does not honour it. */
static int mmk__owner_only(SECURITY_ATTRIBUTES *sa) {
  wchar_t sddl[256];
  wchar_t *sid = mmk__user_sid();
  BOOL ok;
  if (!sid) return (int)GetLastError();
  _snwprintf(sddl, sizeof sddl / sizeof sddl[0], L"O:%lsD:P(A;;GA;;;%ls)",
             sid, sid);
  sddl[sizeof sddl / sizeof sddl[0] - 1] = L'\0';
  LocalFree(sid);
  sa->nLength = sizeof *sa;
  sa->bInheritHandle = FALSE;
  ok = ConvertStringSecurityDescriptorToSecurityDescriptorW(
      sddl, SDDL_REVISION_1, &sa->lpSecurityDescriptor, NULL);
  return ok ? 0 : (int)GetLastError();
}

/* mmapkit name -> Windows name: "Local\" + name (this session). */
int mmk__shm_open(const char *name, int mode, unsigned flags, int64_t size,
                  void **out, int *created) {
  /* SECTION_QUERY for its size, READ_CONTROL for its owner. */
  DWORD acc = (mode == MMK_WRITE ? FILE_MAP_WRITE | FILE_MAP_READ
                                 : FILE_MAP_READ) |
              SECTION_QUERY | READ_CONTROL;
  wchar_t *w = mmk__wide(name, L"Local\\", 0, "shm_open");
  SECURITY_ATTRIBUTES sa;
  HANDLE h;
  int e;
  if (!w) return mmk_last_error()->code; /* recorded by mmk__wide */
  *created = 0;
  h = OpenFileMappingW(acc, FALSE, w);
  if (h && (flags & MMK_EXCLUSIVE)) {
    CloseHandle(h);
    free(w);
    return mmk__win_error(ERROR_ALREADY_EXISTS, "shm_open", "OpenFileMappingW",
                          name, NULL);
  }
  if (h || !(flags & MMK_CREATE) || GetLastError() != ERROR_FILE_NOT_FOUND) {
    e = h ? 0 : (int)GetLastError();
    free(w);
    if (!h)
      return mmk__win_error(e, "shm_open", "OpenFileMappingW", name, NULL);
    *out = h;
    return 0;
  }
  if (size <= 0) {
    free(w);
    return mmk__arg_error(MMK_EINVAL, "shm_open", name,
                          "Windows shared memory takes its size when it is "
                          "created: pass a size > 0");
  }
  e = mmk__owner_only(&sa);
  if (e) {
    free(w);
    return mmk__win_error(e, "shm_open",
                          "ConvertStringSecurityDescriptorToSecurityDescriptorW",
                          name, NULL);
  }
  /* SEC_COMMIT charges the whole size to the commit limit now: a full
   * paging file fails here, never as a fault later. */
  h = CreateFileMappingW(INVALID_HANDLE_VALUE, &sa, PAGE_READWRITE | SEC_COMMIT,
                         (DWORD)((uint64_t)size >> 32), (DWORD)size, w);
  e = (int)GetLastError();
  LocalFree(sa.lpSecurityDescriptor);
  free(w);
  if (!h)
    return mmk__win_error(e, "shm_open", "CreateFileMappingW", name, NULL);
  if (e == ERROR_ALREADY_EXISTS) { /* created by another process since */
    if (flags & MMK_EXCLUSIVE) {
      CloseHandle(h);
      return mmk__win_error(e, "shm_open", "CreateFileMappingW", name, NULL);
    }
  } else {
    *created = 1;
  }
  *out = h;
  return 0;
}

int mmk__os_shm_unlink(const char *name) {
  wchar_t *w = mmk__wide(name, L"Local\\", 0, "shm_unlink");
  HANDLE h;
  if (!w) return mmk_last_error()->code; /* recorded by mmk__wide */
  h = OpenFileMappingW(FILE_MAP_READ, FALSE, w);
  free(w);
  if (!h)
    return mmk__win_error(GetLastError(), "shm_unlink", "OpenFileMappingW",
                          name, NULL);
  /* The name goes with the last handle and view, in whichever process. */
  CloseHandle(h);
  return 0;
}

/* Inheritable, so that a child process given the handle's value can map
 * it (CreateProcess with bInheritHandles). */
int mmk__os_anon_open(int64_t size, mmk__os_fd *out) {
  SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
  HANDLE h = CreateFileMappingW(INVALID_HANDLE_VALUE, &sa,
                                PAGE_READWRITE | SEC_COMMIT,
                                (DWORD)((uint64_t)size >> 32), (DWORD)size,
                                NULL);
  if (!h)
    return mmk__win_error(GetLastError(), "anon_create",
                          "CreateFileMappingW", "", "size %lld",
                          (long long)size);
  *out = h;
  return 0;
}
