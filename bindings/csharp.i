/*
 * bindings/csharp.i: the C# (P/Invoke) layer over the core.
 *
 * Generated with
 *   swig -csharp -namespace MmapKit.Interop -dllimport mmapkit_native
 *        -DSWIG_CSHARP_NO_EXCEPTION_HELPER -DSWIG_CSHARP_NO_STRING_HELPER
 * (cmake/dotnet.cmake). Everything generated is internal: the public API is
 * the hand-written MmapKit classes in dotnet/src, which call the module
 * class `Native`. No callbacks from C into C# are needed (strings come back
 * as pointers and are decoded as UTF-8 on the managed side), so neither
 * SWIG's exception helper nor its string helper is compiled in.
 *
 * Errors are translated in one place: every function whose int result is a
 * status goes through the csout typemap below, which hands a negative
 * status to MmapKit.NativeError.Throw (dotnet/src/NativeError.cs), the one
 * errno -> exception table, built from mmk_last_error_*().
 */
%module Native

/* ---- internal visibility for everything SWIG generates ---------------- */
%pragma(csharp) moduleclassmodifiers="internal static class"
%pragma(csharp) imclassclassmodifiers="internal static class"
%typemap(csclassmodifiers) SWIGTYPE, SWIGTYPE *, SWIGTYPE &, SWIGTYPE [] "internal class"
%typemap(csclassmodifiers) enum SWIGTYPE "internal enum"

/* ---- 64-bit integers: never SWIG's 32-bit defaults -------------------- */
/* On LP64 stdint.i may typedef int64_t as `long`, which SWIG maps to a C#
 * int, and size_t is mapped to uint by default: pin all of them to 64 bits. */
%apply long long { int64_t };
%apply unsigned long long { uint64_t };
%apply unsigned long long { size_t };

/* ---- raw pointers: IntPtr ---------------------------------------------- */
/* Handles are opaque IntPtrs; their lifetime is owned by SafeHandles in the
 * managed layer (FileHandle, MappedView), which also keep them alive across
 * each call. Buffers of mmk_view_read/write are IntPtrs to pinned memory. */
%apply void *VOID_INT_PTR { void *, const void *,
                            mmk_file *, const mmk_file *,
                            mmk_view *, const mmk_view * };

/* ---- out-parameters ---------------------------------------------------- */
%define MMK_OUT_PARAM(CTYPE, CSTYPE)
%typemap(ctype) CTYPE "CTYPE"
%typemap(imtype) CTYPE "out CSTYPE"
%typemap(cstype) CTYPE "out CSTYPE"
%typemap(csin) CTYPE "out $csinput"
%typemap(in) CTYPE %{ $1 = ($1_ltype)$input; %}
%enddef

MMK_OUT_PARAM(mmk_file **, global::System.IntPtr)
MMK_OUT_PARAM(mmk_view **, global::System.IntPtr)
MMK_OUT_PARAM(int64_t *, long)
MMK_OUT_PARAM(uint64_t *, ulong)
MMK_OUT_PARAM(uint32_t *, uint)

/* ---- strings ------------------------------------------------------------
 * In: UTF-8, whatever the process locale. Out: the core returns static or
 * thread-local storage it owns, so C# only decodes it (no callback, no
 * free). */
%typemap(imtype,
         inattributes="[global::System.Runtime.InteropServices.MarshalAs(global::System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)]",
         out="global::System.IntPtr") const char * "string"
%typemap(ctype, out="const char *") const char * "char *"
%typemap(out) const char * %{ $result = $1; %}
%typemap(csout, excode=SWIGEXCODE) const char * {
    return global::System.Runtime.InteropServices.Marshal.PtrToStringUTF8($imcall) ?? "";
  }

/* ---- the one error-translation point ------------------------------------
 * A negative status becomes the matching .NET exception, built from the
 * calling thread's mmk_last_error_*() detail (same OS thread: P/Invoke
 * never switches threads between the call and the check). */
%typemap(csout, excode=SWIGEXCODE) int {
    int status = $imcall;$excode
    if (status < 0) global::MmapKit.NativeError.Throw(status);
    return status;
  }

/* Results that are not statuses, or whose failure the managed layer turns
 * into a value instead of an exception (try-lock: EAGAIN -> null, wait:
 * ETIMEDOUT -> false, unlink of a missing name -> false, resize: EBUSY of a
 * view fixed in place gets the binding's own explanation), and the close and
 * release calls used from SafeHandle.ReleaseHandle, which must not throw. */
%typemap(csout, excode=SWIGEXCODE) int mmk_file_mode, int mmk_file_kind,
    int mmk_file_fd, int mmk_view_writable, int mmk_view_mode,
    int mmk_view_closed, int mmk_last_error_code, int mmk_last_error_errno,
    int mmk_file_close, int mmk_view_close, int mmk_view_close_inert,
    int mmk_view_release, int mmk_view_resize, int mmk_file_lock, int mmk_wait_u32,
    int mmk_shm_unlink, int mmk_fault_guard_install {
    return $imcall;$excode
  }

/* #define constants become C# compile-time constants (no native call at
 * type initialisation). The bit-flag enums are written with `1u << n`,
 * which C# accepts only for an unsigned underlying type. */
%csconst(1);
%typemap(csbase) enum mmk_open_flags "uint"
%typemap(csbase) enum mmk_map_options "uint"


/* Used by the bindings of other languages only (.NET threads are not
 * interrupted by signals: no EINTR-returning wait is needed).
 * mmk_file_from_fd / mmk_file_from_handle stay: MappedFile.FromHandle
 * calls the one of the platform it runs on. */
%ignore mmk_wait_u32_intr;

%include "mmapkit.i"

/* The error point's mmk_error_for (a pointer result, ignored in
 * mmapkit.i): selects this failure's detail, or the code's alone, so that
 * the mmk_last_error_* accessors describe it and never a stale one. */
%inline %{
void mmk_select_error(int code) { (void)mmk_error_for(code); }
%}
