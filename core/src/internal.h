/*
 * Private interface of the mmapkit core, shared by the common files
 * (common.c: errors, checks, copies; file.c; view.c; lease.c; atomic.c),
 * the platform backend (os.h, implemented by unix*.c) and guard.c. Not
 * installed, not API.
 *
 * Include this first in every source file: it selects the feature macros
 * (the build uses -std=c11 without GNU extensions).
 */
#ifndef MMAPKIT_INTERNAL_H
#define MMAPKIT_INTERNAL_H

#if defined(__linux__) && !defined(_GNU_SOURCE)
#  define _GNU_SOURCE 1
#endif
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#  define _DARWIN_C_SOURCE 1
#endif
/* The BSDs expose everything (madvise, mincore, MAP_ANON) by default;
 * defining _POSIX_C_SOURCE there would hide it. */
#ifndef _FILE_OFFSET_BITS
#  define _FILE_OFFSET_BITS 64
#endif

#include "mmapkit.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#  define MMK__LIKELY(x) __builtin_expect(!!(x), 1)
#  define MMK__UNLIKELY(x) __builtin_expect(!!(x), 0)
#  if defined(_WIN32) /* mingw's C99 stdio (__USE_MINGW_ANSI_STDIO) */
#    define MMK__PRINTF(a, b) __attribute__((format(gnu_printf, a, b)))
#  else
#    define MMK__PRINTF(a, b) __attribute__((format(printf, a, b)))
#  endif
#  if defined(__ELF__)
/* Static TLS: reading it never allocates, even in a dlopen'ed library, so
 * the signal handler may touch it. */
#    define MMK__TLS_IE __attribute__((tls_model("initial-exec")))
#  else
#    define MMK__TLS_IE
#  endif
#  if defined(_WIN32)
/* PE: a DLL exports only what is dllexport'ed (MMK_EXTERN). */
#    define MMK__HIDDEN
#  else
#    define MMK__HIDDEN __attribute__((visibility("hidden")))
#  endif
#  define MMK__NOINLINE __attribute__((noinline))
/* Error paths: out of line and out of the hot code's cache lines. */
#  define MMK__COLD __attribute__((cold, noinline))
/* Orders the compiler's memory accesses (no instruction emitted). */
#  define MMK__BARRIER() __asm__ __volatile__("" ::: "memory")
#  define MMK__MEMCPY __builtin_memcpy
#else
#  define MMK__LIKELY(x) (x)
#  define MMK__UNLIKELY(x) (x)
#  define MMK__PRINTF(a, b)
#  define MMK__TLS_IE
#  define MMK__HIDDEN
#  define MMK__NOINLINE
#  define MMK__COLD
#  define MMK__BARRIER() atomic_signal_fence(memory_order_seq_cst)
#  define MMK__MEMCPY memcpy
#endif

/* The backend interface (what each platform provides). */
#include "os.h"

/* ------------------------------------------------------------------------
 * Objects
 * ---------------------------------------------------------------------- */

struct mmk_file {
  /* One reference for the handle and one per live view: the descriptor is
   * needed by views (flush FULL, growing, resize) after the handle is
   * closed, so it is closed with the last reference. */
  atomic_long refs;
  mmk__os_fd fd;
  int mode;      /* MMK_READ / MMK_WRITE / MMK_COPY */
  int kind;      /* MMK_KIND_* */
  int rdwr;      /* descriptor opened O_RDWR */
  int created;   /* the call that made the handle created the file */
  atomic_int closed;    /* the handle was closed (views may live on) */
  atomic_int locked;    /* a byte-range lock was ever taken */
  /* Path, shm name without '/', or "": read it with mmk__fpath. NULL
   * until first needed for a handle of mmk_file_from_fd, whose name the
   * system has to be asked for (a readlink costs a quarter of a small
   * open+map+close); then published once (mmk__file_path_slow). */
  _Atomic(char *) path_;
  mmk__os_fd caller_fd; /* mmk_file_from_fd / _from_handle: the caller's
                           value, for the "(no path)" fallback */
};

enum mmk__view_state {
  MMK__VIEW_OPEN = 0,
  MMK__VIEW_INERT = 1 /* closed in place, waiting for the last lease */
};

/* The lease word of a view: the lease count (exports) in the low bits,
 * flags above. Lease and release change it lock-free (compare-and-swap);
 * close, close inert and resize change the flags while holding mu. The
 * core's own in-flight calls are not counted here but in per-thread slots
 * (see mmk__op_enter). */
#define MMK__LW_INERT (UINT64_C(1) << 63)  /* closed: no new lease */
#define MMK__LW_MOVING (UINT64_C(1) << 62) /* resize moves or shrinks the
                                              view: leases wait */
#define MMK__LW_COUNT (MMK__LW_MOVING - 1)

struct mmk_view {
  mmk__mutex mu;        /* orders close/close_inert/resize (and the free
                           of an inert view by its last release) */
  atomic_int state;     /* enum mmk__view_state; INERT once lw has
                           MMK__LW_INERT (read by the lock-free fast paths) */
  _Atomic uint64_t lw;  /* lease word: count | MMK__LW_* flags */
  mmk_file *file;       /* counted reference; NULL once inert */
  unsigned char *data;  /* the requested first byte */
  unsigned char *base;  /* page-aligned start of mapping/reservation or NULL */
  size_t map_len;       /* bytes of base mapped from the file (page multiple) */
  size_t res_len;       /* bytes of address space reserved at base (0: none) */
  size_t delta;         /* offset - aligned offset (< mmk__gran()) */
  int64_t offset;       /* requested file offset */
  int64_t length;       /* requested length; see MMK__LEN */
  int64_t reserve;      /* requested reservation (0: none) */
  int64_t aligned_off;  /* offset rounded down to mmk__gran() */
  int mode;             /* mode of the file when mapped */
  int cow;              /* copy-on-write (MMK_COPY): private pages */
  int writable;         /* mapped writable */
  int kind;             /* file kind at map time */
  unsigned options;
};

/* The view's length for code that holds no lock: a resize inside the
 * reservation grows the view while other threads read, write and hold
 * leases (shrinking and moving wait until no lease is held), and they may
 * see the old or the new length, both valid: the new pages are mapped
 * before the length says so. Release/acquire orders that mapping before
 * any access a thread makes after seeing the new length (plain moves on
 * x86-64 and no fence on arm64's ldar/stlr beyond what they are; visible
 * to ThreadSanitizer). Code holding the view's mu may read v->length
 * directly; the resize under mu stores with MMK__SET_LEN. */
#define MMK__LEN(v) __atomic_load_n(&(v)->length, __ATOMIC_ACQUIRE)
#define MMK__SET_LEN(v, n) __atomic_store_n(&(v)->length, (n), __ATOMIC_RELEASE)

/* The length of an open view, or -1 if v is NULL or not open: the first
 * step of the lock-free checks of copies and atomics. The state is read
 * with acquire, as mmk__view_check does. */
static inline int64_t mmk__open_length(const mmk_view *v) {
  if (!v || atomic_load_explicit(&((mmk_view *)v)->state,
                                 memory_order_acquire) != MMK__VIEW_OPEN)
    return -1;
  return MMK__LEN(v);
}

/* ------------------------------------------------------------------------
 * In-flight calls (lease.c)
 *
 * Every core call that touches a view's memory (copies, atomics, wait,
 * wake, flush, advise, mincore, mlock) names the view in its thread's slot
 * while it does: mmk__op_enter ... mmk__op_exit. Close, close inert and a
 * resize that shrinks or moves the view first set a flag of the lease word
 * that turns new calls away (INERT: MMK_ECLOSED; MOVING: they wait for the
 * new address), then wait until no other thread's slot names the view,
 * waking the waiters among them (mmk__view_drain), and only then unmap,
 * move or free. Slots are per thread, so the fast path touches no shared
 * cache line and has no locked instruction: a plain store to the thread's
 * own slot, a load of the flags, a store to leave. The drain pays for the
 * ordering instead: after setting the flag it runs membarrier(2)
 * (MEMBARRIER_CMD_PRIVATE_EXPEDITED: a full barrier on every thread of the
 * process), so either the call sees the flag or the drain sees the slot.
 * Where membarrier is missing or refused, mmk__slot_fence is set and the
 * call fences itself (a full barrier after the store: about 2x the cost of
 * an 8-byte read).
 * ---------------------------------------------------------------------- */

struct mmk__slot {
  _Atomic(mmk_view *) view;  /* the view this thread is touching, or NULL */
  _Atomic(void *) wait_addr; /* the word it sleeps on (mmk_wait_u32) */
  atomic_int used;           /* owned by a live thread */
  struct mmk__slot *next;    /* registry link, set once */
};

extern _Thread_local struct mmk__slot *mmk__my_slot MMK__TLS_IE MMK__HIDDEN;
/* 1 when the drain cannot use membarrier: calls fence themselves. */
extern atomic_int mmk__slot_fence MMK__HIDDEN;

/* The calling thread's slot, registered on first use; NULL only when out
 * of memory. */
MMK__HIDDEN struct mmk__slot *mmk__slot_register(void);
/* The slow part of mmk__op_enter: the view is closed (MMK_ECLOSED, slot
 * given back) or moving (waits, then enters). */
MMK__HIDDEN int mmk__op_enter_slow(mmk_view *v, struct mmk__slot *s,
                                   mmk_view *prev, const char *op);
/* Waits until no other thread is inside a call on v (INERT or MOVING is
 * already set), waking those asleep in mmk_wait_u32. moving: a resize,
 * which need not wait for calls parked until it is done. */
MMK__HIDDEN void mmk__view_drain(mmk_view *v, int moving);
/* A slot value: a call waiting for a resize of v to finish (views are
 * malloc'ed, so the low bit is free). */
#define MMK__PARKED(v) ((mmk_view *)((uintptr_t)(v) | 1u))
/* Wakes every waiter on the word at a (atomic.c; a no-op without futex). */
MMK__HIDDEN void mmk__wake_all(void *a);

/* An in-flight call: the slot and what it held before (a call made by a
 * signal handler inside another call puts the outer view back). */
typedef struct mmk__op {
  struct mmk__slot *slot;
  mmk_view *prev;
} mmk__op;

/* Enters a call on v (not NULL): 0, or a recorded error (MMK_ECLOSED,
 * MMK_ENOMEM) with nothing held. */
static inline int mmk__op_enter(mmk__op *op, mmk_view *v, const char *name) {
  struct mmk__slot *s = mmk__my_slot;
  if (MMK__UNLIKELY(!s)) {
    s = mmk__slot_register();
    if (!s) return mmk__op_enter_slow(v, NULL, NULL, name);
  }
  op->slot = s;
  /* Only this thread writes its slot (and a fork child's handler). */
  op->prev = atomic_load_explicit(&s->view, memory_order_relaxed);
  atomic_store_explicit(&s->view, v, memory_order_relaxed);
  if (MMK__UNLIKELY(atomic_load_explicit(&mmk__slot_fence,
                                         memory_order_relaxed)))
    atomic_thread_fence(memory_order_seq_cst);
  else
    atomic_signal_fence(memory_order_seq_cst); /* membarrier: see above */
  if (MMK__LIKELY(!(atomic_load_explicit(&v->lw, memory_order_acquire) &
                    (MMK__LW_INERT | MMK__LW_MOVING))))
    return 0;
  return mmk__op_enter_slow(v, s, op->prev, name);
}

/* Leaves the call: v may be freed or moved right after, so nothing of it
 * may be touched past this point. */
static inline void mmk__op_exit(mmk__op *op) {
  atomic_store_explicit(&op->slot->view, op->prev, memory_order_release);
}

/* ------------------------------------------------------------------------
 * Errors (common.c)
 * ---------------------------------------------------------------------- */

/* Records the calling thread's last-error detail and returns code.
 * fmt (optional, may be NULL) adds a bracketed detail after the path,
 * e.g. "[offset 4097, length 100]". The reason is mmk__os_reason(sys_errno)
 * when sys_errno != 0, else reason (or mmk_strerror(code) when reason is NULL). */
MMK__HIDDEN int mmk__set_error(int code, int sys_errno, const char *op,
                               const char *path, const char *reason,
                               const char *fmt, ...) MMK__PRINTF(6, 7);

/* A failed system call: translates the native error err (mmk__os_status,
 * the one translation point) and records the detail. */
#define mmk__sys_error(err, op, path, ...)                                    \
  mmk__set_error(mmk__os_status(err), (err), (op), (path), NULL, __VA_ARGS__)
/* An error found by mmapkit itself (argument checks). */
#define mmk__arg_error(code, op, path, reason)                                \
  mmk__set_error((code), 0, (op), (path), (reason), NULL)

/* The page size and the mapping granularity (os.h), cached on first use
 * (never 0 after mmk__page_init). */
extern atomic_size_t mmk__page_size MMK__HIDDEN;
extern atomic_size_t mmk__gran_size MMK__HIDDEN;
MMK__HIDDEN size_t mmk__page_init(void);
static inline size_t mmk__page(void) {
  size_t pg = atomic_load_explicit(&mmk__page_size, memory_order_relaxed);
  return MMK__LIKELY(pg != 0) ? pg : mmk__page_init();
}
static inline size_t mmk__gran(void) {
  if (MMK__UNLIKELY(
          atomic_load_explicit(&mmk__page_size, memory_order_acquire) == 0))
    mmk__page_init();
  return atomic_load_explicit(&mmk__gran_size, memory_order_relaxed);
}

/* Shared-memory name rules (API.md); op names the caller in the error. */
MMK__HIDDEN int mmk__shm_name_check(const char *name, const char *op);

/* "off > size || n > size - off" style check on a view; fills *len for
 * length 0 = "to the end" when zero_is_rest. Returns 0 or records an
 * error. */
MMK__HIDDEN int mmk__view_range(const mmk_view *v, const char *op,
                                int64_t off, int64_t *len, int zero_is_rest);

/* Common prologue of view operations: NULL -> EINVAL, inert -> ECLOSED. */
MMK__HIDDEN int mmk__view_check(const mmk_view *v, const char *op);

/* The name of f for messages and mmk_file_path, resolved on first use
 * (file.c); errno (GetLastError) is left as it was, since the callers
 * often pass it in the same call. */
MMK__HIDDEN const char *mmk__file_path_slow(mmk_file *f);
static inline const char *mmk__fpath(const mmk_file *f) {
  char *p =
      atomic_load_explicit(&((mmk_file *)f)->path_, memory_order_acquire);
  return MMK__LIKELY(p != NULL) ? p : mmk__file_path_slow((mmk_file *)f);
}

static inline const char *mmk__vpath(const mmk_view *v) {
  return v->file ? mmk__fpath(v->file) : "";
}

static inline size_t mmk__round_up(size_t n, size_t pg) {
  return (n + pg - 1) & ~(pg - 1);
}

/* Grows f from cur to at least new_size bytes, nothing if it is that
 * large already (file.c, over mmk__os_file_grow). */
MMK__HIDDEN int mmk__file_grow(mmk_file *f, int64_t cur, int64_t new_size,
                               const char *op);

/* A new handle for fd (closed on failure) (file.c); path NULL: named
 * lazily by mmk__os_fd_name (caller_fd set by the caller). */
MMK__HIDDEN int mmk__file_new(mmk__os_fd fd, int mode, int kind, int rdwr,
                              const char *path, const char *op,
                              mmk_file **out);
/* The mode/flags/size rules of the open functions (API.md). */
MMK__HIDDEN int mmk__check_mode(const char *op, const char *path, int mode,
                                unsigned flags, int64_t size);
/* Refuses what cannot be mapped as a file (directory, FIFO, device). */
MMK__HIDDEN int mmk__check_stat(const mmk__os_stat *st, const char *op,
                                const char *path);
/* Common prologue of file operations: NULL -> EINVAL, closed -> ECLOSED. */
MMK__HIDDEN int mmk__file_check(const mmk_file *f, const char *op);

MMK__HIDDEN void mmk__file_ref(mmk_file *f);
MMK__HIDDEN void mmk__file_unref(mmk_file *f);

/* The backend's file and view functions are declared in os.h. */

/* ------------------------------------------------------------------------
 * Fault guard (guard.c; the handler is the backend's, see os.h)
 *
 * Every access of the core to mapped memory goes through one of these, so
 * that a page without backing (a file truncated by another process, an
 * I/O error) gives MMK_EIO instead of killing the process:
 * - the quick routines: a small copy and the atomics, in assembly, one
 *   file per calling convention under arch/, whose faults the handler
 *   recognises by the program counter (mmk__quick_resume) and resumes at
 *   the routine's exit, no jump buffer and no thread-local record;
 * - mmk__guarded_copy for any length (the backend's: POSIX a sigsetjmp
 *   guard around memmove).
 * Where arch/ has no routines for this machine, the backend provides
 * mmk__qa_* and the small copy is mmk__guarded_copy.
 * ---------------------------------------------------------------------- */

/* MMK_PORTABLE_GUARD (a build option for testing: MMAPKIT_PORTABLE_GUARD)
 * keeps the routines out on x86-64 Linux too, so the fallback is tested. */
#if defined(__linux__) && defined(__x86_64__) && !defined(MMK_PORTABLE_GUARD)
#  define MMK__QUICK_GUARD 1 /* arch/x86_64-sysv.S */
#elif defined(_WIN32) && defined(__x86_64__)
#  define MMK__QUICK_GUARD 1 /* arch/x86_64-win64.S (no other guard there) */
#endif

/* Guarded memmove of n bytes (the backend's); returns 0, or 1 if it
 * faulted. guard_p is the start of the mapped side (dst or src). */
MMK__HIDDEN int mmk__guarded_copy(void *dst, const void *src, size_t n,
                                  const void *guard_p);

/* The same for n <= MMK__QUICK_GUARD_MAX: the quick routine. */
#ifdef MMK__QUICK_GUARD
#  define MMK__QUICK_GUARD_MAX 64
MMK__HIDDEN int mmk__quick_guarded_move(void *dst, const void *src, size_t n,
                                        const void *guard_p);
#else
#  define MMK__QUICK_GUARD_MAX 16
#  define mmk__quick_guarded_move mmk__guarded_copy
#endif

/* The atomics on a naturally aligned view word p: 0, or 1 on a fault.
 * Loads acquire, stores release, the rest seq_cst. */
MMK__HIDDEN int mmk__qa_load32(const void *p, uint32_t *out);
MMK__HIDDEN int mmk__qa_load64(const void *p, uint64_t *out);
MMK__HIDDEN int mmk__qa_store32(void *p, uint32_t value);
MMK__HIDDEN int mmk__qa_store64(void *p, uint64_t value);
MMK__HIDDEN int mmk__qa_xadd32(void *p, uint32_t delta, uint32_t *old);
MMK__HIDDEN int mmk__qa_xadd64(void *p, uint64_t delta, uint64_t *old);
MMK__HIDDEN int mmk__qa_cas32(void *p, uint32_t expected, uint32_t desired,
                              uint32_t *current);
MMK__HIDDEN int mmk__qa_cas64(void *p, uint64_t expected, uint64_t desired,
                              uint64_t *current);

/* For the platform's fault handler: if pc lies in a quick routine and the
 * fault address addr in its guarded pages, the address to resume at (the
 * routine's exit, which returns 1); else 0. arg0, arg2 and arg3 are the
 * routine's first, third and fourth integer arguments as the interrupted
 * context holds them (the routines never write those registers). */
MMK__HIDDEN uintptr_t mmk__quick_resume(uintptr_t pc, uintptr_t addr,
                                        uintptr_t arg0, uintptr_t arg2,
                                        uintptr_t arg3);
/* Whether fault address a lies in the pages of the guarded bytes
 * [lo, hi): those pages belong to the view's mapping, and a vectorised copy
 * may touch any byte of them, so the fast paths do no page arithmetic. */
MMK__HIDDEN int mmk__in_guarded_pages(uintptr_t a, uintptr_t lo, uintptr_t hi);

/* mmk_fault_guard_install for a mapping (mmk_map, long copies): no PLT
 * hop, and the backend may start what only mappings need. */
MMK__HIDDEN int mmk__fault_guard_install(void);

/* Set while this thread runs a quick routine: the POSIX handler then
 * knows that a SIGBUS raised by a handler installed over ours is that
 * access's fault handed back (see mmk__sigbus in unix_fault.c). */
extern _Thread_local int mmk__quick_busy MMK__TLS_IE MMK__HIDDEN;

/* Guarded copies of at least this many bytes first re-assert the guard
 * (one sigaction query, about 0.4 us on a VM: a few percent of the copy),
 * so a handler installed since cannot take their fault. */
#define MMK__REASSERT_BYTES ((size_t)256 * 1024)

/* Guarded memmove of any size: the quick routine for small copies. */
static inline int mmk__guarded_move(void *dst, const void *src, size_t n,
                                    const void *guard_p) {
  if (n <= MMK__QUICK_GUARD_MAX) {
    int faulted;
    mmk__quick_busy = 1;
    faulted = mmk__quick_guarded_move(dst, src, n, guard_p);
    mmk__quick_busy = 0;
    return faulted;
  }
  /* A cheap point to re-assert the guard: against a copy this long the
   * one sigaction query is noise. */
  if (n >= MMK__REASSERT_BYTES) mmk__fault_guard_install();
  return mmk__guarded_copy(dst, src, n, guard_p);
}


#endif /* MMAPKIT_INTERNAL_H */
