namespace LocalStack.Persistence.Storage.Format;

/// <summary>
/// The stream a <see cref="SnapshotPayloadWriter"/> writes the uncompressed payload to: counts the bytes and passes
/// them on to the encoder (or straight to the <see cref="StoredBytesSink"/>). Disposing it does nothing, so a writer
/// that disposes it by habit cannot cut the snapshot short; writes after the writer's task completed fail.
/// </summary>
internal sealed class PayloadSink : Stream
{
    private readonly Stream _next;
    private long _length;
    private bool _completed;

    public PayloadSink(Stream next)
    {
        _next = next;
    }

    /// <summary>Uncompressed bytes written.</summary>
    public long UncompressedLength => _length;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => !_completed;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Ends the payload; later writes throw.</summary>
    public void Complete() => _completed = true;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ThrowIfCompleted();
        _next.Write(buffer);
        _length += buffer.Length;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfCompleted();
        await _next.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        _length += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override void WriteByte(byte value) => Write([value]);

    // A flush in the middle of the payload must not end an LZ4 block early; nothing is durable before the commit anyway.
    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private void ThrowIfCompleted()
    {
        if (_completed)
        {
            throw new InvalidOperationException("The snapshot payload was written after the payload writer's task completed; write the whole payload before completing the task.");
        }
    }
}
