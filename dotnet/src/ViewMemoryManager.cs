using System;
using System.Buffers;
using System.Threading;

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

    // The base class would call GetSpan, fixing the view in place before any use.
    public override Memory<byte> Memory => CreateMemory(_length);

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        if ((uint)elementIndex > (uint)_length)
            throw new ArgumentOutOfRangeException(nameof(elementIndex));
        byte* p = _view.AddPin(_offset, _length);
        return new MemoryHandle(p + elementIndex, default, new PinToken(_view));
    }

    // Each pin is released by its own token, so disposing copies of one MemoryHandle, or
    // calling this, can never release a pin twice or someone else's pin.
    public override void Unpin() { }

    // The manager owns nothing: the view is disposed by its owner.
    protected override void Dispose(bool disposing) { }

    // One pin: MemoryHandle.Dispose calls Unpin on every copy of the handle; only the first counts.
    private sealed class PinToken : IPinnable
    {
        private MappedView? _view;

        internal PinToken(MappedView view) => _view = view;

        public MemoryHandle Pin(int elementIndex) =>
            throw new NotSupportedException("A pin cannot be pinned again; pin the Memory<byte>.");

        public void Unpin() => Interlocked.Exchange(ref _view, null)?.RemovePin();
    }
}
