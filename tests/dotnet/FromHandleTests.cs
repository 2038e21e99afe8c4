using System.IO.Pipes;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Xunit;

namespace MmapKit.Tests;

/// <summary>MappedFile.FromHandle / FromStream: what the caller already opened (issue 18).</summary>
public sealed class FromHandleTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Deleted_file_maps_after_the_stream_is_disposed()
    {
        string p = _dir.Patterned("gone.bin", 10_000);
        var fs = new FileStream(p, FileMode.Open, FileAccess.ReadWrite);
        File.Delete(p);
        using var f = MappedFile.FromStream(fs, MapAccess.ReadWrite);
        fs.Dispose();
        Assert.EndsWith("gone.bin (deleted)", f.Name);
        Assert.Equal(10_000, f.Length);
        using (var v = f.CreateView())
        {
            Assert.Equal(TempDir.Pattern(10_000), v.ReadBytes(0, 10_000));
            v.WriteBytes(100, "kept"u8);
            Assert.Equal("kept"u8.ToArray(), v.ReadBytes(100, 4));
        }
        f.Resize(20_000); // the deleted file still grows
        Assert.Equal(20_000, f.Length);
    }

    [Fact]
    public void Delete_on_close_stream_with_buffered_writes_is_flushed_first()
    {
        string p = _dir.File("tmp.bin");
        using (var fs = new FileStream(p, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None,
                   4096, FileOptions.DeleteOnClose))
        {
            fs.Write(TempDir.Pattern(1000)); // still in the stream's buffer
            using var f = MappedFile.FromStream(fs, MapAccess.ReadWrite);
            using var v = f.CreateView();
            Assert.Equal(TempDir.Pattern(1000), v.ReadBytes(0, 1000));
        }
        Assert.False(File.Exists(p));
    }

    [Fact]
    public void Owner_disposes_right_after_mapping_and_Dispose_never_closes_the_handle()
    {
        string p = _dir.Patterned("owner.bin", 8192);
        SafeFileHandle h = File.OpenHandle(p, FileMode.Open, FileAccess.ReadWrite);
        var f = MappedFile.FromHandle(h, MapAccess.ReadWrite);
        Assert.False(f.Created);
        f.Dispose();
        Assert.False(h.IsClosed);
        var buf = new byte[4];
        Assert.Equal(4, RandomAccess.Read(h, buf, 0)); // the caller's handle still works
        Assert.Equal(TempDir.Pattern(4), buf);
        f = MappedFile.FromHandle(h, MapAccess.ReadWrite);
        using (var v = f.CreateView())
        {
            h.Dispose();
            f.Dispose();
            v.WriteBytes(0, new byte[] { 9, 9 });
        }
        Assert.Equal(new byte[] { 9, 9 }, File.ReadAllBytes(p)[..2]);
    }

    // FileStream.Lock is process-owned, the MappedFile's locks are its own: they conflict.
    [Fact]
    public void A_FileStream_lock_and_the_mapped_files_lock_exclude_each_other()
    {
        string p = _dir.Patterned("locks.bin", 4096);
        using var fs = new FileStream(p, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        using var f = MappedFile.FromStream(fs, MapAccess.ReadWrite);
        fs.Lock(0, 100);
        Assert.Null(f.TryLock(0, 100, shared: false));
        fs.Unlock(0, 100);
        using (var l = f.TryLock(0, 100, shared: false))
        {
            Assert.NotNull(l);
            Assert.Throws<IOException>(() => fs.Lock(0, 100));
        }
    }

    [Fact]
    public void Read_only_stream_asked_for_ReadWrite_is_UnauthorizedAccess_naming_the_file()
    {
        string p = _dir.Patterned("ro.bin", 4096);
        using (var fs = new FileStream(p, FileMode.Open, FileAccess.Read))
        {
            var e = Assert.Throws<UnauthorizedAccessException>(() => MappedFile.FromStream(fs, MapAccess.ReadWrite));
            Assert.Contains("ro.bin", e.Message);
            Assert.Contains("O_RDWR", e.Message);
            Assert.Equal("from_fd", e.Data["mmapkit.operation"]);
            foreach (var access in new[] { MapAccess.Read, MapAccess.CopyOnWrite })
            {
                using var f = MappedFile.FromStream(fs, access);
                using var v = f.CreateView();
                Assert.Equal(TempDir.Pattern(4096), v.ReadBytes(0, 4096));
            }
        }
        using (var ws = new FileStream(p, FileMode.Open, FileAccess.Write))
        {
            foreach (var access in new[] { MapAccess.Read, MapAccess.ReadWrite, MapAccess.CopyOnWrite })
            {
                var e = Assert.Throws<UnauthorizedAccessException>(() => MappedFile.FromStream(ws, access));
                Assert.Contains("write-only", e.Message);
            }
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open(string path, int flags);

    private const int O_RDONLY = 0, O_DIRECTORY = 0x10000; // Linux x86-64 and arm64

    [NotOnWindowsFact("a Unix socket, libc open(O_DIRECTORY) and Linux's pipe:[N] names; "
        + "the C suite win32 tests mmk_file_from_handle on a pipe and a directory")]
    public void Pipe_socket_directory_and_device_are_refused_saying_what_they_are()
    {
        using (var server = new AnonymousPipeServerStream(PipeDirection.In))
        {
            var h = new SafeFileHandle(server.SafePipeHandle.DangerousGetHandle(), ownsHandle: false);
            var e = Assert.Throws<IOException>(() => MappedFile.FromHandle(h, MapAccess.Read));
            Assert.Contains("a pipe or FIFO", e.Message);
            Assert.Contains("pipe:[", e.Message);
        }
        using (var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            var h = new SafeFileHandle(socket.Handle, ownsHandle: false);
            var e = Assert.Throws<IOException>(() => MappedFile.FromHandle(h, MapAccess.ReadWrite));
            Assert.Contains("a socket", e.Message);
        }
        int fd = open(_dir.Path, O_RDONLY | O_DIRECTORY);
        Assert.True(fd >= 0, $"open: errno {Marshal.GetLastPInvokeError()}");
        using (var h = new SafeFileHandle(fd, ownsHandle: true))
        {
            var e = Assert.Throws<UnauthorizedAccessException>(() => MappedFile.FromHandle(h, MapAccess.Read));
            Assert.Contains("directory", e.Message, StringComparison.OrdinalIgnoreCase);
        }
        using (var h = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite))
        {
            var e = Assert.Throws<IOException>(() => MappedFile.FromHandle(h, MapAccess.ReadWrite));
            Assert.Contains("a character device", e.Message);
            Assert.Equal("/dev/null", e.Data["mmapkit.path"]);
        }
    }

    [Fact]
    public void Closed_handles_disposed_streams_and_bad_arguments()
    {
        string p = _dir.Patterned("c.bin", 100);
        SafeFileHandle h = File.OpenHandle(p);
        h.Dispose();
        Assert.Throws<ObjectDisposedException>(() => MappedFile.FromHandle(h, MapAccess.Read));
        var fs = new FileStream(p, FileMode.Open, FileAccess.Read);
        fs.Dispose();
        Assert.Throws<ObjectDisposedException>(() => MappedFile.FromStream(fs, MapAccess.Read));
        Assert.Throws<ArgumentNullException>(() => MappedFile.FromHandle(null!, MapAccess.Read));
        Assert.Throws<ArgumentNullException>(() => MappedFile.FromStream(null!, MapAccess.Read));
        using var open = File.OpenHandle(p);
        Assert.Throws<ArgumentOutOfRangeException>(() => MappedFile.FromHandle(open, (MapAccess)7));
        // a number that is no descriptor at all
        var bogus = new SafeFileHandle((IntPtr)(1 << 20), ownsHandle: false);
        var e = Assert.Throws<IOException>(() => MappedFile.FromHandle(bogus, MapAccess.Read));
        Assert.Equal("MMK_EBADF", e.Data["mmapkit.status"]);
    }
}
