namespace LocalStack.Persistence.Sqlite.Wal;

/// <summary>Where shipped files go: content-addressed, immutable blobs (the snapshot store's blobs, through SnapshotContext).</summary>
internal interface IBlobStore
{
    /// <summary>Stores the file's bytes as a blob (the file is never written in place afterwards) and returns its id.</summary>
    ValueTask<string> StoreAsync(string sourcePath, CancellationToken cancellationToken);

    /// <summary>The path of a stored blob, after checking it; throws when it is missing or damaged.</summary>
    string GetPath(string blobId);
}
