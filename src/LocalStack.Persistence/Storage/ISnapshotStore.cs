namespace LocalStack.Persistence.Storage;

/// <summary>
/// Writes the payload of one snapshot: UTF-8 JSON, written to <paramref name="destination"/>,
/// which compresses and checksums it on the way to storage.
/// </summary>
/// <param name="destination">The stream to write the uncompressed payload to. Do not dispose it.</param>
/// <param name="cancellationToken">Cancels the write; the previous snapshot stays in place.</param>
/// <returns>A task that completes when the whole payload has been written.</returns>
public delegate ValueTask SnapshotPayloadWriter(Stream destination, CancellationToken cancellationToken);

/// <summary>
/// Stores one snapshot (state file plus asset generations) per service.
/// </summary>
/// <remarks>
/// Implementations must make <see cref="WriteAsync"/> atomic: a reader sees either the previous
/// complete snapshot or the new complete snapshot, never a mix, whatever happens to the process.
/// Run <c>SnapshotStoreChecks</c> of the <c>LocalStack.Persistence.Testing</c> package against any new implementation.
/// </remarks>
public interface ISnapshotStore
{
    /// <summary>
    /// Atomically replaces the snapshot of <see cref="SnapshotWriteRequest.ServiceName"/> with the payload
    /// that <paramref name="writePayload"/> produces. On any failure the previous snapshot is unchanged.
    /// </summary>
    /// <param name="request">Which service, schema version and asset generation the snapshot describes.</param>
    /// <param name="writePayload">Writes the uncompressed payload.</param>
    /// <param name="cancellationToken">Cancels the write; the previous snapshot stays in place.</param>
    /// <returns>The metadata of the snapshot now stored.</returns>
    /// <exception cref="SnapshotVersionException">The stored snapshot was written by a newer format or schema version; it is never overwritten (delete it first).</exception>
    /// <exception cref="SnapshotCorruptException">The stored snapshot's header is unreadable; it is never overwritten (delete it first).</exception>
    ValueTask<SnapshotMetadata> WriteAsync(SnapshotWriteRequest request, SnapshotPayloadWriter writePayload, CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens the snapshot of a service for reading after checking its header, lengths and checksum.
    /// </summary>
    /// <param name="serviceName">The service.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>A reader, or <see langword="null"/> when the service has no snapshot.</returns>
    /// <exception cref="SnapshotCorruptException">The snapshot is damaged; its bytes are preserved beside it.</exception>
    /// <exception cref="SnapshotVersionException">The snapshot was written by a newer format version.</exception>
    ValueTask<SnapshotReader?> OpenReadAsync(string serviceName, CancellationToken cancellationToken = default);

    /// <summary>Reads the header of a service's snapshot without reading its payload.</summary>
    /// <param name="serviceName">The service.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The metadata, or <see langword="null"/> when the service has no snapshot.</returns>
    ValueTask<SnapshotMetadata?> GetMetadataAsync(string serviceName, CancellationToken cancellationToken = default);

    /// <summary>Deletes the snapshot of a service and all of its asset generations.</summary>
    /// <param name="serviceName">The service.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns><see langword="true"/> when a snapshot existed.</returns>
    ValueTask<bool> DeleteAsync(string serviceName, CancellationToken cancellationToken = default);

    /// <summary>Lists the metadata of every stored snapshot, ordered by service name.</summary>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>One entry per service that has a readable snapshot header.</returns>
    IAsyncEnumerable<SnapshotMetadata> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The folder where a service keeps its live working files (databases, blobs). The library never
    /// puts working files into a committed generation, so unsaved changes never leak into a snapshot.
    /// </summary>
    /// <param name="serviceName">The service.</param>
    /// <returns>The full path of the folder, created if missing.</returns>
    string GetWorkingDirectory(string serviceName);

    /// <summary>
    /// Creates an empty folder for the assets of a new generation that is being staged. A leftover folder of the
    /// same generation (from a save that never committed) is removed first.
    /// </summary>
    /// <param name="serviceName">The service.</param>
    /// <param name="generation">The generation being staged; greater than the committed one.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The full path of the new, empty folder.</returns>
    ValueTask<string> CreateAssetGenerationAsync(string serviceName, long generation, CancellationToken cancellationToken = default);

    /// <summary>Makes every file staged into a generation folder durable (flushed to disk) before the state file that names it is committed.</summary>
    /// <param name="serviceName">The service.</param>
    /// <param name="generation">The staged generation.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the folder and its files are durable.</returns>
    ValueTask FlushAssetGenerationAsync(string serviceName, long generation, CancellationToken cancellationToken = default);

    /// <summary>The folder of a committed (or staged) asset generation.</summary>
    /// <param name="serviceName">The service.</param>
    /// <param name="generation">The generation.</param>
    /// <returns>The full path, or <see langword="null"/> when that generation has no asset folder.</returns>
    string? GetAssetGenerationDirectory(string serviceName, long generation);

    /// <summary>Removes every asset generation of a service except <paramref name="keepGeneration"/>.</summary>
    /// <param name="serviceName">The service.</param>
    /// <param name="keepGeneration">The generation to keep (the committed one).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the old generations are gone.</returns>
    ValueTask PruneAssetGenerationsAsync(string serviceName, long keepGeneration, CancellationToken cancellationToken = default);
}
