using System;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using MmapKit.Interop;

namespace MmapKit;

/// <summary>Owns one native <c>mmk_file</c>; closing it closes the descriptor and drops its locks.</summary>
internal sealed class FileHandle : SafeHandle
{
    internal FileHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    // Set by MappedFile.Dispose before the SafeHandle's own (deferred) close.
    internal volatile bool Disposed;

    public override bool IsInvalid => handle == IntPtr.Zero;

    internal void Attach(IntPtr file) => SetHandle(file);

    protected override bool ReleaseHandle()
    {
        // A close error is reported by the core after the handle is freed anyway;
        // a finalizer or Dispose has nobody to report it to.
        Native.mmk_file_close(handle);
        return true;
    }

    /// <summary>
    /// Keeps the handle alive across one native call (a concurrent Dispose waits for it)
    /// and gives the raw pointer. Throws ObjectDisposedException once disposed.
    /// </summary>
    internal Use Enter()
    {
        if (Disposed || IsClosed) throw new ObjectDisposedException(nameof(MappedFile));
        bool added = false;
        try
        {
            DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            throw new ObjectDisposedException(nameof(MappedFile));
        }
        return new Use(this);
    }

    internal readonly ref struct Use
    {
        private readonly FileHandle _owner;
        internal Use(FileHandle owner) { _owner = owner; Value = owner.handle; }
        internal IntPtr Value { get; }
        public void Dispose() => _owner.DangerousRelease();
    }
}

/// <summary>
/// Something that can be mapped: a regular file, a named shared-memory object or anonymous
/// memory. It knows its length, can grow or shrink, takes byte-range locks and creates
/// <see cref="MappedView"/>s. Disposing it does not invalidate views made from it.
/// </summary>
/// <example><code>
/// using var file = MappedFile.Open("data.bin", MapAccess.Read);
/// using var view = file.CreateView();
/// ReadOnlySpan&lt;byte&gt; bytes = view.AsReadOnlySpan();
/// </code></example>
public sealed class MappedFile : IDisposable
{
    private readonly FileHandle _handle;

    private MappedFile(FileHandle handle, MapAccess access, string name)
    {
        _handle = handle;
        Access = access;
        Name = name;
        Created = Native.mmk_file_created(handle.DangerousGetHandle()) == 1;
    }

    /// <summary>
    /// <see langword="true"/> if the call that returned this object created the file or
    /// shared-memory object (always for anonymous memory), <see langword="false"/> if it opened
    /// an existing one: after <see cref="CreateOrOpenShared(string, long)"/>, whether this process
    /// must initialise the memory.
    /// </summary>
    public bool Created { get; }

    /// <summary>The access the file was opened with; views inherit it.</summary>
    public MapAccess Access { get; }

    /// <summary>The path, the shared-memory name, "" for anonymous memory, or for
    /// <see cref="FromHandle"/> what the OS tells about the handle.</summary>
    public string Name { get; }

    /// <summary><see langword="true"/> once <see cref="Dispose"/> has been called.</summary>
    public bool IsDisposed => _handle.Disposed || _handle.IsClosed;

    /// <summary>The current length of the file or shared-memory object in bytes.</summary>
    /// <exception cref="ObjectDisposedException">The file was disposed.</exception>
    /// <exception cref="IOException">The size could not be read.</exception>
    public long Length
    {
        get
        {
            using var h = _handle.Enter();
            Native.mmk_file_size(h.Value, out long size);
            return size;
        }
    }

    // ---- factories --------------------------------------------------------

    /// <summary>Opens an existing file for mapping.</summary>
    /// <param name="path">The file's path.</param>
    /// <param name="access">Read (default), ReadWrite or CopyOnWrite.</param>
    /// <returns>The opened file.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or contains a NUL character.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="access"/> is not a defined value.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied, or the path is a directory.</exception>
    /// <exception cref="IOException">Any other failure (message names the path, operation and reason).</exception>
    public static MappedFile Open(string path, MapAccess access = MapAccess.Read) =>
        Open(path, access, 0);

    /// <summary>
    /// Opens a file for mapping. With <see cref="MapAccess.ReadWrite"/> and a
    /// <paramref name="minimumLength"/> above 0, a missing file is created and a shorter one
    /// grown to exactly <paramref name="minimumLength"/> bytes (its blocks reserved, so a full
    /// disk fails here); a file is never shrunk.
    /// </summary>
    /// <param name="path">The file's path.</param>
    /// <param name="access">Read, ReadWrite or CopyOnWrite.</param>
    /// <param name="minimumLength">0, or with ReadWrite the length the file must have at least.</param>
    /// <returns>The opened file.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or contains a NUL character, or a length is given with another access than ReadWrite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minimumLength"/> is negative or <paramref name="access"/> undefined.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist (and is not to be created).</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied, or the path is a directory.</exception>
    /// <exception cref="IOException">Any other failure (message names the path, operation and reason).</exception>
    public static MappedFile Open(string path, MapAccess access, long minimumLength)
    {
        CheckPath(path, "open");
        CheckAccess(access);
        ArgumentOutOfRangeException.ThrowIfNegative(minimumLength);
        if (minimumLength > 0 && access != MapAccess.ReadWrite)
            throw new ArgumentException("A minimum length can only be given with MapAccess.ReadWrite.", nameof(minimumLength));
        uint flags = minimumLength > 0 ? (uint)mmk_open_flags.MMK_CREATE : 0u;
        return OpenFile(path, access, flags, minimumLength);
    }

    /// <summary>
    /// Creates a file, or truncates an existing one, and sizes it to <paramref name="capacity"/>
    /// bytes (blocks reserved), open for reading and writing.
    /// </summary>
    /// <param name="path">The file's path.</param>
    /// <param name="capacity">The new length in bytes (0 gives an empty file).</param>
    /// <returns>The created file.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or contains a NUL character.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is negative.</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied, or the path is a directory.</exception>
    /// <exception cref="IOException">Any other failure, e.g. no space left on the device.</exception>
    public static MappedFile Create(string path, long capacity)
    {
        CheckPath(path, "create");
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        return OpenFile(path, MapAccess.ReadWrite,
            (uint)(mmk_open_flags.MMK_CREATE | mmk_open_flags.MMK_TRUNCATE), capacity);
    }

    /// <summary>
    /// Creates a named shared-memory object of <paramref name="length"/> bytes, readable and
    /// writable by its owner only. Fails if the name already exists. The same name means the
    /// same memory in C, Python, Java and .NET on this machine.
    /// </summary>
    /// <param name="name">1-200 characters of [A-Za-z0-9._-], not starting with '.'.</param>
    /// <param name="length">The object's length in bytes.</param>
    /// <returns>The new object, open for reading and writing.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a valid name (a NUL character included).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    /// <exception cref="IOException">The name already exists, or another failure.</exception>
    public static MappedFile CreateShared(string name, long length) =>
        OpenShm(name, MapAccess.ReadWrite,
            (uint)(mmk_open_flags.MMK_CREATE | mmk_open_flags.MMK_EXCLUSIVE), length);

    /// <summary>
    /// Opens the named shared-memory object, creating it if missing, and grows it to at least
    /// <paramref name="length"/> bytes (never shrinks). <see cref="Created"/> tells which
    /// happened. An existing object that belongs to another user or that group or others may
    /// access is refused (someone could have planted it to read what this process writes);
    /// see <see cref="CreateOrOpenShared(string, long, bool)"/> to share between users.
    /// </summary>
    /// <param name="name">1-200 characters of [A-Za-z0-9._-], not starting with '.'.</param>
    /// <param name="length">The length the object must have at least.</param>
    /// <returns>The object, open for reading and writing.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a valid name (a NUL character included).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    /// <exception cref="UnauthorizedAccessException">The existing object belongs to another user or is open to group/others (the message names its owner uid and mode); nothing was changed.</exception>
    /// <exception cref="IOException">Any other failure.</exception>
    public static MappedFile CreateOrOpenShared(string name, long length) =>
        CreateOrOpenShared(name, length, allowForeign: false);

    /// <summary>
    /// As <see cref="CreateOrOpenShared(string, long)"/>; with <paramref name="allowForeign"/> an
    /// existing object owned by another user or open to group/others is opened too (the core's
    /// MMK_ALLOW_FOREIGN), for memory shared between users on purpose.
    /// </summary>
    /// <param name="name">1-200 characters of [A-Za-z0-9._-], not starting with '.'.</param>
    /// <param name="length">The length the object must have at least.</param>
    /// <param name="allowForeign"><see langword="true"/> to accept an object of another user or one open to group/others.</param>
    /// <returns>The object, open for reading and writing.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a valid name (a NUL character included).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    /// <exception cref="UnauthorizedAccessException">Without <paramref name="allowForeign"/>: the existing object is foreign; with it: the OS denies access.</exception>
    /// <exception cref="IOException">Any other failure.</exception>
    public static MappedFile CreateOrOpenShared(string name, long length, bool allowForeign) =>
        OpenShm(name, MapAccess.ReadWrite, (uint)mmk_open_flags.MMK_CREATE | Foreign(allowForeign), length);

    /// <summary>
    /// Opens an existing named shared-memory object. One that belongs to another user or that
    /// group or others may access is refused; see <see cref="OpenShared(string, MapAccess, bool)"/>.
    /// </summary>
    /// <param name="name">1-200 characters of [A-Za-z0-9._-], not starting with '.'.</param>
    /// <param name="access">ReadWrite (default), Read or CopyOnWrite.</param>
    /// <returns>The object.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a valid name (a NUL character included).</exception>
    /// <exception cref="FileNotFoundException">No object has that name.</exception>
    /// <exception cref="UnauthorizedAccessException">The object belongs to another user or is open to group/others (the message names its owner uid and mode), or the OS denies access.</exception>
    /// <exception cref="IOException">Any other failure.</exception>
    public static MappedFile OpenShared(string name, MapAccess access = MapAccess.ReadWrite) =>
        OpenShm(name, access, 0, 0);

    /// <summary>
    /// As <see cref="OpenShared(string, MapAccess)"/>; with <paramref name="allowForeign"/> an
    /// object owned by another user or open to group/others is opened too (MMK_ALLOW_FOREIGN).
    /// </summary>
    /// <param name="name">1-200 characters of [A-Za-z0-9._-], not starting with '.'.</param>
    /// <param name="access">ReadWrite, Read or CopyOnWrite.</param>
    /// <param name="allowForeign"><see langword="true"/> to accept an object of another user or one open to group/others.</param>
    /// <returns>The object.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a valid name (a NUL character included).</exception>
    /// <exception cref="FileNotFoundException">No object has that name.</exception>
    /// <exception cref="UnauthorizedAccessException">Without <paramref name="allowForeign"/>: the object is foreign; with it: the OS denies access.</exception>
    /// <exception cref="IOException">Any other failure.</exception>
    public static MappedFile OpenShared(string name, MapAccess access, bool allowForeign) =>
        OpenShm(name, access, Foreign(allowForeign), 0);

    private static uint Foreign(bool allow) => allow ? (uint)mmk_open_flags.MMK_ALLOW_FOREIGN : 0u;

    /// <summary>
    /// Removes a named shared-memory object. Open handles and views keep the memory until
    /// they are disposed; the name can be reused at once.
    /// </summary>
    /// <param name="name">1-200 characters of [A-Za-z0-9._-], not starting with '.'.</param>
    /// <returns><see langword="true"/> if it was removed, <see langword="false"/> if no object had that name.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a valid name (a NUL character included).</exception>
    /// <exception cref="UnauthorizedAccessException">The object belongs to someone else.</exception>
    public static bool DeleteShared(string name)
    {
        CheckName(name, "delete shared memory");
        int status = Native.mmk_shm_unlink(name);
        if (status == (int)mmk_status.MMK_ENOENT) return false;
        if (status < 0) NativeError.Throw(status);
        return true;
    }

    /// <summary>
    /// Puts mmapkit's SIGBUS handler back on top if another was installed since (native code
    /// calling <c>sigaction</c>, a debugger or profiler); that handler then gets every SIGBUS
    /// that is not a fault of a mmapkit access. Cheap when nothing changed (one
    /// <c>sigaction</c> query). Mapping a view does it too, and so does mmapkit's background
    /// thread (<c>mmk-guard</c>) within about 20 ms; calling this right after installing such
    /// a handler makes a small fault-safe access that faults throw at once instead of stalling
    /// in that handler until the thread's next check.
    /// </summary>
    /// <exception cref="IOException">The handler cannot be installed.</exception>
    public static void InstallFaultGuard()
    {
        int status = Native.mmk_fault_guard_install();
        if (status < 0) NativeError.Throw(status);
    }

    /// <summary>
    /// Creates anonymous read-write memory of <paramref name="length"/> bytes. All views of it
    /// share the same memory; it can be resized; it is freed when the file and its views are
    /// disposed.
    /// </summary>
    /// <param name="length">Bytes, greater than 0.</param>
    /// <returns>The anonymous memory.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is 0 or negative.</exception>
    /// <exception cref="IOException">Not enough memory, or another failure.</exception>
    public static MappedFile CreateAnonymous(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        var handle = new FileHandle();
        Native.mmk_anon_create(length, out IntPtr file);
        handle.Attach(file);
        return new MappedFile(handle, MapAccess.ReadWrite, "");
    }

    /// <summary>
    /// Maps a file the caller already opened (with options mmapkit does not know, a file deleted
    /// since, a handle inherited or received from another process). The handle is duplicated:
    /// the caller may dispose theirs at once, even before mapping, and disposing this object
    /// never closes it. The duplicate shares the caller's file position. Its byte-range locks
    /// stay this object's: a <see cref="FileStream.Lock(long, long)"/> (process-owned) and a
    /// <see cref="Lock(long, long, bool, bool)"/> of the same range exclude each other, in one
    /// process too.
    /// </summary>
    /// <param name="handle">An open handle of a regular file.</param>
    /// <param name="access">Read and CopyOnWrite need a readable handle, ReadWrite a readable
    /// and writable one.</param>
    /// <returns>The file; <see cref="Name"/> is what the OS tells about the handle (for
    /// example "/tmp/x (deleted)"), for messages only.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="handle"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="access"/> is not a defined value.</exception>
    /// <exception cref="ObjectDisposedException">The handle is closed.</exception>
    /// <exception cref="UnauthorizedAccessException">The handle's access does not allow
    /// <paramref name="access"/>, or it is a directory.</exception>
    /// <exception cref="IOException">A pipe, socket or device (the message says which), or
    /// another failure naming the handle.</exception>
    public static MappedFile FromHandle(SafeFileHandle handle, MapAccess access)
    {
        ArgumentNullException.ThrowIfNull(handle);
        CheckAccess(access);
        // The reference keeps the caller's handle from being closed (and its number reused)
        // until the core has duplicated it.
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            throw new ObjectDisposedException(nameof(SafeFileHandle), "FromHandle: the handle is closed.");
        }
        var owned = new FileHandle();
        try
        {
            IntPtr raw = handle.DangerousGetHandle();
            IntPtr file;
            if (OperatingSystem.IsWindows())
                Native.mmk_file_from_handle(raw, (int)access, out file);
            else
                Native.mmk_file_from_fd(checked((int)raw), (int)access, out file);
            owned.Attach(file);
        }
        finally
        {
            handle.DangerousRelease();
        }
        return new MappedFile(owned, access, Native.mmk_file_path(owned.DangerousGetHandle()));
    }

    /// <summary>
    /// <see cref="FromHandle(SafeFileHandle, MapAccess)"/> for the file under a
    /// <see cref="FileStream"/>, after flushing its write buffer (so that bytes written through
    /// the stream are in the file the views see). The same lifetime rule: the stream may be
    /// disposed at once; disposing this object never disposes it.
    /// </summary>
    /// <param name="stream">An open FileStream.</param>
    /// <param name="access">Read, ReadWrite or CopyOnWrite, allowed by how the stream was opened.</param>
    /// <returns>The file.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The stream is disposed.</exception>
    /// <exception cref="UnauthorizedAccessException">The stream's access does not allow <paramref name="access"/>.</exception>
    /// <exception cref="IOException">Not a regular file, or another failure naming it.</exception>
    public static MappedFile FromStream(FileStream stream, MapAccess access)
    {
        ArgumentNullException.ThrowIfNull(stream);
        CheckAccess(access);
        // SafeFileHandle flushes the stream's buffer first; it throws ObjectDisposedException
        // once the stream is disposed.
        return FromHandle(stream.SafeFileHandle, access);
    }

    private static MappedFile OpenFile(string path, MapAccess access, uint flags, long size)
    {
        var handle = new FileHandle();
        Native.mmk_file_open(path, (int)access, flags, size, out IntPtr file);
        handle.Attach(file);
        return new MappedFile(handle, access, path);
    }

    private static MappedFile OpenShm(string name, MapAccess access, uint flags, long size)
    {
        CheckName(name, (flags & (uint)mmk_open_flags.MMK_EXCLUSIVE) != 0 ? "create shared memory"
            : (flags & (uint)mmk_open_flags.MMK_CREATE) != 0 ? "create or open shared memory" : "open shared memory");
        CheckAccess(access);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var handle = new FileHandle();
        Native.mmk_shm_open(name, (int)access, flags, size, out IntPtr file);
        handle.Attach(file);
        return new MappedFile(handle, access, name);
    }

    // The marshaller would cut a string at its first NUL and the OS would act on the prefix
    // (truncate "a" for "a\0.tmp"): refuse it here. The core checks everything else.
    private static void CheckPath(string path, string op, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(path))] string? param = null)
    {
        ArgumentNullException.ThrowIfNull(path, param);
        if (path.Contains('\0'))
            throw new ArgumentException($"{op} \"{Escape(path)}\": a path cannot contain a NUL character.", param);
    }

    private static void CheckName(string name, string op, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(name))] string? param = null)
    {
        ArgumentNullException.ThrowIfNull(name, param);
        if (name.Contains('\0'))
            throw new ArgumentException(
                $"{op} \"{Escape(name)}\": a shared-memory name cannot contain a NUL character " +
                "(names are 1-200 characters of [A-Za-z0-9._-], not starting with '.').", param);
    }

    private static string Escape(string s) => s.Replace("\0", "\\0");

    private static void CheckAccess(MapAccess access)
    {
        if ((uint)access > (uint)MapAccess.CopyOnWrite)
            throw new ArgumentOutOfRangeException(nameof(access), access, "Not a MapAccess value.");
    }

    // ---- size -------------------------------------------------------------

    /// <summary>
    /// Sets the length. Growing reserves the new blocks (a full disk fails here, never later).
    /// Shrinking under live views makes their cut-off part fault: <see cref="MappedView.ReadBytes(long, Span{byte})"/>
    /// then throws <see cref="IOException"/>, while direct span or pointer access to it would
    /// crash the process, so shrink only what no view uses.
    /// </summary>
    /// <param name="length">The new length in bytes.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    /// <exception cref="UnauthorizedAccessException">The file is not open for writing.</exception>
    /// <exception cref="ObjectDisposedException">The file was disposed.</exception>
    /// <exception cref="IOException">No space left, file too large, or another failure.</exception>
    public void SetLength(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        using var h = _handle.Enter();
        Native.mmk_file_resize(h.Value, length);
    }

    /// <summary>Same as <see cref="SetLength(long)"/>.</summary>
    /// <param name="length">The new length in bytes.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    /// <exception cref="UnauthorizedAccessException">The file is not open for writing.</exception>
    /// <exception cref="ObjectDisposedException">The file was disposed.</exception>
    /// <exception cref="IOException">No space left, file too large, or another failure.</exception>
    public void Resize(long length) => SetLength(length);

    // ---- views ------------------------------------------------------------

    /// <summary>Maps the whole file (an empty file gives an empty view).</summary>
    /// <returns>The new view; dispose it to unmap.</returns>
    /// <exception cref="ObjectDisposedException">The file was disposed.</exception>
    /// <exception cref="IOException">The mapping failed (e.g. not enough address space).</exception>
    public MappedView CreateView() => CreateView(0, 0, null);

    /// <summary>Maps from <paramref name="offset"/> to the end of the file. Any offset works; alignment is handled inside.</summary>
    /// <param name="offset">First byte of the file to map.</param>
    /// <returns>The new view; dispose it to unmap.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> is negative or past the end.</exception>
    /// <exception cref="ObjectDisposedException">The file was disposed.</exception>
    /// <exception cref="IOException">The mapping failed.</exception>
    public MappedView CreateView(long offset) => CreateView(offset, 0, null);

    /// <summary>
    /// Maps <paramref name="length"/> bytes from <paramref name="offset"/> (length 0 = to the end
    /// of the file). With <see cref="MapAccess.ReadWrite"/> a range past the end grows the file
    /// to exactly offset + length first; with Read or CopyOnWrite it is out of range.
    /// </summary>
    /// <param name="offset">First byte of the file to map; any offset works.</param>
    /// <param name="length">Bytes to map, or 0 for "to the end of the file".</param>
    /// <returns>The new view; dispose it to unmap.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A negative argument, a range past the end of a Read/CopyOnWrite file, or an overflowing range.</exception>
    /// <exception cref="ObjectDisposedException">The file was disposed.</exception>
    /// <exception cref="IOException">Growing the file or mapping failed.</exception>
    public MappedView CreateView(long offset, long length) => CreateView(offset, length, null);

    /// <summary>
    /// Maps <paramref name="length"/> bytes from <paramref name="offset"/> (length 0 = to the end
    /// of the file) with <paramref name="options"/>: prefaulting, huge pages, read-only, or an
    /// address-space reservation that lets <see cref="MappedView.Resize(long)"/> grow in place.
    /// </summary>
    /// <param name="offset">First byte of the file to map; any offset works.</param>
    /// <param name="length">Bytes to map, or 0 for "to the end of the file".</param>
    /// <param name="options">Options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The new view; dispose it to unmap.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A negative argument, a range past the end of a Read/CopyOnWrite file, or an overflowing range.</exception>
    /// <exception cref="ArgumentException">The reservation is smaller than the mapped length.</exception>
    /// <exception cref="ObjectDisposedException">The file was disposed.</exception>
    /// <exception cref="IOException">Growing the file or mapping failed.</exception>
    public MappedView CreateView(long offset, long length, MapOptions? options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        options ??= MapOptions.Default;
        IntPtr view;
        using (var h = _handle.Enter())
        {
            if (options.Reserve > 0)
                Native.mmk_map_reserve(h.Value, offset, length, options.Reserve, options.NativeFlags, out view);
            else
                Native.mmk_map(h.Value, offset, length, options.NativeFlags, out view);
        }
        return new MappedView(view);
    }

    // ---- locks ------------------------------------------------------------

    /// <summary>
    /// Takes a byte-range lock on [offset, offset + length) (length 0 = to any future end of
    /// the file). Locks belong to this MappedFile (Linux OFD locks): another MappedFile of the
    /// same file conflicts with it, in this process as in another one.
    /// </summary>
    /// <param name="offset">First byte of the range.</param>
    /// <param name="length">Bytes in the range, or 0 for "to any end".</param>
    /// <param name="shared"><see langword="true"/> for a shared (read) lock, <see langword="false"/> for an exclusive one.</param>
    /// <param name="wait"><see langword="true"/> to block until granted; <see langword="false"/> to fail at once if it is held.</param>
    /// <returns>The lock; dispose it to release the range.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A negative argument.</exception>
    /// <exception cref="UnauthorizedAccessException">An exclusive lock on a file not open for writing.</exception>
    /// <exception cref="ObjectDisposedException">The file was disposed.</exception>
    /// <exception cref="IOException"><paramref name="wait"/> is false and a conflicting lock is held, or a deadlock was detected.</exception>
    public IDisposable Lock(long offset, long length, bool shared, bool wait = true)
    {
        int status = TakeLock(offset, length, shared, wait);
        if (status < 0) NativeError.Throw(status);
        return new FileLock(_handle, offset, length);
    }

    /// <summary>
    /// Tries to take a byte-range lock without waiting, as <see cref="Lock"/> with
    /// <c>wait: false</c>, but returns <see langword="null"/> when a conflicting lock is held.
    /// </summary>
    /// <param name="offset">First byte of the range.</param>
    /// <param name="length">Bytes in the range, or 0 for "to any end".</param>
    /// <param name="shared"><see langword="true"/> for a shared (read) lock, <see langword="false"/> for an exclusive one.</param>
    /// <returns>The lock, or <see langword="null"/> if it is held by another owner.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A negative argument.</exception>
    /// <exception cref="UnauthorizedAccessException">An exclusive lock on a file not open for writing.</exception>
    /// <exception cref="ObjectDisposedException">The file was disposed.</exception>
    public IDisposable? TryLock(long offset, long length, bool shared)
    {
        int status = TakeLock(offset, length, shared, wait: false);
        if (status == (int)mmk_status.MMK_EAGAIN) return null;
        if (status < 0) NativeError.Throw(status);
        return new FileLock(_handle, offset, length);
    }

    private int TakeLock(long offset, long length, bool shared, bool wait)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        using var h = _handle.Enter();
        return Native.mmk_file_lock(h.Value, offset, length,
            (int)(shared ? mmk_lock_kind.MMK_LOCK_SHARED : mmk_lock_kind.MMK_LOCK_EXCLUSIVE),
            wait ? 1 : 0);
    }

    /// <summary>Closes the file and releases its locks. Views made from it stay valid.</summary>
    public void Dispose()
    {
        _handle.Disposed = true;
        _handle.Dispose();
    }

    /// <summary>A description for debugging: the name and access.</summary>
    /// <returns>E.g. <c>MappedFile(data.bin, Read)</c>.</returns>
    public override string ToString() => $"MappedFile({Name}, {Access}{(IsDisposed ? ", disposed" : "")})";

    private sealed class FileLock : IDisposable
    {
        private readonly FileHandle _handle;
        private readonly long _offset, _length;
        private int _released;

        internal FileLock(FileHandle handle, long offset, long length)
        {
            _handle = handle;
            _offset = offset;
            _length = length;
        }

        public void Dispose()
        {
            if (System.Threading.Interlocked.Exchange(ref _released, 1) != 0) return;
            // Closing the file already dropped its locks.
            if (_handle.IsClosed) return;
            bool added = false;
            try
            {
                _handle.DangerousAddRef(ref added);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            try
            {
                Native.mmk_file_unlock(_handle.DangerousGetHandle(), _offset, _length);
            }
            finally
            {
                _handle.DangerousRelease();
            }
        }
    }
}
