// Linux-only APIs (Unix file modes) are called by tests that Windows skips
// (NotOnWindowsFact); the analyzer sees Linux as the platform.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace MmapKit.Tests;

/// <summary>
/// The child-process side of the cross-process tests: the test assembly run as
/// `dotnet exec MmapKit.Tests.dll COMMAND ARGS...`. Prints its result on stdout;
/// the exit code is 0 on success.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            switch (args[0])
            {
                // Reads the long at 0 of a shared object and writes it + 1 at 8.
                case "shm-increment":
                {
                    using var f = MappedFile.OpenShared(args[1]);
                    using var v = f.CreateView();
                    long x = v.Read<long>(0);
                    v.Write(8, x + 1);
                    Console.WriteLine(x);
                    return 0;
                }
                // Tries an exclusive lock on a range of a file: prints "acquired" or "held".
                case "try-lock":
                {
                    using var f = MappedFile.Open(args[1], MapAccess.ReadWrite);
                    using IDisposable? l = f.TryLock(long.Parse(args[2]), long.Parse(args[3]), shared: false);
                    Console.WriteLine(l is null ? "held" : "acquired");
                    return 0;
                }
                // Waits (up to 30 s) until the int at args[2] of a shared object differs
                // from args[3], then prints the new value.
                case "wait":
                {
                    using var f = MappedFile.OpenShared(args[1]);
                    using var v = f.CreateView();
                    long off = long.Parse(args[2]);
                    int expected = int.Parse(args[3]);
                    v.VolatileWrite(off + 4, 1); // "I am about to wait"
                    v.Wake(off + 4, int.MaxValue);
                    bool changed = v.Wait(off, expected, TimeSpan.FromSeconds(30));
                    Console.WriteLine(changed ? v.VolatileRead<int>(off).ToString() : "timeout");
                    return changed ? 0 : 2;
                }
                // Adds 1 to the long at args[2], args[3] times, with InterlockedAdd.
                case "add":
                {
                    using var f = MappedFile.OpenShared(args[1]);
                    using var v = f.CreateView();
                    long off = long.Parse(args[2]);
                    int n = int.Parse(args[3]);
                    for (int i = 0; i < n; i++) v.InterlockedAdd(off, 1L);
                    Console.WriteLine("done");
                    return 0;
                }
                // One lifetime operation racing one access (RaceTests).
                case "race":
                    return RaceChild.Run(args[1], args[2], args[3]);
                case "stale":
                    return RaceChild.Stale(args[1]);
                // ns per call of small copies and typed access (by hand: old vs new package).
                case "bench-small":
                {
                    using var f = MappedFile.CreateAnonymous(1 << 16);
                    using var v = f.CreateView();
                    var buf = new byte[16];
                    long sum = 0;
                    double Ns(Action a, int n)
                    {
                        a();
                        var sw = System.Diagnostics.Stopwatch.StartNew();
                        for (int i = 0; i < n; i++) a();
                        return sw.Elapsed.TotalNanoseconds / n;
                    }
                    for (int rep = 0; rep < 3; rep++)
                    {
                        double rb = Ns(() => v.ReadBytes(64, buf), 2_000_000);
                        double wb = Ns(() => v.WriteBytes(64, buf), 2_000_000);
                        double rt = Ns(() => { for (int k = 0; k < 100; k++) sum += v.Read<long>(k * 8); }, 200_000) / 100;
                        double ia = Ns(() => { for (int k = 0; k < 100; k++) sum += v.InterlockedAdd(k * 8, 1L); }, 20_000) / 100;
                        Console.WriteLine($"ReadBytes(16) {rb:F1} ns, WriteBytes(16) {wb:F1} ns, Read<long> {rt:F2} ns, InterlockedAdd {ia:F2} ns");
                    }
                    return sum == 42 ? 1 : 0;
                }
                case "inert-cost":
                    return RaceChild.InertCost(args[1], int.Parse(args[2]));
                // A SIGBUS in managed code (FaultReportTests): must die with the runtime's report.
                case "sigbus":
                    return FaultReportChild.Run(args[1], args[2], args[3] == "load");
                // A later SIGBUS handler that just returns, then InstallFaultGuard (FaultTests).
                case "guard-install":
                    return FaultTests.GuardInstallChild(args[1]);
                default:
                    Console.Error.WriteLine("unknown command " + args[0]);
                    return 64;
            }
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(e);
            return 1;
        }
    }
}
