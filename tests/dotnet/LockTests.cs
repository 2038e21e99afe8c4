using Xunit;

namespace MmapKit.Tests;

public sealed class LockTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Exclusive_lock_conflicts_with_another_handle_in_the_same_process()
    {
        string p = _dir.Patterned("l.bin", 8192);
        using var a = MappedFile.Open(p, MapAccess.ReadWrite);
        using var b = MappedFile.Open(p, MapAccess.ReadWrite);
        using (a.Lock(0, 4096, shared: false))
        {
            Assert.Null(b.TryLock(0, 1, shared: false));
            Assert.Null(b.TryLock(4095, 10, shared: true));
            var e = Assert.Throws<IOException>(() => b.Lock(100, 10, shared: false, wait: false));
            Assert.Contains(p, e.Message);
            Assert.Equal(Platform.HResult(11, 33), e.HResult); // EAGAIN, ERROR_LOCK_VIOLATION
            Assert.Equal("MMK_EAGAIN", e.Data["mmapkit.status"]);
            using IDisposable? other = b.TryLock(4096, 4096, shared: false);
            Assert.NotNull(other);
        }
        using IDisposable? after = b.TryLock(0, 4096, shared: false);
        Assert.NotNull(after);
    }

    [Fact]
    public void Shared_locks_coexist_and_block_exclusive_ones()
    {
        string p = _dir.Patterned("s.bin", 100);
        using var a = MappedFile.Open(p, MapAccess.ReadWrite);
        using var b = MappedFile.Open(p);
        using var c = MappedFile.Open(p, MapAccess.ReadWrite);
        using var la = a.Lock(0, 0, shared: true);
        using var lb = b.Lock(0, 100, shared: true);
        Assert.Null(c.TryLock(50, 1, shared: false));
        using IDisposable? lc = c.TryLock(50, 1, shared: true);
        Assert.NotNull(lc);
    }

    [Fact]
    public void Exclusive_lock_on_read_only_file_throws_UnauthorizedAccessException()
    {
        using var f = MappedFile.Open(_dir.Patterned("ro.bin", 10));
        Assert.Throws<UnauthorizedAccessException>(() => f.Lock(0, 10, shared: false));
    }

    [Fact]
    public void Disposing_the_file_releases_its_locks()
    {
        string p = _dir.Patterned("d.bin", 100);
        using var b = MappedFile.Open(p, MapAccess.ReadWrite);
        var a = MappedFile.Open(p, MapAccess.ReadWrite);
        IDisposable l = a.Lock(0, 0, shared: false);
        Assert.Null(b.TryLock(0, 1, shared: false));
        a.Dispose();
        l.Dispose(); // after the file: harmless
        using IDisposable? lb = b.TryLock(0, 1, shared: false);
        Assert.NotNull(lb);
    }

    [Fact]
    public async Task Blocking_lock_waits_until_the_holder_releases()
    {
        string p = _dir.Patterned("w.bin", 100);
        using var a = MappedFile.Open(p, MapAccess.ReadWrite);
        using var b = MappedFile.Open(p, MapAccess.ReadWrite);
        IDisposable held = a.Lock(0, 10, shared: false);
        using var acquired = new ManualResetEventSlim();
        var waiter = Task.Run(() =>
        {
            using (b.Lock(0, 10, shared: false))
                acquired.Set();
        });
        Assert.False(acquired.Wait(300));
        held.Dispose();
        await waiter.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(acquired.IsSet);
    }

    [Fact]
    public void Locks_conflict_across_processes()
    {
        string p = _dir.Patterned("x.bin", 100);
        using var a = MappedFile.Open(p, MapAccess.ReadWrite);
        using (a.Lock(10, 10, shared: false))
        {
            Assert.Equal((0, "held"), Child.Run("try-lock", p, "15", "1"));
            Assert.Equal((0, "acquired"), Child.Run("try-lock", p, "20", "5"));
        }
        Assert.Equal((0, "acquired"), Child.Run("try-lock", p, "15", "1"));
    }

    [Fact]
    public void Lock_arguments_are_checked()
    {
        using var f = MappedFile.Open(_dir.Patterned("a.bin", 10), MapAccess.ReadWrite);
        Assert.Throws<ArgumentOutOfRangeException>(() => f.Lock(-1, 1, shared: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => f.TryLock(0, -1, shared: true));
    }
}
