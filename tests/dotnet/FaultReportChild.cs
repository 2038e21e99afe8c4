using System.IO.MemoryMappedFiles;

namespace MmapKit.Tests;

/// <summary>
/// The child side of FaultReportTests (`sigbus KIND DIR load|noload`): a SIGBUS in managed
/// code, through the BCL's MemoryMappedFile ("bcl") or a MmapKit span ("span") over a file
/// truncated under it, with or without MmapKit's handler installed first. The process must die
/// with the runtime's own report; printing "survived" and exiting 3 means no fault happened.
/// </summary>
internal static class FaultReportChild
{
    public static int Run(string kind, string dir, bool load)
    {
        string path = Path.Combine(dir, $"sigbus-{kind}.bin");
        File.WriteAllBytes(path, new byte[2 * 4096]);
        if (load || kind == "span")
        {
            using var anon = MappedFile.CreateAnonymous(4096);
            using var v = anon.CreateView(); // installs the core's SIGBUS handler
        }
        byte got;
        if (kind == "bcl")
        {
            using var mmf = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite);
            using var acc = mmf.CreateViewAccessor(0, 2 * 4096);
            Truncate(path);
            got = acc.ReadByte(4096 + 7);
        }
        else
        {
            using var f = MappedFile.Open(path, MapAccess.ReadWrite);
            using var v = f.CreateView();
            ReadOnlySpan<byte> s = v.AsReadOnlySpan();
            Truncate(path);
            got = s[4096 + 7];
        }
        Console.WriteLine("survived " + got);
        return 3;
    }

    private static void Truncate(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        fs.SetLength(0);
    }
}
