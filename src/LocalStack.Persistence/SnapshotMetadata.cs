namespace LocalStack.Persistence;

/// <summary>The header of a stored snapshot.</summary>
/// <param name="ServiceName">The service the snapshot belongs to.</param>
/// <param name="FormatVersion">The file format version.</param>
/// <param name="SchemaVersion">The provider's schema version of the payload.</param>
/// <param name="Generation">The asset generation the snapshot commits.</param>
/// <param name="CreatedAt">When the snapshot was written.</param>
/// <param name="Compression">How the payload is compressed.</param>
/// <param name="UncompressedLength">The payload length before compression, in bytes.</param>
/// <param name="StoredLength">The payload length as stored, in bytes.</param>
/// <param name="FileLength">The size of the whole snapshot file, in bytes.</param>
/// <param name="Location">Where the snapshot lives (a file path for <see cref="Storage.FileSystemSnapshotStore"/>).</param>
public sealed record SnapshotMetadata(
    string ServiceName,
    int FormatVersion,
    int SchemaVersion,
    long Generation,
    DateTimeOffset CreatedAt,
    SnapshotCompression Compression,
    long UncompressedLength,
    long StoredLength,
    long FileLength,
    string Location);
