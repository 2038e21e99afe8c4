/*
 * mmapkit: memory-mapped files and shared memory, one small C core.
 *
 * This is the only public header. Everything is prefixed mmk_ (functions,
 * types) or MMK_ (constants). Internal helpers use mmk__ and are not here.
 *
 * Conventions
 * - Every function that can fail returns an int status: 0 (MMK_OK) on
 *   success, a negative MMK_E* code on failure. On failure the calling
 *   thread's last-error detail (mmk_last_error) names the operation, the
 *   path or shared-memory name, the native errno and a readable message.
 *   A successful call does not clear that detail.
 * - Offsets and lengths of files and views are int64_t so that every
 *   language binding sees a signed 64-bit integer; a negative value is
 *   MMK_EINVAL. Byte counts of copies into caller memory are size_t.
 * - Range checks never overflow: "off > size || n > size - off" is
 *   MMK_ERANGE.
 * - Any offset works. Page alignment is done inside: the core maps a little
 *   more than asked and hands back a pointer to exactly the requested byte.
 * - Thread safety: different objects may be used from different threads
 *   freely. One view may be read, written, flushed and advised from several
 *   threads at once; mmk_view_lease / mmk_view_release / mmk_view_close /
 *   mmk_view_close_inert are safe against each other.
 *   Every core call that touches a view's memory (mmk_view_read/write, the
 *   atomics, mmk_wait_u32, mmk_wake, mmk_view_flush, mmk_view_advise,
 *   mmk_view_resident, mmk_view_lock_memory/unlock_memory) is an
 *   "in-flight call" for its duration (a per-thread mark, not a lease):
 *   mmk_view_close, mmk_view_close_inert and a mmk_view_resize that shrinks
 *   or moves the view wait for the in-flight calls of other threads to
 *   end before they unmap, move or free anything, and turn new ones away
 *   (closed: MMK_ECLOSED; resizing: they wait for the new address). A
 *   waiter in mmk_wait_u32 is woken by them: a close ends its wait with
 *   MMK_ECLOSED, a resize lets it step aside and its wait goes on at the
 *   new address. Only leases (zero-copy exports, which may touch the
 *   memory at any time) make a close MMK_EBUSY or inert and a shrinking
 *   or moving resize MMK_EBUSY. A resize that grows a view inside its
 *   reservation runs beside everything (other threads see the old or the
 *   new size).
 *   A view must still not be used after the call that frees it returned
 *   (mmk_view_close, mmk_view_close_inert without leases, the last
 *   mmk_view_release of an inert view): a call that starts after that
 *   touches freed memory, so bindings order their own handle's
 *   disposal after the calls they let start.
 *   After fork() the child's closes do not wait for calls of threads that
 *   exist only in the parent. Calls on a mmk_file must not race with its
 *   mmk_file_close (bindings serialize that).
 *
 * Platform notes (POSIX backend, Linux first)
 * - flush: msync(MS_ASYNC) / msync(MS_SYNC) / msync(MS_SYNC) + fsync
 *   (F_FULLFSYNC on macOS); on Linux ASYNC adds
 *   sync_file_range(SYNC_FILE_RANGE_WRITE), since MS_ASYNC alone does not
 *   start any write-back there.
 * - locks: Linux open-file-description locks (F_OFD_SETLK[W]); they belong
 *   to the mmk_file handle, so two handles in one process conflict like two
 *   processes. Elsewhere: classic fcntl locks (per process; documented
 *   weaker semantics).
 * - named shared memory: shm_open("/" name), created with mode 0600.
 * - anonymous memory: memfd_create on Linux (shm_open + shm_unlink
 *   elsewhere), so every view of it, and a forked child, share the pages.
 *
 * Platform notes (Windows backend, x86-64; tested under Wine 8)
 * - paths are UTF-8 (converted to UTF-16; long paths get the \\?\ form),
 *   opened with FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE.
 *   View offsets are hidden on the 64 KiB allocation granularity as on the
 *   page elsewhere. Growing a file sets its allocation, then its end.
 * - flush: ASYNC is FlushViewOfFile (starts the write of the dirty pages);
 *   SYNC and FULL add FlushFileBuffers, which waits for them and the
 *   metadata and flushes the drive cache, so FULL adds nothing to SYNC.
 * - resize: Windows never shrinks a file under a mapped view: shrinking a
 *   file that has views (this process's or another's) is MMK_EBUSY
 *   (ERROR_USER_MAPPED_FILE). Growth inside a reservation maps more
 *   (reserve-then-map fallback: VirtualAlloc2 placeholders are not used,
 *   Wine lacks them); each mapping there covers whole 64 KiB granules, the
 *   pages past the length inaccessible, so growing inside one only changes
 *   protections. A copy-on-write view cannot grow in place past the end
 *   its file had when that granule was mapped (MMK_ENOTSUP).
 * - locks: LockFileEx, mandatory (ReadFile/WriteFile of a range another
 *   handle locked fail; mapped access is not checked). Locks never merge,
 *   split or convert: an unlock releases the handle's ranges that lie
 *   inside it, whole, and one only partly inside makes it MMK_EINVAL
 *   (nothing unlocked); a handle's exclusive range refuses a second lock
 *   through the same handle (MMK_EAGAIN, MMK_EDEADLK for a waiting lock).
 *   Closing a handle drops its locks, views or not. Not on shared or
 *   anonymous memory (MMK_ENOTSUP). Through a handle opened for
 *   overlapped I/O (mmk_file_from_handle) a waiting lock retries a
 *   try-lock every 1-16 ms until granted, and no lock request ever posts
 *   to an I/O completion port the handle is bound to.
 * - named shared memory: a paging-file section named "Local\" + name
 *   (this session), created with a DACL for the creating user only and
 *   charged to the commit limit in full at creation. Its size is fixed
 *   when it is created (a size > 0 is needed then; growing or shrinking
 *   it is MMK_ENOTSUP; under Wine its size reads back rounded up to the
 *   page), and the name lives until its last handle and
 *   view are closed, in any process: mmk_shm_unlink cannot remove it
 *   earlier (it returns 0 while the name exists, MMK_ENOENT after).
 * - anonymous memory: an unnamed section with an inheritable handle.
 * - advise: WILLNEED is PrefetchVirtualMemory; DONTNEED takes the pages
 *   out of the working set (contents kept; MMK_ENOTSUP on copy-on-write
 *   views); SEQUENTIAL, RANDOM and NORMAL do nothing; HUGEPAGE is
 *   MMK_ENOTSUP. Memory lock: VirtualLock; residency: QueryWorkingSetEx.
 *   MMK_MAP_POPULATE prefetches the range and touches each page (guarded),
 *   which brings it into the working set.
 * - the fault guard is a vectored exception handler installed first; it
 *   takes EXCEPTION_IN_PAGE_ERROR and EXCEPTION_ACCESS_VIOLATION on the
 *   guarded pages of a mmapkit access only, and passes everything else on.
 * - close_inert swaps the views for private zero pages, and a growth past
 *   the file's end maps the granule its old end lay in again; a thread
 *   touching the range during such a swap is held (at most 5 s) and runs
 *   its access again once no swap is under way and the page allows it (a
 *   pointer kept past the view's last lease is an ordinary fault, never a
 *   hang). wait/wake poll (bounded
 *   spin, then sleeps): WaitOnAddress does not cross processes.
 * - mmk_file_from_fd is MMK_ENOTSUP and mmk_file_fd -1: a HANDLE the
 *   caller opened maps with mmk_file_from_handle.
 * - errors: op is the mmapkit operation, the detail starts with the Win32
 *   call and its GetLastError code (also in sys_errno); a path component
 *   over 255 characters is MMK_ENAMETOOLONG.
 */
#ifndef MMAPKIT_H
#define MMAPKIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  if defined(MMAPKIT_SHARED_BUILD)
#    define MMK_EXTERN __declspec(dllexport)
#  elif defined(MMAPKIT_SHARED)
#    define MMK_EXTERN __declspec(dllimport)
#  else
#    define MMK_EXTERN
#  endif
#elif defined(__GNUC__) || defined(__clang__)
#  define MMK_EXTERN __attribute__((visibility("default")))
#else
#  define MMK_EXTERN
#endif

/* MMK_VERSION_MAJOR, _MINOR, _PATCH and MMK_VERSION_STRING, generated from
 * the build's project version. */
#include "mmapkit_version.h"

/** The library's version string, MMK_VERSION_STRING (e.g. "0.1.0") of the
 *  library actually loaded, which may differ from the header compiled
 *  against. Static storage. */
MMK_EXTERN const char *mmk_version(void);

/* ------------------------------------------------------------------------
 * Errors
 *
 * One table: name, value, message. The values are mmapkit's own, the same
 * on every platform and stable across releases. They happen to be the
 * Linux errno numbers negated, but nothing may rely on that: the errno of
 * the platform at hand is mmk_status_errno(code), and the native error
 * (errno, or a Win32 error code) of a failed system call is in the
 * detail's sys_errno. Codes without an errno counterpart live above 3000.
 * ---------------------------------------------------------------------- */
#define MMK_ERRNO_MAP(XX)                                                     \
  XX(EPERM, -1, "operation not permitted")                                    \
  XX(ENOENT, -2, "no such file or shared memory object")                      \
  XX(EINTR, -4, "interrupted system call")                                    \
  XX(EIO, -5, "I/O error (or a fault while touching mapped memory)")          \
  XX(EBADF, -9, "bad file descriptor")                                        \
  XX(EAGAIN, -11, "resource temporarily unavailable (lock held)")             \
  XX(ENOMEM, -12, "not enough memory or address space")                       \
  XX(EACCES, -13, "permission denied")                                        \
  XX(EBUSY, -16, "resource busy (zero-copy exports outstanding)")             \
  XX(EEXIST, -17, "file or shared memory object already exists")             \
  XX(ENODEV, -19, "not a mappable file (FIFO, socket or device)")             \
  XX(EISDIR, -21, "is a directory")                                           \
  XX(EINVAL, -22, "invalid argument")                                         \
  XX(EMFILE, -24, "too many open files")                                      \
  XX(EFBIG, -27, "file too large")                                            \
  XX(ENOSPC, -28, "no space left on device")                                  \
  XX(EROFS, -30, "read-only file system")                                     \
  XX(ERANGE, -34, "offset or length out of range")                            \
  XX(EDEADLK, -35, "lock would deadlock")                                     \
  XX(ENAMETOOLONG, -36, "name too long")                                      \
  XX(ENOTSUP, -95, "operation not supported")                                 \
  XX(ETIMEDOUT, -110, "timed out")                                            \
  XX(EUNKNOWN, -3000, "unknown system error")                                 \
  XX(ECLOSED, -3001, "object is closed")

typedef enum mmk_status {
  MMK_OK = 0,
#define MMK__ERRNO_ENUM(name, value, msg) MMK_##name = value,
  MMK_ERRNO_MAP(MMK__ERRNO_ENUM)
#undef MMK__ERRNO_ENUM
  MMK__STATUS_END_ = -3999
} mmk_status;

/** Message for a status code ("invalid argument"). Static storage; an
 *  unknown code gives "unknown error". */
MMK_EXTERN const char *mmk_strerror(int code);
/** Name of a status code ("MMK_EINVAL", "MMK_OK"). Static storage; an
 *  unknown code gives "MMK_EUNKNOWN". */
MMK_EXTERN const char *mmk_err_name(int code);

/** The C library's errno value on this platform for a status (ENOENT for
 *  MMK_ENOENT), for bindings whose errors carry one (Python's OSError);
 *  0 for MMK_OK and for codes without a counterpart (MMK_EUNKNOWN,
 *  MMK_ECLOSED, unknown codes). */
MMK_EXTERN int mmk_status_errno(int code);

/** Detail of the calling thread's last failure. */
typedef struct mmk_error {
  int code;            /**< MMK_E* status of the failure (0 if none yet). */
  int sys_errno;       /**< native errno (or Win32 error); 0 if the failure
                            was found by mmapkit itself (bad argument). */
  const char *op;      /**< operation: "open", "mmap", "msync", "lock"...;
                            static storage; "" if none. */
  const char *path;    /**< path or shared-memory name involved, "" if none */
  const char *message; /**< "open '/x/y': No such file or directory" style
                            text naming operation, path and reason. */
} mmk_error;

/** The calling thread's last-failure detail. Never NULL. The strings stay
 *  valid until the next failing mmapkit call on the same thread. */
MMK_EXTERN const mmk_error *mmk_last_error(void);
/* Accessors of the same detail, for bindings that prefer plain functions. */
MMK_EXTERN int mmk_last_error_code(void);
MMK_EXTERN int mmk_last_error_errno(void);
MMK_EXTERN const char *mmk_last_error_op(void);
MMK_EXTERN const char *mmk_last_error_path(void);
MMK_EXTERN const char *mmk_last_error_message(void);
/** The detail of the failure that returned code: the thread's last-failure
 *  detail if it records that code, else (a status that did not come from
 *  this thread's last failing call) a detail of that code alone, with its
 *  mmk_strerror message and no operation or path. Bindings build their
 *  exceptions from it, so a stale detail never leaks into a message.
 *  Never NULL; valid as mmk_last_error's. */
MMK_EXTERN const mmk_error *mmk_error_for(int code);
/** Resets the calling thread's detail to "no error". */
MMK_EXTERN void mmk_clear_error(void);

/* ------------------------------------------------------------------------
 * Files: regular files, named shared memory, anonymous memory
 * ---------------------------------------------------------------------- */

typedef struct mmk_file mmk_file;
typedef struct mmk_view mmk_view;

/** Access modes (mode argument). */
enum mmk_mode {
  MMK_READ = 0,  /**< read-only, shared */
  MMK_WRITE = 1, /**< read-write, shared: writes reach the file */
  MMK_COPY = 2   /**< copy-on-write, private: writes never reach the file */
};

/** Open flags (flags argument). MMK_CREATE, MMK_TRUNCATE and
 *  MMK_EXCLUSIVE are only valid with MMK_WRITE; MMK_ALLOW_FOREIGN only
 *  with mmk_shm_open (any mode). */
enum mmk_open_flags {
  MMK_CREATE = 1u << 0,    /**< create the file if missing */
  MMK_TRUNCATE = 1u << 1,  /**< truncate to 0 before growing to size */
  MMK_EXCLUSIVE = 1u << 2, /**< with MMK_CREATE: fail with MMK_EEXIST if it
                                exists */
  /* A plain 8 (1u << 3): SWIG copies the initializer into the Java and
   * C# constants, where "1u << 3" does not compile. */
  MMK_ALLOW_FOREIGN = 8 /**< mmk_shm_open: accept an existing object owned
                             by another user or accessible to group/others
                             (sharing between users) */
};

/** What a mmk_file refers to. */
enum mmk_file_kind {
  MMK_KIND_FILE = 0, /**< a regular file */
  MMK_KIND_SHM = 1,  /**< a named shared-memory object */
  MMK_KIND_ANON = 2  /**< anonymous memory */
};

/**
 * Opens a regular file for mapping.
 *
 * @param path  file path (NUL-terminated, not empty).
 * @param mode  MMK_READ, MMK_WRITE or MMK_COPY.
 * @param flags 0 or MMK_CREATE | MMK_TRUNCATE | MMK_EXCLUSIVE (MMK_WRITE
 *              only). New files get mode 0666 & ~umask. MMK_ALLOW_FOREIGN
 *              is MMK_EINVAL here (it is for shared memory).
 *              MMK_CREATE without MMK_EXCLUSIVE tries an exclusive create
 *              first and then opens the existing file, so that
 *              mmk_file_created can tell which happened.
 * @param size  0, or (MMK_WRITE only) a minimum size: a smaller file is
 *              grown to exactly `size` and the new blocks are reserved
 *              (posix_fallocate), so a full disk is MMK_ENOSPC here, never a
 *              fault later. Never shrinks. Non-zero with MMK_READ/MMK_COPY is
 *              MMK_EINVAL.
 * @param out   receives the handle; set to NULL on failure.
 * @return 0, or MMK_EINVAL (NULL/empty path, NULL out, bad mode, unknown or
 *         inconsistent flags, negative size), MMK_ENOENT, MMK_EACCES,
 *         MMK_EEXIST, MMK_EISDIR (a directory), MMK_ENODEV (FIFO, socket,
 *         device: never blocks on a FIFO; or a /proc, /sys... pseudo-file
 *         that `size` would grow: those are never written to),
 *         MMK_ENOSPC, MMK_EFBIG, MMK_EROFS, MMK_EMFILE, MMK_ENAMETOOLONG,
 *         MMK_ENOMEM, MMK_EIO.
 * A call that fails after creating the file (e.g. MMK_ENOSPC while
 * growing it to size) removes it again, so a retry with MMK_EXCLUSIVE
 * works; a file that existed keeps its size and content (except with
 * MMK_TRUNCATE, whose truncation comes first: the file is then empty).
 * Growing never shrinks: a failed reservation leaves the size as it was,
 * whatever another process did meanwhile.
 */
MMK_EXTERN int mmk_file_open(const char *path, int mode, unsigned flags,
                             int64_t size, mmk_file **out);

/**
 * POSIX only (on Windows: MMK_ENOTSUP; see mmk_file_from_handle).
 * Maps what the caller already has open: a descriptor from open(2) with
 * flags mmapkit does not know (O_DIRECT, O_TMPFILE), an unlinked file, a
 * descriptor received over a Unix socket or inherited.
 *
 * Lifetime: the library duplicates fd (F_DUPFD_CLOEXEC) and works on the
 * duplicate only. The caller keeps fd and may close it at once, even
 * before mapping; mmk_file_close closes the duplicate, never fd. Every
 * check is made on the duplicate, so another thread that closes fd and
 * reuses its number meanwhile can only make the call fail (MMK_EBADF) or
 * wrap what the number named when it was duplicated, whole and checked.
 * The duplicate shares fd's open file description: its file offset and
 * status flags, and on Linux, where the handle's locks are OFD locks
 * owned by that description, any OFD lock the caller takes on fd
 * (F_OFD_SETLK): the two are one owner (they never exclude each other),
 * and mmk_file_unlock or mmk_file_close release the range for both.
 * Classic process-owned locks on fd (fcntl F_SETLK, lockf; the JDK's
 * FileChannel.lock and .NET's FileStream.Lock are such) are another owner
 * and conflict with the handle's as with any other open of the file.
 *
 * What can be mapped: a regular file, including an unlinked or O_TMPFILE
 * one, a memfd or a shm_open descriptor (all regular files to the
 * kernel; the handle's kind is MMK_KIND_FILE and mmk_file_created 0).
 * mode must fit how fd was opened: MMK_READ and MMK_COPY need read
 * access, MMK_WRITE needs O_RDWR (and, for a memfd, no F_SEAL_WRITE);
 * otherwise MMK_EACCES, before anything is mapped.
 *
 * Names: mmk_file_path and every error message about the handle carry
 * what the system tells about the descriptor when the call is made
 * (Linux: the /proc/self/fd link, e.g. "/tmp/x (deleted)", "/memfd:name
 * (deleted)", "pipe:[4711]"; macOS: F_GETPATH), or "fd N (no path)" (N:
 * the caller's number) when it tells nothing. It is for reading, not for
 * opening: the file may have been renamed or removed since. Errors of
 * this call add "[fd N]" after a path the system named.
 *
 * @return 0, MMK_EINVAL (NULL out, bad mode), MMK_EBADF (a negative fd
 *         such as -1, a descriptor that is not open, an O_PATH
 *         descriptor), MMK_EACCES (mode not allowed by the descriptor, or
 *         a write-only one), MMK_EISDIR (a directory), MMK_ENODEV (a pipe,
 *         FIFO, socket, character or block device: the reason says which;
 *         never blocks), MMK_EMFILE (no descriptor left for the
 *         duplicate). Nothing is left open on failure.
 */
MMK_EXTERN int mmk_file_from_fd(int fd, int mode, mmk_file **out);

/**
 * Windows only (on POSIX: MMK_ENOTSUP). mmk_file_from_fd for a file
 * HANDLE (void * here, so that this header needs no <windows.h>), with
 * the same lifetime rule: the handle is duplicated (DuplicateHandle, same
 * access, not inheritable), checked and used as the duplicate only; the
 * caller may close theirs at once and mmk_file_close never closes it.
 * It must be a file on disk (GetFileType FILE_TYPE_DISK, not a
 * directory: MMK_EISDIR; a pipe, socket, console or other device:
 * MMK_ENODEV); MMK_WRITE needs a handle granted FILE_WRITE_DATA and every
 * mode FILE_READ_DATA (else MMK_EACCES). The path is the handle's final
 * path name (GetFinalPathNameByHandle), or "handle 0x... (no path)".
 * @return 0, MMK_EINVAL (NULL out, bad mode), MMK_EBADF (NULL,
 *         INVALID_HANDLE_VALUE or a handle that is not open), MMK_EACCES,
 *         MMK_EISDIR, MMK_ENODEV, MMK_ENOMEM.
 */
MMK_EXTERN int mmk_file_from_handle(void *handle, int mode, mmk_file **out);

/**
 * Opens or creates a named shared-memory object.
 *
 * @param name  1-200 characters of [A-Za-z0-9._-], not starting with '.'
 *              (MMK_EINVAL otherwise). The same name means the same memory
 *              in every language on this machine ("/name" for shm_open).
 * @param mode  MMK_READ, MMK_WRITE or MMK_COPY.
 * @param flags as mmk_file_open (new objects are created with mode 0600),
 *              plus MMK_ALLOW_FOREIGN in any mode.
 * @param size  as mmk_file_open (MMK_WRITE: grow to at least size).
 * @return as mmk_file_open; MMK_ENOENT when missing without MMK_CREATE;
 *         MMK_EACCES for an EXISTING object owned by another user
 *         (st_uid != geteuid()) or accessible to group or others
 *         (st_mode & 077), unless flags has MMK_ALLOW_FOREIGN: another
 *         user could have planted it to read what this process writes.
 *         The message names the object, its owner uid and mode and the
 *         flag ("owned by uid 1001, mode 0666; pass MMK_ALLOW_FOREIGN to
 *         share between users"). The check happens before anything is
 *         truncated or grown, in every mode, with or without MMK_CREATE.
 *         MMK_EACCES too for a symbolic link under the name (it is never
 *         followed).
 * As mmk_file_open, a call that fails after creating the object unlinks
 * it again.
 */
MMK_EXTERN int mmk_shm_open(const char *name, int mode, unsigned flags,
                            int64_t size, mmk_file **out);

/** Removes a named shared-memory object. Existing handles and views keep
 *  the memory. @return 0, MMK_EINVAL (bad name), MMK_ENOENT, MMK_EACCES. */
MMK_EXTERN int mmk_shm_unlink(const char *name);

/** Checks a shared-memory name without touching the system.
 *  @return 0 or MMK_EINVAL. */
MMK_EXTERN int mmk_shm_name_check(const char *name);

/**
 * Creates anonymous read-write memory of `size` bytes (size > 0). It is a
 * file-like object: views of it share memory with each other and with a
 * forked child, and it can be resized.
 * @return 0, MMK_EINVAL, MMK_ENOMEM, MMK_ENOSPC, MMK_EMFILE.
 */
MMK_EXTERN int mmk_anon_create(int64_t size, mmk_file **out);

/** 1 if the call that made this handle created the file or object
 *  (always 1 for anonymous memory), 0 if it opened an existing one (and
 *  for mmk_file_from_fd and mmk_file_from_handle); MMK_EINVAL for NULL. */
MMK_EXTERN int mmk_file_created(const mmk_file *file);

/** Current size in bytes (fstat). @return 0, MMK_EINVAL, MMK_ECLOSED,
 *  MMK_EIO. */
MMK_EXTERN int mmk_file_size(mmk_file *file, int64_t *out);

/**
 * Sets the size. Growing reserves the new blocks (MMK_ENOSPC on a full
 * disk, the size then unchanged; it never cuts back what another process
 * grew meanwhile); shrinking under live views makes the cut-off part
 * fault: the guarded copies then return MMK_EIO. Needs MMK_WRITE.
 * @return 0, MMK_EINVAL (negative size), MMK_EACCES (not writable),
 *         MMK_ECLOSED, MMK_ENOSPC, MMK_EFBIG, MMK_ENODEV (growing a
 *         /proc, /sys... pseudo-file), MMK_EIO.
 */
MMK_EXTERN int mmk_file_resize(mmk_file *file, int64_t new_size);

/** Lock kinds for mmk_file_lock. */
enum mmk_lock_kind {
  MMK_LOCK_SHARED = 1,   /**< many shared holders */
  MMK_LOCK_EXCLUSIVE = 2 /**< one holder; needs a writable file */
};

/** The wait argument of mmk_file_lock. */
enum mmk_lock_wait {
  MMK_LOCK_TRY = 0,       /**< MMK_EAGAIN at once if a conflicting lock is
                               held */
  MMK_LOCK_WAIT = 1,      /**< block until granted; a signal that
                               interrupts the wait is retried inside */
  MMK_LOCK_WAIT_INTR = 2  /**< block until granted, but return MMK_EINTR
                               (nothing locked) when a signal handler
                               interrupts the wait, so that the caller can
                               run its own signal handling (PEP 475) and
                               call again. Handlers installed with
                               SA_RESTART restart the wait in the kernel
                               and never interrupt it. */
};

/**
 * Takes a byte-range lock [offset, offset+length) owned by this handle
 * (length 0 = from offset to any future end of file).
 * @param wait  MMK_LOCK_TRY (0), MMK_LOCK_WAIT (1) or MMK_LOCK_WAIT_INTR
 *              (2); any other value is MMK_EINVAL.
 * @return 0, MMK_EINVAL, MMK_EAGAIN, MMK_EACCES (exclusive lock on a
 *         read-only handle), MMK_EDEADLK, MMK_ENOMEM, MMK_ECLOSED,
 *         MMK_EINTR (MMK_LOCK_WAIT_INTR only).
 */
MMK_EXTERN int mmk_file_lock(mmk_file *file, int64_t offset, int64_t length,
                             int kind, int wait);

/** Releases [offset, offset+length) of this handle's locks (length 0 = to
 *  any end). Unlocking a range not held is not an error.
 *  @return 0, MMK_EINVAL, MMK_ECLOSED. */
MMK_EXTERN int mmk_file_unlock(mmk_file *file, int64_t offset,
                               int64_t length);

/** The mode the file was opened with (MMK_READ/WRITE/COPY), or MMK_EINVAL
 *  for NULL. */
MMK_EXTERN int mmk_file_mode(const mmk_file *file);
/** MMK_KIND_FILE, MMK_KIND_SHM or MMK_KIND_ANON; MMK_EINVAL for NULL. */
MMK_EXTERN int mmk_file_kind(const mmk_file *file);
/** The path, or the shared-memory name without '/', or "" for anonymous
 *  memory, or for mmk_file_from_fd what the system named (see there).
 *  Valid until mmk_file_close. */
MMK_EXTERN const char *mmk_file_path(const mmk_file *file);
/** POSIX only: the underlying descriptor, owned by the handle; -1 if
 *  closed (always -1 on Windows). */
MMK_EXTERN int mmk_file_fd(const mmk_file *file);

/**
 * Closes the handle and frees it. Views made from it stay valid (the
 * mapping outlives the descriptor). Releases the handle's locks.
 * NULL is accepted and ignored. @return 0 or MMK_EIO (close reported an
 * error; the handle is freed anyway).
 */
MMK_EXTERN int mmk_file_close(mmk_file *file);

/* ------------------------------------------------------------------------
 * Views
 * ---------------------------------------------------------------------- */

/** Options for mmk_map (bit set). */
enum mmk_map_options {
  MMK_MAP_POPULATE = 1u << 0, /**< prefault the pages (MAP_POPULATE on
                                   Linux, touch elsewhere) */
  MMK_MAP_HUGEPAGE = 1u << 1, /**< ask for transparent huge pages where the
                                   system has them (advice; never fails) */
  MMK_MAP_READONLY = 1u << 2  /**< map read-only even if the file is
                                   writable: the view then behaves as a
                                   MMK_READ view (mmk_view_mode reports
                                   MMK_READ, mmk_view_writable 0, a range
                                   past the end is MMK_ERANGE and never
                                   grows the file) */
};

/**
 * Maps [offset, offset+length) of a file.
 *
 * @param offset any byte offset >= 0 (alignment is handled inside).
 * @param length bytes; 0 = to the end of the file (an empty view when
 *               offset == size, e.g. an empty file).
 * @param options MMK_MAP_* bits.
 * @return 0, or MMK_EINVAL (NULL, negative, unknown option),
 *         MMK_ECLOSED, MMK_ERANGE (past the end in MMK_READ/MMK_COPY, or
 *         offset+length overflows), MMK_ENOSPC / MMK_EFBIG (growing a
 *         writable file failed; nothing is mapped), MMK_EACCES,
 *         MMK_ENOMEM, MMK_ENODEV (not mappable, or a /proc, /sys...
 *         pseudo-file that the range would grow).
 *
 * In MMK_WRITE mode a range past the end grows the file to exactly
 * offset+length first and reserves the new blocks (not with
 * MMK_MAP_READONLY: that view is MMK_ERANGE past the end, as MMK_READ).
 * Every refusal (MMK_EINVAL, MMK_ERANGE, a reserve smaller than the
 * length) comes before the file is grown; only a mapping that fails after
 * the grow (MMK_ENOMEM) leaves the file at its new size.
 * Each call also re-checks mmapkit's SIGBUS handler (one sigaction query;
 * see mmk_fault_guard_install).
 * The returned view stays valid until mmk_view_close, independent of the
 * file handle.
 */
MMK_EXTERN int mmk_map(mmk_file *file, int64_t offset, int64_t length,
                       unsigned options, mmk_view **out);

/**
 * As mmk_map, and reserves `reserve` bytes of address space (reserve >=
 * the mapped length) so that mmk_view_resize can grow the view in place up
 * to `reserve` bytes without moving it. reserve 0 means no reservation.
 */
MMK_EXTERN int mmk_map_reserve(mmk_file *file, int64_t offset, int64_t length,
                               int64_t reserve, unsigned options,
                               mmk_view **out);

/** First byte of the view (exactly the requested offset). Valid until the
 *  view is closed or moved by mmk_view_resize. NULL for a NULL or closed
 *  view; a non-NULL pointer for an empty view. */
MMK_EXTERN void *mmk_view_data(const mmk_view *view);
/** Length in bytes (0 for NULL or closed). */
MMK_EXTERN int64_t mmk_view_size(const mmk_view *view);
/** Offset in the file where the view starts. */
MMK_EXTERN int64_t mmk_view_offset(const mmk_view *view);
/** Reserved length (>= size), 0 when made without a reservation. */
MMK_EXTERN int64_t mmk_view_reserved(const mmk_view *view);
/** 1 if the view may be written, 0 if read-only or closed. */
MMK_EXTERN int mmk_view_writable(const mmk_view *view);
/** MMK_READ, MMK_WRITE or MMK_COPY as mapped: a view mapped with
 *  MMK_MAP_READONLY reports MMK_READ whatever the file's mode.
 *  MMK_EINVAL for NULL. */
MMK_EXTERN int mmk_view_mode(const mmk_view *view);
/** 1 once closed (including an inert close waiting for its leases). */
MMK_EXTERN int mmk_view_closed(const mmk_view *view);

/** Flush durability (how argument). */
enum mmk_flush_mode {
  MMK_FLUSH_ASYNC = 0, /**< schedule write-back, return at once */
  MMK_FLUSH_SYNC = 1,  /**< written to the device before return */
  MMK_FLUSH_FULL = 2   /**< SYNC plus file metadata and the drive cache
                            (fsync / F_FULLFSYNC / FlushFileBuffers) */
};

/**
 * Writes changes in [offset, offset+length) of the view back (length 0 =
 * to the end of the view). Any range works; it is widened to pages inside.
 * A no-op returning 0 for read-only, copy-on-write and anonymous views.
 * @return 0, MMK_EINVAL, MMK_ERANGE, MMK_ECLOSED, MMK_EIO, MMK_ENOSPC.
 */
MMK_EXTERN int mmk_view_flush(mmk_view *view, int64_t offset, int64_t length,
                              int how);

/** Advice values. */
enum mmk_advice {
  MMK_ADVICE_NORMAL = 0,
  MMK_ADVICE_SEQUENTIAL = 1,
  MMK_ADVICE_RANDOM = 2,
  MMK_ADVICE_WILLNEED = 3,
  MMK_ADVICE_DONTNEED = 4,
  MMK_ADVICE_HUGEPAGE = 5
};

/**
 * madvise over [offset, offset+length) of the view (length 0 = to the end).
 * DONTNEED on a shared mapping drops the pages; their content comes back
 * from the file. HUGEPAGE is MMK_ENOTSUP where the system lacks it.
 * @return 0, MMK_EINVAL, MMK_ERANGE, MMK_ECLOSED, MMK_ENOTSUP.
 */
MMK_EXTERN int mmk_view_advise(mmk_view *view, int64_t offset, int64_t length,
                               int advice);

/** mlock / munlock the whole view. @return 0, MMK_ENOMEM (RLIMIT_MEMLOCK),
 *  MMK_EPERM, MMK_ECLOSED, MMK_EINVAL. */
MMK_EXTERN int mmk_view_lock_memory(mmk_view *view);
MMK_EXTERN int mmk_view_unlock_memory(mmk_view *view);

/** Bytes of [offset, offset+length) (length 0 = to the end) that are in
 *  RAM now (mincore), clamped to the range. @return 0, MMK_EINVAL,
 *  MMK_ERANGE, MMK_ECLOSED, MMK_ENOMEM. */
MMK_EXTERN int mmk_view_resident(mmk_view *view, int64_t offset,
                                 int64_t length, int64_t *resident_bytes);

/**
 * Fault-safe copies between the view and caller memory. A fault while
 * touching mapped memory (file truncated by another process, I/O error,
 * disk full on a sparse page) returns MMK_EIO and the process keeps
 * running; some bytes may have been copied. n == 0 is valid.
 * @return 0, MMK_EINVAL (NULL buffer with n > 0), MMK_ERANGE (offset+n
 *         beyond the view), MMK_EACCES (write to a read-only view),
 *         MMK_ECLOSED, MMK_EIO.
 */
MMK_EXTERN int mmk_view_read(mmk_view *view, int64_t offset, void *dst,
                             size_t n);
MMK_EXTERN int mmk_view_write(mmk_view *view, int64_t offset,
                              const void *src, size_t n);

/**
 * Changes the view's length (> 0). Within the reservation the address is
 * kept. Beyond it, or without one, the view may move (mremap) only when no
 * lease is outstanding (MMK_EBUSY otherwise). Shrinking with leases
 * outstanding is MMK_EBUSY. Shrinking and moving wait for the in-flight
 * calls of other threads (see Thread safety above). Growing a MMK_WRITE
 * view past the end of the file grows the file as mmk_map does;
 * MMK_READ/MMK_COPY past the end is MMK_ERANGE.
 * Growing past the reservation (when the view may move) gives up the
 * reservation: mmk_view_reserved then returns 0 and later growth may move
 * the view again.
 * A failed resize leaves the view exactly as it was (address, length,
 * reservation, content). Every refusal (MMK_EINVAL, MMK_ERANGE,
 * MMK_EBUSY, MMK_ECLOSED) comes before the file is touched; only a
 * failure of the mapping itself after the file was grown (MMK_ENOMEM)
 * leaves the file at its new size (shrinking it back could cut off what
 * another process wrote meanwhile).
 * Moving needs a single kernel mapping for a copy-on-write (MMK_COPY)
 * view, whose private changes only mremap can carry: after advice on part
 * of such a view, a move is MMK_EBUSY (advise MMK_ADVICE_NORMAL over the
 * whole view, or reserve enough with mmk_map_reserve). Shared views move
 * in any case.
 * @return 0, MMK_EINVAL, MMK_ERANGE, MMK_EBUSY, MMK_ENOMEM, MMK_ENOSPC,
 *         MMK_EFBIG (growing the file failed), MMK_ENODEV (growing a /proc,
 *         /sys... pseudo-file), MMK_ECLOSED; MMK_EIO only where mremap is
 *         missing (a fault while copying a copy-on-write view).
 */
MMK_EXTERN int mmk_view_resize(mmk_view *view, int64_t new_length);

/* Leases: zero-copy exports of a view (Python buffers, Java ByteBuffers,
 * .NET pins). */

/** Counts one more export. @return 0, MMK_EINVAL, MMK_ECLOSED. */
MMK_EXTERN int mmk_view_lease(mmk_view *view);
/**
 * Leases the view for [offset, offset+length) and gives its address: what
 * a binding's zero-copy export (buffer, ByteBuffer, pin) needs in one call.
 * The range is checked under the lease, so it stays mapped until the
 * matching mmk_view_release; write != 0 also refuses a read-only view. On
 * failure no lease is held and *out is NULL.
 * @return 0, MMK_EINVAL (NULL view or out, negative offset or length),
 *         MMK_ERANGE (past the end), MMK_EACCES (write on a read-only
 *         view), MMK_ECLOSED.
 */
MMK_EXTERN int mmk_view_lease_range(mmk_view *view, int64_t offset,
                                    int64_t length, int write, void **out);
/**
 * Counts one export fewer. When a view closed by mmk_view_close_inert drops
 * to zero leases, it is freed here and must not be used again.
 * @return 0, MMK_EINVAL (NULL or no lease outstanding).
 */
MMK_EXTERN int mmk_view_release(mmk_view *view);
/** Outstanding leases (0 for NULL). On a view closed by
 *  mmk_view_close_inert whose leases are still held, the number still
 *  held (>= 1): the view stays allocated until the last release, after
 *  which it must not be used at all. */
MMK_EXTERN int64_t mmk_view_leases(const mmk_view *view);

/**
 * Unmaps and frees the view. Refused with MMK_EBUSY while leases are
 * outstanding (the view stays usable). In-flight calls of other threads
 * are waited for (waiters are woken and return MMK_ECLOSED).
 * NULL is accepted and ignored.
 * @return 0, MMK_EBUSY, MMK_ECLOSED (already inert-closed).
 */
MMK_EXTERN int mmk_view_close(mmk_view *view);

/**
 * Closes a view even if exports are outstanding, for languages that cannot
 * refuse. In-flight calls of other threads are waited for first (they
 * complete on the real mapping; waiters return MMK_ECLOSED), later calls
 * return MMK_ECLOSED. With no leases it behaves as mmk_view_close. With
 * leases, the
 * range is replaced in place by inert private zero memory that no longer
 * touches the file (the file and its disk space are released at once);
 * the address space and the handle are freed by the last mmk_view_release.
 * Every other call on an inert-closed view returns MMK_ECLOSED (or 0/NULL
 * for the getters; mmk_view_leases still counts the leases held).
 * Calling it again on a view already inert-closed (leases still held) does
 * nothing and returns 0. @return 0 (NULL is ignored).
 */
MMK_EXTERN int mmk_view_close_inert(mmk_view *view);

/* ------------------------------------------------------------------------
 * Fault guard
 * ---------------------------------------------------------------------- */

/**
 * Installs mmapkit's SIGBUS handler, or re-installs it if someone installed
 * another handler since (the newcomer becomes the handler chained to).
 * Called by mmk_map; bindings call it after runtimes may have replaced
 * signal handlers. Cheap when nothing changed.
 *
 * A SIGBUS that is not a fault of a guarded access goes to the handler
 * chained to, the way the kernel would have delivered it: with that
 * handler's sa_mask blocked and, when it was installed without SA_ONSTACK,
 * on the interrupted thread's own stack even though mmapkit's handler runs
 * on the thread's alternate signal stack (as .NET expects for its
 * AccessViolation report). x86-64 Linux re-delivers it there; elsewhere
 * (and with a user shadow stack) the handler is called on the stack
 * mmapkit's handler runs on.
 *
 * A handler installed after mmapkit's (CPython's faulthandler.enable or
 * signal.signal, Java's sun.misc.Signal.handle, any later sigaction) gets
 * SIGBUS first until the guard is re-asserted, which happens here, in
 * mmk_map and mmk_map_reserve, in every mmk_view_read/mmk_view_write of
 * 256 KiB or more, and in the watchdog thread below (one sigaction query;
 * the later handler becomes the one chained to; the same handler put back
 * again keeps its place in the chain). Until then a guarded access that
 * faults:
 * - still returns MMK_EIO if that handler chains to ours, by calling it
 *   with its siginfo and context or by restoring it and raising the signal
 *   again (faulthandler does the latter, after printing its report);
 * - spins in that handler if it returns without chaining (signal.signal,
 *   sun.misc.Signal: the access faults again at once, with no mmapkit code
 *   involved) until the watchdog re-asserts the guard: then MMK_EIO. Call
 *   mmk_fault_guard_install right after installing such a handler to
 *   skip that wait.
 *
 * The watchdog: the first mmk_map/mmk_map_reserve of a process (not this
 * call alone) starts one thread, named "mmk-guard", with every signal
 * blocked, that queries the SIGBUS disposition every 20 ms and re-asserts
 * the guard when it changed. So a small guarded access that faults under a
 * later non-chaining handler returns MMK_EIO within about 20 ms (plus
 * scheduling delay), its thread spinning meanwhile. Cost: one sigaction
 * query (about 0.3 us) per wake-up, about 0.2 % of one core on a loaded
 * 2-vCPU VM (mostly the wake-up itself; about 45 us each there). Against a
 * handler that keeps coming back right after each re-assert (a runtime
 * re-installing its own) the period doubles, after 4 such re-asserts in a
 * row, up to 1 s: the two never fight faster, and the bound is then up to
 * 1 s. A forked child has no watchdog until its own first map; the thread
 * is joined when the library is unloaded or the process exits (exit(),
 * not _exit); it never keeps a process alive. The environment variable
 * MMAPKIT_GUARD_WATCH_MS, read when the thread would start, sets the
 * period in ms (1-1000; 0: no thread, the bound is gone). A build of
 * mmapkit with ThreadSanitizer starts no thread unless that variable asks
 * (TSan kills a fork child of a multi-threaded process that starts a
 * thread).
 * Once re-asserted, no fault spins through mmapkit's handler: a handler
 * chained to that returns 16 times in a row (less than 1 ms apart) without
 * repairing the same fault gets the default action applied (death by
 * SIGBUS), as the kernel would without it. A handler chained to that hands
 * the signal back (calls ours, or restores ours and raises) has it passed
 * to the handler installed before it; after a restore-and-raise it is
 * skipped from then on (it uninstalled itself). A handler chained to that
 * leaves by siglongjmp is fine (its restored mask ends the chained call).
 * A guarded access that faults while its thread blocks SIGBUS kills the
 * process: the kernel forces the default action for a blocked fault.
 * @return 0, MMK_ENOTSUP (no signals on this platform).
 */
MMK_EXTERN int mmk_fault_guard_install(void);

/** System page size in bytes. */
MMK_EXTERN int64_t mmk_page_size(void);

/* ------------------------------------------------------------------------
 * Atomics and wait/wake at a view offset
 *
 * off is relative to the view and must be naturally aligned in memory
 * (4 for u32, 8 for u64), else MMK_EINVAL; off+size beyond the view is
 * MMK_ERANGE. A fault while touching mapped memory is MMK_EIO.
 * Every function returns 0 or: MMK_EINVAL (NULL view, negative or
 * misaligned off, NULL out for a load), MMK_ERANGE, MMK_ECLOSED, MMK_EIO;
 * store, fetch-add and compare-exchange also MMK_EACCES (a read-only
 * view: MMK_READ or MMK_MAP_READONLY). Nothing is written to the output
 * pointer on failure.
 * Loads are acquire, stores release, fetch-add and compare-exchange are
 * sequentially consistent. These are lock-free and interoperate with other
 * processes' (and languages') atomics on the same memory.
 * ---------------------------------------------------------------------- */

MMK_EXTERN int mmk_atomic_load_u32(mmk_view *view, int64_t off,
                                   uint32_t *out);
MMK_EXTERN int mmk_atomic_load_u64(mmk_view *view, int64_t off,
                                   uint64_t *out);
MMK_EXTERN int mmk_atomic_store_u32(mmk_view *view, int64_t off,
                                    uint32_t value);
MMK_EXTERN int mmk_atomic_store_u64(mmk_view *view, int64_t off,
                                    uint64_t value);
/** *old receives the value before the addition (wrapping arithmetic);
 *  old may be NULL when that value is not wanted. (A load's out may not be
 *  NULL: MMK_EINVAL.) */
MMK_EXTERN int mmk_atomic_fetch_add_u32(mmk_view *view, int64_t off,
                                        uint32_t delta, uint32_t *old);
MMK_EXTERN int mmk_atomic_fetch_add_u64(mmk_view *view, int64_t off,
                                        uint64_t delta, uint64_t *old);
/** Stores desired if the word equals expected. *current receives the
 *  value found; the swap happened iff *current == expected. current may be
 *  NULL (then the caller cannot tell whether the swap happened). */
MMK_EXTERN int mmk_atomic_cas_u32(mmk_view *view, int64_t off,
                                  uint32_t expected, uint32_t desired,
                                  uint32_t *current);
MMK_EXTERN int mmk_atomic_cas_u64(mmk_view *view, int64_t off,
                                  uint64_t expected, uint64_t desired,
                                  uint64_t *current);

/**
 * Sleeps while the 32-bit word at off equals expected (a Linux shared
 * futex: works across processes). Returns 0 as soon as the word differs
 * (checked after every wake-up, so spurious wake-ups and EINTR are
 * absorbed inside; a wake without a change does not end the wait).
 * A short bounded spin precedes sleeping (about 4 us, yielding the CPU a
 * few times so that a peer waiting for this CPU can run); an idle waiter
 * sleeps in the kernel.
 * The wait is one in-flight call on the view: mmk_view_close and
 * mmk_view_close_inert wake it and it returns MMK_ECLOSED; a resize that
 * moves or shrinks the view wakes it, the waiter steps aside until the
 * resize is done and then waits on at the view's new address
 * (MMK_ERANGE if the word is no longer inside the view).
 * @param timeout_ns < 0: no timeout; 0: just check.
 * @return 0, MMK_ETIMEDOUT, MMK_EINVAL, MMK_ERANGE, MMK_ECLOSED, MMK_EIO,
 *         MMK_ENOTSUP (no futex: other platforms fall back to a sleeping
 *         poll, documented in the source).
 */
MMK_EXTERN int mmk_wait_u32(mmk_view *view, int64_t off, uint32_t expected,
                            int64_t timeout_ns);

/** As mmk_wait_u32, but a signal handler that interrupts the sleep ends
 *  the wait with MMK_EINTR (the word was still equal to expected), so
 *  that the caller can run its own signal handling (PEP 475) and call
 *  again with the time that remains. A signal in the last sleep is
 *  MMK_EINTR even when its handler ran past the deadline (the retry then
 *  times out). @return as mmk_wait_u32, or MMK_EINTR. */
MMK_EXTERN int mmk_wait_u32_intr(mmk_view *view, int64_t off,
                                 uint32_t expected, int64_t timeout_ns);

/** Wakes up to count waiters sleeping on the word at off (count <= 0 or
 *  INT32_MAX = all). @return the number woken (>= 0) or MMK_EINVAL,
 *  MMK_ERANGE, MMK_ECLOSED, MMK_EIO (the word lies in a page past the end
 *  of the file: the kernel cannot reach it). */
MMK_EXTERN int mmk_wake(mmk_view *view, int64_t off, int count);

#ifdef __cplusplus
}
#endif
#endif /* MMAPKIT_H */
