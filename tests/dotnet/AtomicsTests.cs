using Xunit;

namespace MmapKit.Tests;

public sealed class AtomicsTests : IDisposable
{
    private readonly ShmNames _names = new();

    public void Dispose() => _names.Dispose();

    [Fact]
    public void Volatile_reads_and_writes_of_32_and_64_bit_values()
    {
        using var f = MappedFile.CreateAnonymous(4096);
        using var v = f.CreateView();
        v.VolatileWrite(8, 0x0102030405060708L);
        v.VolatileWrite(16, -5);
        v.VolatileWrite(20, uint.MaxValue);
        v.VolatileWrite(24, ulong.MaxValue - 1);
        Assert.Equal(0x0102030405060708L, v.VolatileRead<long>(8));
        Assert.Equal(-5, v.VolatileRead<int>(16));
        Assert.Equal(uint.MaxValue, v.VolatileRead<uint>(20));
        Assert.Equal(ulong.MaxValue - 1, v.VolatileRead<ulong>(24));
        Assert.Equal(0x0102030405060708L, v.Read<long>(8));
    }

    [Fact]
    public void InterlockedAdd_returns_the_new_value_and_CompareExchange_the_old_one()
    {
        using var f = MappedFile.CreateAnonymous(4096);
        using var v = f.CreateView();
        Assert.Equal(5L, v.InterlockedAdd(0, 5L));
        Assert.Equal(3L, v.InterlockedAdd(0, -2L));
        Assert.Equal(10, v.InterlockedAdd(8, 10));
        v.VolatileWrite(12, int.MaxValue);
        Assert.Equal(int.MinValue, v.InterlockedAdd(12, 1));
        Assert.Equal(3L, v.CompareExchange(0, 100L, 3L));
        Assert.Equal(100L, v.VolatileRead<long>(0));
        Assert.Equal(100L, v.CompareExchange(0, 7L, 3L));
        Assert.Equal(100L, v.VolatileRead<long>(0));
        Assert.Equal(10, v.CompareExchange(8, 11, 10));
        Assert.Equal(11, v.CompareExchange(8, 12, 10));
        Assert.Equal(11, v.VolatileRead<int>(8));
    }

    [Fact]
    public void Misaligned_out_of_range_and_unsupported_accesses_are_errors()
    {
        using var f = MappedFile.CreateAnonymous(4096);
        using var v = f.CreateView(0, 64);
        Assert.Throws<ArgumentException>(() => v.VolatileRead<long>(4));
        Assert.Throws<ArgumentException>(() => v.InterlockedAdd(2, 1));
        Assert.Throws<ArgumentException>(() => v.CompareExchange(1, 1L, 0L));
        Assert.Throws<ArgumentException>(() => v.Wait(2, 0, TimeSpan.Zero));
        Assert.Throws<ArgumentException>(() => v.Wake(6, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.VolatileRead<long>(64));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.VolatileWrite(-8, 1L));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.InterlockedAdd(64, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Wait(64, 0, TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Wait(0, 0, TimeSpan.FromSeconds(-2)));
        Assert.Throws<NotSupportedException>(() => v.VolatileRead<short>(0));
        Assert.Throws<NotSupportedException>(() => v.VolatileRead<double>(0));
        // A view at an odd file offset: alignment is about the address, not the offset.
        using var odd = f.CreateView(4, 60);
        Assert.Equal(0, odd.VolatileRead<int>(0));
        Assert.Throws<ArgumentException>(() => odd.VolatileRead<long>(0));
        Assert.Equal(0L, odd.VolatileRead<long>(4));
    }

    [Fact]
    public void ViewAtomics_in_a_local_does_what_the_view_does()
    {
        using var f = MappedFile.CreateAnonymous(4096);
        using var v = f.CreateView();
        var a = v.Atomics;
        a.VolatileWrite(8, 0x0102030405060708L);
        a.VolatileWrite(20, uint.MaxValue);
        Assert.Equal(0x0102030405060708L, v.VolatileRead<long>(8));
        Assert.Equal(uint.MaxValue, a.VolatileRead<uint>(20));
        Assert.Equal(5L, a.InterlockedAdd(0, 5L));
        Assert.Equal(7L, v.InterlockedAdd(0, 2L));
        Assert.Equal(8L, a.InterlockedAdd(0, 1L));
        Assert.Equal(10, a.InterlockedAdd(16, 10));
        Assert.Equal(8L, a.CompareExchange(0, 100L, 8L));
        Assert.Equal(100L, a.CompareExchange(0, 7L, 3L));
        Assert.Equal(10, a.CompareExchange(16, 11, 10));
        Assert.Equal(11, v.VolatileRead<int>(16));
        Assert.Equal(100L, a.VolatileRead<long>(0));
    }

    [Fact]
    public void ViewAtomics_checks_alignment_range_writability_and_origin()
    {
        using var f = MappedFile.CreateAnonymous(4096);
        using var v = f.CreateView(0, 64);
        Assert.Throws<ArgumentException>(() => v.Atomics.VolatileRead<long>(4));
        Assert.Throws<ArgumentException>(() => v.Atomics.InterlockedAdd(2, 1));
        Assert.Throws<ArgumentException>(() => v.Atomics.CompareExchange(1, 1L, 0L));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Atomics.VolatileRead<long>(64));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Atomics.VolatileWrite(-8, 1L));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Atomics.InterlockedAdd(60, 1L));
        Assert.Throws<NotSupportedException>(() => v.Atomics.VolatileRead<short>(0));
        using var odd = f.CreateView(4, 60);
        Assert.Equal(0L, odd.Atomics.VolatileRead<long>(4));
        Assert.Throws<ArgumentException>(() => odd.Atomics.VolatileRead<long>(0));
        using var ro = f.CreateView(0, 64, new MapOptions { ReadOnly = true });
        Assert.Equal(0L, ro.Atomics.VolatileRead<long>(8));
        Assert.Throws<NotSupportedException>(() => ro.Atomics.InterlockedAdd(8, 1L));
        Assert.Throws<NotSupportedException>(() => ro.Atomics.VolatileWrite(8, 1));
        var gone = f.CreateView(0, 64);
        gone.Dispose();
        Assert.Throws<ObjectDisposedException>(() => gone.Atomics.VolatileRead<int>(0));
        Assert.Throws<InvalidOperationException>(() => default(ViewAtomics).InterlockedAdd(0, 1L));
    }

    [Fact]
    public void InterlockedAdd_is_atomic_across_threads()
    {
        using var f = MappedFile.CreateAnonymous(4096);
        using var v = f.CreateView();
        Parallel.For(0, 4, _ =>
        {
            for (int i = 0; i < 100_000; i++) { v.InterlockedAdd(64, 1L); v.InterlockedAdd(128, 1); }
            var a = v.Atomics;
            for (int i = 0; i < 100_000; i++) a.InterlockedAdd(256, 1L);
        });
        Assert.Equal(400_000L, v.VolatileRead<long>(64));
        Assert.Equal(400_000, v.VolatileRead<int>(128));
        Assert.Equal(400_000L, v.VolatileRead<long>(256));
    }

    [Fact]
    public void InterlockedAdd_is_atomic_across_processes()
    {
        string name = _names.New();
        using var f = MappedFile.CreateShared(name, 4096);
        using var v = f.CreateView();
        using var child = Child.Start("add", name, "256", "200000");
        for (int i = 0; i < 200_000; i++) v.InterlockedAdd(256, 1L);
        Assert.True(child.WaitForExit(60_000));
        Assert.Equal(0, child.ExitCode);
        Assert.Equal(400_000L, v.VolatileRead<long>(256));
    }

    [Fact]
    public void Wait_returns_false_on_timeout_and_true_when_the_value_differs()
    {
        using var f = MappedFile.CreateAnonymous(4096);
        using var v = f.CreateView();
        Assert.False(v.Wait(0, 0, TimeSpan.Zero));
        Assert.False(v.Wait(0, 0, TimeSpan.FromMilliseconds(50)));
        Assert.True(v.Wait(0, 1, TimeSpan.Zero));
        Assert.Equal(0, v.Wake(0, 1));
    }

    [Fact]
    public async Task Wake_ends_a_Wait_in_another_thread()
    {
        using var f = MappedFile.CreateAnonymous(4096);
        using var v = f.CreateView();
        var waiter = Task.Factory.StartNew(() => v.Wait(16, 0, TimeSpan.FromSeconds(30)), TaskCreationOptions.LongRunning);
        Thread.Sleep(100);
        Assert.False(waiter.IsCompleted);
        v.VolatileWrite(16, 1);
        v.Wake(16, int.MaxValue);
        Assert.True(await waiter.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void Wait_and_Wake_work_across_processes()
    {
        string name = _names.New();
        using var f = MappedFile.CreateShared(name, 4096);
        using var v = f.CreateView();
        using var child = Child.Start("wait", name, "512", "0");
        // The child raises the word at 516 just before it waits on 512.
        Assert.True(v.Wait(516, 0, TimeSpan.FromSeconds(30)));
        v.VolatileWrite(512, 99);
        v.Wake(512, 1);
        Assert.True(child.WaitForExit(60_000));
        Assert.Equal("99", child.StandardOutput.ReadToEnd().Trim());
        Assert.Equal(0, child.ExitCode);
    }
}
