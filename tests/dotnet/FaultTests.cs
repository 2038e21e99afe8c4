using Xunit;

namespace MmapKit.Tests;

/// <summary>
/// A file truncated under a live view: the fault-safe copies throw IOException and the
/// process survives (the core's SIGBUS handler chains to the .NET runtime's).
/// </summary>
public sealed class FaultTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Truncated_file_gives_IOException_from_fault_safe_methods_and_process_survives()
    {
        const int page = 4096;
        string p = _dir.Patterned("trunc.bin", 4 * page);
        using var f = MappedFile.Open(p, MapAccess.ReadWrite);
        using var v = f.CreateView();
        using (var other = new FileStream(p, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
            other.SetLength(page);

        var buf = new byte[100];
        var e = Assert.Throws<IOException>(() => v.ReadBytes(2 * page, buf));
        Assert.Equal("MMK_EIO", e.Data["mmapkit.status"]);
        Assert.Throws<IOException>(() => v.ReadBytes(page - 50, buf));
        Assert.Throws<IOException>(() => v.WriteBytes(3 * page, buf));
        using (Stream s = v.AsStream())
        {
            s.Position = 2 * page;
            Assert.Throws<IOException>(() => s.Read(buf));
            s.Position = 0;
            Assert.Throws<IOException>(() => s.CopyTo(Stream.Null));
        }

        // The part still backed by the file keeps working.
        v.ReadBytes(0, buf);
        Assert.Equal(TempDir.Pattern(4 * page).AsSpan(0, 100).ToArray(), buf);
        v.WriteBytes(10, new byte[] { 1, 2, 3 });
        Assert.Equal(2, v.Read<byte>(11));

        // Growing the file back makes the range readable again (zeros).
        f.SetLength(4 * page);
        v.ReadBytes(2 * page, buf);
        Assert.All(buf, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Fault_in_one_thread_does_not_disturb_another()
    {
        const int page = 4096;
        string p = _dir.Patterned("mt.bin", 8 * page);
        using var f = MappedFile.Open(p, MapAccess.ReadWrite);
        using var v = f.CreateView();
        f.SetLength(2 * page);
        int faults = 0;
        Parallel.For(0, 64, i =>
        {
            var b = new byte[16];
            if (i % 2 == 0)
            {
                try { v.ReadBytes(5 * page, b); }
                catch (IOException) { Interlocked.Increment(ref faults); }
            }
            else
            {
                v.ReadBytes(page, b);
                Assert.Equal(TempDir.Pattern(8 * page).AsSpan(page, 16).ToArray(), b);
            }
        });
        Assert.Equal(32, faults);
    }

    private sealed class Box { public int Value = 1; }

    [Fact]
    public void Runtime_signal_handling_still_works_after_the_core_installs_its_handler()
    {
        using var f = MappedFile.CreateAnonymous(4096);
        using var v = f.CreateView(); // mapping installs (or re-installs) the core's handler
        Box? box = null;
        // The runtime turns this null dereference into a NullReferenceException via its own
        // signal handler: the core must leave that path (or chain to it) intact.
        Assert.Throws<NullReferenceException>(() => box!.Value);
        Assert.Throws<DivideByZeroException>(() => { int zero = v.Read<int>(0); return 1 / zero; });
    }
}
