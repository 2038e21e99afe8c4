using System.Runtime.InteropServices;
using Xunit;

namespace MmapKit.Tests;

/// <summary>
/// A shared-memory object planted before us (by another user, or open to group/others) is
/// refused by create-or-open and open with UnauthorizedAccessException, and left untouched:
/// otherwise the planter reads what we write.
/// </summary>
public sealed class ShmSquatTests : IDisposable
{
    private readonly ShmNames _shm = new();

    public void Dispose() => _shm.Dispose();

    [DllImport("libc", SetLastError = true)]
    private static extern int chown(string path, int owner, int group);

    // What a squatter leaves: an object of 8 KiB holding 0x5A bytes.
    private static string Plant(string name, UnixFileMode mode)
    {
        string path = "/dev/shm/" + name;
        File.WriteAllBytes(path, Enumerable.Repeat((byte)0x5A, 8192).ToArray());
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private static void RefusedAndUntouched(string name, string path, string why)
    {
        var e = Assert.Throws<UnauthorizedAccessException>(() => MappedFile.CreateOrOpenShared(name, 1 << 20).Dispose());
        Assert.Contains(name, e.Message);
        Assert.Throws<UnauthorizedAccessException>(() => MappedFile.OpenShared(name).Dispose());
        Assert.Throws<UnauthorizedAccessException>(() => MappedFile.OpenShared(name, MapAccess.Read).Dispose());
        Assert.Throws<UnauthorizedAccessException>(() => MappedFile.OpenShared(name, MapAccess.CopyOnWrite).Dispose());
        byte[] now = TempDir.ReadAll(path);
        Assert.True(now.Length == 8192 && now.All(b => b == 0x5A), why + ": the planted object was changed");
    }

    [NotOnWindowsFact("POSIX owner and mode of /dev/shm objects; Windows named mappings get an owner-only DACL (C suite win32)")]
    public void Shared_memory_open_to_group_or_others_is_refused_by_default_and_left_untouched()
    {
        string name = _shm.New();
        string path = Plant(name, (UnixFileMode)0b110_110_110); // 0666
        RefusedAndUntouched(name, path, "mode 0666");
        File.SetUnixFileMode(path, (UnixFileMode)0b110_100_000); // 0640: group may read
        RefusedAndUntouched(name, path, "mode 0640");
    }

    [NotOnWindowsFact("POSIX owner and mode of /dev/shm objects; Windows named mappings get an owner-only DACL (C suite win32)")]
    public void Shared_memory_of_another_user_is_refused_by_default_and_left_untouched()
    {
        string name = _shm.New();
        string path = Plant(name, (UnixFileMode)0b110_000_000); // 0600
        int other = Environment.UserName == "nobody" ? 1 : 65534;
        if (chown(path, other, other) != 0)
        {
            // Not root: a second user is out of reach; the mode case above still holds.
            Assert.Equal(1 /* EPERM */, Marshal.GetLastPInvokeError());
            return;
        }
        RefusedAndUntouched(name, path, $"owned by uid {other}");
    }
}
