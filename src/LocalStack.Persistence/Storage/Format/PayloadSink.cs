namespace LocalStack.Persistence.Storage.Format;

/// <summary>
/// The stream a <see cref="SnapshotPayloadWriter"/> writes the uncompressed payload to: counts the bytes and passes
/// them on to the encoder (or straight to the <see cref="StoredBytesSink"/>). Disposing it does nothing, so a writer
/// that disposes it by habit cannot cut the snapshot short; writes after the writer's task completed fail.
/// </summary>
internal sealed class PayloadSink : ForwardWriteStream
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

    public override bool CanWrite => !_completed;

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


    private void ThrowIfCompleted()
    {
        if (_completed)
        {
            throw new InvalidOperationException("The snapshot payload was written after the payload writer's task completed; write the whole payload before completing the task.");
        }
    }
}
