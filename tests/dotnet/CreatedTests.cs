using Xunit;

namespace MmapKit.Tests;

/// <summary>MappedFile.Created and the explicit opt-in for foreign shared memory.</summary>
public sealed class CreatedTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ShmNames _shm = new();

    public void Dispose()
    {
        _shm.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void Created_tells_whether_the_call_created_the_object()
    {
        string name = _shm.New();
        // Held open: a Windows named mapping ends with its last handle.
        using var first = MappedFile.CreateOrOpenShared(name, 4096);
        Assert.True(first.Created);
        using (var second = MappedFile.CreateOrOpenShared(name, 4096)) Assert.False(second.Created);
        using (var opened = MappedFile.OpenShared(name)) Assert.False(opened.Created);
        string other = _shm.New();
        using (var made = MappedFile.CreateShared(other, 4096)) Assert.True(made.Created);
        using (var anon = MappedFile.CreateAnonymous(4096)) Assert.True(anon.Created);

        string p = _dir.File("c.bin");
        using (var f = MappedFile.Open(p, MapAccess.ReadWrite, 4096)) Assert.True(f.Created);
        using (var f = MappedFile.Open(p, MapAccess.ReadWrite, 4096)) Assert.False(f.Created);
        using (var f = MappedFile.Open(p)) Assert.False(f.Created);
        using (var f = MappedFile.Create(p, 100)) Assert.False(f.Created);
        using (var f = MappedFile.Create(_dir.File("d.bin"), 100)) Assert.True(f.Created);
    }

    [NotOnWindowsFact("a /dev/shm object's POSIX mode; Windows named mappings get an owner-only DACL (C suite win32)")]
    public void allowForeign_opens_an_object_open_to_others_on_purpose()
    {
        string name = _shm.New();
        string path = "/dev/shm/" + name;
        File.WriteAllBytes(path, new byte[] { 1, 2, 3, 4 });
        File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110);
        var e = Assert.Throws<UnauthorizedAccessException>(() => MappedFile.OpenShared(name, MapAccess.Read, allowForeign: false));
        Assert.Contains("0666", e.Message);
        using (var f = MappedFile.OpenShared(name, MapAccess.Read, allowForeign: true))
        using (var v = f.CreateView())
        {
            Assert.False(f.Created);
            Assert.Equal(new byte[] { 1, 2, 3, 4 }, v.ReadBytes(0, 4));
        }
        using (var f = MappedFile.CreateOrOpenShared(name, 8192, allowForeign: true))
        {
            Assert.False(f.Created);
            Assert.Equal(8192, f.Length);
        }
    }
}
