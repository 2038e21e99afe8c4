namespace MmapKit;

/// <summary>How a <see cref="MappedFile"/> is opened and how its views may be used.</summary>
public enum MapAccess
{
    /// <summary>Read-only and shared: views see the file's current content.</summary>
    Read = 0,

    /// <summary>Read-write and shared: writes reach the file and every other process mapping it.</summary>
    ReadWrite = 1,

    /// <summary>Copy-on-write (private): writes are visible only to this view and never reach the file.</summary>
    CopyOnWrite = 2,
}

/// <summary>Access-pattern hints for <see cref="MappedView.Advise(Advice)"/> (madvise).</summary>
public enum Advice
{
    /// <summary>No special treatment (the default).</summary>
    Normal = 0,

    /// <summary>Pages will be read in order: read ahead aggressively, free behind.</summary>
    Sequential = 1,

    /// <summary>Pages will be read in random order: read ahead little.</summary>
    Random = 2,

    /// <summary>The range will be needed soon: start reading it in now.</summary>
    WillNeed = 3,

    /// <summary>
    /// The range is not needed now: its pages are dropped. A shared file view reads the
    /// file's content again on the next access.
    /// </summary>
    DontNeed = 4,

    /// <summary>Back the range with transparent huge pages where the system has them.</summary>
    HugePage = 5,
}

/// <summary>Durability of <see cref="MappedView.Flush(long, long, FlushMode)"/>.</summary>
public enum FlushMode
{
    /// <summary>Schedule the write-back and return at once (msync MS_ASYNC).</summary>
    Async = 0,

    /// <summary>The range is written to the device before the call returns (msync MS_SYNC).</summary>
    Sync = 1,

    /// <summary><see cref="Sync"/> plus the file's metadata and the drive's cache (fsync).</summary>
    Full = 2,
}
