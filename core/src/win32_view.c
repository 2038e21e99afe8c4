/*
 * Win32 backend, part 2: the views of os.h (map, grow within a
 * reservation, shrink, unmap, flush, advise, lock, residency).
 *
 * A view is one or more MapViewOfFileEx mappings laid end to end from
 * base (one per growth inside a reservation), each starting at a multiple
 * of the 64 KiB granularity; the unused rest of a reservation is one
 * MEM_RESERVE region from the granule after them. A growth that starts
 * inside the last mapping's granule maps that mapping again, longer. Nothing about the chunks is stored: VirtualQuery tells each
 * mapping's AllocationBase when they are unmapped.
 *
 * Reservations use the fallback path: the address range is reserved,
 * released and mapped at once (MapViewOfFileEx at that address), with a
 * retry when another thread's allocation took it in between. The
 * placeholder API (VirtualAlloc2 + MapViewOfFile3, Windows 10 1803+) would
 * close that window; Wine 8 rejects MEM_RESERVE_PLACEHOLDER, so it could
 * not be tested here.
 */
#include "internal.h"
#include "win32.h"

#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <psapi.h>

static DWORD mmk__page_prot(const mmk_view *v) {
  return v->cow ? PAGE_WRITECOPY : v->writable ? PAGE_READWRITE
                                               : PAGE_READONLY;
}

static DWORD mmk__view_access(const mmk_view *v) {
  return v->cow ? FILE_MAP_COPY
                : v->writable ? FILE_MAP_WRITE | FILE_MAP_READ : FILE_MAP_READ;
}

typedef BOOL(WINAPI *mmk__prefetch_fn)(HANDLE, ULONG_PTR, PVOID, ULONG);

/* PrefetchVirtualMemory (Windows 8+); a no-op where it is missing. */
static void mmk__prefetch(void *p, size_t n) {
  static mmk__prefetch_fn fn;
  static int looked;
  struct {
    PVOID addr;
    SIZE_T n;
  } range = {p, n};
  if (!looked) {
    fn = (mmk__prefetch_fn)(void (*)(void))GetProcAddress(
        GetModuleHandleW(L"kernel32.dll"), "PrefetchVirtualMemory");
    looked = 1;
  }
  if (fn && n) fn(GetCurrentProcess(), 1, &range, 0);
}

/* Maps len bytes of the view's file from file offset off at addr (NULL:
 * anywhere). A file gets a section of its current size for the call
 * (closed at once: the mapping keeps it alive); shared and anonymous
 * memory is its section. The mapping stops at the end of the file or
 * section: Windows maps nothing past it (on POSIX those bytes would
 * fault). 0, a recorded status, or 1: MapViewOfFileEx failed, with
 * GetLastError() for the caller to record (it may retry instead). */
static int mmk__map_at(mmk_view *v, void *addr, int64_t off, size_t len,
                       void **out) {
  mmk_file *f = v->file;
  HANDLE sec = f->fd;
  int64_t size;
  DWORD e;
  void *p;
  int r = mmk__os_file_size(f, &size);
  if (r) return r;
  if (off >= size) {
    *out = NULL;
    return mmk__set_error(MMK_ERANGE, 0, "map", f->path,
                          "nothing of the file to map at this offset",
                          "offset %lld, file size %lld", (long long)off,
                          (long long)size);
  }
  if ((uint64_t)(size - off) < len) len = (size_t)(size - off);
  if (f->kind == MMK_KIND_FILE) {
    sec = CreateFileMappingW(f->fd, NULL, mmk__page_prot(v), 0, 0, NULL);
    if (!sec)
      return mmk__sys_error(GetLastError(), "CreateFileMapping", f->path,
                            NULL);
  }
  p = MapViewOfFileEx(sec, mmk__view_access(v), (DWORD)((uint64_t)off >> 32),
                      (DWORD)(uint64_t)off, len, addr);
  e = GetLastError();
  if (sec != f->fd) CloseHandle(sec);
  if (!p) {
    SetLastError(e);
    return 1;
  }
  if (v->options & MMK_MAP_POPULATE) mmk__prefetch(p, len);
  *out = p;
  return 0;
}

static int mmk__map_error(mmk_view *v, DWORD e, int64_t off, size_t len) {
  return mmk__sys_error((int)e, "MapViewOfFileEx", mmk__vpath(v),
                        "offset %lld, length %lld", (long long)off,
                        (long long)len);
}

/* Unmaps every mapping and releases every reservation in [p, p+n). */
static void mmk__release(unsigned char *p, size_t n) {
  unsigned char *end = p + n;
  void *last = NULL;
  MEMORY_BASIC_INFORMATION mi;
  while (p < end && VirtualQuery(p, &mi, sizeof mi)) {
    unsigned char *next = (unsigned char *)mi.BaseAddress + mi.RegionSize;
    if (mi.State != MEM_FREE && mi.AllocationBase != last) {
      last = mi.AllocationBase;
      if (mi.Type == MEM_MAPPED)
        UnmapViewOfFile(mi.AllocationBase);
      else
        VirtualFree(mi.AllocationBase, 0, MEM_RELEASE);
    }
    p = next;
  }
}

static size_t mmk__gran_up(size_t n) { return mmk__round_up(n, mmk__gran()); }

/* Reserves [from, res_len) of the view's address space (from rounded up
 * to the granularity): 1 if done or nothing to do. */
static int mmk__reserve_tail(mmk_view *v, size_t from) {
  from = mmk__gran_up(from);
  return from >= v->res_len ||
         VirtualAlloc(v->base + from, v->res_len - from, MEM_RESERVE,
                      PAGE_NOACCESS) != NULL;
}

/* Maps map_len bytes at the start of a reservation of res_len bytes. */
static int mmk__map_reserved(mmk_view *v) {
  int tries, r;
  DWORD e = 0;
  for (tries = 0; tries < 8; tries++) {
    unsigned char *b = VirtualAlloc(NULL, v->res_len, MEM_RESERVE,
                                    PAGE_NOACCESS);
    void *p;
    if (!b)
      return mmk__sys_error(GetLastError(), "VirtualAlloc", mmk__vpath(v),
                            "reserve %lld bytes", (long long)v->reserve);
    if (!v->map_len) {
      v->base = b;
      return 0;
    }
    VirtualFree(b, 0, MEM_RELEASE);
    r = mmk__map_at(v, b, v->aligned_off, v->map_len, &p);
    if (r < 0) return r;
    if (r) {
      e = GetLastError();
      if (e == ERROR_INVALID_ADDRESS) continue; /* taken meanwhile */
      return mmk__map_error(v, e, v->offset, (size_t)v->length);
    }
    v->base = b;
    if (mmk__reserve_tail(v, v->map_len)) return 0;
    e = GetLastError();
    v->base = NULL;
    UnmapViewOfFile(p);
  }
  return mmk__map_error(v, e, v->offset, (size_t)v->length);
}

int mmk__os_view_map(mmk_view *v) {
  void *p;
  int r;
  if (v->res_len) return mmk__map_reserved(v);
  if (!v->map_len) return 0;
  r = mmk__map_at(v, NULL, v->aligned_off, v->map_len, &p);
  if (r < 0) return r;
  if (r)
    return mmk__map_error(v, GetLastError(), v->offset, (size_t)v->length);
  v->base = p;
  return 0;
}

/* [from, to) is either pages of mapped chunks made inaccessible by a
 * shrink (given their protection back) or new: mapped from the granule
 * of from on, over the reservation's tail. When from is inside the last
 * mapping's granule, that mapping is mapped again from its start, in the
 * inert close's window (win32_guard.c): a thread touching it meanwhile
 * waits and retries, so readers of the growing view see no gap. A
 * copy-on-write view's private pages would be lost that way: MMK_ENOTSUP
 * there (reserve a multiple of 64 KiB, or map afresh). */
int mmk__os_view_map_more(mmk_view *v, size_t from, size_t to) {
  MEMORY_BASIC_INFORMATION mi;
  unsigned char *b = v->base, *start;
  size_t tail;
  DWORD old, e;
  void *p;
  int r;
  while (from < to && VirtualQuery(b + from, &mi, sizeof mi) &&
         mi.Type == MEM_MAPPED) {
    size_t n = (size_t)((unsigned char *)mi.BaseAddress + mi.RegionSize -
                        (b + from));
    if (n > to - from) n = to - from;
    if (!VirtualProtect(b + from, n, mmk__page_prot(v), &old))
      return mmk__sys_error(GetLastError(), "VirtualProtect", mmk__vpath(v),
                            NULL);
    from += n;
  }
  if (from >= to) return 0;
  start = b + from;
  if (from % mmk__gran()) {
    if (!VirtualQuery(b + from - 1, &mi, sizeof mi) || mi.Type != MEM_MAPPED)
      return mmk__set_error(MMK_ENOMEM, 0, "resize", mmk__vpath(v),
                            "the view's address space was lost", NULL);
    if (v->cow)
      return mmk__set_error(MMK_ENOTSUP, 0, "resize", mmk__vpath(v),
                            "a copy-on-write view grows inside its "
                            "reservation only by whole 64 KiB granules on "
                            "Windows",
                            "length %lld", (long long)(to - v->delta));
    start = mi.AllocationBase;
  }
  tail = mmk__gran_up(from);
  if (tail < v->res_len &&
      (!VirtualQuery(b + tail, &mi, sizeof mi) || mi.State != MEM_RESERVE ||
       mi.AllocationBase != b + tail))
    return mmk__set_error(MMK_ENOMEM, 0, "resize", mmk__vpath(v),
                          "the view's reserved address space was lost", NULL);
  if (start < b + from) mmk__win_inert_begin(start, (size_t)(b + to - start));
  if (start < b + from) UnmapViewOfFile(start);
  if (tail < v->res_len) VirtualFree(b + tail, 0, MEM_RELEASE);
  r = mmk__map_at(v, start, v->aligned_off + (int64_t)(start - b),
                  (size_t)(b + to - start), &p);
  e = GetLastError();
  if (r) { /* put back what was there */
    if (start < b + from)
      mmk__map_at(v, start, v->aligned_off + (int64_t)(start - b),
                  (size_t)(b + from - start), &p);
    mmk__reserve_tail(v, from);
  } else {
    mmk__reserve_tail(v, to);
  }
  if (start < b + from) mmk__win_inert_end(1);
  if (r > 0)
    return mmk__map_error(v, e, v->aligned_off + (int64_t)from, to - from);
  return r;
}

/* A view cannot be partly unmapped: the pages past the new end are made
 * inaccessible instead (mmk__os_view_map_more gives them back). */
int mmk__os_view_shrink(mmk_view *v, size_t new_map_len) {
  DWORD old;
  if (new_map_len >= v->map_len) return 0;
  if (!VirtualProtect(v->base + new_map_len, v->map_len - new_map_len,
                      PAGE_NOACCESS, &old))
    return mmk__sys_error(GetLastError(), "VirtualProtect", mmk__vpath(v),
                          "length %lld", (long long)(new_map_len - v->delta));
  return 0;
}

int mmk__os_view_map_fresh(mmk_view *v, size_t len, void **out) {
  int r = mmk__map_at(v, NULL, v->aligned_off, len, out);
  if (r == 1) return mmk__map_error(v, GetLastError(), v->aligned_off, len);
  return r;
}

void mmk__os_unmap(void *p, size_t len) { mmk__release(p, len); }

/* No mremap: the common code maps afresh (and copies a copy-on-write
 * view's pages itself). */
int mmk__os_view_move(mmk_view *v, size_t new_map_len) {
  (void)v, (void)new_map_len;
  return MMK__OS_CANNOT;
}

void mmk__os_view_unmap(mmk_view *v) {
  size_t n = v->res_len > v->map_len ? v->res_len : v->map_len;
  if (v->base && n) mmk__release(v->base, n);
  v->base = NULL;
  v->map_len = v->res_len = 0;
}

/* Windows cannot replace mapped pages by other memory in one step (no
 * MAP_FIXED): the views are unmapped and private zero pages committed at
 * the same addresses at once. A thread touching the range in between
 * faults; the vectored handler holds it until the new pages are there and
 * lets its access run again (win32_guard.c), so a stale pointer never
 * crashes and never reaches the file. Fails (-1, the range then left
 * unmapped) only if another thread's allocation took the addresses in
 * that window. */
int mmk__os_view_make_inert(mmk_view *v) {
  void *p;
  if (!v->base || !v->map_len) return 0;
  mmk__win_inert_begin(v->base, v->map_len);
  mmk__release(v->base, v->map_len);
  p = VirtualAlloc(v->base, v->map_len, MEM_RESERVE | MEM_COMMIT,
                   PAGE_READWRITE);
  mmk__win_inert_end(p != NULL);
  return p ? 0 : -1;
}

/* The bytes from start that are mapped and accessible (at most n): a
 * view's last chunk may end before map_len, at the end of the file. */
static size_t mmk__mapped_extent(void *start, size_t n) {
  unsigned char *p = start, *end = (unsigned char *)start + n;
  MEMORY_BASIC_INFORMATION mi;
  while (p < end && VirtualQuery(p, &mi, sizeof mi) && mi.Type == MEM_MAPPED &&
         mi.State == MEM_COMMIT && mi.Protect != PAGE_NOACCESS)
    p = (unsigned char *)mi.BaseAddress + mi.RegionSize;
  return p < end ? (size_t)(p - (unsigned char *)start) : n;
}

/* ASYNC: FlushViewOfFile, which starts the write of the dirty pages.
 * SYNC and FULL: then FlushFileBuffers, which waits for them and the
 * metadata and flushes the drive's cache too (so FULL adds nothing). */
int mmk__os_view_flush(mmk_view *v, void *start, size_t n, int how,
                       int64_t off, int64_t len) {
  size_t m = mmk__mapped_extent(start, n);
  if (m && !FlushViewOfFile(start, m))
    return mmk__sys_error(GetLastError(), "FlushViewOfFile", mmk__vpath(v),
                          "offset %lld, length %lld", (long long)off,
                          (long long)len);
  if (how != MMK_FLUSH_ASYNC && v->file->kind == MMK_KIND_FILE &&
      v->file->rdwr && !v->cow && !FlushFileBuffers(v->file->fd))
    return mmk__sys_error(GetLastError(), "FlushFileBuffers", mmk__vpath(v),
                          NULL);
  return 0;
}

/* SEQUENTIAL, RANDOM, NORMAL: Windows has no such hints (no-ops).
 * WILLNEED: PrefetchVirtualMemory. DONTNEED: the pages leave the working
 * set (VirtualUnlock of unlocked pages), their contents kept, as POSIX
 * keeps a shared mapping's; a copy-on-write view's private pages cannot
 * be dropped back to the file's (MMK_ENOTSUP). HUGEPAGE: MMK_ENOTSUP. */
int mmk__os_view_advise(mmk_view *v, void *start, size_t n, int advice,
                        int64_t off, int64_t len) {
  (void)off, (void)len;
  n = mmk__mapped_extent(start, n);
  switch (advice) {
  case MMK_ADVICE_WILLNEED: mmk__prefetch(start, n); return 0;
  case MMK_ADVICE_DONTNEED:
    if (v->cow)
      return mmk__arg_error(MMK_ENOTSUP, "advise", mmk__vpath(v),
                            "Windows cannot drop a copy-on-write view's "
                            "private pages");
    if (n) VirtualUnlock(start, n);
    return 0;
  case MMK_ADVICE_HUGEPAGE:
    return mmk__arg_error(MMK_ENOTSUP, "advise", mmk__vpath(v),
                          "large pages are not available for file "
                          "mappings on Windows");
  default: return 0;
  }
}

/* VirtualLock: within the process's minimum working set (ERROR_WORKING_
 * SET_QUOTA, MMK_ENOMEM, beyond it). */
int mmk__os_view_lock(mmk_view *v, size_t len, int lock) {
  len = mmk__mapped_extent(v->base, len);
  if (!len) return 0;
  if (lock && !VirtualLock(v->base, len))
    return mmk__sys_error(GetLastError(), "VirtualLock", mmk__vpath(v),
                          "length %lld", (long long)MMK__LEN(v));
  if (!lock && !VirtualUnlock(v->base, len) &&
      GetLastError() != ERROR_NOT_LOCKED)
    return mmk__sys_error(GetLastError(), "VirtualUnlock", mmk__vpath(v),
                          NULL);
  return 0;
}

/* QueryWorkingSetEx, one 4 KiB page per entry (the residency unit is the
 * hardware page, not the 64 KiB granularity of offsets). */
int mmk__os_view_resident(mmk_view *v, uintptr_t lo, uintptr_t hi,
                          int64_t off, int64_t len, int64_t *total) {
  enum { CHUNK = 512 };
  PSAPI_WORKING_SET_EX_INFORMATION ws[CHUNK];
  SYSTEM_INFO si;
  uintptr_t pg, page;
  int64_t sum = 0;
  GetSystemInfo(&si);
  pg = si.dwPageSize;
  page = lo & ~(pg - 1);
  while (page < hi) {
    size_t n = (size_t)((hi - page + pg - 1) / pg), i;
    if (n > CHUNK) n = CHUNK;
    for (i = 0; i < n; i++) ws[i].VirtualAddress = (void *)(page + i * pg);
    if (!QueryWorkingSetEx(GetCurrentProcess(), ws, (DWORD)(n * sizeof ws[0])))
      return mmk__sys_error(GetLastError(), "QueryWorkingSetEx",
                            mmk__vpath(v), "offset %lld, length %lld",
                            (long long)off, (long long)len);
    for (i = 0; i < n; i++, page += pg) {
      if (ws[i].VirtualAttributes.Valid) {
        uintptr_t s = page < lo ? lo : page;
        uintptr_t e = page + pg > hi ? hi : page + pg;
        sum += (int64_t)(e - s);
      }
    }
  }
  *total = sum;
  return 0;
}
