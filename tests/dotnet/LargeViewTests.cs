using Xunit;

namespace MmapKit.Tests;

/// <summary>Views over 2 GiB (and 4 GiB): windows, long offsets. Sparse files: no disk used.</summary>
public sealed class LargeViewTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Sparse_view_over_2GiB_works_through_windows_and_long_offsets()
    {
        const long size = 6L << 30;
        const long far = 5_000_000_000L;
        string p = _dir.File("big.bin");
        using (var fs = new FileStream(p, FileMode.CreateNew))
            fs.SetLength(size);

        using (var f = MappedFile.Open(p, MapAccess.ReadWrite))
        using (var v = f.CreateView())
        {
            Assert.Equal(size, v.Length);
            Assert.Throws<NotSupportedException>(() => v.AsSpan());
            Assert.Throws<NotSupportedException>(() => v.AsReadOnlySpan());
            Assert.Throws<NotSupportedException>(() => v.AsMemory());
            Assert.Throws<NotSupportedException>(() => v.AsReadOnlyMemory());

            Span<byte> w = v.AsSpan(far, 4096);
            w.Fill(0x42);
            v.Write(far + 4096, 0x1122334455667788L);
            v.Write(size - 8, -1L);
            v.Write((long)int.MaxValue + 1, 7);
            Assert.Equal(0x4242424242424242L, v.Read<long>(far + 8));
            Assert.Equal(0x1122334455667788L, v.Read<long>(far + 4096));
            Assert.Equal(-1L, v.Read<long>(size - 8));
            Assert.Equal(7, v.Read<int>((long)int.MaxValue + 1));
            Assert.Equal(0x42, v.AsReadOnlySpan(far + 4095, 1)[0]);

            Memory<byte> m = v.AsMemory(far, 16);
            Assert.Equal(0x42, m.Span[15]);
            var buf = new byte[8];
            v.ReadBytes(size - 8, buf);
            Assert.All(buf, b => Assert.Equal(0xFF, b));
            Assert.Throws<ArgumentOutOfRangeException>(() => v.AsSpan(size - 10, 11));
            Assert.Throws<ArgumentOutOfRangeException>(() => v.Read<long>(size - 7));

            using (Stream s = v.AsStream())
            {
                Assert.Equal(size, s.Length);
                s.Position = far + 4094;
                Assert.Equal(0x42, s.ReadByte());
            }
            v.Flush(far, 8192);
            v.Flush(size - 8, 8);
        }

        using (var fs = new FileStream(p, FileMode.Open, FileAccess.Read))
        {
            var b = new byte[4104];
            fs.Position = far;
            fs.ReadExactly(b);
            Assert.All(b.AsSpan(0, 4096).ToArray(), x => Assert.Equal(0x42, x));
            Assert.Equal(0x1122334455667788L, BitConverter.ToInt64(b, 4096));
        }
    }

    [Fact]
    public void View_at_offset_beyond_4GiB_reports_its_offset()
    {
        const long size = 5L << 30;
        string p = _dir.File("far.bin");
        using (var fs = new FileStream(p, FileMode.CreateNew))
            fs.SetLength(size);
        using var f = MappedFile.Open(p);
        using var v = f.CreateView((4L << 30) + 3, 100);
        Assert.Equal((4L << 30) + 3, v.Offset);
        Assert.Equal(100, v.Length);
        Assert.Equal(0L, v.Read<long>(92));
    }
}
