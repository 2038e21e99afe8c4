using System.Buffers;
using Xunit;

namespace MmapKit.Tests;

/// <summary>Memory&lt;byte&gt; pins keep the mapping alive across Dispose.</summary>
public sealed unsafe class PinTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    // Linux: a mapping of the file in /proc/self/maps. Windows: the pages at
    // `address` (inside the view) are a mapped view (VirtualQuery: MEM_MAPPED).
    private static bool IsMapped(string path, void* address)
    {
        if (!OperatingSystem.IsWindows())
            return File.ReadLines("/proc/self/maps").Any(l => l.EndsWith(" " + path, StringComparison.Ordinal));
        MemoryBasicInformation info;
        Assert.NotEqual(0, (long)VirtualQuery(address, out info, sizeof(MemoryBasicInformation)));
        return info.State == 0x1000 /* MEM_COMMIT */ && info.Type == 0x40000 /* MEM_MAPPED */;
    }

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct MemoryBasicInformation
    {
        public IntPtr BaseAddress, AllocationBase;
        public uint AllocationProtect;
        public ushort PartitionId;
        public IntPtr RegionSize;
        public uint State, Protect, Type;
    }

    [System.Runtime.InteropServices.DllImport("kernel32.dll")]
    private static extern nint VirtualQuery(void* address, out MemoryBasicInformation info, nint length);

    [Fact]
    public void Dispose_while_pinned_is_deferred_until_the_last_unpin()
    {
        string p = _dir.Patterned("pin.bin", 8192);
        using var f = MappedFile.Open(p, MapAccess.ReadWrite);
        var v = f.CreateView();
        Memory<byte> m = v.AsMemory(4096, 100);
        MemoryHandle h1 = m.Pin();
        MemoryHandle h2 = m.Slice(10).Pin();
        void* at = h1.Pointer;
        Assert.True(IsMapped(p, at));

        v.Dispose();
        Assert.True(v.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => v.Read<byte>(0));
        Assert.Throws<ObjectDisposedException>(() => m.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => m.Pin());
        // Still the file's memory: reads see it, writes reach it.
        Assert.True(IsMapped(p, at));
        byte* ptr = (byte*)h1.Pointer;
        Assert.Equal(TempDir.Pattern(8192)[4096], ptr[0]);
        ptr[1] = 0x5A;
        Assert.Equal(0x5A, TempDir.ReadAll(p)[4097]);
        Assert.Equal(TempDir.Pattern(8192)[4106], *(byte*)h2.Pointer);

        h1.Dispose();
        Assert.True(IsMapped(p, at));
        h2.Dispose();
        Assert.False(IsMapped(p, at));
    }

    [Fact]
    public void Unpinned_view_unmaps_at_once_on_Dispose()
    {
        string p = _dir.Patterned("np.bin", 4096);
        using var f = MappedFile.Open(p);
        var v = f.CreateView();
        ReadOnlyMemory<byte> m = v.AsReadOnlyMemory();
        void* at;
        using (MemoryHandle h = m.Pin()) at = h.Pointer;
        Assert.True(IsMapped(p, at));
        v.Dispose();
        Assert.False(IsMapped(p, at));
    }

    [Fact]
    public void Memory_spans_track_the_view_and_pins_point_into_it()
    {
        string p = _dir.Patterned("ms.bin", 10000);
        using var f = MappedFile.Open(p, MapAccess.ReadWrite);
        using var v = f.CreateView();
        Memory<byte> m = v.AsMemory(5000, 1000);
        Assert.Equal(1000, m.Length);
        Assert.Equal(TempDir.Pattern(10000).AsSpan(5000, 1000).ToArray(), m.ToArray());
        m.Span[0] = 1;
        Assert.Equal(1, v.Read<byte>(5000));
        using MemoryHandle h = m.Slice(3).Pin();
        Assert.Equal(v.Pointer + 5003, (IntPtr)h.Pointer);
        Assert.Equal(TempDir.Pattern(10000).AsSpan(5, 100).ToArray(), v.AsMemory().Slice(5, 100).ToArray());
    }

    [Fact]
    public void Resize_that_would_move_or_shrink_a_pinned_view_is_refused_for_good()
    {
        string p = _dir.Patterned("rz.bin", 4096);
        using var f = MappedFile.Open(p, MapAccess.ReadWrite);
        using var v = f.CreateView();
        using (v.AsMemory().Pin())
        {
            Assert.Throws<InvalidOperationException>(() => v.Resize(1 << 24));
            Assert.Throws<InvalidOperationException>(() => v.Resize(100));
            Assert.Equal(4096, v.Length);
        }
        // The pin fixed the view in place: a pointer from it must never dangle.
        Assert.Throws<InvalidOperationException>(() => v.Resize(1 << 24));
        Assert.Equal(4096, v.Length);
    }

    [Fact]
    public void Memory_of_a_shrunk_view_throws_instead_of_reading_stale_memory()
    {
        string p = _dir.Patterned("sh.bin", 3 * 4096);
        using var f = MappedFile.Open(p, MapAccess.ReadWrite);
        using var v = f.CreateView(0, 0, new MapOptions { Reserve = 1 << 20 });
        Memory<byte> tail = v.AsMemory(2 * 4096, 4096);
        v.Resize(4096);
        Assert.Throws<InvalidOperationException>(() => tail.Span.Length);
        Assert.Throws<InvalidOperationException>(() => tail.Pin());
        v.Resize(3 * 4096);
        Assert.Equal(4096, tail.Span.Length);
    }

    [Fact]
    public void Pin_index_is_checked()
    {
        using var f = MappedFile.CreateAnonymous(4096);
        using var v = f.CreateView();
        Memory<byte> m = v.AsMemory(0, 10);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.Slice(11));
    }
}
