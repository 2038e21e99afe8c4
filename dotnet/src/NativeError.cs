using System;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using MmapKit.Interop;

namespace MmapKit;

/// <summary>
/// The one status-to-exception table. Every failing native status reaches
/// <see cref="Throw"/> through the SWIG csout typemap of bindings/csharp.i
/// (or, for the few calls whose failure is sometimes a value, from the
/// caller right after the call). The exception is built from the calling
/// thread's mmk_last_error_* detail: operation, path, message and the OS
/// error of the failed call (errno on Linux, a Win32 error code on Windows).
/// </summary>
internal static class NativeError
{
    /// <summary>Key of <see cref="Exception.Data"/> entries holding the core's detail.</summary>
    internal const string StatusKey = "mmapkit.status";
    internal const string OperationKey = "mmapkit.operation";
    internal const string PathKey = "mmapkit.path";
    internal const string ErrnoKey = "mmapkit.errno";

    [DoesNotReturn]
    internal static void Throw(int status) => throw Create(status);

    internal static Exception Create(int status)
    {
        // The core picks this failure's detail, or the code's alone: a call that
        // failed before recording detail never borrows a stale one.
        Native.mmk_select_error(status);
        int sysErrno = Native.mmk_last_error_errno();
        string op = Native.mmk_last_error_op();
        string path = Native.mmk_last_error_path();
        string message = Native.mmk_last_error_message();
        if (message.Length == 0)
            message = Native.mmk_strerror(status);
        return Map(status, sysErrno, op, path, message);
    }

    private static Exception Map(int status, int sysErrno, string op, string path, string message)
    {
        string? pathOrNull = path.Length > 0 ? path : null;
        Exception e = (mmk_status)status switch
        {
            mmk_status.MMK_ENOENT => new FileNotFoundException(message, pathOrNull),
            mmk_status.MMK_EACCES or mmk_status.MMK_EPERM or mmk_status.MMK_EROFS
                or mmk_status.MMK_EISDIR => new UnauthorizedAccessException(message),
            mmk_status.MMK_ENAMETOOLONG => new PathTooLongException(message),
            // A bad argument found by mmapkit itself; a kernel EINVAL is an I/O failure.
            mmk_status.MMK_EINVAL when sysErrno == 0 => new ArgumentException(message),
            mmk_status.MMK_ERANGE => new ArgumentOutOfRangeException(null, message),
            mmk_status.MMK_ECLOSED => new ObjectDisposedException(null, message),
            mmk_status.MMK_ENOTSUP => new NotSupportedException(message),
            // Same HResult as .NET's own FileMode.CreateNew on an existing file.
            mmk_status.MMK_EEXIST => new IOException(message, unchecked((int)0x80070050)),
            // Leases outstanding: the object is in a state that forbids the call.
            mmk_status.MMK_EBUSY => new InvalidOperationException(message),
            // EAGAIN (lock held), EIO (fault in mapped memory), ENOSPC,
            // EFBIG, ENODEV, EMFILE, ENOMEM, EDEADLK, ... : the caller's I/O failed.
            _ => new IOException(message, HResultOf(status, sysErrno)),
        };
        e.Data[StatusKey] = Native.mmk_err_name(status);
        e.Data[OperationKey] = op;
        e.Data[PathKey] = path;
        e.Data[ErrnoKey] = sysErrno;
        return e;
    }

    /// <summary>
    /// An IOException's HResult as .NET's own file APIs set it: on Windows
    /// HRESULT_FROM_WIN32 of the Win32 error the core kept (0x80070000 | code),
    /// elsewhere the errno itself. A failure with no OS error (a fault in mapped
    /// memory, a refusal of mmapkit's own) gets the platform errno of its status.
    /// </summary>
    private static int HResultOf(int status, int sysErrno)
    {
        if (sysErrno == 0)
        {
            int errno = Native.mmk_status_errno(status);
            return errno != 0 ? errno : -status;
        }
        return OperatingSystem.IsWindows() ? unchecked((int)0x80070000) | (sysErrno & 0xFFFF) : sysErrno;
    }
}
