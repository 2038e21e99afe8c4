using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Xunit;

namespace MmapKit.Tests;

/// <summary>Standard .NET consumers working directly on mapped memory.</summary>
public sealed class ConsumerTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void SHA256_HashData_over_a_span_matches_the_file()
    {
        string p = _dir.Patterned("hash.bin", 1_000_003);
        using var f = MappedFile.Open(p);
        using var v = f.CreateView();
        Assert.Equal(SHA256.HashData(TempDir.ReadAll(p)), SHA256.HashData(v.AsReadOnlySpan()));
        Assert.Equal(SHA256.HashData(TempDir.ReadAll(p).AsSpan(4097, 5000)), SHA256.HashData(v.AsReadOnlySpan(4097, 5000)));
    }

    [Fact]
    public void Utf8JsonReader_parses_a_mapped_json_file()
    {
        string p = _dir.File("doc.json");
        File.WriteAllText(p, """{"name":"mmapkit","sizes":[1,2,3],"nested":{"ok":true,"pi":3.5}}""");
        using var f = MappedFile.Open(p);
        using var v = f.CreateView();
        var reader = new Utf8JsonReader(v.AsReadOnlySpan());
        var names = new List<string>();
        long sum = 0;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName) names.Add(reader.GetString()!);
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long n)) sum += n;
        }
        Assert.Equal(new[] { "name", "sizes", "nested", "ok", "pi" }, names);
        Assert.Equal(6, sum);
        using JsonDocument doc = JsonDocument.Parse(v.AsReadOnlyMemory());
        Assert.Equal("mmapkit", doc.RootElement.GetProperty("name").GetString());
    }

    [Fact]
    public void Encoding_UTF8_GetString_decodes_mapped_text()
    {
        string text = "héllo, wörld — 映射 ✓\n";
        string p = _dir.File("t.txt");
        File.WriteAllText(p, text, new UTF8Encoding(false));
        using var f = MappedFile.Open(p);
        using var v = f.CreateView();
        Assert.Equal(text, Encoding.UTF8.GetString(v.AsReadOnlySpan()));
        int firstLen = Encoding.UTF8.GetByteCount("héllo");
        Assert.Equal("héllo", Encoding.UTF8.GetString(v.AsReadOnlySpan(0, firstLen)));
    }

    [Fact]
    public void Stream_CopyTo_copies_the_view()
    {
        string p = _dir.Patterned("s.bin", 300_000);
        using var f = MappedFile.Open(p);
        using var v = f.CreateView(1000);
        using Stream s = v.AsStream();
        Assert.True(s.CanRead && s.CanSeek && !s.CanWrite);
        Assert.Equal(299_000, s.Length);
        var ms = new MemoryStream();
        s.CopyTo(ms);
        Assert.Equal(TempDir.ReadAll(p).AsSpan(1000).ToArray(), ms.ToArray());
        Assert.Equal(0, s.Read(new byte[10], 0, 10));
        Assert.Equal(-1, s.ReadByte());
        s.Seek(-2, SeekOrigin.End);
        Assert.Equal(TempDir.Pattern(300_000)[^2], s.ReadByte());
        s.Position = 5;
        Assert.Equal(TempDir.Pattern(300_000)[1005], s.ReadByte());
        Assert.Throws<IOException>(() => s.Seek(-1, SeekOrigin.Begin));
        Assert.Throws<NotSupportedException>(() => s.SetLength(5));
    }

    [Fact]
    public async Task Stream_writes_reach_the_file_and_cannot_grow()
    {
        string p = _dir.File("sw.bin");
        using (var f = MappedFile.Create(p, 10))
        using (var v = f.CreateView())
        using (Stream s = v.AsStream())
        {
            s.Write(new byte[] { 1, 2, 3 });
            await s.WriteAsync(new byte[] { 4, 5 });
            s.WriteByte(6);
            Assert.Equal(6, s.Position);
            Assert.Throws<NotSupportedException>(() => s.Write(new byte[5]));
            var back = new byte[6];
            s.Position = 0;
            Assert.Equal(6, await s.ReadAsync(back));
            Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, back);
            v.Flush();
        }
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 0, 0, 0, 0 }, TempDir.ReadAll(p));
    }

    [Fact]
    public async Task FileStream_WriteAsync_and_ReadAsync_work_on_view_memory()
    {
        string src = _dir.Patterned("src.bin", 200_000);
        string dst = _dir.File("dst.bin");
        using (var f = MappedFile.Open(src))
        using (var v = f.CreateView())
        await using (var fs = new FileStream(dst, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
            await fs.WriteAsync(v.AsReadOnlyMemory());
        Assert.Equal(TempDir.ReadAll(src), TempDir.ReadAll(dst));

        using (var f = MappedFile.Create(_dir.File("in.bin"), 200_000))
        using (var v = f.CreateView())
        {
            await using (var fs = new FileStream(src, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.Asynchronous))
                Assert.Equal(200_000, await fs.ReadAtLeastAsync(v.AsMemory(), 200_000));
            Assert.Equal(TempDir.ReadAll(src), v.AsReadOnlySpan().ToArray());
        }
    }

    [Fact]
    public void MemoryMarshal_Cast_views_mapped_bytes_as_ints()
    {
        using var f = MappedFile.Create(_dir.File("ints.bin"), 4000);
        using var v = f.CreateView();
        Span<int> ints = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(v.AsSpan());
        for (int i = 0; i < ints.Length; i++) ints[i] = i * i;
        Assert.Equal(999 * 999, v.Read<int>(999 * 4));
    }
}
