namespace LocalStack.Persistence.Storage.Format;

/// <summary>
/// The uncompressed payload handed to a loader: yields exactly the uncompressed length the header announces and
/// throws <see cref="SnapshotCorruptException"/> if the data ends early, runs past it, or cannot be decompressed.
/// Nothing here allocates in proportion to a length field; the decoder works block by block.
/// </summary>
internal sealed class PayloadReadStream : ForwardReadStream
{
    private readonly Stream _decoded;
    private readonly StoredRangeStream _stored;
    private readonly long _uncompressedLength;
    private readonly string _location;
    private long _produced;
    private bool _ended;
    private bool _disposed;

    /// <param name="decoded">The decoder over <paramref name="stored"/>, or <paramref name="stored"/> itself; disposed with this stream.</param>
    /// <param name="stored">The stored byte range.</param>
    /// <param name="uncompressedLength">The length the header announces.</param>
    /// <param name="location">The snapshot, for error messages.</param>
    public PayloadReadStream(Stream decoded, StoredRangeStream stored, long uncompressedLength, string location)
    {
        _decoded = decoded;
        _stored = stored;
        _uncompressedLength = uncompressedLength;
        _location = location;
    }

    public override bool CanRead => !_disposed;

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }

        try
        {
            if (_produced == _uncompressedLength)
            {
                if (!_ended)
                {
                    // Proves the data ends here: one more byte would exceed the announced length.
                    Span<byte> probe = stackalloc byte[1];
                    CheckEnd(_decoded.Read(probe));
                }

                return 0;
            }

            return Count(_decoded.Read(Limit(buffer)));
        }
        catch (Exception exception) when (IsDecodingFailure(exception))
        {
            throw DecodingFailed(exception);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }

        try
        {
            if (_produced == _uncompressedLength)
            {
                if (!_ended)
                {
                    var probe = new byte[1];
                    CheckEnd(await _decoded.ReadAsync(probe, cancellationToken).ConfigureAwait(false));
                }

                return 0;
            }

            return Count(await _decoded.ReadAsync(Limit(buffer), cancellationToken).ConfigureAwait(false));
        }
        catch (Exception exception) when (IsDecodingFailure(exception))
        {
            throw DecodingFailed(exception);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            try
            {
                _decoded.Dispose();
            }
            finally
            {
                _stored.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            try
            {
                await _decoded.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                await _stored.DisposeAsync().ConfigureAwait(false);
            }
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    // Decoders, or a changed file, may fail in many ways; all of them mean the stored data is not what was written.
    // Cancellation, disposal and genuine I/O errors of the disk are not corruption and pass through.
    private static bool IsDecodingFailure(Exception exception) => exception switch
    {
        SnapshotException or OperationCanceledException or ObjectDisposedException or OutOfMemoryException => false,
        EndOfStreamException => true,
        IOException => false,
        _ => true,
    };

    private Span<byte> Limit(Span<byte> buffer) => buffer[..(int)Math.Min(buffer.Length, _uncompressedLength - _produced)];

    private Memory<byte> Limit(Memory<byte> buffer) => buffer[..(int)Math.Min(buffer.Length, _uncompressedLength - _produced)];

    private int Count(int read)
    {
        if (read == 0)
        {
            throw new SnapshotCorruptException(_location, $"payload ended after {_produced} uncompressed bytes; the header announces {_uncompressedLength}");
        }

        _produced += read;
        return read;
    }

    private void CheckEnd(int extra)
    {
        if (extra != 0)
        {
            throw new SnapshotCorruptException(_location, $"payload decompresses to more than the {_uncompressedLength} bytes the header announces");
        }

        _stored.VerifyEnd();
        _ended = true;
    }

    private SnapshotCorruptException DecodingFailed(Exception exception) =>
        new(_location, $"payload cannot be decoded after {_produced} uncompressed bytes: {exception.GetType().Name}: {exception.Message}", exception);
}
