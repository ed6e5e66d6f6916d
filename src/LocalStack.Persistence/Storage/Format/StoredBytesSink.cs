using System.Buffers;
using System.IO.Hashing;

namespace LocalStack.Persistence.Storage.Format;

/// <summary>
/// The last stage of a save: collects the stored bytes (LZ4 frame or plain JSON) in one pooled buffer, hashes them
/// (XxHash3-64), counts them and writes them to the snapshot file in buffer-sized chunks, so that many small writes
/// of the payload writer never become many small file writes.
/// </summary>
internal sealed class StoredBytesSink : ForwardWriteStream
{
    private readonly Stream _destination;
    private readonly XxHash3 _hash = new();
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(SnapshotLayout.BufferSize);
    private int _buffered;
    private long _length;
    private bool _abandoned;

    public StoredBytesSink(Stream destination)
    {
        _destination = destination;
    }

    /// <summary>Bytes handed to the destination so far (call <see cref="CompleteAsync"/> first for the total).</summary>
    public long StoredLength => _length;

    /// <summary>XxHash3-64 of the bytes handed to the destination so far.</summary>
    public ulong StoredHash => _hash.GetCurrentHashAsUInt64();

    public override bool CanWrite => _buffer is not null;

    /// <summary>Drops everything written from now on: the save failed and the encoder is only being cleaned up.</summary>
    public void Abandon() => _abandoned = true;

    /// <summary>Writes what is still buffered.</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        var buffer = Buffer();
        if (_buffered > 0)
        {
            var count = _buffered;
            _buffered = 0;
            Hash(buffer.AsSpan(0, count));
            await _destination.WriteAsync(buffer.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var own = Buffer();
        if (_abandoned)
        {
            return;
        }

        while (!buffer.IsEmpty)
        {
            if (_buffered == 0 && buffer.Length >= own.Length)
            {
                // Large writes (whole LZ4 blocks, big JSON chunks) skip the copy.
                Hash(buffer);
                _destination.Write(buffer);
                return;
            }

            var count = Math.Min(own.Length - _buffered, buffer.Length);
            buffer[..count].CopyTo(own.AsSpan(_buffered));
            _buffered += count;
            buffer = buffer[count..];
            if (_buffered == own.Length)
            {
                _buffered = 0;
                Hash(own);
                _destination.Write(own);
            }
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var own = Buffer();
        if (_abandoned)
        {
            return;
        }

        while (!buffer.IsEmpty)
        {
            if (_buffered == 0 && buffer.Length >= own.Length)
            {
                Hash(buffer.Span);
                await _destination.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
                return;
            }

            var count = Math.Min(own.Length - _buffered, buffer.Length);
            buffer.Span[..count].CopyTo(own.AsSpan(_buffered));
            _buffered += count;
            buffer = buffer[count..];
            if (_buffered == own.Length)
            {
                _buffered = 0;
                Hash(own);
                await _destination.WriteAsync(own, cancellationToken).ConfigureAwait(false);
            }
        }
    }


    protected override void Dispose(bool disposing)
    {
        if (disposing && _buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }

        base.Dispose(disposing);
    }

    private byte[] Buffer()
    {
        ObjectDisposedException.ThrowIf(_buffer is null, this);
        return _buffer;
    }

    private void Hash(ReadOnlySpan<byte> bytes)
    {
        _hash.Append(bytes);
        _length += bytes.Length;
    }
}
