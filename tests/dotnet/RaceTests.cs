using Xunit;

namespace MmapKit.Tests;

/// <summary>
/// Every lifetime operation (Dispose, Resize in place / with a move / shrinking, extra Unpin,
/// disposed MemoryHandle copies) racing every access on another thread, each pair in its own
/// child process under a watchdog (RaceChild): no crash, no hang, only documented exceptions,
/// right bytes in the view, the file and any file mapped after a Dispose.
/// </summary>
public sealed class RaceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string, string> Pairs()
    {
        var pairs = new TheoryData<string, string>();
        foreach (string lifetime in RaceChild.Lifetimes)
            foreach (string access in RaceChild.Accesses)
                pairs.Add(lifetime, access);
        return pairs;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Lifetime_operation_racing_an_access_neither_crashes_nor_hangs_nor_corrupts(string lifetime, string access)
    {
        var (code, output, error) = Child.RunWithin(TimeSpan.FromSeconds(45), "race", lifetime, access, _dir.Path);
        Assert.True(code == 0 && output.StartsWith("ok", StringComparison.Ordinal),
            $"{lifetime} x {access}: exit code {code}\n{output}\n{error}");
    }

    [Fact]
    public void Span_pointer_typed_access_and_atomics_used_after_Dispose_never_crash_or_reach_another_file()
    {
        var (code, output, error) = Child.RunWithin(TimeSpan.FromSeconds(45), "stale", _dir.Path);
        Assert.True(code == 0 && output == "ok stale", $"exit code {code}\n{output}\n{error}");
    }

    /// <summary>
    /// FromStream racing another thread that disposes the stream and opens another file (which
    /// takes the freed number): every MappedFile that comes back maps the stream's own file
    /// (its length and bytes), every refusal is ObjectDisposedException.
    /// </summary>
    [Fact]
    public void FromStream_racing_the_streams_Dispose_and_the_numbers_reuse_never_maps_a_stranger()
    {
        string a = _dir.Patterned("a.bin", 8192);
        string b = _dir.File("b.bin");
        File.WriteAllBytes(b, new byte[12288]);
        byte[] want = TempDir.Pattern(8192);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(1.5);
        int ok = 0, disposed = 0, rounds = 0;
        while (DateTime.UtcNow < until || ok == 0 || disposed == 0)
        {
            Assert.True(++rounds < 100_000, $"{rounds} rounds: {ok} mapped, {disposed} disposed");
            var fs = new FileStream(a, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            FileStream? other = null;
            int spin = Random.Shared.Next(200_000);
            var closer = new Thread(() =>
            {
                var t = System.Diagnostics.Stopwatch.StartNew();
                while (t.Elapsed.Ticks * 100 < spin) Thread.SpinWait(1);
                fs.Dispose();
                other = new FileStream(b, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            });
            closer.Start();
            try
            {
                using var f = MappedFile.FromStream(fs, MapAccess.Read);
                using var v = f.CreateView();
                Assert.Equal(want.Length, f.Length);
                Assert.Equal(want, v.ReadBytes(0, want.Length));
                ok++;
            }
            catch (ObjectDisposedException)
            {
                disposed++;
            }
            closer.Join();
            other!.Dispose();
        }
        Console.WriteLine($"FromStream racing Dispose: {rounds} rounds, {ok} mapped, {disposed} disposed");
    }
}

