// mmapkit (.NET) against System.IO.MemoryMappedFiles: same file, same process, same run.
//
//   dotnet run -c Release --project bench/dotnet -- [--json FILE] [--size-mib N] [--reps N] [--dir DIR]
//
// Every figure is the median of --reps timed passes after one untimed warm-up pass, over a
// file that is in the page cache (both sides map the same file). Prints a markdown table;
// with --json, also writes the rows ({name, impl, value, unit}) for bench/report/merge.py.
using System.Diagnostics;
using System.Globalization;
using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using MmapKit;

internal static unsafe class Program
{
    private sealed record Row(string Name, string Impl, double Value, string Unit);

    private static readonly List<Row> Rows = new();
    private static int s_reps = 7;

    public static int Main(string[] args)
    {
        string? json = null;
        string dir = Path.GetTempPath();
        long sizeMib = 256;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--json": json = args[++i]; break;
                case "--size-mib": sizeMib = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--reps": s_reps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--dir": dir = args[++i]; break;
                default:
                    Console.Error.WriteLine($"unknown argument {args[i]}");
                    return 2;
            }
        }

        long size = sizeMib << 20;
        string path = Path.Combine(dir, $"mmapkit-dotnet-bench-{Environment.ProcessId}.bin");
        try
        {
            MakeFile(path, size);
            Run(path, size);
        }
        finally
        {
            File.Delete(path);
        }

        PrintTable(sizeMib);
        if (json is not null)
        {
            var doc = new
            {
                suite = "dotnet",
                runtime = RuntimeInformation.FrameworkDescription,
                size_mib = sizeMib,
                reps = s_reps,
                statistic = "median",
                benchmarks = Rows.Select(r => new { name = r.Name, impl = r.Impl, value = Math.Round(r.Value, 4), unit = r.Unit }),
            };
            File.WriteAllText(json, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
        }
        return 0;
    }

    private static void MakeFile(string path, long size)
    {
        var rng = new Random(12345);
        var chunk = new byte[1 << 20];
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write);
        for (long done = 0; done < size; done += chunk.Length)
        {
            rng.NextBytes(chunk);
            fs.Write(chunk, 0, (int)Math.Min(chunk.Length, size - done));
        }
    }

    private static void Run(string path, long size)
    {
        using var file = MappedFile.Open(path);
        using var view = file.CreateView();
        using var mmf = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var acc = mmf.CreateViewAccessor(0, size, MemoryMappedFileAccess.Read);
        byte* raw = null;
        acc.SafeMemoryMappedViewHandle.AcquirePointer(ref raw);
        try
        {
            raw += acc.PointerOffset;
            // Fault everything in on both mappings before timing anything.
            Consume(SumPointer(raw, size));
            Consume(SumSpan(view.AsReadOnlySpan()));

            // 1. Sequential scan, 8-byte loads, whole file.
            var ulongs = new ulong[8192];
            Group("sequential scan (8-byte loads)", size, "GB/s",
                ("mmapkit AsReadOnlySpan", () => SumSpan(view.AsReadOnlySpan())),
                ("MemoryMappedFiles raw pointer (SafeMemoryMappedViewHandle)", () => SumPointer(raw, size)),
                ("MemoryMappedFiles ViewAccessor.ReadArray", () => SumReadArray(acc, size, ulongs)));

            // 2. Random 8-byte reads.
            const int randomOps = 4_000_000;
            long[] offsets = RandomOffsets(randomOps, size - 8);
            Group("random 8-byte reads", randomOps, "Mops/s",
                ("mmapkit Read<long>", () => RandomRead(view, offsets)),
                ("MemoryMappedFiles ViewAccessor.ReadInt64", () => RandomReadAccessor(acc, offsets)),
                ("MemoryMappedFiles raw pointer", () => RandomReadPointer(raw, offsets)));

            // 3. Byte-at-a-time sequential reads.
            long byteRange = Math.Min(size, 64L << 20);
            Group("byte-at-a-time reads", byteRange, "GB/s",
                ("mmapkit Read<byte>", () => BytesRead(view, byteRange)),
                ("mmapkit span indexer", () => BytesSpan(view.AsReadOnlySpan(0, (int)byteRange))),
                ("MemoryMappedFiles ViewAccessor.ReadByte", () => BytesAccessor(acc, byteRange)),
                ("MemoryMappedFiles raw pointer", () => BytesPointer(raw, byteRange)));

            // 4. Bulk copies out of the mapping, 1 MiB at a time.
            var buf = new byte[1 << 20];
            Group("bulk copy out (1 MiB chunks)", size, "GB/s",
                ("mmapkit ReadBytes (fault-safe)", () => CopyReadBytes(view, size, buf)),
                ("mmapkit AsReadOnlySpan.CopyTo", () => CopySpan(view, size, buf)),
                ("MemoryMappedFiles ViewAccessor.ReadArray<byte>", () => CopyReadArray(acc, size, buf)));
        }
        finally
        {
            acc.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    // ---- kernels -----------------------------------------------------------------

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong SumSpan(ReadOnlySpan<byte> bytes)
    {
        ulong sum = 0;
        foreach (ulong x in MemoryMarshal.Cast<byte, ulong>(bytes)) sum += x;
        return sum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong SumPointer(byte* p, long size)
    {
        ulong* u = (ulong*)p;
        long n = size / 8;
        ulong sum = 0;
        for (long i = 0; i < n; i++) sum += u[i];
        return sum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong SumReadArray(MemoryMappedViewAccessor acc, long size, ulong[] buf)
    {
        ulong sum = 0;
        for (long pos = 0; pos < size; pos += buf.Length * 8L)
        {
            int n = acc.ReadArray(pos, buf, 0, (int)Math.Min(buf.Length, (size - pos) / 8));
            for (int i = 0; i < n; i++) sum += buf[i];
        }
        return sum;
    }

    private static long[] RandomOffsets(int n, long max)
    {
        var rng = new Random(777);
        var o = new long[n];
        for (int i = 0; i < n; i++) o[i] = rng.NextInt64(0, max / 8) * 8;
        return o;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong RandomRead(MappedView v, long[] offsets)
    {
        long sum = 0;
        foreach (long o in offsets) sum += v.Read<long>(o);
        return (ulong)sum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong RandomReadAccessor(MemoryMappedViewAccessor acc, long[] offsets)
    {
        long sum = 0;
        foreach (long o in offsets) sum += acc.ReadInt64(o);
        return (ulong)sum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong RandomReadPointer(byte* p, long[] offsets)
    {
        long sum = 0;
        foreach (long o in offsets) sum += *(long*)(p + o);
        return (ulong)sum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong BytesRead(MappedView v, long n)
    {
        ulong sum = 0;
        for (long i = 0; i < n; i++) sum += v.Read<byte>(i);
        return sum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong BytesSpan(ReadOnlySpan<byte> s)
    {
        ulong sum = 0;
        for (int i = 0; i < s.Length; i++) sum += s[i];
        return sum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong BytesAccessor(MemoryMappedViewAccessor acc, long n)
    {
        ulong sum = 0;
        for (long i = 0; i < n; i++) sum += acc.ReadByte(i);
        return sum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong BytesPointer(byte* p, long n)
    {
        ulong sum = 0;
        for (long i = 0; i < n; i++) sum += p[i];
        return sum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong CopyReadBytes(MappedView v, long size, byte[] buf)
    {
        ulong sum = 0;
        for (long pos = 0; pos < size; pos += buf.Length)
        {
            int n = (int)Math.Min(buf.Length, size - pos);
            v.ReadBytes(pos, buf.AsSpan(0, n));
            sum += buf[n - 1];
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong CopySpan(MappedView v, long size, byte[] buf)
    {
        ulong sum = 0;
        for (long pos = 0; pos < size; pos += buf.Length)
        {
            int n = (int)Math.Min(buf.Length, size - pos);
            v.AsReadOnlySpan(pos, n).CopyTo(buf);
            sum += buf[n - 1];
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong CopyReadArray(MemoryMappedViewAccessor acc, long size, byte[] buf)
    {
        ulong sum = 0;
        for (long pos = 0; pos < size; pos += buf.Length)
        {
            int n = acc.ReadArray(pos, buf, 0, (int)Math.Min(buf.Length, size - pos));
            sum += buf[n - 1];
        }
        return sum;
    }

    // ---- timing --------------------------------------------------------------------

    private static ulong s_sink;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Consume(ulong x) => s_sink ^= x;

    // Runs the implementations of one benchmark round-robin (one pass of each per round,
    // after one warm-up pass each), so that machine noise hits them alike; reports medians.
    private static void Group(string name, long work, string unit, params (string Impl, Func<ulong> Pass)[] impls)
    {
        foreach (var (_, pass) in impls) Consume(pass());
        var times = new double[impls.Length][];
        for (int i = 0; i < impls.Length; i++) times[i] = new double[s_reps];
        for (int r = 0; r < s_reps; r++)
        {
            for (int i = 0; i < impls.Length; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                Consume(impls[i].Pass());
                times[i][r] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            }
        }
        double scale = unit == "GB/s" ? 1e9 : 1e6;
        for (int i = 0; i < impls.Length; i++)
        {
            Array.Sort(times[i]);
            double value = work / times[i][s_reps / 2] / scale;
            Rows.Add(new Row(name, impls[i].Impl, value, unit));
            Console.Error.WriteLine($"{name} | {impls[i].Impl}: {value:F3} {unit}");
        }
    }

    private static void PrintTable(long sizeMib)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"### .NET: mmapkit vs System.IO.MemoryMappedFiles ({RuntimeInformation.FrameworkDescription}, {sizeMib} MiB file in page cache, median of {s_reps})");
        sb.AppendLine();
        sb.AppendLine("| benchmark | mmapkit | value | MemoryMappedFiles | value | mmapkit / MMF |");
        sb.AppendLine("|---|---|---:|---|---:|---:|");
        foreach (var group in Rows.GroupBy(r => r.Name))
        {
            var ours = group.Where(r => r.Impl.StartsWith("mmapkit", StringComparison.Ordinal)).ToList();
            var peers = group.Where(r => !r.Impl.StartsWith("mmapkit", StringComparison.Ordinal)).ToList();
            foreach (Row o in ours)
                foreach (Row p in peers)
                    sb.AppendLine($"| {group.Key} | {o.Impl["mmapkit ".Length..]} | {o.Value:F2} {o.Unit} | {p.Impl["MemoryMappedFiles ".Length..]} | {p.Value:F2} {p.Unit} | {o.Value / p.Value:F2}x |");
        }
        Console.Write(sb.ToString());
    }
}
