using Xunit;

namespace MmapKit.Tests;

public sealed class SharedMemoryTests : IDisposable
{
    private readonly ShmNames _names = new();

    public void Dispose() => _names.Dispose();

    [Fact]
    public void CreateShared_is_exclusive_and_OpenShared_sees_the_same_memory()
    {
        string name = _names.New();
        using var a = MappedFile.CreateShared(name, 4096);
        Assert.Equal(name, a.Name);
        Assert.Equal(4096, a.Length);
        var e = Assert.Throws<IOException>(() => MappedFile.CreateShared(name, 4096));
        Assert.Contains(name, e.Message);
        Assert.Equal(unchecked((int)0x80070050), e.HResult); // as FileMode.CreateNew
        using var b = MappedFile.OpenShared(name);
        using var va = a.CreateView();
        using var vb = b.CreateView();
        va.Write(128, 0xC0FFEEL);
        Assert.Equal(0xC0FFEEL, vb.Read<long>(128));
    }

    [NotOnWindowsFact("Windows shared memory keeps its creation size and ends with its last handle (mmapkit.h, Windows notes)")]
    public void CreateOrOpenShared_creates_then_opens_and_grows_but_never_shrinks()
    {
        string name = _names.New();
        using (var a = MappedFile.CreateOrOpenShared(name, 100))
        using (var v = a.CreateView())
            v.Write(0, 77);
        using (var b = MappedFile.CreateOrOpenShared(name, 50))
        {
            Assert.Equal(100, b.Length);
            using var v = b.CreateView();
            Assert.Equal(77, v.Read<int>(0));
        }
        using (var c = MappedFile.CreateOrOpenShared(name, 8192))
            Assert.Equal(8192, c.Length);
    }

    [NotOnWindowsFact("the /dev/shm file's POSIX mode; Windows named mappings get an owner-only DACL (C suite win32)")]
    public void Shared_memory_is_created_for_its_owner_only()
    {
        string name = _names.New();
        using var a = MappedFile.CreateShared(name, 10);
        UnixFileMode mode = File.GetUnixFileMode("/dev/shm/" + name);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    [Fact]
    public void OpenShared_of_missing_name_throws_FileNotFoundException()
    {
        string name = _names.New();
        var e = Assert.Throws<FileNotFoundException>(() => MappedFile.OpenShared(name));
        Assert.Contains(name, e.Message);
    }

    [Fact]
    public void Invalid_names_throw_ArgumentException()
    {
        foreach (string bad in new[] { "", ".hidden", "a/b", "sp ace", "ü", new string('x', 201) })
        {
            Assert.Throws<ArgumentException>(() => MappedFile.CreateOrOpenShared(bad, 10));
            Assert.Throws<ArgumentException>(() => MappedFile.OpenShared(bad));
            Assert.Throws<ArgumentException>(() => MappedFile.DeleteShared(bad));
        }
        Assert.Throws<ArgumentNullException>(() => MappedFile.OpenShared(null!));
        // 200 characters is the longest valid name.
        string longest = "L" + Guid.NewGuid().ToString("N") + new string('y', 167);
        Assert.Equal(200, longest.Length);
        // Deleted while open: a Windows named mapping ends with its last handle.
        using (MappedFile.CreateShared(longest, 1)) Assert.True(MappedFile.DeleteShared(longest));
    }

    [NotOnWindowsFact("a Windows named mapping keeps its name until its last handle and view close (mmapkit.h, Windows notes)")]
    public void DeleteShared_removes_the_name_but_not_the_memory()
    {
        string name = _names.New();
        using var a = MappedFile.CreateShared(name, 4096);
        using var v = a.CreateView();
        v.Write(0, 5L);
        Assert.True(MappedFile.DeleteShared(name));
        Assert.False(MappedFile.DeleteShared(name));
        Assert.Throws<FileNotFoundException>(() => MappedFile.OpenShared(name));
        Assert.Equal(5L, v.Read<long>(0));
        using var again = MappedFile.CreateShared(name, 4096);
        using var v2 = again.CreateView();
        Assert.Equal(0L, v2.Read<long>(0));
    }

    [Fact]
    public void OpenShared_read_only_gives_read_only_views()
    {
        string name = _names.New();
        using var a = MappedFile.CreateShared(name, 64);
        using var r = MappedFile.OpenShared(name, MapAccess.Read);
        using var v = r.CreateView();
        Assert.False(v.CanWrite);
        Assert.Throws<NotSupportedException>(() => v.Write(0, 1));
    }

    [Fact]
    public void Named_shared_memory_is_seen_by_a_child_process()
    {
        string name = _names.New();
        using var f = MappedFile.CreateShared(name, 4096);
        using var v = f.CreateView();
        v.Write(0, 41L);
        var (code, output) = Child.Run("shm-increment", name);
        Assert.Equal(0, code);
        Assert.Equal("41", output);
        Assert.Equal(42L, v.Read<long>(8));
    }
}
