using System.Security.Cryptography;
using LocalStack.Persistence.Sqlite.Wal;

namespace LocalStack.Persistence.Sqlite.Tests.Support;

/// <summary>
/// Content-addressed blobs in a folder (SHA-256 of the bytes, copied), standing in for the snapshot store's blobs at the
/// shipper's seam. It does not check a blob's hash on read, so that tests reach the segment checks behind it.
/// </summary>
internal sealed class FileBlobStore(string directory) : IBlobStore
{
    public List<(string Id, long Bytes)> Stored { get; } = [];

    public ValueTask<string> StoreAsync(string sourcePath, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var bytes = File.ReadAllBytes(sourcePath);
        var id = Convert.ToHexStringLower(SHA256.HashData(bytes));
        File.WriteAllBytes(Path.Combine(directory, id), bytes);
        Stored.Add((id, bytes.Length));
        return ValueTask.FromResult(id);
    }

    public string GetPath(string blobId)
    {
        var path = Path.Combine(directory, blobId);
        return File.Exists(path) ? path : throw new SnapshotCorruptException(path, "the blob is missing");
    }

    /// <summary>Changes one byte of a stored blob in place (a damaged file).</summary>
    public void FlipByte(string blobId, long offset) => TestDatabase.FlipByte(GetPath(blobId), offset);
}
