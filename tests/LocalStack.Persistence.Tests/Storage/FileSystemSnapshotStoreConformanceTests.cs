using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Tests.Storage;

/// <summary>The <see cref="ISnapshotStore"/> contract against <see cref="FileSystemSnapshotStore"/> with LZ4 payloads (the default).</summary>
[TestFixture]
public sealed class FileSystemSnapshotStoreConformanceTests : SnapshotStoreConformanceTests
{
    protected override ISnapshotStore CreateStore(string root)
        => new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = Path.Combine(root, "state"), Codec = SnapshotCodec.Lz4 });
}

/// <summary>The <see cref="ISnapshotStore"/> contract against <see cref="FileSystemSnapshotStore"/> with uncompressed payloads.</summary>
[TestFixture]
public sealed class FileSystemSnapshotStoreUncompressedConformanceTests : SnapshotStoreConformanceTests
{
    protected override ISnapshotStore CreateStore(string root)
        => new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = Path.Combine(root, "state"), Codec = SnapshotCodec.None });
}
