/*
 * The backend interface: everything the common code asks of the platform.
 * unix*.c implement it for POSIX (Linux first, macOS and the BSDs behind
 * feature checks), win32*.c for Windows: the same functions and nothing
 * else (core/src/README.md lists which file holds which). Included by
 * internal.h; not installed, not API.
 *
 * Conventions (unless a function says otherwise):
 * - A function that can fail returns 0 or a status already recorded in the
 *   thread's error detail (mmk__sys_error with the native error and the
 *   name of the OS call that failed): the common code passes it on as is.
 * - MMK__OS_CANNOT (a positive value, never a status): this platform has
 *   no such facility. Nothing was changed and nothing recorded; the
 *   common code falls back as noted at each function.
 * - Calls interrupted by a signal are retried inside the backend (one
 *   place: MMK__RETRY in unix.h) unless the function says EINTR ends it.
 */
#ifndef MMAPKIT_OS_H
#define MMAPKIT_OS_H

#include <stddef.h>
#include <stdint.h>

#define MMK__OS_CANNOT 1

/* The native handle of an open file or memory object, and "none". */
#if defined(_WIN32)
typedef void *mmk__os_fd; /* a HANDLE */
#  define MMK__OS_FD_NONE ((mmk__os_fd)0)
/* A value that cannot be an open handle at all: NULL or
 * INVALID_HANDLE_VALUE. */
#  define MMK__OS_FD_INVALID(fd)                                             \
    ((fd) == MMK__OS_FD_NONE || (fd) == (mmk__os_fd)(intptr_t)-1)
#else
typedef int mmk__os_fd;
#  define MMK__OS_FD_NONE (-1)
#  define MMK__OS_FD_INVALID(fd) ((fd) < 0)
#endif

/* Native error values the common code records itself (0 where the
 * platform has none: the reason is then the status's own message). */
#if defined(_WIN32)
#  define MMK__OS_ENOMEM 8 /* ERROR_NOT_ENOUGH_MEMORY */
#  define MMK__OS_EISDIR 0
#  define MMK__OS_EBADF 0
#  define MMK__OS_EINTR 0
#else
#  define MMK__OS_ENOMEM ENOMEM
#  define MMK__OS_EISDIR EISDIR
#  define MMK__OS_EBADF EBADF
#  define MMK__OS_EINTR EINTR
#endif

/* ------------------------------------------------------------------------
 * Platform
 * ---------------------------------------------------------------------- */

/* The page size: the granularity of offsets, protection and mapping
 * lengths (POSIX: sysconf(_SC_PAGESIZE); 4096 if that fails). Called
 * once; the common code caches it (mmk__page). */
MMK__HIDDEN size_t mmk__os_page_size(void);

/* The alignment of a mapping's file offset and start address: the page
 * size on POSIX, the allocation granularity (64 KiB) on Windows; always a
 * multiple of the page size. The common code maps from the offset rounded
 * down to it, so views start at any offset on every platform. */
MMK__HIDDEN size_t mmk__os_map_granularity(void);

/* THE translation of a native error (errno here, GetLastError on Windows)
 * into an MMK_* status; every recorded system failure goes through it.
 * 0 (a failure without a native error) gives MMK_EUNKNOWN, never OK. */
MMK__HIDDEN int mmk__os_status(int native);

/* The reason text of a native error, written into buf (len bytes) or a
 * static string; never NULL. */
MMK__HIDDEN const char *mmk__os_reason(int native, char *buf, size_t len);

/* Gives up the CPU to another runnable thread (sched_yield). */
MMK__HIDDEN void mmk__os_yield(void);

/* Sleeps about ns nanoseconds. Returns 0, or -1 if a signal cut the sleep
 * short (not retried: the caller decides). */
MMK__HIDDEN int mmk__os_sleep_ns(int64_t ns);

/* A monotonic clock in nanoseconds (CLOCK_MONOTONIC); the deadlines of
 * mmk__os_wait32 are on this clock. */
MMK__HIDDEN int64_t mmk__os_now_ns(void);

/* Process-wide memory barrier for the in-flight call slots (internal.h):
 * register once per process (and again in a fork child), then each call
 * runs a full barrier on every thread of the process. Both return 0 or
 * MMK__OS_CANNOT (Linux < 4.14, seccomp, other systems): the common code
 * then sets mmk__slot_fence and every call fences itself. */
MMK__HIDDEN int mmk__os_barrier_register(void);
MMK__HIDDEN int mmk__os_barrier(void);

/* Once-initialisation, thread-exit destructors and fork-child hooks:
 * POSIX threads map one to one (inline below). */
#if defined(_WIN32)
/* Windows: an SRWLOCK, an INIT_ONCE and a fiber-local-storage index (its
 * callback runs at thread exit), declared by layout so that the common
 * code need not include <windows.h>; win32.c checks the sizes. No fork:
 * mmk__os_atfork_child does nothing. */
typedef struct { void *opaque; } mmk__mutex;
typedef struct { void *opaque; } mmk__once;
typedef unsigned long mmk__tls_key;
#  define MMK__ONCE_INIT {0}
MMK__HIDDEN int mmk__mutex_init(mmk__mutex *m);
MMK__HIDDEN void mmk__mutex_destroy(mmk__mutex *m);
MMK__HIDDEN void mmk__mutex_lock(mmk__mutex *m);
MMK__HIDDEN void mmk__mutex_unlock(mmk__mutex *m);
MMK__HIDDEN void mmk__os_once(mmk__once *o, void (*fn)(void));
MMK__HIDDEN void mmk__os_key_create(mmk__tls_key *k, void (*dtor)(void *));
MMK__HIDDEN void mmk__os_key_set(mmk__tls_key k, void *value);
static inline void mmk__os_atfork_child(void (*fn)(void)) { (void)fn; }
#else
#  include <pthread.h>
typedef pthread_mutex_t mmk__mutex;
typedef pthread_once_t mmk__once;
typedef pthread_key_t mmk__tls_key;
#  define MMK__ONCE_INIT PTHREAD_ONCE_INIT
/* 0, or non-zero when out of resources (then nothing to destroy). */
static inline int mmk__mutex_init(mmk__mutex *m) {
  return pthread_mutex_init(m, NULL);
}
static inline void mmk__mutex_destroy(mmk__mutex *m) {
  pthread_mutex_destroy(m);
}
static inline void mmk__mutex_lock(mmk__mutex *m) { pthread_mutex_lock(m); }
static inline void mmk__mutex_unlock(mmk__mutex *m) {
  pthread_mutex_unlock(m);
}
static inline void mmk__os_once(mmk__once *o, void (*fn)(void)) {
  pthread_once(o, fn);
}
/* dtor runs at thread exit with the value set by this thread (not NULL). */
static inline void mmk__os_key_create(mmk__tls_key *k, void (*dtor)(void *)) {
  pthread_key_create(k, dtor);
}
static inline void mmk__os_key_set(mmk__tls_key k, void *value) {
  pthread_setspecific(k, value);
}
/* fn runs in the child of a fork, in its only thread. */
static inline void mmk__os_atfork_child(void (*fn)(void)) {
  pthread_atfork(NULL, NULL, fn);
}
#endif

/* ------------------------------------------------------------------------
 * Files
 *
 * A file handle's descriptor is an mmk__os_fd: an int on POSIX, a HANDLE
 * on Windows (of the file, or of the named or anonymous file mapping for
 * shared and anonymous memory). The API that wraps the caller's own
 * (mmk_file_from_fd on POSIX, mmk_file_from_handle on Windows) is in
 * file.c, over mmk__os_adopt and mmk__os_fd_name.
 * ---------------------------------------------------------------------- */

/* What the common code needs to know of an open file or a path. */
#define MMK__OS_REG 0   /* a regular file (or shared-memory object) */
#define MMK__OS_DIR 1
#define MMK__OS_OTHER 2 /* FIFO, socket, device: never mapped */
typedef struct mmk__os_stat {
  int64_t size;
  int type;           /* MMK__OS_* */
  uint64_t dev, ino;  /* identity: is a name still what this call made? */
  long uid;           /* POSIX: owner and permission bits, read by */
  unsigned perm;      /* mmk__os_owner_of (Windows: 0) */
} mmk__os_stat;

/* Opens (kind MMK_KIND_FILE) the path or (MMK_KIND_SHM) the checked shm
 * name, with mode's access and flags' MMK_CREATE/MMK_EXCLUSIVE, never
 * making it the controlling terminal nor blocking on a FIFO, closed on
 * exec. *created tells whether this call created it (exactly: a create
 * race is retried). A symbolic link planted under a shm name is
 * MMK_EACCES. size: the size the caller asked for, for a platform whose
 * shared memory takes its size at creation (Windows); POSIX ignores it. */
MMK__HIDDEN int mmk__os_open(int kind, const char *name, int mode,
                             unsigned flags, int64_t size, mmk__os_fd *fd,
                             int *created);

/* The kind, size and identity of an open descriptor. */
MMK__HIDDEN int mmk__os_stat_fd(mmk__os_fd fd, mmk__os_stat *st,
                                const char *path);

/* 1 (and *st filled) if path names an existing device in the platform's
 * device namespace (/dev), whose mere open may have side effects; else 0.
 * Never records an error. */
MMK__HIDDEN int mmk__os_stat_device(const char *path, mmk__os_stat *st);

/* Who owns an open shared-memory object (fd, st from mmk__os_stat_fd),
 * for the owner check of file.c, which decides (own user, nobody else let
 * in) and words the refusal. Never fails: what cannot be found out is
 * reported as foreign. */
typedef struct mmk__os_owner {
  int ours;        /* 1: owned by this process's (effective) user */
  long uid, self;  /* the owner's and this process's numeric user ids;
                      -1 where users are not numbers (Windows: SIDs) */
  unsigned perm;   /* permission bits (POSIX st_mode & 07777); 0 where
                      there are none (Windows: sections get an owner-only
                      DACL, and the owner decides) */
} mmk__os_owner;
MMK__HIDDEN void mmk__os_owner_of(mmk__os_fd fd, const mmk__os_stat *st,
                                  mmk__os_owner *o);

/* Removes what a failed call created (kind, path or shm name) if the
 * name still refers to st; silent. */
MMK__HIDDEN void mmk__os_undo_create(int kind, const char *path,
                                     const mmk__os_stat *st);

/* A new anonymous memory object, not reachable by any name (memfd, or a
 * shm object unlinked at once); size as for mmk__os_open. */
MMK__HIDDEN int mmk__os_anon_open(int64_t size, mmk__os_fd *fd);

/* Removes a shared-memory name (checked). */
MMK__HIDDEN int mmk__os_shm_unlink(const char *name);

/* Closes a descriptor: 0 or the native error (not recorded, never
 * retried: an interrupted close has closed). */
MMK__HIDDEN int mmk__os_close(mmk__os_fd fd);

/* The file's current size in bytes. */
MMK__HIDDEN int mmk__os_file_size(mmk_file *f, int64_t *size);

/* What mmk__os_adopt found out about the duplicate of a caller's
 * descriptor: its kind, then (a regular file only) its access. file.c
 * decides from these alone and words every refusal. */
#define MMK__OS_ADOPT_REG 0       /* a regular file: the only kind mapped */
#define MMK__OS_ADOPT_DIR 1
#define MMK__OS_ADOPT_FIFO 2      /* a pipe or FIFO */
#define MMK__OS_ADOPT_SOCKET 3
#define MMK__OS_ADOPT_PIPE 4      /* a pipe or socket: which, the platform
                                     does not tell (Windows) */
#define MMK__OS_ADOPT_CHAR 5      /* a character device */
#define MMK__OS_ADOPT_BLOCK 6     /* a block device */
#define MMK__OS_ADOPT_OTHER 7     /* anything else (Windows: not on disk) */
#define MMK__OS_ADOPT_PATH_ONLY 8 /* names a file but gives no access to
                                     its contents (Linux O_PATH) */
typedef struct mmk__os_adopted {
  int kind;            /* MMK__OS_ADOPT_* */
  int can_read;        /* 1 or 0; -1: the platform cannot tell (the */
  int can_write;       /* first mapping will) */
  int write_sealed;    /* the object itself forbids writing (a memfd's
                          F_SEAL_WRITE); asked only with want_write */
} mmk__os_adopted;

/* Duplicates the caller's descriptor callers (not MMK__OS_FD_INVALID)
 * into *dup, with the same access, closed on exec / not inheritable, and
 * finds out what it is from the duplicate only: the caller may close or
 * replace theirs at any moment, and then what was checked would not be
 * what is mapped. want_write: MMK_WRITE was asked for. Returns 0, or a
 * native error, not recorded: *dup is then MMK__OS_FD_NONE if nothing was
 * duplicated (callers is not open), else the duplicate, whose facts could
 * not be read; either way the caller closes what *dup holds. */
MMK__HIDDEN int mmk__os_adopt(mmk__os_fd callers, int want_write,
                              mmk__os_fd *dup, mmk__os_adopted *a);

/* What the system calls the object open as fd ("/tmp/x (deleted)",
 * "pipe:[4711]", a final path name), into buf[MMK__OS_NAME_MAX]: 1, or 0
 * if it tells nothing (then file.c writes the "(no path)" fallback).
 * Never blocks (Windows asks files on disk only: asking a pipe can wait
 * behind another thread's read); keeps errno and the native error. For a
 * handle of the caller's descriptor, on first need (mmk__file_path_slow),
 * or when one of its refusals names it. */
#define MMK__OS_NAME_MAX 4128
MMK__HIDDEN int mmk__os_fd_name(mmk__os_fd fd, char *buf, size_t len);

/* Sets the size (shrinks or grows sparsely). */
MMK__HIDDEN int mmk__os_file_truncate(mmk_file *f, int64_t size);

/* Grows the file from cur to at least new_size bytes (cur < new_size:
 * the common code's mmk__file_grow asks only then), never shrinking it,
 * reserving the blocks where the platform can (a full disk is an error
 * here, not a SIGBUS later). op names the caller in the error. */
MMK__HIDDEN int mmk__os_file_grow(mmk_file *f, int64_t cur, int64_t new_size,
                                  const char *op);

/* Byte-range lock (kind MMK_LOCK_*, wait MMK_LOCK_*; checked) and unlock
 * (length 0: to the end). 0 or the native error, not recorded: a lock
 * that conflicts under MMK_LOCK_TRY is the native error that translates
 * to MMK_EAGAIN on every platform (POSIX: EAGAIN, also where fcntl says
 * EACCES; Windows: ERROR_LOCK_VIOLATION); EINTR ends only
 * MMK_LOCK_WAIT_INTR. */
MMK__HIDDEN int mmk__os_file_lock(mmk_file *f, int kind, int64_t offset,
                                  int64_t length, int wait);
MMK__HIDDEN int mmk__os_file_unlock(mmk_file *f, int64_t offset,
                                    int64_t length);

/* ------------------------------------------------------------------------
 * Views
 *
 * They read the view's fields (file, aligned_off, delta, writable, cow,
 * options, base, map_len, res_len) and, where noted, set base, map_len
 * and res_len. The common code holds the view's mu, or is mapping a view
 * nobody else knows yet, and has blocked leases and calls where the
 * mapping moves or shrinks. The MMK_MAP_POPULATE and MMK_MAP_HUGEPAGE
 * options apply to every new mapping; a platform without them ignores
 * them.
 * ---------------------------------------------------------------------- */

/* Maps a new view: map_len bytes of the file from aligned_off, inside a
 * reservation of res_len bytes of inaccessible address space when res_len
 * is not 0. Sets base (NULL when nothing is mapped or reserved). On
 * failure nothing is held. */
MMK__HIDDEN int mmk__os_view_map(mmk_view *v);

/* Maps [from, to) of the view's page range (offsets from base) from the
 * file over its reservation. On failure the reservation is as before. */
MMK__HIDDEN int mmk__os_view_map_more(mmk_view *v, size_t from, size_t to);

/* Gives back the mapped pages from new_map_len on: to the reservation
 * (inaccessible again) when the view has one, else unmapped (then it
 * cannot fail in a way that matters: the result may be ignored). */
MMK__HIDDEN int mmk__os_view_shrink(mmk_view *v, size_t new_map_len);

/* Maps the view's file range afresh, len bytes at an address of the
 * platform's choosing, into *out; the view itself is not changed. */
MMK__HIDDEN int mmk__os_view_map_fresh(mmk_view *v, size_t len, void **out);

/* Unmaps a mapping made by mmk__os_view_map_fresh and not adopted. */
MMK__HIDDEN void mmk__os_unmap(void *p, size_t len);

/* Moves the mapped view (map_len > 0) to a larger mapping of new_map_len
 * bytes, carrying its pages over (Linux: mremap), and drops the
 * reservation; sets base, map_len, res_len, reserve. MMK__OS_CANNOT where
 * the kernel cannot move mappings, or could not and nothing private is
 * lost by a fresh mapping: the common code then maps afresh and copies a
 * copy-on-write view's pages itself. MMK__OS_SPLIT (nothing changed or
 * recorded): a copy-on-write view the kernel could not move because it is
 * several kernel mappings now (advice on part of it split it); the
 * common code refuses the resize (MMK_EBUSY) and says what to do. */
#define MMK__OS_SPLIT 4
MMK__HIDDEN int mmk__os_view_move(mmk_view *v, size_t new_map_len);

/* Unmaps everything the view holds (mapping and reservation); base NULL. */
MMK__HIDDEN void mmk__os_view_unmap(mmk_view *v);

/* Replaces the mapped range in place by private zero memory, atomically
 * for any thread touching it. 0, or -1 when the kernel refuses (then the
 * old mapping stays until the view is freed: still no crash). */
MMK__HIDDEN int mmk__os_view_make_inert(mmk_view *v);

/* Writes back the n bytes of dirty pages from start (page-aligned, inside
 * the view) by how (MMK_FLUSH_*); off/len, the caller's range, for the
 * error detail. */
MMK__HIDDEN int mmk__os_view_flush(mmk_view *v, void *start, size_t n,
                                   int how, int64_t off, int64_t len);

/* Passes an MMK_ADVICE_* (checked) for n bytes from start (page-aligned).
 * MMK_ENOTSUP when the platform has no such advice. */
MMK__HIDDEN int mmk__os_view_advise(mmk_view *v, void *start, size_t n,
                                    int advice, int64_t off, int64_t len);

/* Locks (lock != 0) or unlocks the first len mapped bytes in RAM. Memory
 * that cannot be locked is MMK_ENOMEM, never MMK_EAGAIN (POSIX records
 * mlock's EAGAIN as ENOMEM: unix_view.c says why). */
MMK__HIDDEN int mmk__os_view_lock(mmk_view *v, size_t len, int lock);

/* Which of npages pages (of mmk__page() bytes, at most
 * MMK__OS_RESIDENT_CHUNK) from the page-aligned address page, inside the
 * view, are resident: bit 0 of vec[i] for page i (the other bits mean
 * nothing). One call per chunk: view.c clips the pages to the caller's
 * range and sums. off/len, the caller's range, for the error detail. */
#define MMK__OS_RESIDENT_CHUNK 4096
MMK__HIDDEN int mmk__os_view_resident(mmk_view *v, uintptr_t page,
                                      size_t npages, unsigned char *vec,
                                      int64_t off, int64_t len);

/* ------------------------------------------------------------------------
 * Fault guard
 *
 * The common code guards its accesses with the quick routines of arch/
 * and mmk__guarded_copy (internal.h). The backend provides the handler
 * that recovers them: on a fault in a quick routine it asks
 * mmk__quick_resume where to resume, with the program counter, the fault
 * address and the routine's first, third and fourth argument registers
 * read from the interrupted context; every other fault goes on to the
 * handlers that were there before, as if mmapkit were not loaded. It also
 * provides mmk__guarded_copy (any length) and, where arch/ has no
 * routines for this machine, mmk__qa_*.
 * ---------------------------------------------------------------------- */

/* Installs the handler, or puts it back in front when another was
 * installed over it since; cheap when nothing changed (one query).
 * mapping: called by mmk_map or a long copy (POSIX starts its watchdog
 * thread then: unix_watch.c). 0 or a recorded status. */
MMK__HIDDEN int mmk__os_guard_install(int mapping);

/* ------------------------------------------------------------------------
 * Wait / wake on a 32-bit word of a view, across processes
 * ---------------------------------------------------------------------- */

#define MMK__OS_INTR 2  /* a signal interrupted the wait */
#define MMK__OS_FAULT 3 /* the word's page could not be touched */

/* Sleeps while the word at addr (naturally aligned, inside a view the
 * caller is in a call on) holds expected, until a wake on it, the
 * absolute deadline (mmk__os_now_ns clock; -1: none) or a signal.
 * Returns 0 (woken, value already different, timed out or spurious: the
 * caller re-reads the word and the clock), MMK__OS_INTR, MMK__OS_FAULT,
 * MMK__OS_CANNOT (no address wait here, nothing slept: the common code
 * polls instead), or a negative recorded status (path and off for the
 * detail). */
MMK__HIDDEN int mmk__os_wait32(void *addr, uint32_t expected,
                               int64_t deadline_ns, const char *path,
                               int64_t off);

/* Wakes up to count (INT_MAX: all) waiters on addr, in any process;
 * *woken: how many. 0, MMK__OS_CANNOT (no address wait: the waiters poll)
 * or a negative status, recorded unless path is NULL. */
MMK__HIDDEN int mmk__os_wake(void *addr, int count, const char *path,
                             int64_t off, int *woken);

#endif /* MMAPKIT_OS_H */
