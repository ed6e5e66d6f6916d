namespace LocalStack.Persistence.Storage.Internal;

/// <summary>
/// Passes a payload through to the snapshot file and stops the write as soon as it grows past the largest payload
/// the store will read back, so that a save never commits a file that the next load would reject.
/// </summary>
/// <remarks>Disposing it leaves the inner stream open: that belongs to the snapshot file writer.</remarks>
internal sealed class PayloadLimitStream(Stream inner, long maxBytes, string location) : Stream
{
    private long _written;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _written;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Count(buffer.Length);
        inner.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Count(buffer.Length);
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override void WriteByte(byte value)
    {
        Count(1);
        inner.WriteByte(value);
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private void Count(int count)
    {
        _written += count;
        if (_written > maxBytes)
        {
            throw new SnapshotException($"The payload for snapshot '{location}' is larger than the limit of {maxBytes} bytes (FileSystemSnapshotStoreOptions.MaxSnapshotBytes); the previous snapshot is kept.");
        }
    }
}
