using Xunit;

namespace MmapKit.Tests;

/// <summary>Dispose is visible at once, even while another thread is inside a call.</summary>
public sealed class DisposeStateTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task IsDisposed_is_true_right_after_Dispose_while_a_call_still_runs()
    {
        string p = _dir.Patterned("busy.bin", 100);
        using var holder = MappedFile.Open(p, MapAccess.ReadWrite);
        IDisposable held = holder.Lock(0, 10, shared: false);
        var f = MappedFile.Open(p, MapAccess.ReadWrite);
        using var entered = new ManualResetEventSlim();
        var waiter = Task.Run(() =>
        {
            entered.Set();
            try { f.Lock(0, 10, shared: false).Dispose(); } catch (ObjectDisposedException) { }
        });
        entered.Wait();
        Thread.Sleep(100); // the waiter now blocks inside the native lock call
        f.Dispose();
        Assert.True(f.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => f.Length);
        held.Dispose();
        await waiter.WaitAsync(TimeSpan.FromSeconds(30));

        using var vf = MappedFile.CreateAnonymous(4096);
        var v = vf.CreateView();
        var wait = Task.Run(() => Assert.Throws<ObjectDisposedException>(() => v.Wait(0, 0, Timeout.InfiniteTimeSpan)));
        Thread.Sleep(100);
        v.Dispose();
        Assert.True(v.IsDisposed);
        await wait.WaitAsync(TimeSpan.FromSeconds(10)); // ends within a wait slice (~100 ms)
    }

    [Fact]
    public void Stream_of_a_disposed_view_is_closed()
    {
        using var f = MappedFile.Open(_dir.Patterned("s.bin", 4096));
        var v = f.CreateView();
        using Stream s = v.AsStream();
        Assert.Equal(4096, s.Length);
        v.Dispose();
        Assert.False(s.CanRead);
        Assert.Throws<ObjectDisposedException>(() => s.Length);
        Assert.Throws<ObjectDisposedException>(() => s.Position);
        Assert.Throws<ObjectDisposedException>(() => s.ReadByte());
    }

    [Fact]
    public async Task ReadBytes_racing_Dispose_is_ObjectDisposedException_never_out_of_range()
    {
        using var f = MappedFile.Open(_dir.Patterned("r.bin", 1 << 16));
        MappedView current = f.CreateView();
        bool stop = false;
        long disposedSeen = 0, reads = 0;
        // One reader hammers whatever view is current while views are made and disposed.
        var reader = Task.Run(() =>
        {
            var buf = new byte[8];
            while (!Volatile.Read(ref stop))
            {
                MappedView v = Volatile.Read(ref current);
                try
                {
                    v.ReadBytes(1000, buf);
                    reads++;
                }
                catch (ObjectDisposedException)
                {
                    disposedSeen++;
                }
            }
        });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // Until the reader has also succeeded at least once: on a loaded machine it may not have
        // run at all during the first 20000 rounds.
        for (int round = 0;
             (round < 20000 || Volatile.Read(ref reads) == 0) && clock.ElapsedMilliseconds < 10000 && !reader.IsCompleted;
             round++)
        {
            MappedView old = current;
            Volatile.Write(ref current, f.CreateView());
            Thread.SpinWait(50);
            old.Dispose();
        }
        Volatile.Write(ref stop, true);
        await reader.WaitAsync(TimeSpan.FromSeconds(30)); // an ArgumentOutOfRangeException would surface here
        current.Dispose();
        Assert.True(reads > 0);
    }
}
