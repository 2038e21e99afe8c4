using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using MmapKit.Interop;

namespace MmapKit;

/// <summary>
/// One mapped region [<see cref="Offset"/>, <see cref="Offset"/> + <see cref="Length"/>) of a
/// <see cref="MappedFile"/>: the zero-copy object. It is a <see cref="SafeBuffer"/> whose handle
/// is the address of the first mapped byte, so <see cref="SafeBuffer"/> consumers (such as
/// <see cref="UnmanagedMemoryStream"/>) work on it too.
/// </summary>
/// <remarks>
/// <para>Offsets given to a view's methods are relative to the view. Multi-byte values use the
/// platform's native byte order, like every other mmapkit binding.</para>
/// <para>Direct access (spans, <see cref="Pointer"/>, spans and pins of <see cref="AsMemory()"/>,
/// <see cref="Read{T}(long)"/>, <see cref="Write{T}(long, T)"/>, the atomics and <see cref="Atomics"/>)
/// is a plain memory access, bounds checked only. The first one fixes the view in place: from then
/// on its address range stays reserved for this view until the process exits. After
/// <see cref="SafeHandle.Dispose()"/> the range holds inert zero memory, no longer tied to the file,
/// so a span or pointer used after Dispose reads zeros and its writes are lost, but it never
/// crashes and never reaches another file's memory. Such a view never moves or shrinks:
/// <see cref="Resize(long)"/> may only grow it within its reservation. A view used only through
/// the copies, <see cref="AsStream"/>, waits and flushes unmaps at Dispose and resizes freely.
/// The members inherited from <see cref="SafeBuffer"/> (and an <see cref="UnmanagedMemoryStream"/>
/// over the view) hold the handle, which defers Dispose, but do not fix the view: do not
/// <see cref="Resize(long)"/> it while they run.</para>
/// <para>Over a part of the file that another process truncated, direct access crashes the process
/// (SIGBUS); the fault-safe <see cref="ReadBytes(long, Span{byte})"/>,
/// <see cref="WriteBytes(long, ReadOnlySpan{byte})"/> and <see cref="AsStream"/> throw
/// <see cref="IOException"/> instead. The core marks each of its calls in flight, and Dispose
/// and Resize wait for them, so memory is never unmapped or moved under a copy, wait or flush.</para>
/// <para>Disposing the view while a <see cref="Memory{T}"/> from <see cref="AsMemory()"/> is pinned
/// (e.g. by an asynchronous write in flight) is deferred: the mapping stays until the last pin is
/// released, while every method of the view already throws <see cref="ObjectDisposedException"/>.</para>
/// </remarks>
public sealed unsafe partial class MappedView : SafeBuffer
{
    private readonly IntPtr _view;     // the native mmk_view*
    private byte* _data;               // first byte of the view
    private long _length;              // bytes; 0 once disposed, so bounds checks fail fast
    private long _typedLength;         // bound of Read<T>/Write<T>: 0 until fixed in place (Export)
    private volatile bool _disposed;
    private volatile bool _exported;   // raw addresses were handed out: see Export
    private readonly bool _writable;
    private readonly object _gate = new(); // orders Export, Resize and Dispose

    internal MappedView(IntPtr view) : base(ownsHandle: true)
    {
        _view = view;
        _writable = Native.mmk_view_writable(view) != 0;
        Offset = Native.mmk_view_offset(view);
        Access = (MapAccess)Native.mmk_view_mode(view);
        Refresh();
    }

    // Re-reads the address and length after mapping or resizing.
    private void Refresh()
    {
        _data = (byte*)Native.mmk_view_data(_view);
        long length = Native.mmk_view_size(_view);
        SetHandle((IntPtr)_data);
        Initialize((ulong)length);
        _length = length;
        _typedLength = _exported ? length : 0;
        SetAtomicBounds();
    }

    // The first raw address handed out (span, pointer, pin, typed access, atomics) takes a
    // core lease that is never released: the core then refuses to move or shrink the view,
    // and Dispose's mmk_view_close_inert leaves inert memory in the range instead of
    // unmapping it, so no stale span can ever fault or reach a later mapping. Views that
    // never hand out an address keep unmapping at Dispose.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Export()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            if (_exported) return;
            using (var v = Enter())
                Native.mmk_view_lease(v.Value);
            // The bounds first: a typed access that sees _exported must also see them.
            Volatile.Write(ref _typedLength, _length);
            SetAtomicBounds();
            _exported = true;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EnsureExported()
    {
        if (!_exported) Export();
    }

    // ---- properties -------------------------------------------------------

    /// <summary>The view's length in bytes.</summary>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    public long Length
    {
        get
        {
            long length = Volatile.Read(ref _length);
            ThrowIfDisposed();
            return length;
        }
    }

    /// <summary>The offset in the file where the view starts.</summary>
    public long Offset { get; }

    /// <summary>How the view is mapped: Read, ReadWrite or CopyOnWrite.</summary>
    public MapAccess Access { get; }

    /// <summary><see langword="true"/> if the view may be written (ReadWrite or CopyOnWrite, not mapped read-only).</summary>
    public bool CanWrite => _writable;

    /// <summary><see langword="true"/> once the view was disposed.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>
    /// The address of the first byte of the view; reading or writing through it is unchecked.
    /// It fixes the view in place (see the class remarks): the address never changes and stays
    /// harmless after Dispose (inert zero memory).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    public IntPtr Pointer
    {
        get
        {
            ThrowIfDisposed();
            EnsureExported();
            return (IntPtr)_data;
        }
    }

    /// <summary>The reserved length (see <see cref="MapOptions.Reserve"/>), 0 without a reservation.</summary>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    public long ReservedLength
    {
        get
        {
            using var v = Enter();
            return Native.mmk_view_reserved(v.Value);
        }
    }

    // ---- spans, memory, stream --------------------------------------------

    /// <summary>A writable span over the whole view (at most 2 GiB; use windows beyond).</summary>
    /// <returns>The span; it fixes the view in place (see the class remarks).</returns>
    /// <exception cref="NotSupportedException">The view is read-only, or longer than <see cref="int.MaxValue"/> bytes.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    public Span<byte> AsSpan()
    {
        ThrowIfNotWritable();
        EnsureExported();
        return new Span<byte>(_data, WholeLength());
    }

    /// <summary>A writable span over <paramref name="length"/> bytes from <paramref name="offset"/>: a window anywhere in a view of any size.</summary>
    /// <param name="offset">Offset in the view.</param>
    /// <param name="length">Bytes in the window.</param>
    /// <returns>The span; it fixes the view in place (see the class remarks).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The window is not inside the view.</exception>
    /// <exception cref="NotSupportedException">The view is read-only.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    public Span<byte> AsSpan(long offset, int length)
    {
        ThrowIfNotWritable();
        CheckRange(offset, length); // a bad window fixes nothing
        EnsureExported();
        CheckRange(offset, length); // fixed now: the range cannot shrink any more
        return new Span<byte>(_data + offset, length);
    }

    /// <summary>A read-only span over the whole view (at most 2 GiB; use windows beyond).</summary>
    /// <returns>The span; it fixes the view in place (see the class remarks).</returns>
    /// <exception cref="NotSupportedException">The view is longer than <see cref="int.MaxValue"/> bytes.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    public ReadOnlySpan<byte> AsReadOnlySpan()
    {
        ThrowIfDisposed();
        EnsureExported();
        return new ReadOnlySpan<byte>(_data, WholeLength());
    }

    /// <summary>A read-only span over <paramref name="length"/> bytes from <paramref name="offset"/>.</summary>
    /// <param name="offset">Offset in the view.</param>
    /// <param name="length">Bytes in the window.</param>
    /// <returns>The span; it fixes the view in place (see the class remarks).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The window is not inside the view.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    public ReadOnlySpan<byte> AsReadOnlySpan(long offset, int length)
    {
        ThrowIfDisposed();
        CheckRange(offset, length); // a bad window fixes nothing
        EnsureExported();
        CheckRange(offset, length); // fixed now: the range cannot shrink any more
        return new ReadOnlySpan<byte>(_data + offset, length);
    }

    /// <summary>
    /// A writable <see cref="Memory{T}"/> over the whole view (at most 2 GiB), for asynchronous
    /// APIs. Pinning it keeps the mapping alive: a <see cref="SafeHandle.Dispose()"/> meanwhile is
    /// deferred until the last pin is released. Its first span or pin fixes the view in place
    /// (see the class remarks); each <see cref="System.Buffers.MemoryHandle"/> releases its own pin
    /// exactly once, however often it (or a copy of it) is disposed.
    /// </summary>
    /// <returns>The memory.</returns>
    /// <exception cref="NotSupportedException">The view is read-only, or longer than <see cref="int.MaxValue"/> bytes.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    public Memory<byte> AsMemory()
    {
        ThrowIfNotWritable();
        return new ViewMemoryManager(this, 0, WholeLength()).Memory;
    }

    /// <summary>A writable <see cref="Memory{T}"/> over a window of the view; see <see cref="AsMemory()"/>.</summary>
    /// <param name="offset">Offset in the view.</param>
    /// <param name="length">Bytes in the window.</param>
    /// <returns>The memory.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The window is not inside the view.</exception>
    /// <exception cref="NotSupportedException">The view is read-only.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    public Memory<byte> AsMemory(long offset, int length)
    {
        ThrowIfNotWritable();
        CheckRange(offset, length);
        return new ViewMemoryManager(this, offset, length).Memory;
    }

    /// <summary>A <see cref="ReadOnlyMemory{T}"/> over the whole view (at most 2 GiB); see <see cref="AsMemory()"/>.</summary>
    /// <returns>The memory.</returns>
    /// <exception cref="NotSupportedException">The view is longer than <see cref="int.MaxValue"/> bytes.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    public ReadOnlyMemory<byte> AsReadOnlyMemory() => new ViewMemoryManager(this, 0, WholeLength()).Memory;

    /// <summary>A <see cref="ReadOnlyMemory{T}"/> over a window of the view; see <see cref="AsMemory()"/>.</summary>
    /// <param name="offset">Offset in the view.</param>
    /// <param name="length">Bytes in the window.</param>
    /// <returns>The memory.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The window is not inside the view.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    public ReadOnlyMemory<byte> AsReadOnlyMemory(long offset, int length)
    {
        CheckRange(offset, length);
        return new ViewMemoryManager(this, offset, length).Memory;
    }

    /// <summary>
    /// A seekable stream over the view (any length), reading and writing through the fault-safe
    /// copies: a fault in mapped memory is an <see cref="IOException"/>. Its length is fixed;
    /// disposing it leaves the view open.
    /// </summary>
    /// <returns>The stream; writable if the view is.</returns>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    public Stream AsStream()
    {
        ThrowIfDisposed();
        return new ViewStream(this);
    }

    // ---- typed access ------------------------------------------------------

    /// <summary>
    /// Reads a <typeparamref name="T"/> at <paramref name="offset"/> (any alignment, native byte
    /// order). Bounds checked, not fault-checked: this is a plain memory read.
    /// </summary>
    /// <typeparam name="T">An unmanaged type.</typeparam>
    /// <param name="offset">Offset in the view.</param>
    /// <returns>The value.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The value does not lie inside the view.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Read<T>(long offset) where T : unmanaged
    {
        // _typedLength is 0 until the view is fixed in place and after Dispose, so this one
        // check also sends the first access and a disposed view to the cold path.
        if ((ulong)offset > (ulong)_typedLength || (ulong)sizeof(T) > (ulong)(_typedLength - offset))
            return ReadCold<T>(offset);
        return Unsafe.ReadUnaligned<T>(_data + offset);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private T ReadCold<T>(long offset) where T : unmanaged
    {
        if (!InTypedBounds(offset, sizeof(T)))
            throw BadAccess(offset, sizeof(T));
        return Unsafe.ReadUnaligned<T>(_data + offset);
    }

    // The cold half of a typed access's bounds check: the first access fixes the view in
    // place (Export); then the bound is read again, since another thread may have exported,
    // grown or disposed the view since the fast check (a stale 0 is not "out of range").
    private bool InTypedBounds(long offset, int size)
    {
        if (_disposed || (ulong)offset > (ulong)_length || (ulong)size > (ulong)(_length - offset))
            return false;
        if (!_exported) Export();
        long bound = Volatile.Read(ref _typedLength);
        return (ulong)offset <= (ulong)bound && (ulong)size <= (ulong)(bound - offset);
    }

    /// <summary>
    /// Writes a <typeparamref name="T"/> at <paramref name="offset"/> (any alignment, native byte
    /// order). Bounds checked, not fault-checked: this is a plain memory write.
    /// </summary>
    /// <typeparam name="T">An unmanaged type.</typeparam>
    /// <param name="offset">Offset in the view.</param>
    /// <param name="value">The value to store.</param>
    /// <exception cref="ArgumentOutOfRangeException">The value does not lie inside the view.</exception>
    /// <exception cref="NotSupportedException">The view is read-only.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write<T>(long offset, T value) where T : unmanaged
    {
        if (!_writable || (ulong)offset > (ulong)_typedLength || (ulong)sizeof(T) > (ulong)(_typedLength - offset))
        {
            WriteCold(offset, value);
            return;
        }
        Unsafe.WriteUnaligned(_data + offset, value);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WriteCold<T>(long offset, T value) where T : unmanaged
    {
        if (!_writable || !InTypedBounds(offset, sizeof(T)))
            throw BadWrite(offset, sizeof(T));
        Unsafe.WriteUnaligned(_data + offset, value);
    }

    /// <summary>
    /// Copies <paramref name="destination"/>.Length bytes from <paramref name="offset"/> of the
    /// view. Fault-safe: if the mapped memory faults (e.g. the file was truncated by another
    /// process) it throws <see cref="IOException"/> and the process keeps running.
    /// </summary>
    /// <param name="offset">Offset in the view.</param>
    /// <param name="destination">Where the bytes go; its length is the count.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the view.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    /// <exception cref="IOException">The mapped memory faulted; some bytes may have been copied.</exception>
    public void ReadBytes(long offset, Span<byte> destination)
    {
        CheckRange(offset, destination.Length);
        if (destination.Length == 0) return;
        using var v = Enter();
        fixed (byte* dst = destination)
            Native.mmk_view_read(v.Value, offset, (IntPtr)dst, (ulong)destination.Length);
    }

    /// <summary>Copies <paramref name="count"/> bytes from <paramref name="offset"/> into a new array (fault-safe, see <see cref="ReadBytes(long, Span{byte})"/>).</summary>
    /// <param name="offset">Offset in the view.</param>
    /// <param name="count">Bytes to copy.</param>
    /// <returns>The bytes.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the view.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    /// <exception cref="IOException">The mapped memory faulted.</exception>
    public byte[] ReadBytes(long offset, int count)
    {
        CheckRange(offset, count);
        var result = new byte[count];
        ReadBytes(offset, result);
        return result;
    }

    /// <summary>
    /// Copies <paramref name="source"/> to <paramref name="offset"/> of the view. Fault-safe: a
    /// fault in mapped memory (truncated file, disk full on a sparse page) throws
    /// <see cref="IOException"/> and the process keeps running.
    /// </summary>
    /// <param name="offset">Offset in the view.</param>
    /// <param name="source">The bytes to write.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the view.</exception>
    /// <exception cref="NotSupportedException">The view is read-only.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    /// <exception cref="IOException">The mapped memory faulted; some bytes may have been written.</exception>
    public void WriteBytes(long offset, ReadOnlySpan<byte> source)
    {
        ThrowIfNotWritable();
        CheckRange(offset, source.Length);
        if (source.Length == 0) return;
        using var v = Enter();
        fixed (byte* src = source)
            Native.mmk_view_write(v.Value, offset, (IntPtr)src, (ulong)source.Length);
    }

    // ---- durability, advice, size ------------------------------------------

    /// <summary>Writes the whole view's changes to the device (<see cref="FlushMode.Sync"/>). A no-op for read-only, copy-on-write and anonymous views.</summary>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    /// <exception cref="IOException">The write-back failed.</exception>
    public void Flush() => Flush(0, 0, FlushMode.Sync);

    /// <summary>Writes the changes in [offset, offset + length) to the device (<see cref="FlushMode.Sync"/>); length 0 = to the end of the view. Any range works.</summary>
    /// <param name="offset">Offset in the view.</param>
    /// <param name="length">Bytes, or 0 for "to the end".</param>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the view.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    /// <exception cref="IOException">The write-back failed.</exception>
    public void Flush(long offset, long length) => Flush(offset, length, FlushMode.Sync);

    /// <summary>Writes the changes in [offset, offset + length) back with the given durability; length 0 = to the end of the view.</summary>
    /// <param name="offset">Offset in the view.</param>
    /// <param name="length">Bytes, or 0 for "to the end".</param>
    /// <param name="mode">Async (schedule), Sync (on the device before return) or Full (plus metadata and drive cache).</param>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the view, or <paramref name="mode"/> is undefined.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    /// <exception cref="IOException">The write-back failed.</exception>
    public void Flush(long offset, long length, FlushMode mode)
    {
        if ((uint)mode > (uint)FlushMode.Full)
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Not a FlushMode value.");
        CheckRange(offset, length);
        using var v = Enter();
        Native.mmk_view_flush(v.Value, offset, length, (int)mode);
    }

    /// <summary>Gives the kernel an access-pattern hint for the whole view.</summary>
    /// <param name="advice">The hint.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="advice"/> is undefined.</exception>
    /// <exception cref="NotSupportedException">The system lacks the hint (e.g. huge pages).</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    public void Advise(Advice advice) => Advise(advice, 0, 0);

    /// <summary>Gives the kernel an access-pattern hint for [offset, offset + length) (length 0 = to the end).</summary>
    /// <param name="advice">The hint.</param>
    /// <param name="offset">Offset in the view.</param>
    /// <param name="length">Bytes, or 0 for "to the end".</param>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the view, or <paramref name="advice"/> is undefined.</exception>
    /// <exception cref="NotSupportedException">The system lacks the hint (e.g. huge pages).</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    public void Advise(Advice advice, long offset, long length)
    {
        if ((uint)advice > (uint)Advice.HugePage)
            throw new ArgumentOutOfRangeException(nameof(advice), advice, "Not an Advice value.");
        CheckRange(offset, length);
        using var v = Enter();
        Native.mmk_view_advise(v.Value, offset, length, (int)advice);
    }

    /// <summary>Locks the view's pages in RAM (mlock).</summary>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    /// <exception cref="IOException">The memory-lock limit (RLIMIT_MEMLOCK) was reached.</exception>
    /// <exception cref="UnauthorizedAccessException">Not permitted.</exception>
    public void LockMemory()
    {
        using var v = Enter();
        Native.mmk_view_lock_memory(v.Value);
    }

    /// <summary>Undoes <see cref="LockMemory"/> (munlock).</summary>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    public void UnlockMemory()
    {
        using var v = Enter();
        Native.mmk_view_unlock_memory(v.Value);
    }

    /// <summary>How many bytes of [offset, offset + length) (length 0 = to the end) are in RAM now (mincore).</summary>
    /// <param name="offset">Offset in the view.</param>
    /// <param name="length">Bytes, or 0 for "to the end".</param>
    /// <returns>Resident bytes, from 0 to the range's length.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the view.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    public long GetResidentBytes(long offset = 0, long length = 0)
    {
        CheckRange(offset, length);
        using var v = Enter();
        Native.mmk_view_resident(v.Value, offset, length, out long resident);
        return resident;
    }

    /// <summary>
    /// Changes the view's length. Within a reservation (<see cref="MapOptions.Reserve"/>) growing
    /// keeps the address; otherwise the view may move. A view fixed in place (it handed out a
    /// span, pointer, pin, typed access or atomics: see the class remarks) never moves or
    /// shrinks, so for it only growth within the reservation is possible. Calls in flight on
    /// other threads (copies, waits, flushes) are waited for by the core; a waiter goes on
    /// waiting at the new address. Growing a ReadWrite view past the
    /// end of the file grows the file. A refused or failed resize leaves the view as it was.
    /// </summary>
    /// <param name="newLength">The new length in bytes, greater than 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="newLength"/> is 0 or negative, or past the end of a Read/CopyOnWrite file.</exception>
    /// <exception cref="InvalidOperationException">The view would move or shrink while fixed in place, or while other threads keep using it.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    /// <exception cref="IOException">Growing the file or the mapping failed.</exception>
    public void Resize(long newLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(newLength);
        lock (_gate)
        {
            using var v = Enter();
            // Only a lease makes a move or shrink EBUSY, and the only lease is the export's.
            int status = Native.mmk_view_resize(v.Value, newLength);
            if (status == (int)mmk_status.MMK_EBUSY && _exported)
                throw new InvalidOperationException(
                    "The view handed out spans, pointers, pins or typed access, which fixed it in place: " +
                    "it can only grow within its reservation (MapOptions.Reserve); map a new view instead.",
                    NativeError.Create(status));
            if (status < 0) NativeError.Throw(status);
            Refresh();
        }
    }

    /// <summary>A description for debugging: offset, length and access.</summary>
    /// <returns>E.g. <c>MappedView(offset=0, length=4096, Read)</c>.</returns>
    public override string ToString() =>
        _disposed ? "MappedView(disposed)" : $"MappedView(offset={Offset}, length={_length}, {Access})";

    // ---- lifetime -----------------------------------------------------------

    /// <summary>Unmaps the view (deferred while a <see cref="Memory{T}"/> from it is pinned).</summary>
    /// <param name="disposing">Whether called from Dispose rather than the finalizer.</param>
    protected override void Dispose(bool disposing)
    {
        lock (_gate)
        {
            _disposed = true;
            Volatile.Write(ref _length, 0);
            _typedLength = 0;
            SetAtomicBounds(); // all counts 0: the atomics' one compare now fails
        }
        base.Dispose(disposing);
    }

    /// <summary>Runs when the last user of the handle is gone: unmaps and frees the native view.</summary>
    /// <returns>Always <see langword="true"/>.</returns>
    protected override bool ReleaseHandle()
    {
        // Calls and pins hold a reference on this SafeHandle, so only the export lease
        // can be left: then the range becomes inert memory for good; else it is unmapped.
        Native.mmk_view_close_inert(_view);
        return true;
    }

    // Takes a SafeHandle reference, reporting a disposed view the library's way.
    private void AddRefOrThrowDisposed()
    {
        ThrowIfDisposed();
        bool added = false;
        try
        {
            DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            throw Disposed();
        }
    }

    // Keeps the native view alive across one native call (a SafeHandle reference: Dispose
    // defers the close). The core call itself is marked in flight by the core, so a resize
    // on another thread waits for it instead of moving or unmapping memory under it.
    private ViewUse Enter()
    {
        AddRefOrThrowDisposed();
        return new ViewUse(this);
    }

    private readonly ref struct ViewUse
    {
        private readonly MappedView _owner;
        internal ViewUse(MappedView owner) { _owner = owner; Value = owner._view; }
        internal IntPtr Value { get; }
        public void Dispose() => _owner.DangerousRelease();
    }

    // A pin from ViewMemoryManager: the view fixed in place (so it never moves, shrinks or
    // unmaps under the pointer) plus a SafeHandle reference (so Dispose waits for the unpin).
    internal byte* AddPin(long offset, int length)
    {
        EnsureExported();
        AddRefOrThrowDisposed();
        if ((ulong)offset > (ulong)_length || (ulong)length > (ulong)(_length - offset))
        {
            DangerousRelease();
            throw OutsideMemory();
        }
        return _data + offset;
    }

    internal void RemovePin() => DangerousRelease();

    internal Span<byte> GetSpanFor(long offset, int length)
    {
        ThrowIfDisposed();
        EnsureExported();
        if ((ulong)offset > (ulong)_length || (ulong)length > (ulong)(_length - offset))
            throw OutsideMemory();
        return new Span<byte>(_data + offset, length);
    }

    // A Dispose racing the pin zeroes the length after setting _disposed: report that.
    private Exception OutsideMemory() =>
        _disposed ? Disposed() : new InvalidOperationException("The view was resized below this memory's range.");

    // ---- checks -------------------------------------------------------------

    private int WholeLength()
    {
        ThrowIfDisposed();
        if (_length > int.MaxValue)
            throw new NotSupportedException(
                $"The view is {_length} bytes, more than a span can hold; use AsSpan(offset, length) windows.");
        return (int)_length;
    }

    private void CheckRange(long offset, long length)
    {
        ThrowIfDisposed();
        long n = Volatile.Read(ref _length);
        if (offset < 0 || (ulong)offset > (ulong)n || length < 0 || (ulong)length > (ulong)(n - offset))
            throw BadRange(offset, length, n);
    }

    // A racing Dispose zeroes the length after setting _disposed: report that, not a range.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private Exception BadRange(long offset, long length, long n)
    {
        if (_disposed) return Disposed();
        if (offset < 0 || (ulong)offset > (ulong)n)
            return new ArgumentOutOfRangeException(nameof(offset), offset, $"The offset must lie in the view [0, {n}].");
        return new ArgumentOutOfRangeException(nameof(length), length, $"The range [{offset}, {offset} + {length}) is not inside the view of {n} bytes.");
    }

    private void ThrowIfDisposed()
    {
        if (_disposed) throw Disposed();
    }

    private void ThrowIfNotWritable()
    {
        ThrowIfDisposed();
        if (!_writable) throw ReadOnly();
    }

    private static ObjectDisposedException Disposed() => new(nameof(MappedView));

    private static NotSupportedException ReadOnly() => new("The view is read-only.");

    // The exception for a failed bounds check of a typed access: a disposed view (its length
    // is 0 then) or an out-of-range offset. Returned, not thrown, so that callers `throw` it
    // and the JIT sees a no-return cold block in their loops.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private Exception BadAccess(long offset, int size) =>
        _disposed
            ? Disposed()
            : new ArgumentOutOfRangeException(nameof(offset), offset,
                $"{size} bytes at this offset are not inside the view of {_length} bytes.");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Exception BadWrite(long offset, int size) =>
        _disposed ? Disposed() : !_writable ? ReadOnly() : BadAccess(offset, size);
}
