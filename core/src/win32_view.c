/*
 * Win32 backend, part 2: the views of os.h (map, grow within a
 * reservation, shrink, unmap, flush, advise, lock, residency).
 *
 * A view is one or more MapViewOfFileEx mappings laid end to end from
 * base (one per growth inside a reservation), each starting at a multiple
 * of the 64 KiB granularity; the unused rest of a reservation is one
 * MEM_RESERVE region from the granule after them. Inside a reservation
 * every mapping covers whole granules, its pages past the view's length
 * inaccessible, so growing within a granule changes protections only.
 * Nothing about the mappings is stored: VirtualQuery tells each one's
 * AllocationBase, and whatever acts on a range (shrink, flush, lock)
 * acts mapping by mapping (mmk__each_mapping), as VirtualProtect,
 * FlushViewOfFile and VirtualLock work inside one.
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
 * anywhere), for op. A file gets a section of its current size for the
 * call (closed at once: the mapping keeps it alive); shared and anonymous
 * memory is its section. The mapping stops at the end of the file or
 * section: Windows maps nothing past it (on POSIX those bytes would
 * fault); *got is what was mapped. 0, a recorded status, or 1:
 * MapViewOfFileEx failed, with GetLastError() for the caller to record
 * (it may retry instead). */
static int mmk__map_at(mmk_view *v, void *addr, int64_t off, size_t len,
                       const char *op, void **out, size_t *got) {
  mmk_file *f = v->file;
  HANDLE sec = f->fd;
  int64_t size;
  DWORD e;
  void *p;
  int r = mmk__os_file_size(f, &size);
  if (r) return r;
  if (off >= size) {
    *out = NULL;
    return mmk__set_error(MMK_ERANGE, 0, op, mmk__fpath(f),
                          "nothing of the file to map at this offset",
                          "offset %lld, file size %lld", (long long)off,
                          (long long)size);
  }
  if ((uint64_t)(size - off) < len) len = (size_t)(size - off);
  if (f->kind == MMK_KIND_FILE) {
    sec = CreateFileMappingW(f->fd, NULL, mmk__page_prot(v), 0, 0, NULL);
    if (!sec)
      return mmk__win_error(GetLastError(), op, "CreateFileMappingW",
                            mmk__fpath(f), NULL);
  }
  p = MapViewOfFileEx(sec, mmk__view_access(v), (DWORD)((uint64_t)off >> 32),
                      (DWORD)(uint64_t)off, len, addr);
  e = GetLastError();
  if (sec != f->fd) CloseHandle(sec);
  if (!p) {
    SetLastError(e);
    return 1;
  }
  *out = p;
  *got = len;
  return 0;
}

static int mmk__map_error(mmk_view *v, DWORD e, const char *op, int64_t off,
                          size_t len) {
  return mmk__win_error(e, op, "MapViewOfFileEx", mmk__vpath(v),
                        "offset %lld, length %lld", (long long)off,
                        (long long)len);
}

/* MMK_MAP_POPULATE: PrefetchVirtualMemory reads the pages in, but only
 * into memory, not into the process's working set; each page is then
 * touched with a guarded one-byte read (a page that cannot be read stops
 * it quietly: the access that needs it reports the fault). */
static void mmk__populate(const mmk_view *v, unsigned char *p, size_t n) {
  size_t i, pg = mmk__page();
  unsigned char c;
  if (!(v->options & MMK_MAP_POPULATE) || !n) return;
  mmk__prefetch(p, n);
  for (i = 0; i < n; i += pg)
    if (mmk__guarded_move(&c, p + i, 1, p + i)) break;
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

/* Calls fn on each part of [p, p+n) that lies in one mapping (one
 * MapViewOfFileEx: a view grown in place is several), up to the first
 * byte that is not mapped and accessible (a view's last mapping may end
 * before map_len, at the end of the file; a shrink leaves inaccessible
 * pages). Stops at fn's first failure: its GetLastError(), else 0. */
static DWORD mmk__each_mapping(void *p, size_t n,
                               BOOL (*fn)(void *p, size_t n, void *ctx),
                               void *ctx) {
  unsigned char *a = p, *end = (unsigned char *)p + n;
  MEMORY_BASIC_INFORMATION mi;
  while (a < end) {
    unsigned char *b = a;
    void *alloc;
    if (!VirtualQuery(a, &mi, sizeof mi)) return 0;
    alloc = mi.AllocationBase;
    while (b < end && mi.AllocationBase == alloc && mi.Type == MEM_MAPPED &&
           mi.State == MEM_COMMIT && mi.Protect != PAGE_NOACCESS) {
      b = (unsigned char *)mi.BaseAddress + mi.RegionSize;
      if (b < end && !VirtualQuery(b, &mi, sizeof mi)) break;
    }
    if (b == a) return 0;
    if (b > end) b = end;
    if (!fn(a, (size_t)(b - a), ctx)) return GetLastError();
    a = b;
  }
  return 0;
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

/* Inside a reservation, a mapping covers whole granules (up to the end of
 * the reservation or of the file) and the pages past want, the view's
 * length, are made inaccessible: a later growth inside that granule is
 * then a change of protection, never a new mapping over a live one (which
 * would lose a copy-on-write view's private pages). Maps [from, ...) of
 * the view at base + from; *mapped: the end of what it mapped (offset
 * from base). 0, a recorded status, or 1 (MapViewOfFileEx's
 * GetLastError, for the caller). */
static int mmk__map_chunk(mmk_view *v, size_t from, size_t want,
                          const char *op, size_t *mapped) {
  size_t end = mmk__gran_up(want), got;
  DWORD old, e;
  void *p;
  int r;
  if (end > v->res_len) end = v->res_len;
  r = mmk__map_at(v, v->base + from, v->aligned_off + (int64_t)from,
                  end - from, op, &p, &got);
  if (r) return r;
  *mapped = from + got;
  if (*mapped > want &&
      !VirtualProtect(v->base + want, *mapped - want, PAGE_NOACCESS, &old)) {
    e = GetLastError();
    UnmapViewOfFile(p);
    return mmk__win_error(e, op, "VirtualProtect", mmk__vpath(v),
                          "length %lld", (long long)(want - v->delta));
  }
  return 0;
}

/* Maps map_len bytes at the start of a reservation of res_len bytes. */
static int mmk__map_reserved(mmk_view *v) {
  int tries, r;
  DWORD e = 0;
  size_t mapped;
  for (tries = 0; tries < 8; tries++) {
    unsigned char *b = VirtualAlloc(NULL, v->res_len, MEM_RESERVE,
                                    PAGE_NOACCESS);
    if (!b)
      return mmk__win_error(GetLastError(), "map", "VirtualAlloc",
                            mmk__vpath(v), "reserve %lld bytes",
                            (long long)v->reserve);
    v->base = b;
    if (!v->map_len) return 0;
    VirtualFree(b, 0, MEM_RELEASE);
    r = mmk__map_chunk(v, 0, v->map_len, "map", &mapped);
    if (r < 0) {
      v->base = NULL;
      return r;
    }
    if (r) {
      e = GetLastError();
      v->base = NULL;
      if (e == ERROR_INVALID_ADDRESS) continue; /* taken meanwhile */
      return mmk__map_error(v, e, "map", v->offset, (size_t)v->length);
    }
    if (mmk__reserve_tail(v, mapped)) {
      mmk__populate(v, b, v->map_len);
      return 0;
    }
    e = GetLastError();
    mmk__release(b, mapped);
    v->base = NULL;
  }
  return mmk__map_error(v, e, "map", v->offset, (size_t)v->length);
}

int mmk__os_view_map(mmk_view *v) {
  void *p;
  size_t got;
  int r;
  if (v->res_len) return mmk__map_reserved(v);
  if (!v->map_len) return 0;
  r = mmk__map_at(v, NULL, v->aligned_off, v->map_len, "map", &p, &got);
  if (r < 0) return r;
  if (r)
    return mmk__map_error(v, GetLastError(), "map", v->offset,
                          (size_t)v->length);
  v->base = p;
  mmk__populate(v, p, got);
  return 0;
}

/* [from, to) is either pages of mapped granules kept inaccessible (by
 * mmk__map_chunk or a shrink: given their protection back, mapping by
 * mapping) or new: mapped from from on, over the reservation's tail.
 * from is a granule boundary unless the last mapping ended at the end of
 * the file mid-granule and the file has grown since: that mapping is then
 * mapped again from its start, longer, in the inert close's window
 * (win32_guard.c): a thread touching it meanwhile waits and retries, so
 * readers of the growing view see no gap. A copy-on-write view's private
 * pages would be lost that way: MMK_ENOTSUP there (only a file another
 * process grew can lead there: mmapkit never grows a copy-on-write
 * view's file). */
int mmk__os_view_map_more(mmk_view *v, size_t from, size_t to) {
  MEMORY_BASIC_INFORMATION mi;
  unsigned char *b = v->base, *start;
  size_t tail, mapped = 0, at = from;
  DWORD old, e;
  int r;
  while (at < to && VirtualQuery(b + at, &mi, sizeof mi) &&
         mi.Type == MEM_MAPPED) {
    size_t n = (size_t)((unsigned char *)mi.BaseAddress + mi.RegionSize -
                        (b + at));
    if (n > to - at) n = to - at;
    if (!VirtualProtect(b + at, n, mmk__page_prot(v), &old))
      return mmk__win_error(GetLastError(), "resize", "VirtualProtect",
                            mmk__vpath(v), "length %lld",
                            (long long)(to - v->delta));
    at += n;
  }
  if (at >= to) {
    mmk__populate(v, b + from, to - from);
    return 0;
  }
  start = b + at;
  if (at % mmk__gran()) {
    if (!VirtualQuery(b + at - 1, &mi, sizeof mi) || mi.Type != MEM_MAPPED)
      return mmk__set_error(MMK_ENOMEM, 0, "resize", mmk__vpath(v),
                            "the view's address space was lost", NULL);
    if (v->cow)
      return mmk__set_error(MMK_ENOTSUP, 0, "resize", mmk__vpath(v),
                            "a copy-on-write view cannot grow in place "
                            "past the file's former end on Windows",
                            "length %lld", (long long)(to - v->delta));
    start = mi.AllocationBase;
  }
  tail = mmk__gran_up(at);
  if (tail < v->res_len &&
      (!VirtualQuery(b + tail, &mi, sizeof mi) || mi.State != MEM_RESERVE ||
       mi.AllocationBase != b + tail))
    return mmk__set_error(MMK_ENOMEM, 0, "resize", mmk__vpath(v),
                          "the view's reserved address space was lost", NULL);
  if (start < b + at) {
    mmk__win_inert_begin(start, (size_t)(b + to - start));
    UnmapViewOfFile(start);
  }
  if (tail < v->res_len) VirtualFree(b + tail, 0, MEM_RELEASE);
  r = mmk__map_chunk(v, (size_t)(start - b), to, "resize", &mapped);
  e = GetLastError();
  if (r) { /* put back what was there */
    if (start < b + at) mmk__map_chunk(v, (size_t)(start - b), at, "resize",
                                       &mapped);
    mmk__reserve_tail(v, at);
  } else {
    mmk__reserve_tail(v, mapped);
  }
  if (start < b + at) mmk__win_inert_end(1);
  if (r > 0)
    return mmk__map_error(v, e, "resize", v->aligned_off + (int64_t)at,
                          to - at);
  if (!r) mmk__populate(v, b + from, to - from);
  return r;
}

static BOOL mmk__no_access(void *p, size_t n, void *ctx) {
  DWORD old;
  (void)ctx;
  return VirtualProtect(p, n, PAGE_NOACCESS, &old);
}

/* A view cannot be partly unmapped: the pages past the new end are made
 * inaccessible instead (mmk__os_view_map_more gives them back), mapping
 * by mapping (VirtualProtect stays inside one). */
int mmk__os_view_shrink(mmk_view *v, size_t new_map_len) {
  DWORD e;
  if (new_map_len >= v->map_len) return 0;
  e = mmk__each_mapping(v->base + new_map_len, v->map_len - new_map_len,
                        mmk__no_access, NULL);
  if (e)
    return mmk__win_error(e, "resize", "VirtualProtect", mmk__vpath(v),
                          "length %lld", (long long)(new_map_len - v->delta));
  return 0;
}

int mmk__os_view_map_fresh(mmk_view *v, size_t len, void **out) {
  size_t got;
  int r = mmk__map_at(v, NULL, v->aligned_off, len, "resize", out, &got);
  if (r == 1)
    return mmk__map_error(v, GetLastError(), "resize", v->aligned_off, len);
  if (!r) mmk__populate(v, *out, got);
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

/* The bytes from start that are mapped and accessible (at most n). */
static BOOL mmk__count(void *p, size_t n, void *ctx) {
  (void)p;
  *(size_t *)ctx += n;
  return TRUE;
}
static size_t mmk__mapped_extent(void *start, size_t n) {
  size_t m = 0;
  mmk__each_mapping(start, n, mmk__count, &m);
  return m;
}

static BOOL mmk__flush_part(void *p, size_t n, void *ctx) {
  (void)ctx;
  return FlushViewOfFile(p, n);
}

/* ASYNC: FlushViewOfFile, which starts the write of the dirty pages,
 * mapping by mapping (it flushes inside one). SYNC and FULL: then
 * FlushFileBuffers, which waits for them and the metadata and flushes the
 * drive's cache too (so FULL adds nothing). */
int mmk__os_view_flush(mmk_view *v, void *start, size_t n, int how,
                       int64_t off, int64_t len) {
  DWORD e = mmk__each_mapping(start, n, mmk__flush_part, NULL);
  if (e)
    return mmk__win_error(e, "flush", "FlushViewOfFile", mmk__vpath(v),
                          "offset %lld, length %lld", (long long)off,
                          (long long)len);
  if (how != MMK_FLUSH_ASYNC && v->file->kind == MMK_KIND_FILE &&
      v->file->rdwr && !v->cow && !FlushFileBuffers(v->file->fd))
    return mmk__win_error(GetLastError(), "flush", "FlushFileBuffers",
                          mmk__vpath(v), NULL);
  return 0;
}

static BOOL mmk__unlock_part(void *p, size_t n, void *ctx) {
  (void)ctx;
  return VirtualUnlock(p, n) || GetLastError() == ERROR_NOT_LOCKED;
}
static BOOL mmk__lock_part(void *p, size_t n, void *ctx) {
  (void)ctx;
  return VirtualLock(p, n);
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
    mmk__each_mapping(start, n, mmk__unlock_part, NULL);
    return 0;
  case MMK_ADVICE_HUGEPAGE:
    return mmk__arg_error(MMK_ENOTSUP, "advise", mmk__vpath(v),
                          "large pages are not available for file "
                          "mappings on Windows");
  default: return 0;
  }
}

/* VirtualLock, mapping by mapping: within the process's minimum working
 * set (ERROR_WORKING_SET_QUOTA, MMK_ENOMEM, beyond it); a lock that fails
 * part way unlocks what it had locked. */
int mmk__os_view_lock(mmk_view *v, size_t len, int lock) {
  DWORD e;
  len = mmk__mapped_extent(v->base, len);
  if (!len) return 0;
  if (!lock) {
    e = mmk__each_mapping(v->base, len, mmk__unlock_part, NULL);
    return e ? mmk__win_error(e, "munlock", "VirtualUnlock", mmk__vpath(v),
                              NULL)
             : 0;
  }
  e = mmk__each_mapping(v->base, len, mmk__lock_part, NULL);
  if (!e) return 0;
  mmk__each_mapping(v->base, len, mmk__unlock_part, NULL);
  return mmk__win_error(e, "mlock", "VirtualLock", mmk__vpath(v),
                        "length %lld", (long long)MMK__LEN(v));
}

/* QueryWorkingSetEx, one 4 KiB page per entry (the residency unit is the
 * hardware page, not the 64 KiB granularity of offsets), WS entries at a
 * time. */
int mmk__os_view_resident(mmk_view *v, uintptr_t page, size_t npages,
                          unsigned char *vec, int64_t off, int64_t len) {
  enum { WS = 512 };
  PSAPI_WORKING_SET_EX_INFORMATION ws[WS];
  uintptr_t pg = mmk__page();
  size_t done, n, i;
  for (done = 0; done < npages; done += n) {
    n = npages - done < WS ? npages - done : WS;
    for (i = 0; i < n; i++)
      ws[i].VirtualAddress = (void *)(page + (done + i) * pg);
    if (!QueryWorkingSetEx(GetCurrentProcess(), ws, (DWORD)(n * sizeof ws[0])))
      return mmk__win_error(GetLastError(), "mincore", "QueryWorkingSetEx",
                            mmk__vpath(v), "offset %lld, length %lld",
                            (long long)off, (long long)len);
    for (i = 0; i < n; i++) vec[done + i] = ws[i].VirtualAttributes.Valid;
  }
  return 0;
}
