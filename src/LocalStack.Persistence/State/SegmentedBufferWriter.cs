using System.Buffers;

namespace LocalStack.Persistence.State;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over a list of arrays rented from <see cref="ArrayPool{T}.Shared"/>: a large
/// state never needs one huge contiguous array, and nothing is copied when the buffer grows.
/// </summary>
internal sealed class SegmentedBufferWriter : IBufferWriter<byte>, IDisposable
{
    private const int FirstSegmentSize = 16 * 1024;
    private const int MaxSegmentSize = 1024 * 1024;

    private readonly List<(byte[] Array, int Count)> _full = [];
    private byte[] _current;
    private int _used;
    private long _completedLength;

    public SegmentedBufferWriter()
    {
        _current = ArrayPool<byte>.Shared.Rent(FirstSegmentSize);
    }

    /// <summary>The number of bytes written.</summary>
    public long Length => _completedLength + _used;

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > _current.Length - _used)
        {
            throw new InvalidOperationException("Cannot advance past the end of the buffer.");
        }

        _used += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureCapacity(sizeHint);
        return _current.AsMemory(_used);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureCapacity(sizeHint);
        return _current.AsSpan(_used);
    }

    /// <summary>Writes every byte to <paramref name="destination"/>, segment by segment.</summary>
    public async ValueTask CopyToAsync(Stream destination, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_current.Length == 0, this);
        foreach (var (array, count) in _full)
        {
            await destination.WriteAsync(array.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
        }

        if (_used > 0)
        {
            await destination.WriteAsync(_current.AsMemory(0, _used), cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        foreach (var (array, _) in _full)
        {
            ArrayPool<byte>.Shared.Return(array);
        }

        _full.Clear();
        if (_current.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_current);
            _current = [];
        }

        _used = 0;
        _completedLength = 0;
    }

    private void EnsureCapacity(int sizeHint)
    {
        ObjectDisposedException.ThrowIf(_current.Length == 0, this);
        var needed = Math.Max(sizeHint, 1);
        if (_current.Length - _used >= needed)
        {
            return;
        }

        // Segments grow with the payload (fewer rentals for big states), capped so none becomes huge.
        var next = Math.Max(needed, Math.Min(MaxSegmentSize, _current.Length * 2));
        var array = ArrayPool<byte>.Shared.Rent(next);
        if (_used > 0)
        {
            _full.Add((_current, _used));
            _completedLength += _used;
        }
        else
        {
            ArrayPool<byte>.Shared.Return(_current);
        }

        _current = array;
        _used = 0;
    }
}
