using System;
using System.Diagnostics;
using System.IO;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading;
using MmapKit.Interop;

namespace MmapKit;

// Atomics and wait/wake at a view offset. The operations compile to the JIT's own
// atomic instructions over the view's pointer (no native call), so they interoperate
// with C11 atomics, Java VarHandles and Python's atomics on the same shared memory.
// Only Wait and Wake call into the core (a Linux shared futex). The atomics are direct
// access: the first one fixes the view in place (see the class remarks).
public sealed unsafe partial class MappedView
{
    /// <summary>
    /// Reads the <see cref="int"/>, <see cref="uint"/>, <see cref="long"/> or <see cref="ulong"/> at
    /// <paramref name="offset"/> with acquire semantics (<c>Volatile.Read</c>).
    /// </summary>
    /// <typeparam name="T"><see cref="int"/>, <see cref="uint"/>, <see cref="long"/> or <see cref="ulong"/>.</typeparam>
    /// <param name="offset">Offset in the view; the address must be a multiple of the value's size.</param>
    /// <returns>The value.</returns>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is another type.</exception>
    /// <exception cref="ArgumentException">The address is not naturally aligned.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The value does not lie inside the view.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T VolatileRead<T>(long offset) where T : unmanaged => Atomics.VolatileRead<T>(offset);

    /// <summary>
    /// Writes the <see cref="int"/>, <see cref="uint"/>, <see cref="long"/> or <see cref="ulong"/> at
    /// <paramref name="offset"/> with release semantics (<c>Volatile.Write</c>).
    /// </summary>
    /// <typeparam name="T"><see cref="int"/>, <see cref="uint"/>, <see cref="long"/> or <see cref="ulong"/>.</typeparam>
    /// <param name="offset">Offset in the view; the address must be a multiple of the value's size.</param>
    /// <param name="value">The value to store.</param>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is another type, or the view is read-only.</exception>
    /// <exception cref="ArgumentException">The address is not naturally aligned.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The value does not lie inside the view.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void VolatileWrite<T>(long offset, T value) where T : unmanaged =>
        Atomics.VolatileWrite(offset, value);

    /// <summary>Atomically adds <paramref name="delta"/> to the <see cref="long"/> at <paramref name="offset"/> (wrapping, sequentially consistent).</summary>
    /// <param name="offset">Offset in the view; the address must be 8-byte aligned.</param>
    /// <param name="delta">The value to add.</param>
    /// <returns>The new value.</returns>
    /// <exception cref="ArgumentException">The address is not 8-byte aligned.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The value does not lie inside the view.</exception>
    /// <exception cref="NotSupportedException">The view is read-only.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long InterlockedAdd(long offset, long delta) => Atomics.InterlockedAdd(offset, delta);

    /// <summary>Atomically adds <paramref name="delta"/> to the <see cref="int"/> at <paramref name="offset"/> (wrapping, sequentially consistent).</summary>
    /// <param name="offset">Offset in the view; the address must be 4-byte aligned.</param>
    /// <param name="delta">The value to add.</param>
    /// <returns>The new value.</returns>
    /// <exception cref="ArgumentException">The address is not 4-byte aligned.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The value does not lie inside the view.</exception>
    /// <exception cref="NotSupportedException">The view is read-only.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int InterlockedAdd(long offset, int delta) => Atomics.InterlockedAdd(offset, delta);

    /// <summary>
    /// Atomically stores <paramref name="value"/> in the <see cref="long"/> at <paramref name="offset"/>
    /// if it equals <paramref name="comparand"/> (as <see cref="Interlocked.CompareExchange(ref long, long, long)"/>).
    /// </summary>
    /// <param name="offset">Offset in the view; the address must be 8-byte aligned.</param>
    /// <param name="value">The value stored if the comparison succeeds.</param>
    /// <param name="comparand">The value expected.</param>
    /// <returns>The value found; the exchange happened if it equals <paramref name="comparand"/>.</returns>
    /// <exception cref="ArgumentException">The address is not 8-byte aligned.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The value does not lie inside the view.</exception>
    /// <exception cref="NotSupportedException">The view is read-only.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long CompareExchange(long offset, long value, long comparand) =>
        Atomics.CompareExchange(offset, value, comparand);

    /// <summary>
    /// Atomically stores <paramref name="value"/> in the <see cref="int"/> at <paramref name="offset"/>
    /// if it equals <paramref name="comparand"/> (as <see cref="Interlocked.CompareExchange(ref int, int, int)"/>).
    /// </summary>
    /// <param name="offset">Offset in the view; the address must be 4-byte aligned.</param>
    /// <param name="value">The value stored if the comparison succeeds.</param>
    /// <param name="comparand">The value expected.</param>
    /// <returns>The value found; the exchange happened if it equals <paramref name="comparand"/>.</returns>
    /// <exception cref="ArgumentException">The address is not 4-byte aligned.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The value does not lie inside the view.</exception>
    /// <exception cref="NotSupportedException">The view is read-only.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int CompareExchange(long offset, int value, int comparand) =>
        Atomics.CompareExchange(offset, value, comparand);

    /// <summary>
    /// Sleeps while the <see cref="int"/> at <paramref name="offset"/> equals <paramref name="expected"/>
    /// (a shared futex: works across processes). Returns as soon as the value differs; spurious
    /// wake-ups are absorbed. The wait sleeps in slices of at most 100 ms, so a Dispose on
    /// another thread ends it within about 100 ms with <see cref="ObjectDisposedException"/>;
    /// a Resize that moves the view lets it go on waiting at the new address.
    /// </summary>
    /// <param name="offset">Offset in the view; the address must be 4-byte aligned.</param>
    /// <param name="expected">The value to wait away from.</param>
    /// <param name="timeout">How long to wait at most; <see cref="Timeout.InfiniteTimeSpan"/> for no limit, <see cref="TimeSpan.Zero"/> to just check.</param>
    /// <returns><see langword="true"/> if the value differs from <paramref name="expected"/>, <see langword="false"/> on timeout.</returns>
    /// <exception cref="ArgumentException">The address is not 4-byte aligned.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The value does not lie inside the view, or <paramref name="timeout"/> is negative (other than infinite).</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    /// <exception cref="IOException">The mapped memory faulted.</exception>
    public bool Wait(long offset, int expected, TimeSpan timeout)
    {
        long ns;
        if (timeout == Timeout.InfiniteTimeSpan) ns = -1;
        else if (timeout < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be positive, zero or Timeout.InfiniteTimeSpan.");
        else ns = timeout.Ticks > long.MaxValue / 100 ? long.MaxValue : timeout.Ticks * 100;
        CheckWordOffset(offset);
        long start = Stopwatch.GetTimestamp();
        for (;;)
        {
            long left = ns < 0 ? WaitSliceNs : ns - (long)Stopwatch.GetElapsedTime(start).TotalNanoseconds;
            int status;
            // Alignment and range are checked by the core (EINVAL, ERANGE).
            using (var v = Enter())
                status = Native.mmk_wait_u32(v.Value, offset, unchecked((uint)expected),
                                             Math.Max(0, Math.Min(left, WaitSliceNs)));
            if (status == 0) return true;
            if (status != (int)mmk_status.MMK_ETIMEDOUT) NativeError.Throw(status);
            if (ns >= 0 && left <= WaitSliceNs) return false;
        }
    }

    private const long WaitSliceNs = 100_000_000;

    // The core calls a negative offset EINVAL; to .NET it is out of range, as for every other
    // accessor (alignment and the upper bound stay the core's checks).
    private static void CheckWordOffset(long offset)
    {
        if (offset < 0)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, "The offset must not be negative.");
    }

    /// <summary>Wakes up to <paramref name="count"/> waiters sleeping in <see cref="Wait"/> on the <see cref="int"/> at <paramref name="offset"/>, in any process.</summary>
    /// <param name="offset">Offset in the view; the address must be 4-byte aligned.</param>
    /// <param name="count">How many to wake; <see cref="int.MaxValue"/> (or 0 or less) for all.</param>
    /// <returns>How many were woken.</returns>
    /// <exception cref="ArgumentException">The address is not 4-byte aligned.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The value does not lie inside the view.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    public int Wake(long offset, int count)
    {
        CheckWordOffset(offset);
        using var v = Enter();
        return Native.mmk_wake(v.Value, offset, count);
    }

    // ---- the hot-path check --------------------------------------------------
    //
    // Same safety level as Read<T>: bounds and alignment are checked, the access itself is a
    // plain memory operation (no SafeHandle AddRef/Release, see the class remarks). The check is
    // one unsigned compare against bounds precomputed whenever the mapping changes: with
    // first = the first offset whose address is aligned to the size and count = how many aligned
    // slots lie in the view, an access is valid iff RotateRight(offset - first, log2 size) < count.
    // The rotation moves misaligned low bits to the top, and a negative offset - first has its
    // top bits set, so both land far above any count. The counts are 0 once the view is disposed,
    // and the write counts are 0 for a read-only view, so those cases fail the same compare; the
    // cold path then works out which exception to throw.
    private long _first32, _first64;
    private ulong _count32, _count64, _writeCount32, _writeCount64;

    // Called whenever _data or _length changes (map, resize, dispose).
    private void SetAtomicBounds()
    {
        nuint misalign = (nuint)_data;
        _first32 = (long)((4 - (misalign & 3)) & 3);
        _first64 = (long)((8 - (misalign & 7)) & 7);
        _count32 = Slots(_typedLength, _first32, 4);
        _count64 = Slots(_typedLength, _first64, 8);
        _writeCount32 = _writable ? _count32 : 0;
        _writeCount64 = _writable ? _count64 : 0;
    }

    private static ulong Slots(long length, long first, int size) =>
        length >= first + size ? (ulong)((length - first - size) / size + 1) : 0;

    /// <summary>
    /// The atomic operations with the view's address and bounds copied into a stack-only value,
    /// for loops: see <see cref="ViewAtomics"/>. It fixes the view in place (see the class
    /// remarks); after a Dispose or a growth of the view it still works on the old range.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    public ViewAtomics Atomics
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            EnsureExported();
            return new(this, _data, _first32, _first64, _count32, _count64, _writeCount32, _writeCount64);
        }
    }

    // The exception for a failed atomic check, in the order the contract documents: disposed,
    // read-only (writes), out of range, misaligned. Returned, not thrown, so that callers
    // `throw` it and the JIT keeps the failure block cold and out of their loops.
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal Exception BadAtomic(long offset, int size, bool write)
    {
        if (_disposed || (write && !_writable) || (ulong)offset > (ulong)_length || (ulong)size > (ulong)(_length - offset))
            return write ? BadWrite(offset, size) : BadAccess(offset, size);
        return new ArgumentException(
            $"Offset {offset} is not {size}-byte aligned in memory; atomic operations need natural alignment.", nameof(offset));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static NotSupportedException NotAtomic<T>() =>
        new($"Atomic operations take int, uint, long or ulong, not {typeof(T)}.");
}
