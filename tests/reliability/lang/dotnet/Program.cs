// Fault checks through the installed MmapKit package (tests/reliability).
//   Faults writer PATH SIZE OFFSET LEN SEED   crash writer for `mmk_crash kill`
//   Faults enospc                             under `mmk_crash sandbox` (MMK_SMALLFS)
//   Faults truncate DIR                       truncation gives IOException (EIO), process lives
//   Faults hostile DIR                        a table of bad arguments: the documented
//                                             exception each, no descriptor or mapping leak
using System.Globalization;
using MmapKit;

int checks = 0, failures = 0;

void Check(bool ok, string what)
{
    checks++;
    Console.WriteLine((ok ? "ok   " : "FAIL ") + what);
    if (!ok) failures++;
}

void Expect(Action a, string status, string what, string? needle = null)
{
    try
    {
        a();
        Check(false, $"{what}: no exception (wanted IOException {status})");
    }
    catch (IOException e)
    {
        bool ok = Equals(e.Data["mmapkit.status"], status) && (needle is null || e.Message.Contains(needle));
        Check(ok, $"{what}: {e.GetType().Name} [{e.Data["mmapkit.status"]}] {e.Message}");
    }
    catch (Exception e)
    {
        Check(false, $"{what}: {e.GetType().Name}: {e.Message} (wanted IOException {status})");
    }
}

static byte Pat(long seed, long k) => (byte)((seed * 7 + k * 131 + (k >> 9)) & 255);

long P(string s) => long.Parse(s, CultureInfo.InvariantCulture);

switch (args[0])
{
    case "writer":
    {
        string path = args[1];
        long size = P(args[2]), off = P(args[3]), n = P(args[4]), seed = P(args[5]);
        var f = MappedFile.Create(path, size);
        var v = f.CreateView();
        var b = new byte[n];
        for (long k = 0; k < n; k++) b[k] = Pat(seed, k);
        v.WriteBytes(off, b);
        v.Flush(off, n, FlushMode.Sync);
        Console.WriteLine("flushed");
        Console.Out.Flush();
        long lo = off / 4096 * 4096, hi = (off + n + 4095) / 4096 * 4096;
        for (long i = 0; ; i++) // dirty other pages until killed
        {
            long at = i * 4099 % size;
            if (at < lo || at >= hi) v.Write<byte>(at, (byte)i);
        }
    }
    case "enospc":
    {
        string d = Environment.GetEnvironmentVariable("MMK_SMALLFS")!;
        string p = Path.Combine(d, "grow.bin");
        Expect(() => MappedFile.Create(p, 4 << 20).Dispose(), "MMK_ENOSPC",
            "create with 4 MiB on a 1 MiB file system", "grow.bin");
        using (var f = MappedFile.Create(p, 4096))
        {
            Expect(() => f.CreateView(0, 8 << 20).Dispose(), "MMK_ENOSPC", "map 8 MiB past the end");
            Expect(() => f.SetLength(8 << 20), "MMK_ENOSPC", "resize to 8 MiB");
            using var v = f.CreateView(0, 4096, new MapOptions { Reserve = 16 << 20 });
            Expect(() => v.Resize(8 << 20), "MMK_ENOSPC", "view resize within a reservation");
            v.Write<long>(0, 0x616c697665L);
            Check(v.Read<long>(0) == 0x616c697665L && v.Length == 4096, "the view still works after the refusals");
        }
        string name = $"mmk-enospc-dotnet-{Environment.ProcessId}";
        Expect(() => MappedFile.CreateOrOpenShared(name, 4 << 20).Dispose(), "MMK_ENOSPC",
            "shared memory of 4 MiB on a 1 MiB /dev/shm", name);
        try { MappedFile.DeleteShared(name); } catch (IOException) { }
        break;
    }
    case "truncate":
    {
        Directory.CreateDirectory(args[1]);
        string p = Path.Combine(args[1], $"trunc-dotnet-{Environment.ProcessId}.bin");
        using (var f = MappedFile.Create(p, 64 << 10))
        using (var v = f.CreateView())
        {
            v.WriteBytes(0, "head"u8);
            using (var fs = new FileStream(p, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
                fs.SetLength(4096); // as another process would
            Expect(() => v.ReadBytes(8192, new byte[8]), "MMK_EIO", "ReadBytes past the new end");
            Expect(() => v.WriteBytes(30000, new byte[] { 1, 2, 3, 4 }), "MMK_EIO", "WriteBytes past the new end");
            Expect(() => v.ReadBytes(20000, 100), "MMK_EIO", "ReadBytes(count) past the new end");
            var head = new byte[4];
            v.ReadBytes(0, head);
            Check(head.AsSpan().SequenceEqual("head"u8), "the part still inside the file reads fine");
        }
        File.Delete(p);
        break;
    }
    case "hostile":
    {
        string d = Path.GetFullPath(args[1]);
        Directory.CreateDirectory(d);
        string data = Path.Combine(d, "data.bin");
        File.WriteAllBytes(data, new byte[10000]);
        string fifo = Path.Combine(d, "fifo");
        if (!File.Exists(fifo)) System.Diagnostics.Process.Start("mkfifo", fifo).WaitForExit();
        string missing = $"mmk-missing-{Environment.ProcessId}";
        Type aoor = typeof(ArgumentOutOfRangeException), arg = typeof(ArgumentException);
        Type disposed = typeof(ObjectDisposedException), io = typeof(IOException);
        var rows = new List<(string What, Action Call, Type[] Want)>
        {
            ("open missing file", () => MappedFile.Open(Path.Combine(d, "nope")).Dispose(), new[] { typeof(FileNotFoundException) }),
            ("open a directory", () => MappedFile.Open(d).Dispose(), new[] { typeof(UnauthorizedAccessException), io }),
            ("open a FIFO (must not block)", () => MappedFile.Open(fifo).Dispose(), new[] { io }),
            ("open /dev/zero", () => MappedFile.Open("/dev/zero", MapAccess.ReadWrite).Dispose(), new[] { io }),
            ("create with a negative capacity", () => MappedFile.Create(data, -1).Dispose(), new[] { aoor, arg }),
            ("view at a negative offset", () => { using var f = MappedFile.Open(data); f.CreateView(-1, 10).Dispose(); }, new[] { aoor, arg }),
            ("view of negative length", () => { using var f = MappedFile.Open(data); f.CreateView(0, -5).Dispose(); }, new[] { aoor, arg }),
            ("view offset+length overflows", () => { using var f = MappedFile.Open(data); f.CreateView(long.MaxValue, 10).Dispose(); }, new[] { aoor, arg }),
            ("view past the end, Read", () => { using var f = MappedFile.Open(data); f.CreateView(9000, 2000).Dispose(); }, new[] { aoor, arg }),
            ("view past the end, CopyOnWrite", () => { using var f = MappedFile.Open(data, MapAccess.CopyOnWrite); f.CreateView(0, 20000).Dispose(); }, new[] { aoor, arg }),
            ("view of a disposed file", () => { var f = MappedFile.Open(data); f.Dispose(); f.CreateView().Dispose(); }, new[] { disposed }),
            ("read a disposed view", () => { using var f = MappedFile.Open(data); var v = f.CreateView(); v.Dispose(); v.Read<long>(0); }, new[] { disposed }),
            ("write to a read-only view", () => { using var f = MappedFile.Open(data); using var v = f.CreateView(); v.Write<long>(0, 1); }, new[] { typeof(NotSupportedException) }),
            ("WriteBytes to a read-only view", () => { using var f = MappedFile.Open(data); using var v = f.CreateView(); v.WriteBytes(0, new byte[4]); }, new[] { typeof(NotSupportedException) }),
            ("AsSpan of a read-only view", () => { using var f = MappedFile.Open(data); using var v = f.CreateView(); v.AsSpan(); }, new[] { typeof(NotSupportedException) }),
            ("Read<long> past the end", () => { using var f = MappedFile.Open(data); using var v = f.CreateView(); v.Read<long>(9996); }, new[] { aoor }),
            ("ReadBytes past the end", () => { using var f = MappedFile.Open(data); using var v = f.CreateView(); v.ReadBytes(9990, new byte[20]); }, new[] { aoor }),
            ("Flush range past the end", () => { using var f = MappedFile.Open(data, MapAccess.ReadWrite); using var v = f.CreateView(); v.Flush(9000, 5000); }, new[] { aoor }),
            ("Lock at a negative offset", () => { using var f = MappedFile.Open(data, MapAccess.ReadWrite); f.Lock(-1, 10, false).Dispose(); }, new[] { aoor, arg }),
            ("exclusive Lock on a read-only file", () => { using var f = MappedFile.Open(data); f.Lock(0, 10, false).Dispose(); }, new[] { typeof(UnauthorizedAccessException), io }),
            ("VolatileRead<long> misaligned", () => { using var f = MappedFile.Open(data, MapAccess.ReadWrite); using var v = f.CreateView(); v.VolatileRead<long>(3); }, new[] { arg }),
            ("InterlockedAdd out of range", () => { using var f = MappedFile.Open(data, MapAccess.ReadWrite); using var v = f.CreateView(); v.InterlockedAdd(10000, 1L); }, new[] { aoor }),
            ("InterlockedAdd on a read-only view", () => { using var f = MappedFile.Open(data); using var v = f.CreateView(); v.InterlockedAdd(0, 1L); }, new[] { typeof(NotSupportedException) }),
            ("Wait misaligned", () => { using var f = MappedFile.Open(data, MapAccess.ReadWrite); using var v = f.CreateView(); v.Wait(2, 0, TimeSpan.Zero); }, new[] { arg }),
            ("AsSpan window past the end", () => { using var f = MappedFile.Open(data, MapAccess.ReadWrite); using var v = f.CreateView(); v.AsSpan(9000, 2000); }, new[] { aoor }),
            ("shared name ''", () => MappedFile.CreateOrOpenShared("", 4096).Dispose(), new[] { arg }),
            ("shared name '.hidden'", () => MappedFile.CreateOrOpenShared(".hidden", 4096).Dispose(), new[] { arg }),
            ("shared name 'a/b'", () => MappedFile.CreateOrOpenShared("a/b", 4096).Dispose(), new[] { arg }),
            ("shared name of 201 chars", () => MappedFile.CreateOrOpenShared(new string('n', 201), 4096).Dispose(), new[] { arg }),
            ("open missing shared memory", () => MappedFile.OpenShared(missing).Dispose(), new[] { typeof(FileNotFoundException) }),
            ("create 'data.bin\\0.tmp' (NUL: must not truncate data.bin)", () => MappedFile.Create(data + "\0.tmp", 4096).Dispose(), new[] { arg }),
            ("open 'data.bin\\0x' ReadWrite with a minimum length", () => MappedFile.Open(data + "\0x", MapAccess.ReadWrite, 1 << 20).Dispose(), new[] { arg }),
            ("shared name 'ok\\0../../x'", () => MappedFile.CreateShared("ok\0../../x", 4096).Dispose(), new[] { arg }),
            ("create-or-open shared name with a NUL", () => MappedFile.CreateOrOpenShared(missing + "\0x", 4096).Dispose(), new[] { arg }),
            ("open shared name with a NUL", () => MappedFile.OpenShared(missing + "\0x").Dispose(), new[] { arg }),
            ("delete shared name with a NUL", () => MappedFile.DeleteShared(missing + "\0other"), new[] { arg }),
            ("create-or-open a planted shared object (mode 0666)", () =>
            {
                File.WriteAllBytes("/dev/shm/" + missing + "-planted", new byte[16]);
                File.SetUnixFileMode("/dev/shm/" + missing + "-planted", (UnixFileMode)0x1B6);
                try { MappedFile.CreateOrOpenShared(missing + "-planted", 4096).Dispose(); }
                finally { File.Delete("/dev/shm/" + missing + "-planted"); }
            }, new[] { typeof(UnauthorizedAccessException) }),
            ("CreateAnonymous(0)", () => MappedFile.CreateAnonymous(0).Dispose(), new[] { aoor, arg }),
            ("CreateAnonymous(-1)", () => MappedFile.CreateAnonymous(-1).Dispose(), new[] { aoor, arg }),
        };
        int RunTable(bool report)
        {
            int wrong = 0;
            foreach (var (what, call, want) in rows)
            {
                string got;
                bool ok = false;
                try { call(); got = "no exception"; }
                catch (Exception e)
                {
                    got = $"{e.GetType().Name}: {e.Message}";
                    ok = want.Any(t => t.IsInstanceOfType(e));
                }
                if (report) Check(ok, $"{what}: {got}" + (ok ? "" : $" (wanted {string.Join("/", want.Select(t => t.Name))})"));
                if (!ok) wrong++;
            }
            return wrong;
        }
        // Only what mmapkit could leak: the runtime opens descriptors and maps
        // memfds of its own (W^X double mapping) as it pleases.
        bool Ours(string s) => s.Contains(d) || s.Contains("/dev/shm/") || s.Contains("memfd:mmapkit");
        int Fds() => Directory.GetFileSystemEntries("/proc/self/fd").Count(f =>
        {
            try { return Ours(new FileInfo(f).LinkTarget ?? ""); } catch (IOException) { return false; }
        });
        int Maps() => File.ReadAllLines("/proc/self/maps").Count(Ours);
        RunTable(false); // warm-up: JIT, lazy native state
        GC.Collect(); GC.WaitForPendingFinalizers();
        int fds = Fds(), maps = Maps();
        RunTable(true);
        GC.Collect(); GC.WaitForPendingFinalizers();
        int fds2 = Fds(), maps2 = Maps();
        Check(fds2 == fds, $"descriptors {fds} -> {fds2}");
        Check(maps2 == maps, $"mappings of files, shared memory and memfds {maps} -> {maps2}");
        Check(new FileInfo(data).Length == 10000, "data.bin kept its length after the NUL paths");
        Console.WriteLine($"hostile[dotnet]: {rows.Count} hostile inputs");
        break;
    }
    default:
        Console.Error.WriteLine($"unknown command {args[0]}");
        return 2;
}
Console.WriteLine($"{args[0]}[dotnet]: {checks} checks, {failures} failures, process alive");
return failures == 0 ? 0 : 1;
