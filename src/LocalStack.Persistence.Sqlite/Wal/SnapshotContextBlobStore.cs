using LocalStack.Persistence.State;

namespace LocalStack.Persistence.Sqlite.Wal;

/// <summary>The snapshot store's blobs, through the save's or load's context.</summary>
internal sealed class SnapshotContextBlobStore(SnapshotContext context) : IBlobStore
{
    public ValueTask<string> StoreAsync(string sourcePath, CancellationToken cancellationToken) => context.StoreBlobAsync(sourcePath, cancellationToken);

    public string GetPath(string blobId) => context.GetBlobPath(blobId);
}
