using Xunit;

namespace MmapKit.Tests;

/// <summary>
/// Hostile paths and shared-memory names in every call that takes one: an ArgumentException
/// before anything reaches the OS, and nothing created, truncated, grown or deleted. (A NUL
/// used to be cut by the marshaller, so the OS acted on the prefix.)
/// </summary>
public sealed class HostileNameTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ShmNames _shm = new();

    public void Dispose()
    {
        _shm.Dispose();
        _dir.Dispose();
    }

    private static readonly string Long201 = new('a', 201);

    // Every name the contract forbids; the prefix before a NUL is a name that must stay untouched.
    private static string[] BadNames(string existing) => new[]
    {
        existing + "\0other", existing + "\0../../x", "\0", existing + "/x", "../" + existing, "..",
        ".hidden", Long201, "", "a b", existing + "\u00e9",
    };

    // Linux: the object's file in /dev/shm. Windows (named mappings, not
    // files): whether it opens.
    private static bool ShmExists(string name)
    {
        if (!OperatingSystem.IsWindows()) return File.Exists("/dev/shm/" + name);
        try { MappedFile.OpenShared(name).Dispose(); return true; }
        catch (FileNotFoundException) { return false; }
    }

    // This process's objects (other suites run at the same time). Windows
    // cannot list named mappings: there ShmExists alone checks.
    private static string[] Ours() => OperatingSystem.IsWindows() ? Array.Empty<string>() :
        Directory.GetFiles("/dev/shm", $"mmk-net-{Environment.ProcessId}-*").Order().ToArray();

    private static void Refused(Action call, string what)
    {
        var e = Assert.ThrowsAny<ArgumentException>(call);
        Assert.IsNotType<ArgumentOutOfRangeException>(e);
        Assert.False(string.IsNullOrWhiteSpace(e.Message), what);
        if (what.Contains('\0')) Assert.Contains("NUL", e.Message);
    }

    [Fact]
    public void NUL_in_a_path_is_refused_by_every_call_and_the_prefix_file_is_untouched()
    {
        string victim = _dir.Patterned("important.db", 8192);
        string missing = _dir.File("new.db");
        foreach (string bad in new[] { victim + "\0.tmp", victim + "\0", missing + "\0x" })
        {
            Refused(() => MappedFile.Create(bad, 4096).Dispose(), bad);
            Refused(() => MappedFile.Open(bad).Dispose(), bad);
            Refused(() => MappedFile.Open(bad, MapAccess.ReadWrite).Dispose(), bad);
            Refused(() => MappedFile.Open(bad, MapAccess.ReadWrite, 1 << 20).Dispose(), bad);
        }
        Assert.Equal(TempDir.Pattern(8192), TempDir.ReadAll(victim));
        Assert.False(File.Exists(missing));
    }

    [Fact]
    public void Hostile_shared_memory_names_are_refused_by_every_call_and_nothing_changes_in_dev_shm()
    {
        string existing = _shm.New();
        // Held open: a Windows named mapping ends with its last handle.
        using var keep = MappedFile.CreateShared(existing, 4096);
        using (var v = keep.CreateView())
            v.WriteBytes(0, TempDir.Pattern(4096));
        string fresh = _shm.New(); // never created: the prefix of the NUL names below
        string[] before = Ours();
        foreach (string prefix in new[] { existing, fresh })
        {
            foreach (string bad in BadNames(prefix))
            {
                Refused(() => MappedFile.CreateShared(bad, 4096).Dispose(), bad);
                Refused(() => MappedFile.CreateOrOpenShared(bad, 4096).Dispose(), bad);
                Refused(() => MappedFile.OpenShared(bad).Dispose(), bad);
                Refused(() => MappedFile.OpenShared(bad, MapAccess.Read).Dispose(), bad);
                Refused(() => MappedFile.DeleteShared(bad), bad);
            }
        }
        Assert.Equal(before, Ours());
        Assert.True(ShmExists(existing));
        Assert.False(ShmExists(fresh));
        using var again = MappedFile.OpenShared(existing);
        using var view = again.CreateView();
        Assert.Equal(4096, view.Length);
        Assert.Equal(TempDir.Pattern(4096), view.ReadBytes(0, 4096));
    }

    [Fact]
    public void Null_path_or_name_is_ArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>(() => MappedFile.Create(null!, 1));
        Assert.Throws<ArgumentNullException>(() => MappedFile.Open(null!));
        Assert.Throws<ArgumentNullException>(() => MappedFile.CreateShared(null!, 1));
        Assert.Throws<ArgumentNullException>(() => MappedFile.CreateOrOpenShared(null!, 1));
        Assert.Throws<ArgumentNullException>(() => MappedFile.OpenShared(null!));
        Assert.Throws<ArgumentNullException>(() => MappedFile.DeleteShared(null!));
    }
}
