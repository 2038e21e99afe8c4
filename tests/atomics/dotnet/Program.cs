// .NET side of the cross-language atomics tests and benchmarks.
//
//   dotnet AtomicsWorker.dll ROLE NAME ARGS...
//
// Layouts and roles: ../LAYOUT.md. Prints one JSON object on its last stdout
// line; on a failed check prints FAIL: ... to stderr and exits 1.

using System.Diagnostics;
using System.Globalization;
using MmapKit;

internal static unsafe class Program
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static void Fail(string msg)
    {
        Console.Error.WriteLine("FAIL: dotnet: " + msg);
        Console.Error.Flush();
        Environment.Exit(1);
    }

    private static ulong ItemValue(ulong i) => unchecked(i * Golden + 12345);

    private static MappedView OpenView(string name)
    {
        using var f = MappedFile.OpenShared(name);
        return f.CreateView(); // the view outlives the file handle
    }

    private static string F(double d) => d.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Sleeps on the int at off until it is no longer notThis.</summary>
    private static int WaitWhile(MappedView v, long off, int notThis, string what)
    {
        var sw = Stopwatch.StartNew();
        for (; ; )
        {
            int cur = v.VolatileRead<int>(off);
            if (cur != notThis) return cur;
            TimeSpan left = Deadline - sw.Elapsed;
            if (left <= TimeSpan.Zero) Fail($"timed out waiting for {what} (word at {off} is {cur})");
            v.Wait(off, cur, left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
        }
    }

    // ---- counter ---------------------------------------------------------

    /// <summary>All workers start together: the last to arrive opens the gate.</summary>
    private static void StartGate(MappedView v, int procs)
    {
        if (v.InterlockedAdd(0, 1) == procs) // the new value
        {
            v.VolatileWrite(4, 1);
            v.Wake(4, int.MaxValue);
        }
        else
        {
            WaitWhile(v, 4, 0, "the start gate");
        }
    }

    private static string Counter(MappedView v, int id, int procs, int ops)
    {
        StartGate(v, procs);
        long prev = -1, first = -1;
        var sw = Stopwatch.StartNew();
        for (int k = 0; k < ops; k++)
        {
            long old = v.InterlockedAdd(8, 1L) - 1; // InterlockedAdd returns the new value
            v.InterlockedAdd(16, 1);
            if (old <= prev) Fail($"fetch-add went backwards: {old} after {prev}");
            if (first < 0) first = old;
            prev = old;
        }
        double s = sw.Elapsed.TotalSeconds;
        return $"{{\"lang\": \"dotnet\", \"id\": {id}, \"ops\": {ops}, \"first_old\": {first}, \"last_old\": {prev}, \"seconds\": {F(s)}}}";
    }

    // ---- spin lock -------------------------------------------------------

    private const long Lock = 64, Plain = 72, Rec = 128;
    private const int Words = 16;

    private static string SpinLock(MappedView v, int id, int procs, int iters)
    {
        StartGate(v, procs);
        long token = id + 1, torn = 0, spins = 0, foreign = 0;
        for (int k = 0; k < iters; k++)
        {
            int n = 0;
            while (v.CompareExchange(Lock, token, 0L) != 0)
            {
                if (++n % 16 == 0) Thread.Yield();
            }
            spins += n;
            if (k % 2 == 0)
            {
                long val = ((long)id << 40) | (long)k;
                for (int w = 0; w < Words; w++) v.Write(Rec + 8L * w, val);
            }
            else
            {
                long w0 = v.Read<long>(Rec);
                bool ok = true;
                for (int w = 1; w < Words; w++)
                {
                    if (v.Read<long>(Rec + 8L * w) != w0) { torn++; ok = false; break; }
                }
                if (ok && w0 != 0 && (w0 >> 40) != id) foreign++; // written by another process
            }
            v.Write(Plain, v.Read<long>(Plain) + 1);
            v.VolatileWrite(Lock, 0L);
        }
        if (torn != 0) Fail($"{torn} torn records seen inside the lock");
        return $"{{\"lang\": \"dotnet\", \"id\": {id}, \"iters\": {iters}, \"torn\": 0, \"spins\": {spins}, \"foreign\": {foreign}}}";
    }

    // ---- ring --------------------------------------------------------------

    private const long Head = 0, Tail = 8, HSeq = 16, TSeq = 20, CWait = 24, PWait = 28, Ready = 32, Slots = 64;
    private const int Cap = 64;

    /// <summary>One sleep of the ring protocol (see worker.py's sleep_on: no lost wake).</summary>
    private static int SleepOn(MappedView v, long seqOff, long waitingOff, Func<bool> stillBlocked, string what, Stopwatch sw)
    {
        int seq = v.VolatileRead<int>(seqOff);
        v.InterlockedAdd(waitingOff, 1);
        try
        {
            if (!stillBlocked()) return 0;
            TimeSpan left = Deadline - sw.Elapsed;
            if (left <= TimeSpan.Zero) Fail("timed out waiting for " + what);
            v.Wait(seqOff, seq, left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
            return 1;
        }
        finally
        {
            v.InterlockedAdd(waitingOff, -1);
        }
    }

    private static void Notify(MappedView v, long seqOff, long waitingOff)
    {
        v.InterlockedAdd(seqOff, 1);
        if (v.InterlockedAdd(waitingOff, 0) != 0) v.Wake(seqOff, 1);
    }

    private static string RingWriter(MappedView v, long n1, int idleMs, long n2)
    {
        WaitWhile(v, Ready, 0, "the reader to be ready");
        long sleeps = 0;
        ulong checksum = 0;
        var sw = Stopwatch.StartNew();

        void Send(long lo, long hi)
        {
            for (long i = lo; i < hi; i++)
            {
                while (i - v.VolatileRead<long>(Tail) >= Cap)
                    sleeps += SleepOn(v, TSeq, PWait, () => i - v.VolatileRead<long>(Tail) >= Cap, "ring space", sw);
                ulong val = ItemValue((ulong)i);
                long slot = Slots + 16L * (i % Cap);
                v.Write(slot, (ulong)i);
                v.Write(slot + 8, val);
                checksum = unchecked(checksum + val);
                v.VolatileWrite(Head, i + 1);
                Notify(v, HSeq, CWait);
            }
        }

        Send(0, n1);
        while (v.VolatileRead<long>(Tail) != n1)
            sleeps += SleepOn(v, TSeq, PWait, () => v.VolatileRead<long>(Tail) != n1, "the reader to drain", sw);
        Console.WriteLine("IDLE");
        Console.Out.Flush();
        Thread.Sleep(idleMs);
        sw.Restart();
        Send(n1, n1 + n2);
        return $"{{\"lang\": \"dotnet\", \"role\": \"writer\", \"sent\": {n1 + n2}, \"checksum\": {checksum}, \"sleeps\": {sleeps}}}";
    }

    private static string RingReader(MappedView v, long total)
    {
        long sleeps = 0, bad = 0;
        ulong checksum = 0;
        v.VolatileWrite(Ready, 1);
        v.Wake(Ready, int.MaxValue);
        var sw = Stopwatch.StartNew();
        long i = 0;
        while (i < total)
        {
            long head = v.VolatileRead<long>(Head);
            if (head == i)
            {
                long j = i;
                sleeps += SleepOn(v, HSeq, CWait, () => v.VolatileRead<long>(Head) == j, $"item {i}", sw);
                continue;
            }
            for (; i < head; i++)
            {
                long slot = Slots + 16L * (i % Cap);
                ulong idx = v.Read<ulong>(slot), val = v.Read<ulong>(slot + 8);
                if (idx != (ulong)i || val != ItemValue((ulong)i))
                {
                    if (++bad < 5) Console.Error.WriteLine($"bad item at {i}: index {idx}, value {val:x}");
                }
                checksum = unchecked(checksum + val);
            }
            v.VolatileWrite(Tail, i);
            Notify(v, TSeq, PWait);
        }
        if (bad != 0) Fail($"{bad} items out of order or corrupt");
        return $"{{\"lang\": \"dotnet\", \"role\": \"reader\", \"received\": {total}, \"checksum\": {checksum}, \"sleeps\": {sleeps}}}";
    }

    // ---- ping-pong -----------------------------------------------------------

    private const long PP = 256;

    private static void AwaitChange(MappedView v, int x)
    {
        while (v.VolatileRead<int>(PP) == x)
        {
            if (!v.Wait(PP, x, Deadline)) Fail($"ping-pong peer silent (word {x})");
        }
    }

    private static void PingRun(MappedView v, bool a, int lo, int hi)
    {
        if (a)
        {
            for (int i = lo; i < hi; i++)
            {
                v.VolatileWrite(PP, 2 * i + 1);
                v.Wake(PP, 1);
                AwaitChange(v, 2 * i + 1);
            }
        }
        else
        {
            for (int i = lo; i < hi; i++)
            {
                AwaitChange(v, 2 * i);
                v.VolatileWrite(PP, 2 * i + 2);
                v.Wake(PP, 1);
            }
        }
    }

    private static string PingPong(MappedView v, string side, int warm, int rounds)
    {
        bool a = side == "a";
        PingRun(v, a, 0, warm);
        var sw = Stopwatch.StartNew();
        PingRun(v, a, warm, warm + rounds);
        double us = sw.Elapsed.TotalMilliseconds * 1000 / rounds;
        if (a && v.VolatileRead<int>(PP) != 2 * (warm + rounds)) Fail($"ping-pong ended at {v.VolatileRead<int>(PP)}");
        return $"{{\"lang\": \"dotnet\", \"side\": \"{side}\", \"rounds\": {rounds}, \"us_per_round_trip\": {F(us)}}}";
    }

    // ---- documented errors and timeouts ---------------------------------------

    private static int s_checks;

    private static void Expect<TEx>(Action op, string what) where TEx : Exception
    {
        try
        {
            op();
        }
        catch (Exception e)
        {
            // Exact type: ArgumentOutOfRangeException is also an ArgumentException.
            if (e.GetType() == typeof(TEx)) { s_checks++; return; }
            Fail($"{what}: expected {typeof(TEx).Name}, got {e.GetType().Name}: {e.Message}");
        }
        Fail($"{what}: expected {typeof(TEx).Name}, nothing thrown");
    }

    private static string Checks(string name)
    {
        using (var v = OpenView(name))
        {
            long size = v.Length;
            foreach (long off in new long[] { 513, 514, 518 })
            {
                Expect<ArgumentException>(() => v.VolatileRead<int>(off), $"VolatileRead<int> {off}");
                Expect<ArgumentException>(() => v.VolatileWrite(off, 1), $"VolatileWrite<int> {off}");
                Expect<ArgumentException>(() => v.InterlockedAdd(off, 1), $"InterlockedAdd(int) {off}");
                Expect<ArgumentException>(() => v.CompareExchange(off, 1, 0), $"CompareExchange(int) {off}");
                Expect<ArgumentException>(() => v.Wait(off, 0, TimeSpan.Zero), $"Wait {off}");
                Expect<ArgumentException>(() => v.Wake(off, 1), $"Wake {off}");
            }
            foreach (long off in new long[] { 516, 519 })
            {
                Expect<ArgumentException>(() => v.VolatileRead<long>(off), $"VolatileRead<long> {off}");
                Expect<ArgumentException>(() => v.VolatileWrite(off, 1L), $"VolatileWrite<long> {off}");
                Expect<ArgumentException>(() => v.InterlockedAdd(off, 1L), $"InterlockedAdd(long) {off}");
                Expect<ArgumentException>(() => v.CompareExchange(off, 1L, 0L), $"CompareExchange(long) {off}");
            }
            foreach (long off in new long[] { size, size - 4, -8, 1L << 40, long.MaxValue - 7, long.MinValue })
            {
                Expect<ArgumentOutOfRangeException>(() => v.VolatileRead<long>(off), $"VolatileRead<long> {off}");
                Expect<ArgumentOutOfRangeException>(() => v.InterlockedAdd(off, 1L), $"InterlockedAdd(long) {off}");
                Expect<ArgumentOutOfRangeException>(() => v.CompareExchange(off, 1L, 0L), $"CompareExchange(long) {off}");
            }
            foreach (long off in new long[] { size, -4, long.MaxValue - 3 })
            {
                Expect<ArgumentOutOfRangeException>(() => v.VolatileRead<int>(off), $"VolatileRead<int> {off}");
                Expect<ArgumentOutOfRangeException>(() => v.Wait(off, 0, TimeSpan.Zero), $"Wait {off}");
                Expect<ArgumentOutOfRangeException>(() => v.Wake(off, 1), $"Wake {off}");
            }
            Expect<ArgumentOutOfRangeException>(() => v.Wait(512, 0, TimeSpan.FromMilliseconds(-5)), "negative timeout");
            Expect<NotSupportedException>(() => v.VolatileRead<short>(512), "VolatileRead<short>");

            // Timeouts: false after at least the timeout, true at once on a change.
            v.VolatileWrite(512, 7);
            if (v.Wait(512, 7, TimeSpan.Zero)) Fail("Wait(Zero) on an equal word returned true");
            var sw = Stopwatch.StartNew();
            bool r = v.Wait(512, 7, TimeSpan.FromMilliseconds(200));
            if (r || sw.Elapsed < TimeSpan.FromMilliseconds(190)) Fail($"Wait(200 ms) returned {r} after {sw.Elapsed}");
            if (!v.Wait(512, 8, TimeSpan.FromSeconds(5))) Fail("Wait on a different value returned false");
            // A wake with no change does not end a wait; a change from another thread does.
            bool got0 = true, got1 = false;
            var th = new Thread(() => got0 = v.Wait(512, 7, TimeSpan.FromMilliseconds(300)));
            sw.Restart();
            th.Start();
            for (int k = 0; k < 20; k++) { v.Wake(512, 0); Thread.Sleep(10); }
            th.Join();
            if (got0 || sw.Elapsed < TimeSpan.FromMilliseconds(290)) Fail("a wake without a change ended the wait");
            th = new Thread(() => got1 = v.Wait(512, 7, TimeSpan.FromSeconds(10)));
            th.Start();
            Thread.Sleep(50);
            v.VolatileWrite(512, 9);
            v.Wake(512, 0);
            th.Join(10_000);
            if (!got1) Fail("Wait did not see a change from another thread");
            s_checks += 5;
        }
        var closed = OpenView(name);
        closed.Dispose();
        Expect<ObjectDisposedException>(() => closed.VolatileRead<long>(512), "VolatileRead on a disposed view");
        Expect<ObjectDisposedException>(() => closed.Wait(512, 0, TimeSpan.Zero), "Wait on a disposed view");
        return $"{{\"lang\": \"dotnet\", \"checks\": {s_checks}}}";
    }

    // ---- uncontended fetch-add vs Interlocked on a raw pointer ------------------

    private static long MmkLoop(MappedView v, int ops)
    {
        long s = 0;
        for (int k = 0; k < ops; k++) s += v.InterlockedAdd(1024, 1L);
        return s;
    }

    private static long HoistedLoop(MappedView v, int ops)
    {
        var atomics = v.Atomics; // address and bounds read once, still checked per call
        long s = 0;
        for (int k = 0; k < ops; k++) s += atomics.InterlockedAdd(1536, 1L);
        return s;
    }

    private static long BaseLoop(long* p, int ops)
    {
        long s = 0;
        for (int k = 0; k < ops; k++) s += Interlocked.Add(ref *p, 1L);
        return s;
    }

    private static long s_sink;

    private static string BenchAdd(string name, int ops, int repeat)
    {
        var mk = new double[repeat];
        var hk = new double[repeat];
        var bs = new double[repeat];
        using (var v = OpenView(name))
        {
            long* p = (long*)((byte*)v.Pointer + 2048); // same mapping, no checks
            for (int w = 0; w < 5; w++) s_sink += MmkLoop(v, ops / 5) + HoistedLoop(v, ops / 5) + BaseLoop(p, ops / 5); // tiering warm-up
            for (int r = 0; r < repeat; r++)
            {
                var sw = Stopwatch.StartNew();
                s_sink += MmkLoop(v, ops);
                mk[r] = sw.Elapsed.TotalMilliseconds * 1e6 / ops;
                sw.Restart();
                s_sink += HoistedLoop(v, ops);
                hk[r] = sw.Elapsed.TotalMilliseconds * 1e6 / ops;
                sw.Restart();
                s_sink += BaseLoop(p, ops);
                bs[r] = sw.Elapsed.TotalMilliseconds * 1e6 / ops;
            }
        }
        Array.Sort(mk);
        Array.Sort(hk);
        Array.Sort(bs);
        return $"{{\"lang\": \"dotnet\", \"ops\": {ops}, \"repeat\": {repeat}, \"form\": \" view.InterlockedAdd\", \"mmapkit_ns\": {F(mk[repeat / 2])}, \"hoisted_form\": \" view.Atomics in a local\", \"mmapkit_hoisted_ns\": {F(hk[repeat / 2])}, \"baseline_ns\": {F(bs[repeat / 2])}, \"baseline\": \"Interlocked.Add on the view's raw pointer\"}}";
    }

    private static int Main(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: AtomicsWorker ROLE NAME ARGS... (see LAYOUT.md)");
            return 2;
        }
        string role = args[0], name = args[1];
        int I(int k) => int.Parse(args[k], CultureInfo.InvariantCulture);
        long L(int k) => long.Parse(args[k], CultureInfo.InvariantCulture);
        string outp;
        if (role == "checks") outp = Checks(name);
        else if (role == "bench-add") outp = BenchAdd(name, I(2), I(3));
        else
        {
            using var v = OpenView(name);
            switch (role)
            {
                case "counter": outp = Counter(v, I(2), I(3), I(4)); break;
                case "spinlock": outp = SpinLock(v, I(2), I(3), I(4)); break;
                case "ring-writer": outp = RingWriter(v, L(2), I(3), L(4)); break;
                case "ring-reader": outp = RingReader(v, L(2)); break;
                case "pingpong": outp = PingPong(v, args[2], I(3), I(4)); break;
                default:
                    Console.Error.WriteLine("unknown role " + role);
                    return 2;
            }
        }
        Console.WriteLine(outp);
        Console.Out.Flush();
        return 0;
    }
}
