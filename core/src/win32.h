/*
 * Shared by the Win32 backend's files only (win32*.c).
 */
#ifndef MMAPKIT_WIN32_H
#define MMAPKIT_WIN32_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

/* A malloc'ed UTF-16 copy of s behind prefix (is_path: a path, given the
 * \\?\ form when too long for the classic API); NULL with the error
 * recorded. */
wchar_t *mmk__wide(const char *s, const wchar_t *prefix, int is_path,
                   const char *op);

/* Records a failed Win32 call: op is the mmapkit operation the caller
 * made ("map", "flush"...), call the Win32 function; its name and
 * GetLastError code open the detail, fmt (may be NULL) adds to it. The
 * status comes from mmk__os_status, the one translation. */
int mmk__win_error(unsigned long err, const char *op, const char *call,
                   const char *path, const char *fmt, ...)
    __attribute__((format(gnu_printf, 5, 6)));

/* Errors of mmapkit's own in the Win32 space (bit 29: application
 * codes), with their status and reason in mmk__os_status/_reason. */
#define MMK__WIN_ERR_UNLOCK_PART 0x20000001ul /* part of a locked range */
#define MMK__WIN_ERR_SECTION_LOCK 0x20000002ul /* a lock on a section */

/* Forgets the byte-range locks tracked for handle h (win32_lock.c). */
void mmk__win_locks_forget(void *h);

/* The exact size of section h (1), or 0 if h is not a section. */
int mmk__section_size(void *h, int64_t *size);

/* mmk__os_open for MMK_KIND_SHM (win32_shm.c). */
int mmk__shm_open(const char *name, int mode, unsigned flags, int64_t size,
                  void **out, int *created);

/* The inert close's window (see mmk__os_view_make_inert): between begin
 * and end the n bytes at p are being swapped for private memory, and a
 * thread that faults on them is held by the vectored handler and retries
 * its access once the swap is done (ok) or fails as any fault (!ok). One
 * window at a time: begin takes a lock that end releases. */
void mmk__win_inert_begin(void *p, size_t n);
void mmk__win_inert_end(int ok);

#endif /* MMAPKIT_WIN32_H */
