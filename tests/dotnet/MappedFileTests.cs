using Xunit;

namespace MmapKit.Tests;

public sealed class MappedFileTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Open_missing_file_throws_FileNotFoundException_naming_path_and_operation()
    {
        string path = _dir.File("missing.bin");
        var e = Assert.Throws<FileNotFoundException>(() => MappedFile.Open(path));
        Assert.Equal(path, e.FileName);
        Assert.Contains(path, e.Message);
        string op = "open"; // the mmapkit operation on every platform (the Win32 call is in the detail)
        Assert.Contains(op, e.Message);
        Assert.Equal(op, e.Data["mmapkit.operation"]);
        Assert.Equal(2, e.Data["mmapkit.errno"]); // ENOENT, ERROR_FILE_NOT_FOUND
    }

    [Fact]
    public void Open_directory_throws_UnauthorizedAccessException()
    {
        Assert.Throws<UnauthorizedAccessException>(() => MappedFile.Open(_dir.Path));
    }

    [NotOnWindowsFact("FIFOs are POSIX (mkfifo)")]
    public void Open_fifo_throws_IOException_with_path_operation_and_reason()
    {
        string fifo = _dir.File("fifo");
        Assert.Equal(0, mkfifo(fifo, 0x180));
        var e = Assert.Throws<IOException>(() => MappedFile.Open(fifo));
        Assert.IsType<IOException>(e);
        Assert.Contains(fifo, e.Message);
        Assert.Equal(fifo, e.Data["mmapkit.path"]);
        Assert.False(string.IsNullOrEmpty((string?)e.Data["mmapkit.operation"]));
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int mkfifo(string path, uint mode);

    [Fact]
    public void Open_argument_errors()
    {
        Assert.Throws<ArgumentNullException>(() => MappedFile.Open(null!));
        Assert.Throws<ArgumentException>(() => MappedFile.Open(""));
        string p = _dir.Patterned("a.bin", 10);
        Assert.Throws<ArgumentException>(() => MappedFile.Open(p, MapAccess.Read, 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => MappedFile.Open(p, MapAccess.ReadWrite, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => MappedFile.Open(p, (MapAccess)7));
        Assert.Throws<ArgumentOutOfRangeException>(() => MappedFile.Create(p, -5));
    }

    [Fact]
    public void Open_ReadWrite_with_minimum_length_creates_grows_and_never_shrinks()
    {
        string p = _dir.File("grow.bin");
        using (var f = MappedFile.Open(p, MapAccess.ReadWrite, 1000))
        {
            Assert.Equal(1000, f.Length);
            Assert.Equal(MapAccess.ReadWrite, f.Access);
            Assert.Equal(p, f.Name);
        }
        Assert.Equal(1000, new FileInfo(p).Length);
        using (var f = MappedFile.Open(p, MapAccess.ReadWrite, 10))
            Assert.Equal(1000, f.Length);
        using (var f = MappedFile.Open(p, MapAccess.ReadWrite, 5000))
            Assert.Equal(5000, f.Length);
    }

    [Fact]
    public void Open_ReadWrite_without_length_does_not_create()
    {
        Assert.Throws<FileNotFoundException>(() => MappedFile.Open(_dir.File("nope"), MapAccess.ReadWrite));
    }

    [Fact]
    public void Create_truncates_existing_file_to_capacity()
    {
        string p = _dir.Patterned("t.bin", 5000);
        using (var f = MappedFile.Create(p, 100))
        {
            Assert.Equal(100, f.Length);
            using var v = f.CreateView();
            Assert.All(v.AsReadOnlySpan().ToArray(), b => Assert.Equal(0, b));
        }
        Assert.Equal(100, new FileInfo(p).Length);
        using (var f = MappedFile.Create(p, 0))
            Assert.Equal(0, f.Length);
    }

    [Fact]
    public void SetLength_and_Resize_change_the_file_length()
    {
        string p = _dir.File("r.bin");
        using var f = MappedFile.Create(p, 10);
        f.SetLength(70000);
        Assert.Equal(70000, f.Length);
        Assert.Equal(70000, new FileInfo(p).Length);
        f.Resize(3);
        Assert.Equal(3, f.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => f.SetLength(-1));
    }

    [Fact]
    public void SetLength_of_read_only_file_throws_UnauthorizedAccessException()
    {
        using var f = MappedFile.Open(_dir.Patterned("ro.bin", 100));
        Assert.Throws<UnauthorizedAccessException>(() => f.SetLength(200));
        Assert.Equal(100, f.Length);
    }

    [Fact]
    public void Disposed_file_throws_ObjectDisposedException_and_dispose_is_idempotent()
    {
        var f = MappedFile.Create(_dir.File("d.bin"), 10);
        f.Dispose();
        f.Dispose();
        Assert.True(f.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => f.Length);
        Assert.Throws<ObjectDisposedException>(() => f.CreateView());
        Assert.Throws<ObjectDisposedException>(() => f.SetLength(5));
        Assert.Throws<ObjectDisposedException>(() => f.Lock(0, 1, shared: false));
    }

    [Fact]
    public void Views_outlive_their_file()
    {
        string p = _dir.Patterned("o.bin", 4096);
        MappedView v;
        using (var f = MappedFile.Open(p, MapAccess.ReadWrite))
            v = f.CreateView(100, 50);
        using (v)
        {
            Assert.Equal(TempDir.Pattern(4096).AsSpan(100, 50).ToArray(), v.AsReadOnlySpan().ToArray());
            v.Write<byte>(0, 0xEE);
            v.Flush();
        }
        Assert.Equal(0xEE, TempDir.ReadAll(p)[100]);
    }

    [Fact]
    public void CreateView_at_unaligned_offset_sees_exactly_the_requested_bytes()
    {
        byte[] data = TempDir.Pattern(3 * 4096 + 17);
        string p = _dir.Patterned("u.bin", data.Length);
        using var f = MappedFile.Open(p);
        foreach (long off in new long[] { 0, 1, 4095, 4096, 4097, 8191, 3 * 4096 + 16 })
        {
            using var v = f.CreateView(off);
            Assert.Equal(off, v.Offset);
            Assert.Equal(data.Length - off, v.Length);
            Assert.Equal(data.AsSpan((int)off).ToArray(), v.AsReadOnlySpan().ToArray());
        }
        using (var v = f.CreateView(4097, 10))
            Assert.Equal(data.AsSpan(4097, 10).ToArray(), v.AsReadOnlySpan().ToArray());
    }

    [Fact]
    public void CreateView_of_empty_file_is_an_empty_view()
    {
        string p = _dir.File("empty.bin");
        File.WriteAllBytes(p, Array.Empty<byte>());
        using var f = MappedFile.Open(p);
        using var v = f.CreateView();
        Assert.Equal(0, v.Length);
        Assert.True(v.AsReadOnlySpan().IsEmpty);
        Assert.NotEqual(IntPtr.Zero, v.Pointer);
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Read<byte>(0));
    }

    [Fact]
    public void CreateView_past_end_of_read_only_or_private_file_is_out_of_range()
    {
        string p = _dir.Patterned("e.bin", 100);
        using (var f = MappedFile.Open(p))
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => f.CreateView(50, 51));
            Assert.Throws<ArgumentOutOfRangeException>(() => f.CreateView(101));
            Assert.Throws<ArgumentOutOfRangeException>(() => f.CreateView(-1));
            Assert.Throws<ArgumentOutOfRangeException>(() => f.CreateView(0, -1));
            Assert.Throws<ArgumentOutOfRangeException>(() => f.CreateView(long.MaxValue - 10, 100));
        }
        using (var f = MappedFile.Open(p, MapAccess.CopyOnWrite))
            Assert.Throws<ArgumentOutOfRangeException>(() => f.CreateView(0, 101));
        Assert.Equal(100, new FileInfo(p).Length);
    }

    [Fact]
    public void CreateView_past_end_in_ReadWrite_grows_file_to_exactly_offset_plus_length()
    {
        string p = _dir.Patterned("g.bin", 100);
        using var f = MappedFile.Open(p, MapAccess.ReadWrite);
        using var v = f.CreateView(5000, 123);
        Assert.Equal(5123, f.Length);
        Assert.Equal(5123, new FileInfo(p).Length);
        Assert.Equal(0, v.Read<long>(115));
    }

    [Fact]
    public void CopyOnWrite_writes_never_reach_the_file()
    {
        string p = _dir.Patterned("c.bin", 4096);
        using (var f = MappedFile.Open(p, MapAccess.CopyOnWrite))
        using (var v = f.CreateView())
        {
            Assert.Equal(MapAccess.CopyOnWrite, v.Access);
            Assert.True(v.CanWrite);
            v.AsSpan().Fill(0x11);
            v.Flush();
            Assert.Equal(0x11, v.Read<byte>(4095));
        }
        Assert.Equal(TempDir.Pattern(4096), TempDir.ReadAll(p));
    }

    [Fact]
    public void ReadOnly_option_maps_a_writable_file_read_only()
    {
        string p = _dir.Patterned("ro2.bin", 100);
        using var f = MappedFile.Open(p, MapAccess.ReadWrite);
        using var v = f.CreateView(0, 0, new MapOptions { ReadOnly = true });
        Assert.False(v.CanWrite);
        Assert.Throws<NotSupportedException>(() => v.Write<int>(0, 1));
        Assert.Throws<NotSupportedException>(() => v.AsSpan());
    }

    [NotUnderWineFact("Wine's PrefetchVirtualMemory is a stub: Populate leaves the pages non-resident")]
    public void Populate_and_HugePages_options_map_normally()
    {
        // Fresh anonymous memory has no pages: only Populate makes them resident at once.
        const int n = 4 << 20;
        using var plainFile = MappedFile.CreateAnonymous(n);
        using var plain = plainFile.CreateView();
        using var popFile = MappedFile.CreateAnonymous(n);
        using var pop = popFile.CreateView(0, 0, new MapOptions { Populate = true, HugePages = true });
        Assert.Equal(0, plain.GetResidentBytes());
        string p = _dir.Patterned("pop.bin", 64 * 1024);
        using var f = MappedFile.Open(p, MapAccess.ReadWrite);
        using var v = f.CreateView(0, 0, new MapOptions { Populate = true, HugePages = true });
        Assert.Equal(TempDir.Pattern(64 * 1024), v.AsReadOnlySpan().ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => new MapOptions { Reserve = -1 });
        // Last, what qemu cannot reproduce (as in C's c.map).
        Emulator.SkipRest("qemu-user 7.2 drops MAP_POPULATE from its host mmap and answers " +
                          "madvise without calling it: neither residency nor \"hg\" is observable");
        Assert.Equal(n, pop.GetResidentBytes());
        // HugePages is madvise(MADV_HUGEPAGE): the kernel shows it as "hg" in the mapping's flags.
        if (File.Exists("/sys/kernel/mm/transparent_hugepage/enabled"))
        {
            Assert.Contains("hg", VmFlags(pop.Pointer));
            Assert.DoesNotContain("hg", VmFlags(plain.Pointer));
        }
    }

    // The VmFlags of the mapping holding `address`, from /proc/self/smaps.
    private static string[] VmFlags(IntPtr address)
    {
        ulong a = (ulong)address;
        bool inside = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-');
            int space = line.IndexOf(' ');
            if (dash > 0 && space > dash && !line.StartsWith("VmFlags", StringComparison.Ordinal)
                && ulong.TryParse(line.AsSpan(0, dash), System.Globalization.NumberStyles.HexNumber, null, out ulong lo)
                && ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), System.Globalization.NumberStyles.HexNumber, null, out ulong hi))
                inside = a >= lo && a < hi;
            else if (inside && line.StartsWith("VmFlags:", StringComparison.Ordinal))
                return line["VmFlags:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }
        throw new InvalidOperationException($"no mapping holds {a:x}");
    }

    [Fact]
    public void Write_view_of_read_only_file_is_refused()
    {
        string p = _dir.Patterned("w.bin", 100);
        using var f = MappedFile.Open(p);
        using var v = f.CreateView();
        Assert.False(v.CanWrite);
        Assert.Equal(MapAccess.Read, v.Access);
        Assert.Throws<NotSupportedException>(() => v.WriteBytes(0, new byte[1]));
    }

    [NotOnWindowsFact("Windows anonymous and shared memory keeps its creation size (NotSupportedException, documented)")]
    public void Anonymous_memory_is_shared_between_its_views_and_resizable()
    {
        using var f = MappedFile.CreateAnonymous(1 << 16);
        Assert.Equal("", f.Name);
        Assert.Equal(1 << 16, f.Length);
        using var a = f.CreateView();
        using var b = f.CreateView(4096, 4096);
        a.Write(4096 + 8, 0x0123456789ABCDEFL);
        Assert.Equal(0x0123456789ABCDEFL, b.Read<long>(8));
        f.SetLength(1 << 20);
        using var c = f.CreateView(1 << 19, 8);
        c.Write(0, 42L);
        Assert.Equal(42L, c.Read<long>(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => MappedFile.CreateAnonymous(0));
    }

    [Fact]
    public void ToString_names_the_file()
    {
        string p = _dir.Patterned("s.bin", 10);
        using var f = MappedFile.Open(p);
        Assert.Contains(p, f.ToString());
    }

    [Fact]
    public void Non_ascii_paths_are_passed_as_utf8()
    {
        string p = _dir.File("dätä-映射.bin");
        using (var f = MappedFile.Create(p, 16))
        using (var v = f.CreateView())
            v.Write(0, 123L);
        Assert.True(File.Exists(p));
        using var g = MappedFile.Open(p);
        using var w = g.CreateView();
        Assert.Equal(123L, w.Read<long>(0));
        var e = Assert.Throws<FileNotFoundException>(() => MappedFile.Open(_dir.File("ñö-missing")));
        Assert.Contains("ñö-missing", e.Message);
    }

    [Fact]
    public void Reservation_smaller_than_the_view_is_an_ArgumentException()
    {
        using var f = MappedFile.Create(_dir.File("rs.bin"), 8192);
        Assert.Throws<ArgumentException>(() => f.CreateView(0, 8192, new MapOptions { Reserve = 4096 }));
    }

    [Fact]
    public void Lock_and_unlock_memory_of_a_small_view()
    {
        using var f = MappedFile.CreateAnonymous(8192);
        using var v = f.CreateView();
        v.LockMemory();
        Assert.Equal(8192, v.GetResidentBytes());
        v.UnlockMemory();
    }
}
