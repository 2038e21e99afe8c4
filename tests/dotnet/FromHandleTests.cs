using System.IO.Pipes;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Xunit;

namespace MmapKit.Tests;

/// <summary>
/// MappedFile.FromHandle / FromStream: what the caller already opened (issue 18). On Linux the
/// core wraps a descriptor (mmk_file_from_fd), on Windows a HANDLE (mmk_file_from_handle): the
/// cases are the same, what the refusals say and how a file is deleted while open differ.
/// </summary>
public sealed class FromHandleTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    // Windows deletes a file another handle holds only if that handle shares delete access, and
    // the file then lives on until its last handle closes: FileShare.Delete (ignored on Linux).
    [Fact]
    public void Deleted_file_maps_after_the_stream_is_disposed()
    {
        string p = _dir.Patterned("gone.bin", 10_000);
        var fs = new FileStream(p, FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        File.Delete(p);
        using var f = MappedFile.FromStream(fs, MapAccess.ReadWrite);
        fs.Dispose();
        if (OperatingSystem.IsWindows())
            // GetFinalPathNameByHandle of a deleted file: its old path while the deletion is
            // pending (Wine, FAT), a name under \$Extend\$Deleted (NTFS's POSIX deletion), or
            // "handle 0x... (no path)": nothing that says "deleted".
            Assert.False(string.IsNullOrEmpty(f.Name));
        else
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
        // What the system calls the file: the /proc/self/fd link, or the final path name
        // (GetFinalPathNameByHandle) without its \\?\ prefix.
        Assert.EndsWith("owner.bin", f.Name);
        Assert.True(Path.IsPathFullyQualified(f.Name), f.Name);
        Assert.DoesNotContain(@"\\?\", f.Name);
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

    // On Windows such a stream's handle is opened for overlapped I/O (FILE_FLAG_OVERLAPPED).
    [Fact]
    public void An_asynchronous_FileStream_maps_and_locks_like_any_other()
    {
        string p = _dir.Patterned("async.bin", 8192);
        using var fs = new FileStream(p, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 4096,
                                      useAsync: true);
        using var f = MappedFile.FromStream(fs, MapAccess.ReadWrite);
        using (var v = f.CreateView())
        {
            Assert.Equal(TempDir.Pattern(8192), v.ReadBytes(0, 8192));
            v.WriteBytes(8000, "async"u8);
        }
        Assert.Equal("async"u8.ToArray(), TempDir.ReadAll(p)[8000..8005]);
        using var other = MappedFile.Open(p, MapAccess.ReadWrite);
        using (var l = f.TryLock(0, 100, shared: false))
        {
            Assert.NotNull(l);
            Assert.Null(other.TryLock(50, 100, shared: false));
        }
        using (other.Lock(0, 100, shared: false))
            Assert.Null(f.TryLock(0, 100, shared: false));
    }

    // On Windows an async FileStream's handle is overlapped and bound to the thread pool's
    // completion port: the waiting lock must still wait (win32_lock.c polls a try-lock there)
    // and must post nothing to that port.
    [Fact]
    public void A_waiting_lock_through_an_asynchronous_FileStreams_handle_waits_for_the_holder()
    {
        string p = _dir.Patterned("async-wait.bin", 4096);
        using var fs = new FileStream(p, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 4096,
                                      useAsync: true);
        using var f = MappedFile.FromStream(fs, MapAccess.ReadWrite);
        using var other = MappedFile.Open(p, MapAccess.ReadWrite);
        IDisposable held = other.Lock(0, 100, shared: false);
        Exception? failure = null;
        var waiter = new Thread(() =>
        {
            try { f.Lock(0, 100, shared: false).Dispose(); }
            catch (Exception e) { failure = e; }
        });
        waiter.Start();
        Assert.False(waiter.Join(300), $"the lock did not wait: {failure}");
        held.Dispose();
        Assert.True(waiter.Join(10_000), "the waiting lock was not granted after the release");
        Assert.Null(failure);
    }

    [Fact]
    public void Read_only_stream_asked_for_ReadWrite_is_UnauthorizedAccess_naming_the_file()
    {
        // What the access the handle was granted lacks, in the platform's terms (mmapkit.h).
        bool windows = OperatingSystem.IsWindows();
        string p = _dir.Patterned("ro.bin", 4096);
        using (var fs = new FileStream(p, FileMode.Open, FileAccess.Read))
        {
            var e = Assert.Throws<UnauthorizedAccessException>(() => MappedFile.FromStream(fs, MapAccess.ReadWrite));
            Assert.Contains("ro.bin", e.Message);
            Assert.Contains(windows ? "FILE_WRITE_DATA" : "O_RDWR", e.Message);
            Assert.Equal(windows ? "from_handle" : "from_fd", e.Data["mmapkit.operation"]);
            Assert.Equal("MMK_EACCES", e.Data["mmapkit.status"]);
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
                Assert.Contains(windows ? "no read access" : "write-only", e.Message);
                Assert.Contains("ro.bin", e.Message);
            }
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open(string path, int flags);

    private const int O_RDONLY = 0, O_DIRECTORY = 0x10000; // Linux x86-64 and arm64

    // File.OpenHandle and FileStream refuse a directory on Windows (UnauthorizedAccessException):
    // a directory handle comes from CreateFileW with FILE_FLAG_BACKUP_SEMANTICS only.
    [DllImport("kernel32", EntryPoint = "CreateFileW", CharSet = CharSet.Unicode, SetLastError = true)]
    private static extern SafeFileHandle CreateFile(string path, uint access, uint share, IntPtr security,
                                                    uint disposition, uint flags, IntPtr template);

    private const uint GENERIC_READ = 0x80000000, FILE_SHARE_ALL = 7, OPEN_EXISTING = 3,
        FILE_FLAG_BACKUP_SEMANTICS = 0x02000000;

    private static SafeFileHandle OpenDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            SafeFileHandle h = CreateFile(path, GENERIC_READ, FILE_SHARE_ALL, IntPtr.Zero, OPEN_EXISTING,
                                          FILE_FLAG_BACKUP_SEMANTICS, IntPtr.Zero);
            Assert.False(h.IsInvalid, $"CreateFileW: Win32 error {Marshal.GetLastPInvokeError()}");
            return h;
        }
        int fd = open(path, O_RDONLY | O_DIRECTORY);
        Assert.True(fd >= 0, $"open: errno {Marshal.GetLastPInvokeError()}");
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    private static IOException RefusedAsNoFile(IntPtr raw, MapAccess access, string what)
    {
        var h = new SafeFileHandle(raw, ownsHandle: false);
        var e = Assert.Throws<IOException>(() => MappedFile.FromHandle(h, access));
        Assert.Contains(what, e.Message);
        Assert.Equal("MMK_ENODEV", e.Data["mmapkit.status"]);
        return e;
    }

    // Each platform's own kinds: Linux's pipe, Unix socket, O_DIRECTORY descriptor and
    // /dev/null; Windows' anonymous and named pipes, a TCP socket (GetFileType calls both
    // FILE_TYPE_PIPE), a FILE_FLAG_BACKUP_SEMANTICS directory handle and NUL.
    [Fact]
    public void Pipe_socket_directory_and_device_are_refused_saying_what_they_are()
    {
        bool windows = OperatingSystem.IsWindows();
        using (var server = new AnonymousPipeServerStream(PipeDirection.In))
        {
            var e = RefusedAsNoFile(server.SafePipeHandle.DangerousGetHandle(), MapAccess.Read,
                                    windows ? "a pipe or socket" : "a pipe or FIFO");
            if (!windows) Assert.Contains("pipe:[", e.Message); // Linux names it by its inode
        }
        if (windows)
        {
            // A server end exists (and has its handle) before any client connects.
            using var server = new NamedPipeServerStream($"mmk-net-{Environment.ProcessId}-{Guid.NewGuid():N}",
                                                         PipeDirection.InOut);
            RefusedAsNoFile(server.SafePipeHandle.DangerousGetHandle(), MapAccess.ReadWrite, "a pipe or socket");
        }
        using (var socket = windows ? new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
                                    : new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            RefusedAsNoFile(socket.Handle, MapAccess.ReadWrite, windows ? "a pipe or socket" : "a socket");
        using (SafeFileHandle h = OpenDirectory(_dir.Path))
        {
            var e = Assert.Throws<UnauthorizedAccessException>(() => MappedFile.FromHandle(h, MapAccess.Read));
            Assert.Contains("directory", e.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Equal("MMK_EISDIR", e.Data["mmapkit.status"]);
        }
        using (var h = File.OpenHandle(windows ? "NUL" : "/dev/null", FileMode.Open, FileAccess.ReadWrite))
        {
            var e = RefusedAsNoFile(h.DangerousGetHandle(), MapAccess.ReadWrite, "a character device");
            if (!windows) Assert.Equal("/dev/null", e.Data["mmapkit.path"]);
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
        // a number that is no descriptor or handle at all; -1 (INVALID_HANDLE_VALUE on Windows,
        // where it is also the current process's pseudo-handle)
        foreach (IntPtr raw in new[] { (IntPtr)(1 << 20), (IntPtr)(-1) })
        {
            var bogus = new SafeFileHandle(raw, ownsHandle: false);
            var e = Assert.Throws<IOException>(() => MappedFile.FromHandle(bogus, MapAccess.Read));
            Assert.Equal("MMK_EBADF", e.Data["mmapkit.status"]);
        }
    }
}
