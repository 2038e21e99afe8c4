using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Xunit;

namespace MmapKit.Tests;

/// <summary>A private temporary directory per test class instance, removed afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("mmapkit-dotnet-").FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>A file of <paramref name="length"/> bytes where byte i is (byte)(i * 7 + 3).</summary>
    public string Patterned(string name, int length)
    {
        string p = File(name);
        System.IO.File.WriteAllBytes(p, Pattern(length));
        return p;
    }

    /// <summary>
    /// The file's bytes, read while mmapkit may hold it open for writing: Windows
    /// refuses File.ReadAllBytes (FileShare.Read) then; Linux ignores share modes.
    /// </summary>
    public static byte[] ReadAll(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read,
                                      FileShare.ReadWrite | FileShare.Delete);
        var b = new byte[fs.Length];
        fs.ReadExactly(b);
        return b;
    }

    public static byte[] Pattern(int length)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte)(i * 7 + 3);
        return b;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Unique shared-memory names, unlinked at the end of the test.</summary>
public sealed class ShmNames : IDisposable
{
    private readonly List<string> _names = new();

    public string New([CallerMemberName] string test = "")
    {
        string name = $"mmk-net-{Environment.ProcessId}-{_names.Count}-{Guid.NewGuid():N}"[..40];
        _names.Add(name);
        return name;
    }

    public void Dispose()
    {
        foreach (string n in _names) MappedFile.DeleteShared(n);
    }
}

/// <summary>Runs this test assembly again as a child process (see Program.Main).</summary>
public static class Child
{
    public static string DotnetHost
    {
        get
        {
            string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(host) && System.IO.File.Exists(host)) return host;
            string? self = Environment.ProcessPath;
            if (self is not null && System.IO.Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
            return "dotnet";
        }
    }

    public static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(typeof(Child).Assembly.Location);
        foreach (string a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start the child process");
    }

    /// <summary>Runs the child to completion; returns (exit code, stdout). Fails after 60 s.</summary>
    public static (int Code, string Output) Run(params string[] args)
    {
        var (code, output, err) = RunWithin(TimeSpan.FromSeconds(60), args);
        if (err.Length > 0) Console.Error.WriteLine("child stderr: " + err);
        return (code, output);
    }

    /// <summary>Runs the child under a watchdog: killed and a TimeoutException after <paramref name="limit"/>.</summary>
    public static (int Code, string Output, string Error) RunWithin(TimeSpan limit, params string[] args)
    {
        using Process p = Start(args);
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(limit))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"child process hangs after {limit.TotalSeconds} s: " + string.Join(' ', args));
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result.Trim(), stderr.Result.Trim());
    }
}

/// <summary>
/// The emulator running the suite (MMK_TEST_EMULATOR, set by scripts/test-arm64.sh for its
/// qemu-aarch64 run), or null on a real machine. Only for what the emulator itself does not
/// reproduce, each with its reason.
/// </summary>
public static class Emulator
{
    public static string? Name => Environment.GetEnvironmentVariable("MMK_TEST_EMULATOR");

    /// <summary>Skips the rest of the running test under emulation. Only the emulated run's
    /// xunit.v3 can skip at run time (MMK_XUNIT_V3); the host suite is never emulated.</summary>
    public static void SkipRest(string reason)
    {
#if MMK_XUNIT_V3
        if (Name is { } name) Xunit.Assert.Skip($"{name}: {reason}");
#endif
    }
}

/// <summary>What the platform the suite runs on can be asked.</summary>
public static class Platform
{
    /// <summary>Wine, which runs the win-x64 suite here (scripts/test-windows-dotnet.sh).</summary>
    public static bool IsWine { get; } = OperatingSystem.IsWindows() &&
        NativeLibrary.TryLoad("ntdll.dll", out IntPtr ntdll) &&
        NativeLibrary.TryGetExport(ntdll, "wine_get_version", out _);

    /// <summary>HResult of an IOException for an OS error: errno on Linux, HRESULT_FROM_WIN32 on Windows.</summary>
    public static int HResult(int linuxErrno, int win32Error) =>
        OperatingSystem.IsWindows() ? unchecked((int)0x80070000) | win32Error : linuxErrno;
}

// Skips are declared, never thrown: under Wine an exception leaving a test
// method must not cross the runtime's native invoke frame (see
// tests/windows/dotnet), so Assert.Skip is not used. Each names its reason.

/// <summary>A [Fact] that is skipped on Windows, for the reason given.</summary>
public sealed class NotOnWindowsFactAttribute : FactAttribute
{
    public NotOnWindowsFactAttribute(string reason)
    {
        if (OperatingSystem.IsWindows()) Skip = "not on Windows: " + reason;
    }
}

/// <summary>A [Theory] that is skipped on Windows, for the reason given.</summary>
public sealed class NotOnWindowsTheoryAttribute : TheoryAttribute
{
    public NotOnWindowsTheoryAttribute(string reason)
    {
        if (OperatingSystem.IsWindows()) Skip = "not on Windows: " + reason;
    }
}

/// <summary>A [Fact] that is skipped under Wine (real Windows runs it), for the reason given.</summary>
public sealed class NotUnderWineFactAttribute : FactAttribute
{
    public NotUnderWineFactAttribute(string reason)
    {
        if (Platform.IsWine) Skip = "not under Wine: " + reason;
    }
}

/// <summary>A [Theory] that is skipped under Wine (real Windows runs it), for the reason given.</summary>
public sealed class NotUnderWineTheoryAttribute : TheoryAttribute
{
    public NotUnderWineTheoryAttribute(string reason)
    {
        if (Platform.IsWine) Skip = "not under Wine: " + reason;
    }
}
