using System.Buffers;
using System.Runtime.InteropServices;

namespace MmapKit.Tests;

/// <summary>
/// The child side of RaceTests (`race LIFETIME ACCESS DIR`, `stale DIR`): one lifetime operation
/// racing one access on another thread, over a file holding a known pattern. Exit code 0 and
/// "ok ..." on stdout when nothing crashed, every exception was a documented one and every byte
/// read or left on disk is right; 1 and the reason otherwise. The parent is the watchdog.
/// </summary>
internal static unsafe class RaceChild
{
    public static readonly string[] Lifetimes =
        { "dispose", "grow-in-place", "grow-move", "shrink", "unpin", "handle-dispose" };

    public static readonly string[] Accesses =
    {
        "read-bytes", "write-bytes", "read-t", "write-t", "span", "stream-read", "stream-write",
        "atomics", "view-atomics", "wait", "wake", "flush", "advise", "pin",
    };

    private const int FileLength = 64 * 1024; // the view never shrinks below Small
    private const int Small = 16 * 1024;      // accesses stay in [0, Small), but see "shrink"
    private const int Rounds = 12;

    internal static byte Pat(long i) => (byte)(i * 7 + 3);
    private static byte Pat2(long i) => (byte)(i * 13 + 101);

    private static void Fail(string why) => throw new RaceFailure(why);

    private sealed class RaceFailure(string m) : Exception(m);

    public static int Run(string lifetime, string access, string dir)
    {
        string path = Path.Combine(dir, $"race-{lifetime}-{access}.bin");
        File.WriteAllBytes(path, Enumerable.Range(0, FileLength).Select(i => Pat(i)).ToArray());
        var neighbours = new List<(MappedFile File, MappedView View, string Path)>();
        int lifetimeRefusals = 0, accessErrors = 0, accesses = 0;
        try
        {
            using var file = MappedFile.Open(path, MapAccess.ReadWrite);
            for (int round = 0; round < Rounds; round++)
            {
                MappedView view = lifetime switch
                {
                    "grow-in-place" => file.CreateView(0, Small, new MapOptions { Reserve = FileLength }),
                    "grow-move" => file.CreateView(0, Small),
                    _ => file.CreateView(),
                };
                Memory<byte> memory = view.AsMemory(0, Small);
                bool stop = false;
                Exception? accessFailure = null;
                var started = new ManualResetEventSlim();
                // Shrinking: accesses all over the view, so that some race the cut tail.
                int span = lifetime == "shrink" && access is not ("wait" or "pin") ? FileLength : Small;
                var accessor = new Thread(() =>
                {
                    var rng = new Random(round);
                    int at = 0;
                    started.Set();
                    try
                    {
                        do
                        {
                            try
                            {
                                at = rng.Next(span / 64 - 1) * 64;
                                Access(access, view, memory, at, ref stop);
                                Interlocked.Increment(ref accesses);
                            }
                            catch (ObjectDisposedException) when (view.IsDisposed)
                            {
                                Interlocked.Increment(ref accessErrors);
                                return;
                            }
                            catch (Exception e) when (lifetime == "shrink" && at + 64 > view.Length
                                && e is ArgumentOutOfRangeException or EndOfStreamException or NotSupportedException)
                            {
                                Interlocked.Increment(ref accessErrors); // the view shrank below it: right
                            }
                        } while (!Volatile.Read(ref stop));
                    }
                    catch (Exception e)
                    {
                        accessFailure = e;
                    }
                });
                accessor.Start();
                started.Wait();
                Thread.Sleep(1);
                lifetimeRefusals += Lifetime(lifetime, view, memory);
                if (lifetime == "dispose")
                {
                    // Map other files now: a stale access must never land in them.
                    string np = Path.Combine(dir, $"neighbour-{round}.bin");
                    File.WriteAllBytes(np, Enumerable.Range(0, FileLength).Select(i => Pat2(i)).ToArray());
                    var nf = MappedFile.Open(np, MapAccess.ReadWrite);
                    neighbours.Add((nf, nf.CreateView(), np));
                }
                Thread.Sleep(2);
                Volatile.Write(ref stop, true);
                byte[]? saved = access == "wait" ? WakeWaiter(view) : null;
                if (!accessor.Join(TimeSpan.FromSeconds(10))) Fail($"round {round}: the {access} thread hangs after {lifetime}");
                if (accessFailure is not null) Fail($"round {round}: {access} racing {lifetime}: {accessFailure}");
                if (saved is not null) view.WriteBytes(0, saved);
                if (!view.IsDisposed) CheckView(view);
                view.Dispose();
            }
            byte[] disk = TempDir.ReadAll(path);
            for (int i = 0; i < FileLength; i++)
                if (disk[i] != Pat(i)) Fail($"file byte {i} is {disk[i]}, not {Pat(i)}");
            foreach (var (_, nv, np) in neighbours)
            {
                var b = new byte[FileLength];
                nv.ReadBytes(0, b);
                byte[] nd = TempDir.ReadAll(np);
                for (int i = 0; i < FileLength; i++)
                    if (b[i] != Pat2(i) || nd[i] != Pat2(i)) Fail($"neighbour {np} byte {i} changed");
            }
            Console.WriteLine($"ok {lifetime} x {access}: {accesses} accesses, {accessErrors} refused (disposed or cut off), {lifetimeRefusals} lifetime calls refused");
            return 0;
        }
        catch (RaceFailure e)
        {
            Console.WriteLine("FAIL " + e.Message);
            return 1;
        }
        finally
        {
            foreach (var (nf, nv, _) in neighbours) { nv.Dispose(); nf.Dispose(); }
        }
    }

    // One lifetime operation; returns how many of its calls were refused the documented way.
    private static int Lifetime(string lifetime, MappedView view, Memory<byte> memory)
    {
        int refused = 0;
        void Resize(long n)
        {
            try { view.Resize(n); }
            catch (InvalidOperationException) { refused++; } // busy or fixed in place: documented
        }
        switch (lifetime)
        {
            case "dispose":
                view.Dispose();
                break;
            case "grow-in-place":
                for (int n = Small + 4096; n <= FileLength; n += 4096) Resize(n);
                break;
            case "grow-move":
                for (int n = Small + 4096; n <= FileLength; n += 4096) Resize(n);
                break;
            case "shrink":
                for (int n = FileLength - 4096; n >= Small; n -= 4096) Resize(n);
                break;
            case "unpin":
                if (!MemoryMarshal.TryGetMemoryManager<byte, MemoryManager<byte>>(memory, out var manager)) Fail("no manager");
                for (int i = 0; i < 50; i++)
                {
                    using (memory.Pin()) manager!.Unpin(); // one pin, two releases
                    manager!.Unpin();                      // and one without any pin
                }
                break;
            case "handle-dispose":
                for (int i = 0; i < 50; i++)
                {
                    MemoryHandle h = memory.Pin();
                    MemoryHandle copy = h;
                    h.Dispose();
                    copy.Dispose(); // a struct copy: must not release a second pin
                    copy.Dispose();
                }
                break;
            default:
                throw new ArgumentException("unknown lifetime " + lifetime);
        }
        if (lifetime is "unpin" or "handle-dispose" && view.IsDisposed) Fail("the view was closed by unpins");
        return refused;
    }

    private static void Expect(ReadOnlySpan<byte> got, long at, bool zerosOk, string what)
    {
        for (int i = 0; i < got.Length; i++)
            if (got[i] != Pat(at + i) && !(zerosOk && got[i] == 0))
                Fail($"{what} at {at + i}: {got[i]}, not {Pat(at + i)}");
    }

    private static long PatLong(long at)
    {
        long v = 0;
        for (int i = 7; i >= 0; i--) v = (v << 8) | Pat(at + i);
        return v;
    }

    // One access at `at` (a multiple of 64 below Small). Zeros are right only where the view may
    // have been disposed under a raw access: its range is then inert memory.
    private static void Access(string access, MappedView v, Memory<byte> memory, int at, ref bool stop)
    {
        Span<byte> buf = stackalloc byte[16];
        for (int i = 0; i < 16; i++) buf[i] = Pat(at + i);
        switch (access)
        {
            case "read-bytes":
                buf.Clear();
                v.ReadBytes(at, buf);
                Expect(buf, at, false, access);
                break;
            case "write-bytes":
                v.WriteBytes(at, buf);
                break;
            case "read-t":
            {
                long x = v.Read<long>(at);
                if (x != PatLong(at) && !(x == 0 && v.IsDisposed)) Fail($"Read<long>({at}) = {x:x}");
                break;
            }
            case "write-t":
                v.Write(at, PatLong(at));
                break;
            case "span":
            {
                Span<byte> s = v.AsSpan(at, 64);
                for (int k = 0; k < 200; k++) // keep using it: it may go stale meanwhile
                {
                    Expect(s, at, true, access);
                    s[k % 64] = Pat(at + k % 64);
                }
                break;
            }
            case "stream-read":
            {
                using Stream st = v.AsStream();
                st.Position = at;
                buf.Clear();
                st.ReadExactly(buf);
                Expect(buf, at, false, access);
                break;
            }
            case "stream-write":
            {
                using Stream st = v.AsStream();
                st.Position = at;
                st.Write(buf);
                break;
            }
            case "atomics":
            {
                long x = v.InterlockedAdd(at, 0L);
                v.CompareExchange(at, x, x);
                if (x != PatLong(at) && !(x == 0 && v.IsDisposed)) Fail($"InterlockedAdd({at}) = {x:x}");
                break;
            }
            case "view-atomics":
            {
                ViewAtomics a = v.Atomics;
                for (int k = 0; k < 200; k++)
                {
                    long x = a.InterlockedAdd(at, 0L);
                    if (x != PatLong(at) && x != 0) Fail($"ViewAtomics.InterlockedAdd({at}) = {x:x}");
                }
                break;
            }
            case "wait":
            {
                // Sleeps until WakeWaiter changes the word through the view as it is then.
                int expected = (int)PatLong(at & ~63);
                if (!v.Wait(at & ~63, expected, Timeout.InfiniteTimeSpan)) Fail("Wait(Infinite) returned false");
                Volatile.Write(ref stop, true);
                break;
            }
            case "wake":
                v.Wake(at, 1);
                break;
            case "flush":
                v.Flush(0, Small, at % 1024 == 0 ? FlushMode.Sync : FlushMode.Async);
                break;
            case "advise":
                v.Advise(at % 128 == 0 ? Advice.WillNeed : Advice.Normal, 0, Small);
                break;
            case "pin":
            {
                using MemoryHandle h = memory.Slice(at, 16).Pin();
                Expect(new ReadOnlySpan<byte>(h.Pointer, 16), at, false, access);
                break;
            }
            default:
                throw new ArgumentException("unknown access " + access);
        }
    }

    // The waiter of "wait" sleeps on some word at a multiple of 64: change them all (through
    // the view as it is now) and wake; returns what to restore once the waiter has left.
    private static byte[]? WakeWaiter(MappedView v)
    {
        if (v.IsDisposed) return null; // the waiter must leave with ObjectDisposedException by itself
        var saved = new byte[Small];
        v.ReadBytes(0, saved);
        var changed = (byte[])saved.Clone();
        for (int i = 0; i < Small; i += 64) changed[i] ^= 0xFF;
        v.WriteBytes(0, changed);
        for (int i = 0; i < Small; i += 64) v.Wake(i, int.MaxValue);
        return saved;
    }

    private static void CheckView(MappedView v)
    {
        var b = new byte[Small];
        v.ReadBytes(0, b);
        Expect(b, 0, false, "view after the race");
    }

    /// <summary>
    /// `stale DIR`: a span, a pointer, Read&lt;T&gt;, InterlockedAdd and a ViewAtomics obtained
    /// before Dispose and used after it (with other files mapped meanwhile, so a freed range
    /// would be reused): zeros or an ObjectDisposedException, never a crash or another file's bytes.
    /// </summary>
    public static int Stale(string dir)
    {
        string path = Path.Combine(dir, "stale.bin");
        File.WriteAllBytes(path, Enumerable.Range(0, FileLength).Select(i => Pat(i)).ToArray());
        var others = new List<(MappedFile, MappedView, string)>();
        using var f = MappedFile.Open(path, MapAccess.ReadWrite);
        var v = f.CreateView();
        Span<byte> span = v.AsSpan(0, 4096);
        byte* p = (byte*)v.Pointer;
        ViewAtomics atomics = v.Atomics;
        if (v.Read<long>(8) != PatLong(8) || v.InterlockedAdd(8, 0L) != PatLong(8)) Fail("wrong bytes before Dispose");
        v.Dispose();
        for (int i = 0; i < 32; i++)
        {
            string op = Path.Combine(dir, $"other-{i}.bin");
            File.WriteAllBytes(op, Enumerable.Range(0, FileLength).Select(k => Pat2(k)).ToArray());
            var of = MappedFile.Open(op, MapAccess.ReadWrite);
            others.Add((of, of.CreateView(), op));
        }
        if (span.ContainsAnyExcept((byte)0)) Fail("a stale span reads non-zero bytes");
        span.Fill(0xEE);
        if (p[100] != 0xEE && p[100] != 0) Fail("a stale pointer reads a stranger's byte");
        p[200] = 0xEE;
        if (atomics.InterlockedAdd(8192, 1L) != 1 || atomics.VolatileRead<long>(8192) != 1) Fail("stale ViewAtomics");
        try { v.Read<long>(8); Fail("Read<T> after Dispose did not throw"); } catch (ObjectDisposedException) { }
        try { v.InterlockedAdd(8, 1L); Fail("InterlockedAdd after Dispose did not throw"); } catch (ObjectDisposedException) { }
        foreach (var (of, ov, op) in others)
        {
            var b = TempDir.ReadAll(op);
            var m = new byte[FileLength];
            ov.ReadBytes(0, m);
            for (int i = 0; i < FileLength; i++)
                if (b[i] != Pat2(i) || m[i] != Pat2(i)) Fail($"{op} byte {i} changed by a stale access");
            ov.Dispose();
            of.Dispose();
        }
        byte[] disk = TempDir.ReadAll(path);
        for (int i = 0; i < FileLength; i++)
            if (disk[i] != Pat(i)) Fail($"stale writes reached the disposed view's file at {i}");
        Console.WriteLine("ok stale");
        return 0;
    }

    /// <summary>`inert-cost DIR N`: what N fixed views leave after Dispose (kernel mappings, address space).</summary>
    public static int InertCost(string dir, int n)
    {
        string path = Path.Combine(dir, "cost.bin");
        File.WriteAllBytes(path, new byte[FileLength]);
        static (int Maps, long VmKb) Now() => (File.ReadLines("/proc/self/maps").Count(),
            long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmSize:"))[7..].Trim().Split(' ')[0]));
        using var f = MappedFile.Open(path, MapAccess.ReadWrite);
        var before = Now();
        for (int i = 0; i < n; i++)
        {
            using var v = f.CreateView();
            _ = v.Read<byte>(0);
        }
        var fixedViews = Now();
        for (int i = 0; i < n; i++)
        {
            using var v = f.CreateView();
            v.ReadBytes(0, new byte[1]);
        }
        var after = Now();
        Console.WriteLine($"ok {n} fixed views: +{fixedViews.Maps - before.Maps} mappings, +{fixedViews.VmKb - before.VmKb} KiB address space; " +
                          $"{n} copy-only views: +{after.Maps - fixedViews.Maps} mappings, +{after.VmKb - fixedViews.VmKb} KiB");
        return 0;
    }
}
