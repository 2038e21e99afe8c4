/*
 * Shared by the Win32 backend's files only (win32_view.c, win32_guard.c).
 */
#ifndef MMAPKIT_WIN32_H
#define MMAPKIT_WIN32_H

#include <stddef.h>

/* The inert close's window (see mmk__os_view_make_inert): between begin
 * and end the n bytes at p are being swapped for private memory, and a
 * thread that faults on them is held by the vectored handler and retries
 * its access once the swap is done (ok) or fails as any fault (!ok). One
 * window at a time: begin takes a lock that end releases. */
void mmk__win_inert_begin(void *p, size_t n);
void mmk__win_inert_end(int ok);

#endif /* MMAPKIT_WIN32_H */
