using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace MmapKit;

/// <summary>
/// The atomic operations of a <see cref="MappedView"/> with the view's address and bounds copied
/// into a stack-only value (from <see cref="MappedView.Atomics"/>), so that a loop keeps them in
/// registers.
/// </summary>
/// <remarks>
/// <para>
/// Every operation is still bounds- and alignment-checked, and compiles to the JIT's own
/// <c>Volatile</c>/<c>Interlocked</c> instruction. Through <see cref="MappedView"/> itself the same
/// check reads the view's fields again after each locked instruction (which no later load may
/// pass), about 1-2 ns per operation; a <see cref="ViewAtomics"/> held in a local reads them once:
/// <code>
/// var atomics = view.Atomics;
/// for (int i = 0; i &lt; n; i++) atomics.InterlockedAdd(offset, 1L);
/// </code>
/// </para>
/// <para>
/// Like a <see cref="Span{T}"/> over the view it keeps the bounds it was made with: after the view
/// grows it does not see the new part, and after Dispose it works on the view's inert range (zeros
/// read, writes lost, never a crash or another file's memory; see <see cref="MappedView"/>).
/// </para>
/// </remarks>
public readonly unsafe ref struct ViewAtomics
{
    // The bounds as MappedView.SetAtomicBounds computes them (see the check there).
    private readonly byte* _data;
    private readonly long _first32, _first64;
    private readonly ulong _count32, _count64, _writeCount32, _writeCount64;
    private readonly MappedView _view; // for the cold path's exception only

    internal ViewAtomics(MappedView view, byte* data, long first32, long first64, ulong count32,
                         ulong count64, ulong writeCount32, ulong writeCount64)
    {
        _view = view;
        _data = data;
        _first32 = first32;
        _first64 = first64;
        _count32 = count32;
        _count64 = count64;
        _writeCount32 = writeCount32;
        _writeCount64 = writeCount64;
    }

    /// <inheritdoc cref="MappedView.VolatileRead{T}(long)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T VolatileRead<T>(long offset) where T : unmanaged
    {
        // The typeof tests are JIT-time constants: each instantiation keeps one branch.
        if (typeof(T) == typeof(int) || typeof(T) == typeof(uint))
        {
            int v = Volatile.Read(ref *At32(offset, write: false));
            return Unsafe.As<int, T>(ref v);
        }
        if (typeof(T) == typeof(long) || typeof(T) == typeof(ulong))
        {
            long v = Volatile.Read(ref *At64(offset, write: false));
            return Unsafe.As<long, T>(ref v);
        }
        throw MappedView.NotAtomic<T>();
    }

    /// <inheritdoc cref="MappedView.VolatileWrite{T}(long, T)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void VolatileWrite<T>(long offset, T value) where T : unmanaged
    {
        if (typeof(T) == typeof(int) || typeof(T) == typeof(uint))
            Volatile.Write(ref *At32(offset, write: true), Unsafe.As<T, int>(ref value));
        else if (typeof(T) == typeof(long) || typeof(T) == typeof(ulong))
            Volatile.Write(ref *At64(offset, write: true), Unsafe.As<T, long>(ref value));
        else
            throw MappedView.NotAtomic<T>();
    }

    /// <inheritdoc cref="MappedView.InterlockedAdd(long, long)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long InterlockedAdd(long offset, long delta) =>
        Interlocked.Add(ref *At64(offset, write: true), delta);

    /// <inheritdoc cref="MappedView.InterlockedAdd(long, int)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int InterlockedAdd(long offset, int delta) =>
        Interlocked.Add(ref *At32(offset, write: true), delta);

    /// <inheritdoc cref="MappedView.CompareExchange(long, long, long)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long CompareExchange(long offset, long value, long comparand) =>
        Interlocked.CompareExchange(ref *At64(offset, write: true), value, comparand);

    /// <inheritdoc cref="MappedView.CompareExchange(long, int, int)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int CompareExchange(long offset, int value, int comparand) =>
        Interlocked.CompareExchange(ref *At32(offset, write: true), value, comparand);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int* At32(long offset, bool write)
    {
        // `write` is a constant at every (inlined) call site, so only one count is used.
        if (BitOperations.RotateRight((ulong)(offset - _first32), 2) >= (write ? _writeCount32 : _count32))
            throw Bad(_view, offset, 4, write);
        return (int*)(_data + offset);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal long* At64(long offset, bool write)
    {
        if (BitOperations.RotateRight((ulong)(offset - _first64), 3) >= (write ? _writeCount64 : _count64))
            throw Bad(_view, offset, 8, write);
        return (long*)(_data + offset);
    }

    // Static, so that no call takes the struct's address: a local ViewAtomics then lives in
    // registers. A default value (not obtained from a view) has no view and no slots.
    private static Exception Bad(MappedView view, long offset, int size, bool write) =>
        view is null
            ? new InvalidOperationException("This ViewAtomics was not obtained from MappedView.Atomics.")
            : view.BadAtomic(offset, size, write);
}
