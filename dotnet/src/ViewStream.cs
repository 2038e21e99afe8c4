using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace MmapKit;

/// <summary>
/// The stream of <see cref="MappedView.AsStream"/>: seekable, fixed length, every transfer
/// through the view's fault-safe copies (a fault is an IOException, not a crash).
/// </summary>
internal sealed class ViewStream : Stream
{
    private readonly MappedView _view;
    private readonly long _length;
    private long _position;
    private bool _closed;

    internal ViewStream(MappedView view)
    {
        _view = view;
        _length = view.Length;
    }

    public override bool CanRead => !IsClosed;
    public override bool CanSeek => !IsClosed;
    public override bool CanWrite => !IsClosed && _view.CanWrite;

    // A stream of a disposed view is closed too.
    private bool IsClosed => _closed || _view.IsDisposed;

    public override long Length
    {
        get
        {
            ThrowIfClosed();
            return _length;
        }
    }

    public override long Position
    {
        get
        {
            ThrowIfClosed();
            return _position;
        }
        set
        {
            ThrowIfClosed();
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public override int Read(Span<byte> buffer)
    {
        ThrowIfClosed();
        if (_position >= _length) return 0;
        int n = (int)Math.Min(buffer.Length, _length - _position);
        _view.ReadBytes(_position, buffer[..n]);
        _position += n;
        return n;
    }

    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 1 ? one[0] : -1;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    // Memory-to-memory copies finish at once: no need for a thread-pool hop.
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<int>(cancellationToken);
        try
        {
            return ValueTask.FromResult(Read(buffer.Span));
        }
        catch (Exception e)
        {
            return ValueTask.FromException<int>(e);
        }
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ThrowIfClosed();
        if (!_view.CanWrite) throw new NotSupportedException("The view is read-only.");
        if (buffer.Length > _length - Math.Min(_position, _length))
            throw new NotSupportedException("A view stream cannot grow past the view's length.");
        _view.WriteBytes(_position, buffer);
        _position += buffer.Length;
    }

    public override void WriteByte(byte value)
    {
        ReadOnlySpan<byte> one = stackalloc byte[1] { value };
        Write(one);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled(cancellationToken);
        try
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }
        catch (Exception e)
        {
            return ValueTask.FromException(e);
        }
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        ThrowIfClosed();
        long target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => _length + offset,
            _ => throw new ArgumentException("Not a SeekOrigin value.", nameof(origin)),
        };
        if (target < 0) throw new IOException("An attempt was made to move the position before the beginning of the stream.");
        _position = target;
        return target;
    }

    public override void SetLength(long value) =>
        throw new NotSupportedException("A view stream has the view's fixed length; resize the view or the file instead.");

    // The bytes are already in the mapping; durability is MappedView.Flush's job.
    public override void Flush() => ThrowIfClosed();

    protected override void Dispose(bool disposing)
    {
        _closed = true;
        base.Dispose(disposing);
    }

    private void ThrowIfClosed()
    {
        if (IsClosed) throw new ObjectDisposedException(nameof(ViewStream));
    }
}
