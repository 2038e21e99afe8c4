using System;

namespace MmapKit;

/// <summary>
/// Options of <see cref="MappedFile.CreateView(long, long, MapOptions?)"/>.
/// </summary>
/// <example><code>
/// using var view = file.CreateView(0, 4096, new MapOptions { Populate = true, Reserve = 1L &lt;&lt; 30 });
/// view.Resize(1 &lt;&lt; 20); // grows in place, same Pointer
/// </code></example>
public sealed class MapOptions
{
    private long _reserve;

    /// <summary>The default options: nothing prefaulted, no reservation, access as the file's.</summary>
    public static MapOptions Default { get; } = new();

    /// <summary>Prefault the pages while mapping (MAP_POPULATE), so first touches do not fault.</summary>
    public bool Populate { get; init; }

    /// <summary>Ask for transparent huge pages where the system has them (a hint; never fails).</summary>
    public bool HugePages { get; init; }

    /// <summary>Map read-only even when the file was opened for writing.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>
    /// Bytes of address space to reserve (0 = none). A view made with a reservation keeps its
    /// address while <see cref="MappedView.Resize(long)"/> grows it up to this many bytes.
    /// Must be at least the mapped length.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long Reserve
    {
        get => _reserve;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _reserve = value;
        }
    }

    internal uint NativeFlags =>
        (Populate ? (uint)Interop.mmk_map_options.MMK_MAP_POPULATE : 0u)
        | (HugePages ? (uint)Interop.mmk_map_options.MMK_MAP_HUGEPAGE : 0u)
        | (ReadOnly ? (uint)Interop.mmk_map_options.MMK_MAP_READONLY : 0u);
}
