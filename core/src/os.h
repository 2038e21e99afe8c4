/*
 * The backend interface: everything the common code asks of the platform.
 * unix.c implements it for POSIX (Linux first, macOS and the BSDs behind
 * feature checks); a win32.c would implement the same functions and
 * nothing else. Included by internal.h; not installed, not API.
 *
 * Conventions (unless a function says otherwise):
 * - A function that can fail returns 0 or a status already recorded in the
 *   thread's error detail (mmk__sys_error with the native error and the
 *   name of the OS call that failed): the common code passes it on as is.
 * - MMK__OS_CANNOT (a positive value, never a status): this platform has
 *   no such facility. Nothing was changed and nothing recorded; the
 *   common code falls back as noted at each function.
 * - Calls interrupted by a signal are retried inside the backend (one
 *   place: MMK__OS_RETRY in unix.c) unless the function says EINTR ends it.
 */
#ifndef MMAPKIT_OS_H
#define MMAPKIT_OS_H

#include <stddef.h>
#include <stdint.h>

#define MMK__OS_CANNOT 1

/* ------------------------------------------------------------------------
 * Platform
 * ---------------------------------------------------------------------- */

/* The page size: the granularity of offsets, protection and mapping
 * lengths (POSIX: sysconf(_SC_PAGESIZE); 4096 if that fails). Called
 * once; the common code caches it (mmk__page). */
MMK__HIDDEN size_t mmk__os_page_size(void);

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
#  error "mmapkit: the Windows backend (win32.c) is not written yet"
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

#endif /* MMAPKIT_OS_H */
