using System;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Runtime.CompilerServices;
using System.Threading;
using MmapKit.Interop;

namespace MmapKit;

// Atomics and wait/wake at a view offset. The operations compile to the JIT's own
// atomic instructions over the view's pointer (no native call), so they interoperate
// with C11 atomics, Java VarHandles and Python's atomics on the same shared memory.
// Only Wait and Wake call into the core (a Linux shared futex).
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
    public T VolatileRead<T>(long offset) where T : unmanaged
    {
        byte* p = AtomicAddress<T>(offset, write: false);
        if (sizeof(T) == 4)
        {
            int v = Volatile.Read(ref *(int*)p);
            return Unsafe.As<int, T>(ref v);
        }
        else
        {
            long v = Volatile.Read(ref *(long*)p);
            return Unsafe.As<long, T>(ref v);
        }
    }

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
    public void VolatileWrite<T>(long offset, T value) where T : unmanaged
    {
        byte* p = AtomicAddress<T>(offset, write: true);
        if (sizeof(T) == 4)
            Volatile.Write(ref *(int*)p, Unsafe.As<T, int>(ref value));
        else
            Volatile.Write(ref *(long*)p, Unsafe.As<T, long>(ref value));
    }

    /// <summary>Atomically adds <paramref name="delta"/> to the <see cref="long"/> at <paramref name="offset"/> (wrapping, sequentially consistent).</summary>
    /// <param name="offset">Offset in the view; the address must be 8-byte aligned.</param>
    /// <param name="delta">The value to add.</param>
    /// <returns>The new value.</returns>
    /// <exception cref="ArgumentException">The address is not 8-byte aligned.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The value does not lie inside the view.</exception>
    /// <exception cref="NotSupportedException">The view is read-only.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    public long InterlockedAdd(long offset, long delta) =>
        Interlocked.Add(ref *(long*)AtomicAddress<long>(offset, write: true), delta);

    /// <summary>Atomically adds <paramref name="delta"/> to the <see cref="int"/> at <paramref name="offset"/> (wrapping, sequentially consistent).</summary>
    /// <param name="offset">Offset in the view; the address must be 4-byte aligned.</param>
    /// <param name="delta">The value to add.</param>
    /// <returns>The new value.</returns>
    /// <exception cref="ArgumentException">The address is not 4-byte aligned.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The value does not lie inside the view.</exception>
    /// <exception cref="NotSupportedException">The view is read-only.</exception>
    /// <exception cref="ObjectDisposedException">The view was disposed.</exception>
    public int InterlockedAdd(long offset, int delta) =>
        Interlocked.Add(ref *(int*)AtomicAddress<int>(offset, write: true), delta);

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
    public long CompareExchange(long offset, long value, long comparand) =>
        Interlocked.CompareExchange(ref *(long*)AtomicAddress<long>(offset, write: true), value, comparand);

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
    public int CompareExchange(long offset, int value, int comparand) =>
        Interlocked.CompareExchange(ref *(int*)AtomicAddress<int>(offset, write: true), value, comparand);

    /// <summary>
    /// Sleeps while the <see cref="int"/> at <paramref name="offset"/> equals <paramref name="expected"/>
    /// (a shared futex: works across processes). Returns as soon as the value differs; spurious
    /// wake-ups are absorbed.
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
        AtomicAddress<int>(offset, write: false);
        int status;
        using (var v = Enter())
            status = Native.mmk_wait_u32(v.Value, offset, unchecked((uint)expected), ns);
        if (status == (int)mmk_status.MMK_ETIMEDOUT) return false;
        if (status < 0) NativeError.Throw(status);
        return true;
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
        AtomicAddress<int>(offset, write: false);
        using var v = Enter();
        return Native.mmk_wake(v.Value, offset, count);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte* AtomicAddress<T>(long offset, bool write) where T : unmanaged
    {
        if (typeof(T) != typeof(int) && typeof(T) != typeof(uint) && typeof(T) != typeof(long) && typeof(T) != typeof(ulong))
            ThrowNotAtomic<T>();
        if ((write && !_writable) || (ulong)offset > (ulong)_length || (ulong)sizeof(T) > (ulong)(_length - offset))
            throw write ? BadWrite(offset, sizeof(T)) : BadAccess(offset, sizeof(T));
        byte* p = _data + offset;
        if (((nuint)p & (nuint)(sizeof(T) - 1)) != 0)
            ThrowMisaligned(offset, sizeof(T));
        return p;
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNotAtomic<T>() =>
        throw new NotSupportedException($"Atomic operations take int, uint, long or ulong, not {typeof(T)}.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowMisaligned(long offset, int size) =>
        throw new ArgumentException($"Offset {offset} is not {size}-byte aligned in memory; atomic operations need natural alignment.", nameof(offset));
}
