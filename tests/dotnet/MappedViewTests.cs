using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Xunit;

namespace MmapKit.Tests;

public sealed class MappedViewTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    // IEquatable: the runtime's reflective ValueType.Equals reads the misaligned Count with a
    // load-acquire, which faults on arm64 (unaligned LDAR: SIGBUS BUS_ADRALN in libcoreclr,
    // with or without MmapKit, on hardware too when the field crosses 16 bytes).
    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    private struct Header : IEquatable<Header>
    {
        public int Magic;
        public short Version;
        public long Count;
        public double Ratio;

        public readonly bool Equals(Header o) =>
            Magic == o.Magic && Version == o.Version && Count == o.Count && Ratio.Equals(o.Ratio);
        public override readonly bool Equals(object? o) => o is Header h && Equals(h);
        public override readonly int GetHashCode() => HashCode.Combine(Magic, Version, Count, Ratio);
    }

    [Fact]
    public void Read_and_Write_round_trip_unmanaged_types_at_any_alignment()
    {
        using var f = MappedFile.Create(_dir.File("rw.bin"), 256);
        using var v = f.CreateView();
        v.Write<byte>(0, 0xAB);
        v.Write<short>(1, -2);
        v.Write<int>(3, 0x12345678);
        v.Write<long>(7, long.MinValue + 5);
        v.Write<double>(15, Math.PI);
        v.Write<Guid>(23, Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"));
        var h = new Header { Magic = 0x4B4D4D, Version = 3, Count = 1L << 40, Ratio = 0.5 };
        v.Write(100, h);
        Assert.Equal(0xAB, v.Read<byte>(0));
        Assert.Equal(-2, v.Read<short>(1));
        Assert.Equal(0x12345678, v.Read<int>(3));
        Assert.Equal(long.MinValue + 5, v.Read<long>(7));
        Assert.Equal(Math.PI, v.Read<double>(15));
        Assert.Equal(Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), v.Read<Guid>(23));
        Assert.Equal(h, v.Read<Header>(100));
        v.Write<long>(248, long.MaxValue);
        Assert.Equal(long.MaxValue, v.Read<long>(248));
    }

    [Fact]
    public void Typed_access_uses_native_byte_order()
    {
        string p = _dir.File("order.bin");
        using (var f = MappedFile.Create(p, 8))
        using (var v = f.CreateView())
        {
            v.Write(0, 0x0102030405060708L);
            v.Flush();
        }
        byte[] bytes = TempDir.ReadAll(p);
        long expected = BitConverter.IsLittleEndian
            ? BinaryPrimitives.ReadInt64LittleEndian(bytes)
            : BinaryPrimitives.ReadInt64BigEndian(bytes);
        Assert.Equal(0x0102030405060708L, expected);
        Assert.Equal(0x0102030405060708L, MemoryMarshal.Read<long>(bytes));
    }

    [Fact]
    public void Read_and_Write_out_of_range_throw_ArgumentOutOfRangeException()
    {
        using var f = MappedFile.Create(_dir.File("oor.bin"), 16);
        using var v = f.CreateView();
        Assert.Equal(0L, v.Read<long>(8));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Read<long>(9));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Read<long>(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Read<byte>(16));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Read<byte>(long.MinValue));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Read<byte>(long.MaxValue));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Write<int>(13, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Write<int>(-4, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.AsSpan(10, 7));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.AsReadOnlySpan(-1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.AsSpan(0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.AsMemory(17, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.ReadBytes(10, new byte[7]));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.WriteBytes(long.MaxValue, new byte[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Flush(0, 17));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Advise(Advice.Normal, 20, 0));
        Assert.True(v.AsSpan(16, 0).IsEmpty);
    }

    [Fact]
    public void Read_only_view_refuses_every_write_with_NotSupportedException()
    {
        using var f = MappedFile.Open(_dir.Patterned("ro.bin", 64));
        using var v = f.CreateView();
        Assert.Throws<NotSupportedException>(() => v.Write(0, 1));
        Assert.Throws<NotSupportedException>(() => v.WriteBytes(0, new byte[] { 1 }));
        Assert.Throws<NotSupportedException>(() => v.AsSpan());
        Assert.Throws<NotSupportedException>(() => v.AsSpan(0, 1));
        Assert.Throws<NotSupportedException>(() => v.AsMemory());
        Assert.Throws<NotSupportedException>(() => v.AsStream().WriteByte(1));
        Assert.Throws<NotSupportedException>(() => v.VolatileWrite(0, 1));
        Assert.False(v.AsStream().CanWrite);
        Assert.Equal(TempDir.Pattern(64), v.AsReadOnlySpan().ToArray());
        Assert.Equal(TempDir.Pattern(64), v.AsReadOnlyMemory().ToArray());
    }

    [Fact]
    public void Disposed_view_throws_ObjectDisposedException_everywhere()
    {
        using var f = MappedFile.Create(_dir.File("disp.bin"), 64);
        var v = f.CreateView();
        Memory<byte> m = v.AsMemory();
        v.Dispose();
        v.Dispose();
        Assert.True(v.IsDisposed);
        Assert.True(v.IsClosed);
        Assert.Throws<ObjectDisposedException>(() => v.Length);
        Assert.Throws<ObjectDisposedException>(() => v.Pointer);
        Assert.Throws<ObjectDisposedException>(() => v.Read<int>(0));
        Assert.Throws<ObjectDisposedException>(() => v.Write<int>(0, 1));
        Assert.Throws<ObjectDisposedException>(() => v.AsSpan());
        Assert.Throws<ObjectDisposedException>(() => v.AsReadOnlySpan());
        Assert.Throws<ObjectDisposedException>(() => v.AsSpan(0, 1));
        Assert.Throws<ObjectDisposedException>(() => v.AsMemory());
        Assert.Throws<ObjectDisposedException>(() => v.AsStream());
        Assert.Throws<ObjectDisposedException>(() => v.ReadBytes(0, new byte[1]));
        Assert.Throws<ObjectDisposedException>(() => v.WriteBytes(0, new byte[1]));
        Assert.Throws<ObjectDisposedException>(() => v.Flush());
        Assert.Throws<ObjectDisposedException>(() => v.Advise(Advice.Sequential));
        Assert.Throws<ObjectDisposedException>(() => v.Resize(128));
        Assert.Throws<ObjectDisposedException>(() => v.VolatileRead<int>(0));
        Assert.Throws<ObjectDisposedException>(() => m.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => m.Pin());
    }

    [Fact]
    public void ReadBytes_and_WriteBytes_copy_exact_ranges()
    {
        string p = _dir.Patterned("rb.bin", 10000);
        using var f = MappedFile.Open(p, MapAccess.ReadWrite);
        using var v = f.CreateView(3);
        var buf = new byte[5000];
        v.ReadBytes(1000, buf);
        Assert.Equal(TempDir.Pattern(10000).AsSpan(1003, 5000).ToArray(), buf);
        Assert.Equal(TempDir.Pattern(10000).AsSpan(3, 4).ToArray(), v.ReadBytes(0, 4));
        v.WriteBytes(v.Length - 3, new byte[] { 9, 8, 7 });
        v.ReadBytes(0, Span<byte>.Empty);
        v.WriteBytes(v.Length, ReadOnlySpan<byte>.Empty);
        v.Flush(v.Length - 3, 3);
        byte[] onDisk = TempDir.ReadAll(p);
        Assert.Equal(new byte[] { 9, 8, 7 }, onDisk[^3..]);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CacheStatRange { public ulong Off, Len; }

    [StructLayout(LayoutKind.Sequential)]
    private struct CacheStat { public ulong Cache, Dirty, Writeback, Evicted, RecentlyEvicted; }

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long CacheStatSyscall(long number, int fd, ref CacheStatRange range, out CacheStat stat, uint flags);

    // Dirty + writeback pages of file pages [first, first + count) (cachestat(2), Linux 6.5+).
    private static long UncleanPages(string path, long first, long count)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var r = new CacheStatRange { Off = (ulong)(first * 4096), Len = (ulong)(count * 4096) };
        long rc = CacheStatSyscall(451, (int)fs.SafeFileHandle.DangerousGetHandle(), ref r, out CacheStat cs, 0);
        if (rc != 0 && Marshal.GetLastPInvokeError() == 38) // ENOSYS
            Emulator.SkipRest("qemu-user 7.2 predates cachestat(2): page cleanliness is not observable");
        Assert.True(rc == 0, $"cachestat failed (errno {Marshal.GetLastPInvokeError()}); this suite needs Linux 6.5+");
        return (long)(cs.Dirty + cs.Writeback);
    }

    [NotOnWindowsFact("observes page-cache dirtiness with Linux's cachestat(2)")]
    public void Flush_modes_write_changes_to_the_file()
    {
        // Written page by page, fsynced: four clean page-cache folios of one page each (on ext4;
        // tmpfs pages are never clean, so the directory must not be on tmpfs).
        string p = _dir.File("fl.bin");
        using (var fs = new FileStream(p, FileMode.CreateNew))
        {
            for (int i = 0; i < 4; i++) fs.Write(TempDir.Pattern(4096));
            fs.Flush(flushToDisk: true);
        }
        Assert.Equal(0, UncleanPages(p, 0, 4));
        using var f = MappedFile.Open(p, MapAccess.ReadWrite);
        using var v = f.CreateView(1);
        v.Write<int>(0, 11);        // file page 0
        v.Write<int>(5000, 22);     // file page 1
        v.Write<int>(9000, 33);     // file page 2
        v.Write<int>(13000, 44);    // file page 3
        Assert.Equal(4, UncleanPages(p, 0, 4));
        v.Flush(0, 4, FlushMode.Async); // schedules only: nothing to observe but success
        v.Flush(4999, 10, FlushMode.Sync);
        Assert.Equal(0, UncleanPages(p, 1, 1));
        Assert.Equal(2, UncleanPages(p, 2, 2)); // outside the range: still dirty
        v.Flush(8191, 2, FlushMode.Full); // spans file pages 2 and 3 (offset 1 in the file)
        Assert.Equal(0, UncleanPages(p, 2, 2));
        v.Write<int>(100, 55);
        Assert.Equal(1, UncleanPages(p, 0, 1));
        v.Flush();
        Assert.Equal(0, UncleanPages(p, 0, 4));
        byte[] disk = TempDir.ReadAll(p);
        Assert.Equal(11, BitConverter.ToInt32(disk, 1));
        Assert.Equal(55, BitConverter.ToInt32(disk, 101));
        Assert.Equal(22, BitConverter.ToInt32(disk, 5001));
        Assert.Equal(33, BitConverter.ToInt32(disk, 9001));
        Assert.Equal(44, BitConverter.ToInt32(disk, 13001));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Flush(0, 1, (FlushMode)9));
    }

    [Fact]
    public void Advise_accepts_every_hint()
    {
        string p = _dir.Patterned("adv.bin", 1 << 16);
        using var f = MappedFile.Open(p, MapAccess.ReadWrite);
        using var v = f.CreateView();
        foreach (Advice a in new[] { Advice.Normal, Advice.Sequential, Advice.Random, Advice.WillNeed })
            v.Advise(a);
        v.Advise(Advice.Random, 4097, 100);
        try { v.Advise(Advice.HugePage); } catch (NotSupportedException) { /* no THP on this kernel */ }
        // DONTNEED on a shared file view drops pages; content comes back from the file.
        v.Flush();
        v.Advise(Advice.DontNeed);
        Assert.Equal(TempDir.Pattern(1 << 16), v.AsReadOnlySpan().ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Advise((Advice)42));
    }

    [Fact]
    public void Resize_within_a_reservation_keeps_the_address_and_grows_the_file()
    {
        string p = _dir.File("res.bin");
        using var f = MappedFile.Create(p, 4096);
        using var v = f.CreateView(0, 4096, new MapOptions { Reserve = 1 << 24 });
        Assert.Equal(1 << 24, v.ReservedLength);
        IntPtr before = v.Pointer;
        v.Write(100, 7L);
        v.Resize(1 << 20);
        Assert.Equal(before, v.Pointer);
        Assert.Equal(1 << 20, v.Length);
        Assert.Equal(1 << 20, f.Length);
        Assert.Equal(7L, v.Read<long>(100));
        v.Write((1 << 20) - 8, 9L);
        // Pointer and Write fixed the view in place: it never shrinks (a stale span stays valid).
        Assert.Throws<InvalidOperationException>(() => v.Resize(8192));
        Assert.Equal(1 << 20, v.Length);
        Assert.Equal(9L, v.Read<long>((1 << 20) - 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Resize(0));
    }

    [Fact]
    public void View_used_only_through_copies_shrinks_and_moves_but_a_fixed_view_does_not()
    {
        string p = _dir.Patterned("fix.bin", 3 * 4096);
        using var f = MappedFile.Open(p, MapAccess.ReadWrite);
        using var copies = f.CreateView(0, 0, new MapOptions { Reserve = 1 << 20 });
        copies.Resize(4096);
        Assert.Equal(4096, copies.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => copies.ReadBytes(4096, new byte[1]));
        copies.Resize(1 << 21); // past the reservation: may move
        Assert.Equal(TempDir.Pattern(3 * 4096), copies.ReadBytes(0, 3 * 4096));

        using var fixedView = f.CreateView(0, 3 * 4096);
        _ = fixedView.AsReadOnlySpan(0, 1);
        Assert.Throws<InvalidOperationException>(() => fixedView.Resize(4096));
        Assert.Throws<InvalidOperationException>(() => fixedView.Resize(1 << 22));
        Assert.Equal(3 * 4096, fixedView.Length);
        Assert.Equal(TempDir.Pattern(3 * 4096), fixedView.ReadBytes(0, 3 * 4096));
    }

    [Fact]
    public void Resize_without_reservation_may_move_but_keeps_content()
    {
        string p = _dir.Patterned("mv.bin", 4096);
        using var f = MappedFile.Open(p, MapAccess.ReadWrite);
        using var v = f.CreateView();
        Assert.Equal(0, v.ReservedLength);
        v.Resize(1 << 22);
        Assert.Equal(1 << 22, v.Length);
        Assert.Equal(TempDir.Pattern(4096), v.AsReadOnlySpan(0, 4096).ToArray());
        v.Write((1 << 22) - 4, 5);
        Assert.Equal(5, v.Read<int>((1 << 22) - 4));
        Assert.Equal(5, v.AsReadOnlySpan()[(1 << 22) - 4]);
    }

    [Fact]
    public void Resize_of_read_only_view_past_end_of_file_is_out_of_range()
    {
        using var f = MappedFile.Open(_dir.Patterned("rr.bin", 4096));
        using var v = f.CreateView();
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Resize(8192));
        Assert.Equal(4096, v.Length);
    }

    [Fact]
    public void View_is_a_SafeBuffer_usable_by_UnmanagedMemoryStream()
    {
        using var f = MappedFile.Open(_dir.Patterned("sb.bin", 1000));
        using var v = f.CreateView(10);
        Assert.Equal(990UL, v.ByteLength);
        using var s = new UnmanagedMemoryStream(v, 0, 990, FileAccess.Read);
        var copy = new MemoryStream();
        s.CopyTo(copy);
        Assert.Equal(TempDir.Pattern(1000).AsSpan(10).ToArray(), copy.ToArray());
        Assert.Equal(v.Read<int>(40), ((SafeBuffer)v).Read<int>(40));
    }

    [Fact]
    public void Resident_bytes_are_between_zero_and_the_range()
    {
        using var f = MappedFile.Open(_dir.Patterned("mc.bin", 1 << 16));
        using var v = f.CreateView();
        long r = v.GetResidentBytes();
        Assert.InRange(r, 0, 1 << 16);
        _ = v.AsReadOnlySpan().ToArray();
        Assert.Equal(1 << 16, v.GetResidentBytes());
        Assert.Equal(100, v.GetResidentBytes(5, 100));
    }
}
