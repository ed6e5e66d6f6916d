namespace LocalStack.Persistence.Storage;

/// <summary>
/// An open, verified snapshot. <see cref="Payload"/> yields the uncompressed UTF-8 JSON payload and throws
/// <see cref="SnapshotCorruptException"/> if the decompressed data does not match the header.
/// </summary>
public sealed class SnapshotReader : IAsyncDisposable, IDisposable
{
    private readonly IDisposable? _owner;

    /// <summary>Creates a reader over an already verified payload stream.</summary>
    /// <param name="metadata">The snapshot's header.</param>
    /// <param name="payload">The uncompressed payload.</param>
    /// <param name="owner">Disposed with the reader (for example the open file).</param>
    public SnapshotReader(SnapshotMetadata metadata, Stream payload, IDisposable? owner = null)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(payload);
        Metadata = metadata;
        Payload = payload;
        _owner = owner;
    }

    /// <summary>The snapshot's header.</summary>
    public SnapshotMetadata Metadata { get; }

    /// <summary>The uncompressed UTF-8 JSON payload; read it once, from the start.</summary>
    public Stream Payload { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Payload.Dispose();
        _owner?.Dispose();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Payload.DisposeAsync().ConfigureAwait(false);
        _owner?.Dispose();
    }
}
