// The .NET participant of the cross-language demo (protocol and layout:
// examples/demo/demo.py).
//   dotnet Demo.dll SHM FILE INDEX ROUNDS ADDS [THREADS]
using System.Diagnostics;
using System.Globalization;
using System.Text;
using MmapKit;

const int Magic = 0x444B4D4D;
const long OffJoined = 4, OffDone = 8, OffGo = 12, OffAtomic = 16, OffLocked = 24;
const long OffMapped = 32, OffTruncated = 36, TruncReadAt = 8192;
const long Row0 = 64, RowSize = 64;
const int Part = (1 << 20) + 100;
const int N = 3;
string[] names = { "Python", "Java", ".NET" };

string shm = args[0];
string path = args[1];
int index = int.Parse(args[2], CultureInfo.InvariantCulture);
int rounds = int.Parse(args[3], CultureInfo.InvariantCulture);
int adds = int.Parse(args[4], CultureInfo.InvariantCulture);
int threads = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 1;
var t = new List<(string, double)>();
int pid = Environment.ProcessId;

static long Row(int i, int field) => Row0 + RowSize * i + 8L * field;

static byte[] Pattern(int index, int n)
{
    var b = new byte[n];
    for (int k = 0; k < n; k++) b[k] = (byte)((index * 71 + k * 31 + (k >> 8)) & 255);
    return b;
}

// FNV-1a over 8-byte little-endian words, then the tail bytes (as demo.py).
static ulong Fnv1a64(ReadOnlySpan<byte> d)
{
    ulong h = 0xcbf29ce484222325UL;
    int words = d.Length / 8;
    for (int w = 0; w < words; w++)
        h = unchecked((h ^ BitConverter.ToUInt64(d.Slice(w * 8, 8))) * 0x100000001b3UL);
    for (int k = words * 8; k < d.Length; k++)
        h = unchecked((h ^ d[k]) * 0x100000001b3UL);
    return h;
}

// Sleeps in Wait() until the u32 at off reaches target.
static void WaitUntil(MappedView v, long off, int target, TimeSpan timeout)
{
    var sw = Stopwatch.StartNew();
    while (true)
    {
        int cur = v.VolatileRead<int>(off);
        if (cur >= target) return;
        var left = timeout - sw.Elapsed;
        if (left <= TimeSpan.Zero)
            throw new TimeoutException($"word at {off} is {cur}, waited for {target}");
        v.Wait(off, cur, left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
    }
}

var sw = Stopwatch.StartNew();
using var region = MappedFile.OpenShared(shm);
using var table = region.CreateView();
using var file = MappedFile.Open(path, MapAccess.ReadWrite);
t.Add(("attach_ms", sw.Elapsed.TotalMilliseconds));
if (table.VolatileRead<int>(0) != Magic) throw new InvalidOperationException("region has no demo magic");
table.VolatileWrite<long>(Row(index, 3), pid);
table.InterlockedAdd(OffJoined, 1);
table.Wake(OffJoined, 0);
WaitUntil(table, OffGo, 1, TimeSpan.FromSeconds(60));

// 3. my part under an exclusive lock on its byte range, then a sync flush
sw.Restart();
byte[] data = Pattern(index, Part);
using (file.Lock((long)index * Part, Part, shared: false))
using (var part = file.CreateView((long)index * Part, Part))
{
    part.WriteBytes(0, data);
    part.Flush(0, Part, FlushMode.Sync);
}
table.VolatileWrite<long>(Row(index, 1), unchecked((long)Fnv1a64(data)));
table.VolatileWrite<long>(Row(index, 2), Part);
t.Add(("write_flush_ms", sw.Elapsed.TotalMilliseconds));

// 4 and 5, in `threads` threads, each with its own handle: byte-range locks
// belong to a handle (OFD locks), so threads sharing one handle would not
// exclude each other.
var stats = new (double Lock, double Add)[threads];
var workers = new Thread[threads];
Exception? failure = null;
for (int k = 0; k < threads; k++)
{
    int me = k;
    workers[k] = new Thread(() =>
    {
        try
        {
            using var h = MappedFile.OpenShared(shm);
            using var tv = h.CreateView();
            var w0 = Stopwatch.StartNew();
            for (int i = 0; i < rounds; i++)
            {
                using (h.Lock(OffLocked, 8, shared: false))
                using (var w = h.CreateView(OffLocked, 8)) // a fresh view each round
                {
                    w.Write<long>(0, w.Read<long>(0) + 1);
                    tv.Write<long>(Row(index, 0), tv.Read<long>(Row(index, 0)) + 1);
                }
            }
            double lockUs = w0.Elapsed.TotalMicroseconds;
            w0.Restart();
            for (int i = 0; i < adds; i++) tv.InterlockedAdd(OffAtomic, 1L); // Interlocked, no native call
            stats[me] = (lockUs, w0.Elapsed.TotalNanoseconds);
        }
        catch (Exception e)
        {
            failure = e;
        }
    });
    workers[k].Start();
}
foreach (var w in workers) w.Join();
if (failure is not null) throw new InvalidOperationException("worker thread failed", failure);
t.Add(("lock_rounds_us_each", stats.Max(x => x.Lock) / Math.Max(rounds, 1)));
t.Add(("atomic_add_ns_each", stats.Max(x => x.Add) / Math.Max(adds, 1)));

// 6. done; sleep until everyone is
table.InterlockedAdd(OffDone, 1);
table.Wake(OffDone, 0);
sw.Restart();
WaitUntil(table, OffDone, N, TimeSpan.FromSeconds(120));
t.Add(("barrier_wait_ms", sw.Elapsed.TotalMilliseconds));

// 7. verify the others' parts
sw.Restart();
var saw = new List<(string, string)>();
long mask = 0;
using (var whole = file.CreateView())
{
    for (int j = 0; j < N; j++)
    {
        if (j == index) continue;
        var got = new byte[Part];
        using (file.Lock((long)j * Part, Part, shared: true))
            whole.ReadBytes((long)j * Part, got);
        bool okBytes = got.AsSpan().SequenceEqual(Pattern(j, Part));
        bool okSum = Fnv1a64(got) == unchecked((ulong)table.VolatileRead<long>(Row(j, 1)));
        saw.Add((names[j], okBytes && okSum ? "ok"
            : $"MISMATCH (bytes {(okBytes ? "ok" : "bad")}, checksum {(okSum ? "ok" : "bad")})"));
        if (okBytes && okSum) mask |= 1L << j;
    }
}
table.VolatileWrite<long>(Row(index, 4), mask);
t.Add(("verify_ms", sw.Elapsed.TotalMilliseconds));

// 8. a file truncated under a live view: an exception, not a crash
string truncation;
using (var tf = MappedFile.Open(path + ".trunc", MapAccess.Read))
using (var tv = tf.CreateView())
{
    tv.ReadBytes(0, 8);
    table.InterlockedAdd(OffMapped, 1);
    table.Wake(OffMapped, 0);
    WaitUntil(table, OffTruncated, 1, TimeSpan.FromSeconds(120));
    try
    {
        tv.ReadBytes(TruncReadAt, 8);
        truncation = "no error: read 8 bytes";
    }
    catch (IOException e)
    {
        truncation = $"{e.GetType().Name}: {e.Message}";
    }
}

var sb = new StringBuilder();
sb.Append(CultureInfo.InvariantCulture, $"{{\"lang\": \".NET\", \"pid\": {pid}, \"wrote\": {Part}, \"saw\": {{");
sb.Append(string.Join(", ", saw.Select(s => $"\"{s.Item1}\": \"{s.Item2}\"")));
sb.Append("}, \"truncation\": \"").Append(truncation.Replace("\\", "\\\\").Replace("\"", "\\\""));
sb.Append(CultureInfo.InvariantCulture, $"\", \"locked_counter_seen\": {table.VolatileRead<long>(OffLocked)}");
sb.Append(CultureInfo.InvariantCulture, $", \"atomic_counter_seen\": {table.VolatileRead<long>(OffAtomic)}, \"timings\": {{");
sb.Append(string.Join(", ", t.Select(x => string.Create(CultureInfo.InvariantCulture, $"\"{x.Item1}\": {x.Item2:F3}"))));
sb.Append("}}");
Console.WriteLine(sb.ToString());
return 0;
