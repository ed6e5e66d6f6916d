using System.Buffers;

namespace LocalStack.Persistence.Storage.Format;

/// <summary>
/// The stream a <see cref="SnapshotPayloadWriter"/> writes the uncompressed payload to: counts the bytes and passes
/// them on to the encoder (or straight to the <see cref="StoredBytesSink"/>). Disposing it does nothing, so a writer
/// that disposes it by habit cannot cut the snapshot short; writes after the writer's task completed fail.
/// As an <see cref="IBufferWriter{T}"/> it lets a serializer write straight into the encoder's blocks.
/// </summary>
internal sealed class PayloadSink : ForwardWriteStream, IBufferWriter<byte>
{
    private const int ScratchSize = 64 * 1024;
    private readonly Stream _next;
    private byte[]? _scratch;
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

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        ThrowIfCompleted();
        if (_next is IBufferWriter<byte> writer)
        {
            return writer.GetMemory(sizeHint);
        }

        // Uncompressed: a pooled scratch buffer, written through on Advance.
        if (_scratch is null || _scratch.Length < sizeHint)
        {
            ReturnScratch();
            _scratch = ArrayPool<byte>.Shared.Rent(Math.Max(sizeHint, ScratchSize));
        }

        return _scratch;
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ThrowIfCompleted();
        if (_next is IBufferWriter<byte> writer)
        {
            writer.Advance(count);
        }
        else
        {
            if (_scratch is null || count > _scratch.Length)
            {
                throw new InvalidOperationException("Cannot advance past the end of the memory handed out.");
            }

            _next.Write(_scratch.AsSpan(0, count));
        }

        _length += count;
    }

    protected override void Dispose(bool disposing)
    {
        // Only the scratch buffer is released: the payload itself goes on until Complete.
        if (disposing)
        {
            ReturnScratch();
        }

        base.Dispose(disposing);
    }

    private void ReturnScratch()
    {
        if (_scratch is not null)
        {
            ArrayPool<byte>.Shared.Return(_scratch);
            _scratch = null;
        }
    }

    private void ThrowIfCompleted()
    {
        if (_completed)
        {
            throw new InvalidOperationException("The snapshot payload was written after the payload writer's task completed; write the whole payload before completing the task.");
        }
    }
}
