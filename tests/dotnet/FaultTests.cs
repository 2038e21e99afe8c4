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

    [NotOnWindowsFact("Windows refuses to truncate a file under a mapped view (ERROR_USER_MAPPED_FILE); the C suite fault-win32 tests the guard")]
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

    [NotOnWindowsFact("the shrink under a live view is refused on Windows (ERROR_USER_MAPPED_FILE); the C suite fault-win32 tests the guard")]
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

    /// <summary>
    /// Issue 11.13: a SIGBUS handler installed after mapping that just returns makes a small
    /// fault-safe access that faults spin in it. With the watchdog thread off (the variable is
    /// read at the child's first map) only InstallFaultGuard puts the guard back.
    /// </summary>
    [NotOnWindowsFact("POSIX signal handlers (libc signal); the Windows guard is a vectored handler first in the chain")]
    public async Task InstallFaultGuard_puts_the_guard_back_over_a_later_returning_handler()
    {
        var psi = new System.Diagnostics.ProcessStartInfo(Child.DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(typeof(Child).Assembly.Location);
        psi.ArgumentList.Add("guard-install");
        psi.ArgumentList.Add(_dir.Patterned("guard.bin", 4 * 4096));
        psi.Environment["MMAPKIT_GUARD_WATCH_MS"] = "0";
        using var p = System.Diagnostics.Process.Start(psi)!;
        Task<string> output = p.StandardOutput.ReadToEndAsync();
        Task<string> error = p.StandardError.ReadToEndAsync();
        bool done = true;
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            try { await p.WaitForExitAsync(limit.Token); }
            catch (OperationCanceledException) { done = false; p.Kill(entireProcessTree: true); }
        }
        await p.WaitForExitAsync();
        string stdout = await output, report = $"exit code {p.ExitCode}\n{stdout}\n{await error}";
        Assert.True(done, "child spins in the later handler: " + report);
        Assert.True(p.ExitCode == 0, report);
        Assert.Contains("IOException ReadBytes", stdout);
        Assert.Contains("IOException WriteBytes", stdout);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "signal")]
    private static extern IntPtr SetSignal(int sig, IntPtr handler);

    internal static int GuardInstallChild(string path)
    {
        const int page = 4096, SIGBUS = 7;
        using var f = MappedFile.Open(path, MapAccess.ReadWrite);
        using var v = f.CreateView();
        using (var other = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
            other.SetLength(page);
        // libc's getpid as the handler: native, returns at once, ignores the signal number.
        IntPtr libc = System.Runtime.InteropServices.NativeLibrary.Load("libc.so.6");
        SetSignal(SIGBUS, System.Runtime.InteropServices.NativeLibrary.GetExport(libc, "getpid"));
        MappedFile.InstallFaultGuard();
        try { v.ReadBytes(2 * page, new byte[8]); Console.WriteLine("no exception ReadBytes"); }
        catch (IOException) { Console.WriteLine("IOException ReadBytes"); }
        try { v.WriteBytes(3 * page, new byte[] { 1 }); Console.WriteLine("no exception WriteBytes"); }
        catch (IOException) { Console.WriteLine("IOException WriteBytes"); }
        return 0;
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
