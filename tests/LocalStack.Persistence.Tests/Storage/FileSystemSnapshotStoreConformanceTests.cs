using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Tests.Storage;

/// <summary>The <see cref="ISnapshotStore"/> contract against <see cref="FileSystemSnapshotStore"/> with LZ4 payloads (the default).</summary>
[TestFixture]
public sealed class FileSystemSnapshotStoreConformanceTests : SnapshotStoreConformanceTests
{
    protected override ISnapshotStore CreateStore(string root)
        => new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = Path.Combine(root, "state"), Compression = SnapshotCompression.Lz4 });
}

/// <summary>The <see cref="ISnapshotStore"/> contract against <see cref="FileSystemSnapshotStore"/> with uncompressed payloads.</summary>
[TestFixture]
public sealed class FileSystemSnapshotStoreUncompressedConformanceTests : SnapshotStoreConformanceTests
{
    protected override ISnapshotStore CreateStore(string root)
        => new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = Path.Combine(root, "state"), Compression = SnapshotCompression.None });
}

/// <summary>The codec chosen in the options is the one written into the file.</summary>
[TestFixture]
public sealed class FileSystemSnapshotStoreCodecTests
{
    [TestCase(SnapshotCompression.Lz4)]
    [TestCase(SnapshotCompression.None)]
    public async Task The_configured_codec_is_written_and_read_back(SnapshotCompression codec)
    {
        using var temp = new Support.TempDirectory();
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = Path.Combine(temp.Path, "state"), Compression = codec });
        var payload = System.Text.Encoding.UTF8.GetBytes("{\"items\":[" + string.Join(',', Enumerable.Repeat("\"abcdefgh\"", 500)) + "]}");

        var written = await store.WriteAsync(new SnapshotWriteRequest("s3", 1, 1), (s, ct) => s.WriteAsync(payload, ct));
        var header = await store.GetMetadataAsync("s3");

        Assert.That(written.Compression, Is.EqualTo(codec));
        Assert.That(header!.Compression, Is.EqualTo(codec));
        Assert.That(written.UncompressedLength, Is.EqualTo(payload.Length));
        if (codec == SnapshotCompression.Lz4)
        {
            Assert.That(written.StoredLength, Is.LessThan(payload.Length / 4), "a repetitive payload compresses");
        }
        else
        {
            Assert.That(written.StoredLength, Is.EqualTo(payload.Length));
        }
    }
}
