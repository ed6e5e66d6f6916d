namespace LocalStack.Persistence.Storage;

/// <summary>Options of <see cref="FileSystemSnapshotStore"/>.</summary>
public sealed class FileSystemSnapshotStoreOptions
{
    /// <summary>The default of <see cref="MaxSnapshotBytes"/>: 4 GiB.</summary>
    public const long DefaultMaxSnapshotBytes = 4L * 1024 * 1024 * 1024;

    /// <summary>The state folder (LocalStack's <c>&lt;LOCALSTACK_VOLUME_DIR&gt;/state</c>); created if missing.</summary>
    public required string StateDirectory { get; init; }

    /// <summary>How payloads are stored.</summary>
    /// <value>The default value is <see cref="SnapshotCodec.Lz4"/>.</value>
    public SnapshotCodec Codec { get; init; } = SnapshotCodec.Lz4;

    /// <summary>The largest payload, compressed or not, that is written or read; larger length fields are treated as corruption before anything is allocated.</summary>
    /// <value>The default value is <see cref="DefaultMaxSnapshotBytes"/>.</value>
    public long MaxSnapshotBytes { get; init; } = DefaultMaxSnapshotBytes;
}
