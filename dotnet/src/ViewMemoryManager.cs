using System;
using System.Buffers;

namespace MmapKit;

/// <summary>
/// The <see cref="MemoryManager{T}"/> behind <see cref="MappedView.AsMemory()"/>. It holds no
/// pointer of its own: every span is re-derived from the view (so a disposed or shrunk view is
/// an exception, never a stale pointer), and every pin keeps the mapping alive.
/// </summary>
internal sealed unsafe class ViewMemoryManager : MemoryManager<byte>
{
    private readonly MappedView _view;
    private readonly long _offset;
    private readonly int _length;

    internal ViewMemoryManager(MappedView view, long offset, int length)
    {
        _view = view;
        _offset = offset;
        _length = length;
    }

    public override Span<byte> GetSpan() => _view.GetSpanFor(_offset, _length);

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        if ((uint)elementIndex > (uint)_length)
            throw new ArgumentOutOfRangeException(nameof(elementIndex));
        byte* p = _view.AddPin(_offset, _length);
        return new MemoryHandle(p + elementIndex, default, this);
    }

    public override void Unpin() => _view.RemovePin();

    // The manager owns nothing: the view is disposed by its owner.
    protected override void Dispose(bool disposing) { }
}
