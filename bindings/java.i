/*
 * bindings/java.i: the internal JNI layer of the Java binding.
 *
 * Generates org.mmapkit.internal.NativeCore / NativeCoreJNI. Nothing here is
 * public API: the classes users touch live in org.mmapkit (java/src/...).
 *
 * - Handles (mmk_file *, mmk_view *) travel as Java longs: no wrapper object
 *   per call, and the public layer owns their lifetime.
 * - Out-parameters (mmk_file **, mmk_view **, int64_t * and the atomics'
 *   uint32_t * / uint64_t *) are long[1] arrays filled on success.
 * - mmkj_view_window() returns a direct java.nio.ByteBuffer over a range of a
 *   view, holding one core lease that the caller must release exactly once.
 * - mmkj_view_read/mmkj_view_write are the bulk fault-safe copies between a
 *   view and a byte[]; mmkj_atomic the fault-safe atomics.
 * - Every access to mapped memory goes through a core call (an in-flight
 *   call that close and resize wait for) or holds a lease: no raw pointer
 *   is dereferenced here.
 * - Errors: every status-returning call goes through mmkj_throw(), the one
 *   place where core status + thread-local detail become Java exceptions.
 *   The exception blocks do not return early: the generated code still
 *   releases converted arguments (strings) and the out typemaps skip their
 *   work while an exception is pending.
 */
%module(jniclassname="NativeCoreJNI") NativeCore

%include <stdint.i>
%include <enumsimple.swg>
%javaconst(1);

%pragma(java) jniclasscode=%{
  static {
    NativeLoader.load();
  }
%}
%pragma(java) moduleclassmodifiers="public final class"
%pragma(java) jniclassclassmodifiers="public final class"

%{
#include <stdint.h>
#include <string.h>
#include "mmapkit.h"

/* ------------------------------------------------------------------------
 * The one error-translation point.
 *
 * code is the status returned by the call. The thread-local detail is used
 * only when it describes this failure (the wrapper's own checks clear it
 * first), so a stale detail from an earlier call never leaks into a message.
 * fault != 0 for the accessors (bulk copies, atomics, wait): there EIO is a
 * fault in mapped memory (org.mmapkit.FaultException, unchecked) and EACCES
 * a write to a read-only view (java.nio.ReadOnlyBufferException).
 * ---------------------------------------------------------------------- */
static void mmkj_throw_new(JNIEnv *jenv, const char *cls, const char *msg) {
  jclass c = (*jenv)->FindClass(jenv, cls);
  if (c) {
    (*jenv)->ThrowNew(jenv, c, msg);
    (*jenv)->DeleteLocalRef(jenv, c);
  }
}

static void mmkj_throw_noarg(JNIEnv *jenv, const char *cls) {
  jclass c = (*jenv)->FindClass(jenv, cls);
  if (!c) return;
  jmethodID ctor = (*jenv)->GetMethodID(jenv, c, "<init>", "()V");
  if (ctor) {
    jobject ex = (*jenv)->NewObject(jenv, c, ctor);
    if (ex) (*jenv)->Throw(jenv, (jthrowable)ex);
  }
  (*jenv)->DeleteLocalRef(jenv, c);
}

/* org.mmapkit.FaultException(message, status): the core status travels with it. */
static void mmkj_throw_fault(JNIEnv *jenv, const char *msg, int code) {
  jclass c = (*jenv)->FindClass(jenv, "org/mmapkit/FaultException");
  if (!c) return;
  jmethodID ctor = (*jenv)->GetMethodID(jenv, c, "<init>", "(Ljava/lang/String;I)V");
  jstring jmsg = ctor ? (*jenv)->NewStringUTF(jenv, msg) : NULL;
  if (jmsg) {
    jobject ex = (*jenv)->NewObject(jenv, c, ctor, jmsg, (jint)code);
    if (ex) (*jenv)->Throw(jenv, (jthrowable)ex);
  }
  (*jenv)->DeleteLocalRef(jenv, c);
}

/* java.nio.file.FileSystemException family: (file, other, reason). */
static void mmkj_throw_fs(JNIEnv *jenv, const char *cls, const char *path,
                          const char *reason) {
  jclass c = (*jenv)->FindClass(jenv, cls);
  if (!c) return;
  jmethodID ctor = (*jenv)->GetMethodID(
      jenv, c, "<init>", "(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;)V");
  jstring jpath = (*jenv)->NewStringUTF(jenv, path);
  jstring jreason = jpath ? (*jenv)->NewStringUTF(jenv, reason) : NULL;
  if (ctor && jpath && jreason) {
    jobject ex = (*jenv)->NewObject(jenv, c, ctor, jpath, NULL, jreason);
    if (ex) (*jenv)->Throw(jenv, (jthrowable)ex);
  }
  (*jenv)->DeleteLocalRef(jenv, c);
}

static void mmkj_throw(JNIEnv *jenv, int code, int fault) {
  char text[1024], reason[1024];
  const char *op = "", *path = "", *message = "", *rest;
  size_t oplen, pathlen;

  if ((*jenv)->ExceptionCheck(jenv)) return; /* e.g. OutOfMemoryError */
  {
    /* This failure's detail, or the code's alone: never a stale one. */
    const mmk_error *e = mmk_error_for(code);
    op = e->op;
    path = e->path;
    message = e->message;
  }
  if (!op) op = "";
  if (!path) path = "";
  if (!message || !*message) {
    snprintf(text, sizeof text, "%s%s%s (%s)", op, *op ? ": " : "",
             mmk_strerror(code), mmk_err_name(code));
  } else {
    snprintf(text, sizeof text, "%s (%s)", message, mmk_err_name(code));
  }
  /* FileSystemException prints "path: reason"; drop the path from the
   * core's "op 'path'[ [detail]]: reason" so it is not printed twice. */
  oplen = strlen(op);
  pathlen = strlen(path);
  rest = NULL;
  if (*message && *path && strncmp(message, op, oplen) == 0 &&
      strncmp(message + oplen, " '", 2) == 0 &&
      strncmp(message + oplen + 2, path, pathlen) == 0 &&
      message[oplen + 2 + pathlen] == '\'') {
    rest = message + oplen + 2 + pathlen + 1; /* after "op 'path'" */
    if (strncmp(rest, ": ", 2) != 0 && strncmp(rest, " [", 2) != 0) rest = NULL;
  }
  if (rest) {
    snprintf(reason, sizeof reason, "%s%s (%s)", op, rest, mmk_err_name(code));
  } else {
    snprintf(reason, sizeof reason, "%s", text);
  }

  switch (code) {
  case MMK_ENOENT:
    mmkj_throw_fs(jenv, "java/nio/file/NoSuchFileException", path, reason);
    return;
  case MMK_EACCES:
    if (fault) {
      mmkj_throw_noarg(jenv, "java/nio/ReadOnlyBufferException");
      return;
    }
    /* fall through */
  case MMK_EPERM:
  case MMK_EROFS:
    mmkj_throw_fs(jenv, "java/nio/file/AccessDeniedException", path, reason);
    return;
  case MMK_EEXIST:
    mmkj_throw_fs(jenv, "java/nio/file/FileAlreadyExistsException", path,
                  reason);
    return;
  case MMK_EINVAL:
    mmkj_throw_new(jenv, "java/lang/IllegalArgumentException", text);
    return;
  case MMK_ERANGE:
    mmkj_throw_new(jenv, "java/lang/IndexOutOfBoundsException", text);
    return;
  case MMK_ECLOSED:
  case MMK_EBUSY:
    mmkj_throw_new(jenv, "java/lang/IllegalStateException", text);
    return;
  case MMK_ENOTSUP:
    mmkj_throw_new(jenv, "java/lang/UnsupportedOperationException", text);
    return;
  case MMK_EIO:
    if (fault) {
      mmkj_throw_fault(jenv, text, code);
      return;
    }
    break;
  default:
    break;
  }
  if (*path)
    mmkj_throw_fs(jenv, "java/nio/file/FileSystemException", path, reason);
  else
    mmkj_throw_new(jenv, "java/io/IOException", text);
}

/* ------------------------------------------------------------------------
 * Helpers the generic C API cannot express for Java.
 * ---------------------------------------------------------------------- */

/* MappedFile.of(FileChannel | FileDescriptor): JDK 17 has no public way
 * to reach either's descriptor, so it is read here, through JNI, which
 * module encapsulation does not restrict (no --add-opens): the
 * FileDescriptor of the JDK's own channel class (its private field "fd")
 * and that FileDescriptor's private int "fd" (POSIX) or long "handle"
 * (Windows), fields the JDK has kept since 1.4. Anything else (a custom
 * FileChannel, a JDK without those fields) is MMK_ENOTSUP, never a guess.
 * The core duplicates the number; reading the field again afterwards
 * tells whether the channel was closed meanwhile (the JDK sets the field
 * to -1 before it closes the number, so a field that still holds it means
 * the duplicate is of the channel's file): then MMK_ECLOSED, nothing
 * kept. */
static int mmkj_file_from_java(JNIEnv *jenv, jobject src, int32_t mode,
                               mmk_file **out) {
  jclass fdc;
  jobject fdo = src;
  jfieldID fid;
  int r, changed;
  mmk_clear_error();
  if (!src || !out) return MMK_EINVAL;
  fdc = (*jenv)->FindClass(jenv, "java/io/FileDescriptor");
  if (!fdc) return MMK_ENOMEM; /* NoClassDefFoundError is pending */
  if (!(*jenv)->IsInstanceOf(jenv, src, fdc)) {
    jclass c = (*jenv)->GetObjectClass(jenv, src);
    fid = (*jenv)->GetFieldID(jenv, c, "fd", "Ljava/io/FileDescriptor;");
    (*jenv)->DeleteLocalRef(jenv, c);
    if (!fid) {
      (*jenv)->ExceptionClear(jenv); /* NoSuchFieldError */
      return MMK_ENOTSUP;
    }
    fdo = (*jenv)->GetObjectField(jenv, src, fid);
    if (!fdo) return MMK_ENOTSUP;
  }
#if defined(_WIN32)
  fid = (*jenv)->GetFieldID(jenv, fdc, "handle", "J");
#else
  fid = (*jenv)->GetFieldID(jenv, fdc, "fd", "I");
#endif
  if (!fid) {
    (*jenv)->ExceptionClear(jenv);
    return MMK_ENOTSUP;
  }
#if defined(_WIN32)
  {
    jlong h = (*jenv)->GetLongField(jenv, fdo, fid);
    r = mmk_file_from_handle((void *)(intptr_t)h, mode, out);
    changed = (*jenv)->GetLongField(jenv, fdo, fid) != h;
  }
#else
  {
    jint n = (*jenv)->GetIntField(jenv, fdo, fid);
    r = mmk_file_from_fd((int)n, mode, out);
    changed = (*jenv)->GetIntField(jenv, fdo, fid) != n;
  }
#endif
  if (r == 0 && changed) {
    mmk_file_close(*out);
    *out = NULL;
    mmk_clear_error();
    return MMK_ECLOSED;
  }
  return r;
}

/* A window of a view for NewDirectByteBuffer (see the out typemap). */
typedef struct mmkj_window {
  void *addr;
  int64_t length;
  int status;
} mmkj_window;

/* Leases the view and returns [offset, offset+length) of it. On success the
 * caller owns one lease (released with mmk_view_release when the ByteBuffer
 * is collected); on failure no lease is held and the core's detail says
 * why (mmk_view_lease_range checks the range under the lease). */
static mmkj_window mmkj_view_window(mmk_view *view, int64_t offset,
                                    int32_t length) {
  mmkj_window w = {NULL, 0, 0};
  void *p = NULL;
  w.status = mmk_view_lease_range(view, offset, length, 0, &p);
  if (w.status == 0) {
    w.addr = p;
    w.length = length;
  }
  return w;
}

/* Bulk fault-safe copies between a view and a Java byte[]. The array is
 * pinned (GetPrimitiveArrayCritical) so the core copies straight into it,
 * 1.3x faster than staging through SetByteArrayRegion for 64 KiB and more
 * (measured); a fault inside is caught by the core's guarded copy (MMK_EIO),
 * never inside the JVM. A pinned array holds off the GC, and a copy from a
 * cold file may wait for the disk, so big copies pin one MMKJ_PIN_CHUNK at a
 * time. */
#define MMKJ_PIN_CHUNK (1 << 20)

/* Checks both ranges up front: a chunked copy must not stop half-way on a
 * range error. */
static int mmkj_check_copy(JNIEnv *jenv, mmk_view *view, int64_t offset,
                           jbyteArray a, int32_t pos, int32_t n) {
  jsize alen;
  int64_t size;
  int r = 0;
  if (!view || !a || pos < 0 || n < 0 || offset < 0) {
    r = MMK_EINVAL;
  } else if (mmk_view_closed(view)) {
    r = MMK_ECLOSED;
  } else {
    alen = (*jenv)->GetArrayLength(jenv, a);
    size = mmk_view_size(view);
    if (pos > alen || n > alen - pos || offset > size ||
        (int64_t)n > size - offset)
      r = MMK_ERANGE;
  }
  if (r) mmk_clear_error(); /* the status is ours: no stale detail */
  return r;
}

/* Each mmk_view_read/write is an in-flight call of the core: a close or a
 * moving or shrinking resize on another thread waits for it. A copy of
 * more than one chunk also holds a lease from its first chunk to its last,
 * so that no shrink lands between two chunks (the resize is then EBUSY,
 * and MappedView.resize retries for a while). */
static int mmkj_lease_long(mmk_view *view, int32_t n) {
  return view && n > MMKJ_PIN_CHUNK ? mmk_view_lease(view) : 0;
}
static void mmkj_release_long(mmk_view *view, int32_t n) {
  if (view && n > MMKJ_PIN_CHUNK) mmk_view_release(view);
}

static int mmkj_view_read(JNIEnv *jenv, mmk_view *view, int64_t offset,
                          jbyteArray dst, int32_t pos, int32_t n) {
  int32_t total = n;
  int r = mmkj_lease_long(view, total);
  if (r < 0) return r;
  if ((r = mmkj_check_copy(jenv, view, offset, dst, pos, n)) < 0) goto out;
  if (n == 0) {
    r = mmk_view_read(view, offset, NULL, 0); /* checks view */
    goto out;
  }
  do {
    int32_t k = n < MMKJ_PIN_CHUNK ? n : MMKJ_PIN_CHUNK;
    char *p = (char *)(*jenv)->GetPrimitiveArrayCritical(jenv, dst, NULL);
    if (!p) {
      r = MMK_ENOMEM; /* OutOfMemoryError pending: reported as is */
      break;
    }
    r = mmk_view_read(view, offset, p + pos, (size_t)k);
    (*jenv)->ReleasePrimitiveArrayCritical(jenv, dst, p, 0);
    offset += k;
    pos += k;
    n -= k;
  } while (r == 0 && n > 0);
out:
  mmkj_release_long(view, total);
  return r;
}

static int mmkj_view_write(JNIEnv *jenv, mmk_view *view, int64_t offset,
                           jbyteArray src, int32_t pos, int32_t n) {
  int32_t total = n;
  int r = mmkj_lease_long(view, total);
  if (r < 0) return r;
  if ((r = mmkj_check_copy(jenv, view, offset, src, pos, n)) < 0) goto out;
  if (n == 0) {
    r = mmk_view_write(view, offset, NULL, 0);
    goto out;
  }
  do {
    int32_t k = n < MMKJ_PIN_CHUNK ? n : MMKJ_PIN_CHUNK;
    char *p = (char *)(*jenv)->GetPrimitiveArrayCritical(jenv, src, NULL);
    if (!p) {
      r = MMK_ENOMEM;
      break;
    }
    r = mmk_view_write(view, offset, p + pos, (size_t)k);
    (*jenv)->ReleasePrimitiveArrayCritical(jenv, src, p, JNI_ABORT);
    offset += k;
    pos += k;
    n -= k;
  } while (r == 0 && n > 0);
out:
  mmkj_release_long(view, total);
  return r;
}

/* The fault-safe atomics of MappedView (*Safe), one JNI call each, with
 * the value as the return value: no long[1] to allocate and fill (the
 * generic out typemaps cost more than the atomic itself). The core's
 * atomics are in-flight calls (a close or moving resize waits for them); a
 * failure throws here (fault = 1: EIO is a FaultException) and the return
 * value is then unused. */
enum { MMKJ_LOAD, MMKJ_STORE, MMKJ_ADD, MMKJ_CAS };

static int64_t mmkj_atomic(JNIEnv *jenv, mmk_view *view, int32_t op,
                           int32_t bits, int64_t off, int64_t a, int64_t b) {
  uint32_t v32 = 0;
  uint64_t v64 = 0;
  int r;
  if (bits == 32) {
    switch (op) {
    case MMKJ_LOAD: r = mmk_atomic_load_u32(view, off, &v32); break;
    case MMKJ_STORE: r = mmk_atomic_store_u32(view, off, (uint32_t)a); break;
    case MMKJ_ADD: r = mmk_atomic_fetch_add_u32(view, off, (uint32_t)a, &v32); break;
    default: r = mmk_atomic_cas_u32(view, off, (uint32_t)a, (uint32_t)b, &v32);
    }
    v64 = (uint64_t)(int64_t)(int32_t)v32;
  } else {
    switch (op) {
    case MMKJ_LOAD: r = mmk_atomic_load_u64(view, off, &v64); break;
    case MMKJ_STORE: r = mmk_atomic_store_u64(view, off, (uint64_t)a); break;
    case MMKJ_ADD: r = mmk_atomic_fetch_add_u64(view, off, (uint64_t)a, &v64); break;
    default: r = mmk_atomic_cas_u64(view, off, (uint64_t)a, (uint64_t)b, &v64);
    }
  }
  if (r < 0) mmkj_throw(jenv, r, 1);
  return (int64_t)v64;
}

/* The address of a view's first byte, for the typed accessors' Unsafe path
 * (org.mmapkit.RawAccess); 0 for NULL or closed. It stays valid while the
 * view is mapped: the Java side leases the view before any close or resize
 * that could unmap it while an accessor may still use the address. */
static int64_t mmkj_view_address(mmk_view *view) {
  return (int64_t)(intptr_t)mmk_view_data(view);
}

/* Same copies with a direct ByteBuffer on the Java side. */

static int mmkj_view_read_buffer(JNIEnv *jenv, mmk_view *view, int64_t offset,
                                 jobject dst, int32_t pos, int32_t n) {
  char *p = dst ? (char *)(*jenv)->GetDirectBufferAddress(jenv, dst) : NULL;
  jlong cap = dst ? (*jenv)->GetDirectBufferCapacity(jenv, dst) : -1;
  if (!p || cap < 0 || pos < 0 || n < 0 || pos > cap || n > cap - pos) {
    mmk_clear_error();
    return MMK_EINVAL;
  }
  return mmk_view_read(view, offset, p + pos, (size_t)n);
}

static int mmkj_view_write_buffer(JNIEnv *jenv, mmk_view *view,
                                  int64_t offset, jobject src, int32_t pos,
                                  int32_t n) {
  const char *p =
      src ? (const char *)(*jenv)->GetDirectBufferAddress(jenv, src) : NULL;
  jlong cap = src ? (*jenv)->GetDirectBufferCapacity(jenv, src) : -1;
  if (!p || cap < 0 || pos < 0 || n < 0 || pos > cap || n > cap - pos) {
    mmk_clear_error();
    return MMK_EINVAL;
  }
  return mmk_view_write(view, offset, p + pos, (size_t)n);
}
%}

/* ---- handles as longs ------------------------------------------------- */
%define MMKJ_HANDLE(TYPE)
%typemap(jni) TYPE *, const TYPE * "jlong"
%typemap(jtype) TYPE *, const TYPE * "long"
%typemap(jstype) TYPE *, const TYPE * "long"
%typemap(javain) TYPE *, const TYPE * "$javainput"
%typemap(javaout) TYPE *, const TYPE * { return $jnicall; }
%typemap(in) TYPE *, const TYPE * %{ $1 = ($1_ltype)(intptr_t)$input; %}
%typemap(out) TYPE *, const TYPE * %{ $result = (jlong)(intptr_t)$1; %}
%enddef
MMKJ_HANDLE(mmk_file)
MMKJ_HANDLE(mmk_view)

/* ---- out-parameters as long[1] ---------------------------------------- */
%define MMKJ_OUT(CTYPE, NAME)
%typemap(jni) CTYPE *NAME "jlongArray"
%typemap(jtype) CTYPE *NAME "long[]"
%typemap(jstype) CTYPE *NAME "long[]"
%typemap(javain) CTYPE *NAME "$javainput"
%typemap(in) CTYPE *NAME ($*1_ltype tmp = 0) %{
  /* A bad array leaves $1 NULL: the core then fails with MMK_EINVAL and
   * the exception below is the one reported. No early return, so string
   * arguments converted before this one are still released. */
  $1 = NULL;
  if (!$input || (*jenv)->GetArrayLength(jenv, $input) < 1)
    SWIG_JavaThrowException(jenv, SWIG_JavaIllegalArgumentException,
                            "out-parameter must be a long[1]");
  else
    $1 = &tmp;
%}
%typemap(argout) CTYPE *NAME %{
  if (!(*jenv)->ExceptionCheck(jenv)) {
    jlong v = (jlong)(intptr_t)tmp$argnum;
    (*jenv)->SetLongArrayRegion(jenv, $input, 0, 1, &v);
  }
%}
%enddef
MMKJ_OUT(mmk_file *, out)
MMKJ_OUT(mmk_view *, out)
MMKJ_OUT(int64_t, out)
MMKJ_OUT(int64_t, resident_bytes)
MMKJ_OUT(uint32_t, out)
MMKJ_OUT(uint32_t, old)
MMKJ_OUT(uint32_t, current)

/* uint64_t would be a BigInteger: the atomics use the same bits as a long. */
%typemap(argout) uint64_t *out, uint64_t *old, uint64_t *current %{
  if (!(*jenv)->ExceptionCheck(jenv)) {
    jlong v = (jlong)tmp$argnum;
    (*jenv)->SetLongArrayRegion(jenv, $input, 0, 1, &v);
  }
%}
MMKJ_OUT(uint64_t, out)
MMKJ_OUT(uint64_t, old)
MMKJ_OUT(uint64_t, current)
%apply int64_t { uint64_t };

/* ---- JNIEnv for the helpers ------------------------------------------- */
%typemap(in, numinputs=0) JNIEnv *jenv %{ $1 = jenv; %}

/* The direct-buffer copies take a ByteBuffer, not any Object. */
%typemap(jtype) jobject dst, jobject src "java.nio.ByteBuffer"
%typemap(jstype) jobject dst, jobject src "java.nio.ByteBuffer"

/* ---- a direct ByteBuffer over a view window --------------------------- */
%typemap(jni) mmkj_window "jobject"
%typemap(jtype) mmkj_window "java.nio.ByteBuffer"
%typemap(jstype) mmkj_window "java.nio.ByteBuffer"
%typemap(javaout) mmkj_window { return $jnicall; }
%typemap(out) mmkj_window %{
  $result = NULL;
  if ($1.status == 0) {
    $result = (*jenv)->NewDirectByteBuffer(jenv, $1.addr, (jlong)$1.length);
    if (!$result) mmk_view_release(arg1); /* OutOfMemoryError is pending */
  }
%}

/* ---- errors ------------------------------------------------------------
 * Status-returning calls: negative -> exception. File and mapping
 * operations declare the checked IOException; accessors throw unchecked
 * ones only. */
%javaexception("java.io.IOException") {
  $action
  if (result < 0) {
    mmkj_throw(jenv, (int)result, 0);
  }
}

/* Lock attempts and timed waits report "held" / "timed out" by value. */
%javaexception("java.io.IOException") mmk_file_lock {
  $action
  if (result < 0 && !(result == MMK_EAGAIN && arg5 == 0)) {
    mmkj_throw(jenv, (int)result, 0);
  }
}

%define MMKJ_ACCESSOR(NAME)
%javaexception("") NAME {
  $action
  if (result < 0) {
    mmkj_throw(jenv, (int)result, 1);
  }
}
%enddef
MMKJ_ACCESSOR(mmkj_view_read)
MMKJ_ACCESSOR(mmkj_view_write)
MMKJ_ACCESSOR(mmkj_view_read_buffer)
MMKJ_ACCESSOR(mmkj_view_write_buffer)
MMKJ_ACCESSOR(mmk_atomic_load_u32)
MMKJ_ACCESSOR(mmk_atomic_load_u64)
MMKJ_ACCESSOR(mmk_atomic_store_u32)
MMKJ_ACCESSOR(mmk_atomic_store_u64)
MMKJ_ACCESSOR(mmk_atomic_fetch_add_u32)
MMKJ_ACCESSOR(mmk_atomic_fetch_add_u64)
MMKJ_ACCESSOR(mmk_atomic_cas_u32)
MMKJ_ACCESSOR(mmk_atomic_cas_u64)
MMKJ_ACCESSOR(mmk_wake)

/* Calls that touch a view's memory (copies, atomics, wait, wake, flush,
 * advise, resident, mlock) are the core's in-flight calls: a close or a
 * resize that moves or shrinks the view waits for them (core-api.md item
 * 5), so none needs a lease of its own here. */
%javaexception("") mmk_wait_u32 {
  $action
  if (result < 0 && result != MMK_ETIMEDOUT) {
    mmkj_throw(jenv, (int)result, 1);
  }
}

%javaexception("") mmkj_atomic {
  $action
}

%javaexception("") mmk_view_release {
  $action
}

%javaexception("java.io.IOException") mmkj_view_window {
  $action
  if (result.status < 0) {
    mmkj_throw(jenv, result.status, 0);
  }
}

/* Getters and error accessors return values, not statuses. */
%define MMKJ_VALUE(NAME)
%javaexception("") NAME {
  $action
}
%enddef
MMKJ_VALUE(mmk_version)
MMKJ_VALUE(mmk_strerror)
MMKJ_VALUE(mmk_err_name)
MMKJ_VALUE(mmk_last_error_code)
MMKJ_VALUE(mmk_last_error_errno)
MMKJ_VALUE(mmk_last_error_op)
MMKJ_VALUE(mmk_last_error_path)
MMKJ_VALUE(mmk_last_error_message)
MMKJ_VALUE(mmk_clear_error)
MMKJ_VALUE(mmk_file_mode)
MMKJ_VALUE(mmk_file_kind)
MMKJ_VALUE(mmk_file_path)
MMKJ_VALUE(mmk_file_created)
MMKJ_VALUE(mmk_view_size)
MMKJ_VALUE(mmkj_view_address)
MMKJ_VALUE(mmk_view_offset)
MMKJ_VALUE(mmk_view_reserved)
MMKJ_VALUE(mmk_view_writable)
MMKJ_VALUE(mmk_view_mode)
MMKJ_VALUE(mmk_view_closed)
MMKJ_VALUE(mmk_view_leases)
MMKJ_VALUE(mmk_page_size)

/* Raw pointers and descriptors have no use in Java; the copies go through
 * the byte[] / ByteBuffer helpers above. */
%ignore mmk_view_data;
%ignore mmk_view_read;
%ignore mmk_view_write;
%ignore mmk_file_from_fd;
%ignore mmk_file_from_handle;
%ignore mmk_file_fd;

/* Flag bits written as "1u << n" are not Java literals. */
%javaconstvalue(1) MMK_CREATE;
%javaconstvalue(2) MMK_TRUNCATE;
%javaconstvalue(4) MMK_EXCLUSIVE;
%javaconstvalue(8) MMK_ALLOW_FOREIGN;
%javaconstvalue(1) MMK_MAP_POPULATE;
%javaconstvalue(2) MMK_MAP_HUGEPAGE;
%javaconstvalue(4) MMK_MAP_READONLY;


%include "mmapkit.i"

mmkj_window mmkj_view_window(mmk_view *view, int64_t offset, int32_t length);
int64_t mmkj_view_address(mmk_view *view);
int mmkj_view_read(JNIEnv *jenv, mmk_view *view, int64_t offset,
                   jbyteArray dst, int32_t pos, int32_t n);
int mmkj_view_write(JNIEnv *jenv, mmk_view *view, int64_t offset,
                    jbyteArray src, int32_t pos, int32_t n);
int mmkj_view_read_buffer(JNIEnv *jenv, mmk_view *view, int64_t offset,
                          jobject dst, int32_t pos, int32_t n);
int mmkj_view_write_buffer(JNIEnv *jenv, mmk_view *view, int64_t offset,
                           jobject src, int32_t pos, int32_t n);
int mmkj_file_from_java(JNIEnv *jenv, jobject source, int32_t mode,
                        mmk_file **out);
enum { MMKJ_LOAD, MMKJ_STORE, MMKJ_ADD, MMKJ_CAS };
int64_t mmkj_atomic(JNIEnv *jenv, mmk_view *view, int32_t op, int32_t bits,
                    int64_t off, int64_t a, int64_t b);
