/*
 * Views above the seam: mapping (checks, then mmk__os_view_map), flush,
 * advise, mlock, mincore (checks, then one backend call each) and the
 * resize state machine (which mapping operation a new length needs, the
 * MOVING block against leases and calls, all-or-nothing). Every OS call
 * is a mmk__os_view_* function of os.h.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* The data pointer of an empty view without a reservation: valid, never
 * dereferenced (every access to an empty view is out of range). */
static unsigned char mmk__empty_view_byte;

#define MMK__MAP_OPTIONS                                                      \
  ((unsigned)(MMK_MAP_POPULATE | MMK_MAP_HUGEPAGE | MMK_MAP_READONLY))

/* ------------------------------------------------------------------------
 * Map
 * ---------------------------------------------------------------------- */

/* Arguments that need no file size. */
static int mmk__map_args(mmk_file *f, int64_t offset, int64_t length,
                         int64_t reserve, unsigned options, mmk_view **out) {
  int r = mmk__file_check(f, "map");
  if (r) return r;
  if (!out)
    return mmk__arg_error(MMK_EINVAL, "map", mmk__fpath(f), "out is NULL");
  if (offset < 0 || length < 0 || reserve < 0)
    return mmk__set_error(MMK_EINVAL, 0, "map", mmk__fpath(f),
                          "negative offset, length or reserve",
                          "offset %lld, length %lld, reserve %lld",
                          (long long)offset, (long long)length,
                          (long long)reserve);
  if (options & ~MMK__MAP_OPTIONS)
    return mmk__set_error(MMK_EINVAL, 0, "map", mmk__fpath(f),
                          "unknown options", "options 0x%x", options);
  return 0;
}

/* The range against the file's size: fills *length for 0 = "to the end"
 * and refuses what the view may not grow the file to. */
static int mmk__map_range(mmk_file *f, int64_t offset, int64_t *length,
                          int64_t reserve, unsigned options, int64_t size) {
  size_t gran = mmk__gran();
  if (*length == 0) {
    if (offset > size)
      return mmk__set_error(MMK_ERANGE, 0, "map", mmk__fpath(f),
                            "offset past the end of the file",
                            "offset %lld, file size %lld", (long long)offset,
                            (long long)size);
    *length = size - offset;
  } else {
    if (offset > INT64_MAX - *length)
      return mmk__set_error(MMK_ERANGE, 0, "map", mmk__fpath(f),
                            "offset + length overflows",
                            "offset %lld, length %lld", (long long)offset,
                            (long long)*length);
    /* Only a writable shared view grows the file, after every check
     * (a refused map changes nothing). */
    if (offset + *length > size &&
        (f->mode != MMK_WRITE || (options & MMK_MAP_READONLY)))
      return mmk__set_error(MMK_ERANGE, 0, "map", mmk__fpath(f),
                            "range past the end of the file (read-only "
                            "and copy-on-write views do not grow it)",
                            "offset %lld, length %lld, file size %lld",
                            (long long)offset, (long long)*length,
                            (long long)size);
  }
  if (reserve && reserve < *length)
    return mmk__set_error(MMK_EINVAL, 0, "map", mmk__fpath(f),
                          "reserve smaller than the mapped length",
                          "length %lld, reserve %lld", (long long)*length,
                          (long long)reserve);
  /* Address-space arithmetic must fit size_t (matters on 32-bit). */
  if ((uint64_t)(reserve > *length ? reserve : *length) > SIZE_MAX - 2 * gran)
    return mmk__set_error(MMK_ENOMEM, 0, "map", mmk__fpath(f),
                          "range larger than the address space",
                          "offset %lld, length %lld", (long long)offset,
                          (long long)*length);
  return 0;
}

/* A view of f not yet mapped: every field but base and data. */
static mmk_view *mmk__view_new(mmk_file *f, int64_t offset, int64_t length,
                               int64_t reserve, unsigned options) {
  size_t pg = mmk__page();
  /* malloc + memset, not calloc: glibc's calloc bypasses the per-thread
   * cache that free() fills, which made a map/close cycle pay two trips
   * through the main allocator. The barrier stops the compiler from
   * fusing the pair back into calloc. */
  mmk_view *v = malloc(sizeof *v);
  if (!v) return NULL;
  MMK__BARRIER();
  memset(v, 0, sizeof *v);
  if (mmk__mutex_init(&v->mu) != 0) {
    free(v);
    return NULL;
  }
  atomic_init(&v->state, MMK__VIEW_OPEN);
  atomic_init(&v->lw, 0);
  v->offset = offset;
  v->length = length;
  v->reserve = reserve;
  v->aligned_off = offset & ~(int64_t)(mmk__gran() - 1);
  v->delta = (size_t)(offset - v->aligned_off);
  /* The mode "as mapped": the read-only option makes a MMK_READ view. */
  v->mode = (options & MMK_MAP_READONLY) ? MMK_READ : f->mode;
  v->kind = f->kind;
  v->options = options;
  v->writable = f->mode != MMK_READ && !(options & MMK_MAP_READONLY);
  v->cow = f->mode == MMK_COPY;
  v->map_len = length ? mmk__round_up(v->delta + (size_t)length, pg) : 0;
  v->res_len = reserve ? mmk__round_up(v->delta + (size_t)reserve, pg) : 0;
  v->file = f; /* not counted until the map succeeds */
  return v;
}

static int mmk__map(mmk_file *f, int64_t offset, int64_t length,
                    int64_t reserve, unsigned options, mmk_view **out) {
  mmk_view *v;
  int64_t size;
  int r;

  if (out) *out = NULL;
  r = mmk__map_args(f, offset, length, reserve, options, out);
  if (r) return r;
  /* One sigaction query per map (no change: no install): a runtime that
   * replaced our SIGBUS handler since is noticed here. */
  r = mmk__fault_guard_install();
  if (r) return r;
  r = mmk__os_file_size(f, &size);
  if (r) return r;
  r = mmk__map_range(f, offset, &length, reserve, options, size);
  if (r) return r;
  if (offset + length > size) {
    r = mmk__file_grow(f, size, offset + length, "map");
    if (r) return r;
  }
  v = mmk__view_new(f, offset, length, reserve, options);
  if (!v) return mmk__sys_error(MMK__OS_ENOMEM, "map", mmk__fpath(f), NULL);
  r = mmk__os_view_map(v);
  if (r) {
    mmk__mutex_destroy(&v->mu);
    free(v);
    return r;
  }
  v->data = v->base ? v->base + v->delta : &mmk__empty_view_byte;
  mmk__file_ref(f);
  *out = v;
  return 0;
}

int mmk_map(mmk_file *file, int64_t offset, int64_t length, unsigned options,
            mmk_view **out) {
  return mmk__map(file, offset, length, 0, options, out);
}

int mmk_map_reserve(mmk_file *file, int64_t offset, int64_t length,
                    int64_t reserve, unsigned options, mmk_view **out) {
  return mmk__map(file, offset, length, reserve, options, out);
}

/* ------------------------------------------------------------------------
 * Flush, advise, mlock, mincore
 * ---------------------------------------------------------------------- */

/* The page-aligned start and length covering [off, off+len) of the view. */
static void mmk__page_span(const mmk_view *v, int64_t off, int64_t len,
                           void **start, size_t *n) {
  size_t pg = mmk__page();
  uintptr_t a = (uintptr_t)(v->data + off);
  uintptr_t s = a & ~(uintptr_t)(pg - 1);
  *start = (void *)s;
  *n = (size_t)(a + (size_t)len - s);
}

static int mmk__view_flush(mmk_view *view, int64_t offset, int64_t length,
                           int how) {
  void *start;
  size_t n;
  int r = mmk__view_check(view, "flush");
  if (r) return r;
  if (how != MMK_FLUSH_ASYNC && how != MMK_FLUSH_SYNC &&
      how != MMK_FLUSH_FULL)
    return mmk__set_error(MMK_EINVAL, 0, "flush", mmk__vpath(view),
                          "unknown flush mode", "how %d", how);
  r = mmk__view_range(view, "flush", offset, &length, 1);
  if (r) return r;
  /* Nothing of ours can reach the file from these. */
  if (view->mode != MMK_WRITE || !view->writable || view->cow ||
      view->kind == MMK_KIND_ANON || length == 0)
    return 0;
  mmk__page_span(view, offset, length, &start, &n);
  return mmk__os_view_flush(view, start, n, how, offset, length);
}

static int mmk__view_advise(mmk_view *view, int64_t offset, int64_t length,
                            int advice) {
  void *start;
  size_t n;
  int r = mmk__view_check(view, "advise");
  if (r) return r;
  if (advice < MMK_ADVICE_NORMAL || advice > MMK_ADVICE_HUGEPAGE)
    return mmk__set_error(MMK_EINVAL, 0, "advise", mmk__vpath(view),
                          "unknown advice", "advice %d", advice);
  r = mmk__view_range(view, "advise", offset, &length, 1);
  if (r) return r;
  if (length == 0) return 0;
  mmk__page_span(view, offset, length, &start, &n);
  return mmk__os_view_advise(view, start, n, advice, offset, length);
}

/* The mapped bytes of the view from base, for calls beside an in-place
 * growth (which changes map_len under mu): those of the length seen. */
static size_t mmk__mapped_len(const mmk_view *v) {
  int64_t n = MMK__LEN(v);
  return n ? mmk__round_up(v->delta + (size_t)n, mmk__page()) : 0;
}

static int mmk__view_mlock(mmk_view *view, int lock) {
  size_t len;
  int r = mmk__view_check(view, lock ? "mlock" : "munlock");
  if (r) return r;
  len = mmk__mapped_len(view);
  return len ? mmk__os_view_lock(view, len, lock) : 0;
}

/* The resident bytes of [lo, hi): the backend tells which pages are
 * resident, a chunk at a time; each resident page counts for its part
 * inside the range. */
static int mmk__resident_sum(mmk_view *v, uintptr_t lo, uintptr_t hi,
                             int64_t off, int64_t len, int64_t *total) {
  unsigned char vec[MMK__OS_RESIDENT_CHUNK];
  size_t pg = mmk__page();
  uintptr_t page = lo & ~(uintptr_t)(pg - 1);
  int64_t sum = 0;
  while (page < hi) {
    size_t npages = (size_t)((hi - page + pg - 1) / pg), i;
    int r;
    if (npages > MMK__OS_RESIDENT_CHUNK) npages = MMK__OS_RESIDENT_CHUNK;
    r = mmk__os_view_resident(v, page, npages, vec, off, len);
    if (r) return r;
    for (i = 0; i < npages; i++, page += pg) {
      if (vec[i] & 1) {
        uintptr_t s = page < lo ? lo : page;
        uintptr_t e = page + pg > hi ? hi : page + pg;
        sum += (int64_t)(e - s);
      }
    }
  }
  *total = sum;
  return 0;
}

static int mmk__view_resident(mmk_view *view, int64_t offset,
                              int64_t length, int64_t *resident_bytes) {
  uintptr_t lo;
  int r = mmk__view_check(view, "mincore");
  if (r) return r;
  if (!resident_bytes)
    return mmk__arg_error(MMK_EINVAL, "mincore", mmk__vpath(view),
                          "out is NULL");
  r = mmk__view_range(view, "mincore", offset, &length, 1);
  if (r) return r;
  *resident_bytes = 0;
  if (length == 0) return 0;
  lo = (uintptr_t)(view->data + offset);
  return mmk__resident_sum(view, lo, lo + (uintptr_t)length, offset, length,
                           resident_bytes);
}

/* The public view calls above run as one in-flight call each (see
 * mmk__op_enter): a close or a moving resize waits for them. */
#define MMK__IN_VIEW(view, name, call)                                        \
  do {                                                                        \
    mmk__op op_;                                                              \
    int r_;                                                                   \
    if (!(view)) return mmk__view_check(view, name);                          \
    r_ = mmk__op_enter(&op_, view, name);                                     \
    if (r_) return r_;                                                        \
    r_ = (call);                                                              \
    mmk__op_exit(&op_);                                                       \
    return r_;                                                                \
  } while (0)

int mmk_view_flush(mmk_view *view, int64_t offset, int64_t length, int how) {
  MMK__IN_VIEW(view, "flush", mmk__view_flush(view, offset, length, how));
}
int mmk_view_advise(mmk_view *view, int64_t offset, int64_t length,
                    int advice) {
  MMK__IN_VIEW(view, "advise",
               mmk__view_advise(view, offset, length, advice));
}
int mmk_view_lock_memory(mmk_view *view) {
  MMK__IN_VIEW(view, "mlock", mmk__view_mlock(view, 1));
}
int mmk_view_unlock_memory(mmk_view *view) {
  MMK__IN_VIEW(view, "munlock", mmk__view_mlock(view, 0));
}
int mmk_view_resident(mmk_view *view, int64_t offset, int64_t length,
                      int64_t *resident_bytes) {
  MMK__IN_VIEW(view, "mincore",
               mmk__view_resident(view, offset, length, resident_bytes));
}

/* ------------------------------------------------------------------------
 * Resize
 * ---------------------------------------------------------------------- */

/* Switches the view to the new mapping p (new_map_len bytes), unmapping
 * everything the old one held, reservation included. */
static void mmk__view_adopt(mmk_view *v, void *p, size_t new_map_len) {
  mmk__os_view_unmap(v);
  v->base = p;
  v->map_len = new_map_len;
  v->reserve = 0;
}

/* Moves the view to a new, larger mapping (no leases outstanding).
 * All or nothing: on failure the view keeps its address, its mapping and
 * its reservation. The backend moves the pages if it can (a copy-on-write
 * view keeps its private changes that way); else a fresh mapping, into
 * which a copy-on-write view's changes are copied. */
static int mmk__view_move(mmk_view *v, size_t new_map_len) {
  void *p;
  int r = v->map_len ? mmk__os_view_move(v, new_map_len) : MMK__OS_CANNOT;
  if (r == MMK__OS_SPLIT)
    return mmk__set_error(
        MMK_EBUSY, 0, "resize", mmk__vpath(v),
        "a copy-on-write view split by advice on part of it cannot "
        "move without losing its private changes (advise "
        "MMK_ADVICE_NORMAL over the whole view first, or reserve "
        "address space with mmk_map_reserve)",
        "length %lld", (long long)new_map_len);
  if (r != MMK__OS_CANNOT) return r;
  r = mmk__os_view_map_fresh(v, new_map_len, &p);
  if (r) return r;
  if (v->cow && v->map_len &&
      mmk__guarded_copy(p, v->base, v->map_len, v->base)) {
    mmk__os_unmap(p, new_map_len);
    return mmk__set_error(MMK_EIO, 0, "resize", mmk__vpath(v),
                          "fault while copying the view", NULL);
  }
  mmk__view_adopt(v, p, new_map_len);
  return 0;
}

/* Sets MOVING if no lease is outstanding (under mu, so no other flag can
 * be set meanwhile): no lease and no call can start until
 * mmk__view_unblock, and the calls already inside have left on return.
 * Returns 0, or the lease count that prevented it. */
static uint64_t mmk__view_block(mmk_view *v) {
  uint64_t w = 0;
  if (atomic_compare_exchange_strong_explicit(&v->lw, &w, MMK__LW_MOVING,
                                              memory_order_seq_cst,
                                              memory_order_relaxed)) {
    mmk__view_drain(v, 1);
    return 0;
  }
  return (w & MMK__LW_COUNT) ? (w & MMK__LW_COUNT) : 1;
}

/* Publishes the moved/shrunk view to the leases and calls waiting for it. */
static void mmk__view_unblock(mmk_view *v) {
  atomic_fetch_and_explicit(&v->lw, ~MMK__LW_MOVING, memory_order_release);
}

/* The mapping part of a resize; the caller has checked the leases (and
 * set MOVING where the view may move or shrink). */
static int mmk__view_resize_blocked(mmk_view *v, int64_t new_length) {
  size_t new_map_len = mmk__round_up(v->delta + (size_t)new_length,
                                     mmk__page());
  unsigned char *data;
  int r = 0;

  if (v->res_len && new_length <= v->reserve) {
    /* In place, inside the reservation. */
    if (new_map_len > v->map_len)
      r = mmk__os_view_map_more(v, v->map_len, new_map_len);
    else if (new_map_len < v->map_len)
      r = mmk__os_view_shrink(v, new_map_len);
    if (r) return r;
    v->map_len = new_map_len;
  } else if (new_length < v->length) {
    /* Shrinking without a reservation: drop the tail, keep the address. */
    if (new_map_len < v->map_len) mmk__os_view_shrink(v, new_map_len);
    v->map_len = new_map_len;
  } else if (!v->base || (v->res_len && !v->map_len)) {
    /* Nothing mapped yet (an empty view, perhaps in a too-small
     * reservation): map afresh, nothing to carry over. */
    void *p;
    r = mmk__os_view_map_fresh(v, new_map_len, &p);
    if (r) return r;
    mmk__view_adopt(v, p, new_map_len);
  } else {
    r = mmk__view_move(v, new_map_len);
    if (r) return r;
  }
  /* Written only when it changed: leases taken during an in-place growth
   * read data without any ordering against this thread. */
  data = v->base ? v->base + v->delta : &mmk__empty_view_byte;
  if (v->data != data) v->data = data;
  MMK__SET_LEN(v, new_length);
  return 0;
}

/* Every check comes before the first change (issue 11, number 8): a
 * resize refused with MMK_EBUSY or MMK_ERANGE has not grown the file. */
static int mmk__view_resize_locked(mmk_view *v, int64_t new_length) {
  int64_t end = 0, size = 0;
  int grow_file = 0, block, r;
  uint64_t busy;

  if (v->offset > INT64_MAX - new_length ||
      (uint64_t)new_length > SIZE_MAX - 2 * mmk__gran())
    return mmk__set_error(MMK_ERANGE, 0, "resize", mmk__vpath(v),
                          "offset + length overflows", "length %lld",
                          (long long)new_length);
  if (new_length > v->length) {
    end = v->offset + new_length;
    r = mmk__os_file_size(v->file, &size);
    if (r) return r;
    if (end > size) {
      if (v->mode != MMK_WRITE)
        return mmk__set_error(MMK_ERANGE, 0, "resize", mmk__vpath(v),
                              "range past the end of the file",
                              "length %lld, file size %lld",
                              (long long)new_length, (long long)size);
      grow_file = 1;
    }
  }
  /* Shrinking (no lease may hold the dropped tail) and growing beyond the
   * reservation (the view may move) wait for the calls inside and need
   * no lease; growing in place runs beside both. */
  block = new_length < v->length || !(v->res_len && new_length <= v->reserve);
  if (block) {
    busy = mmk__view_block(v);
    if (busy)
      return mmk__set_error(
          MMK_EBUSY, 0, "resize", mmk__vpath(v), NULL,
          new_length < v->length
              ? "shrinking with %lld export(s) outstanding"
              : "growing beyond the reservation would move the view; %lld "
                "export(s) outstanding",
          (long long)busy);
  }
  r = grow_file ? mmk__file_grow(v->file, size, end, "resize") : 0;
  if (!r) r = mmk__view_resize_blocked(v, new_length);
  if (block) mmk__view_unblock(v);
  return r;
}

int mmk_view_resize(mmk_view *view, int64_t new_length) {
  int r = mmk__view_check(view, "resize");
  if (r) return r;
  if (new_length <= 0)
    return mmk__set_error(MMK_EINVAL, 0, "resize", mmk__vpath(view),
                          "length must be positive", "length %lld",
                          (long long)new_length);
  if (new_length == MMK__LEN(view)) return 0;
  mmk__mutex_lock(&view->mu);
  if (atomic_load(&view->state) != MMK__VIEW_OPEN)
    r = mmk__arg_error(MMK_ECLOSED, "resize", "", "view is closed");
  else
    r = mmk__view_resize_locked(view, new_length);
  mmk__mutex_unlock(&view->mu);
  return r;
}
