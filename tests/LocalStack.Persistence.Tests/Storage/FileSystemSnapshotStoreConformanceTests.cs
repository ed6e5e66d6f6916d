using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Testing;

namespace LocalStack.Persistence.Tests.Storage;

/// <summary>
/// The <see cref="ISnapshotStore"/> contract (<see cref="SnapshotStoreChecks"/> of the LocalStack.Persistence.Testing
/// package) against <see cref="FileSystemSnapshotStore"/> with LZ4 payloads (the default): one test per check, named by it.
/// </summary>
[TestFixture]
public sealed class FileSystemSnapshotStoreConformanceTests
{
    public static IEnumerable<TestCaseData> Checks() => CheckCases(SnapshotCompression.Lz4);

    [TestCaseSource(nameof(Checks))]
    public Task Check(PersistenceCheck check) => check.RunAsync();

    /// <summary>Every check of the kit on a store with <paramref name="codec"/>, each test named as its check.</summary>
    internal static IEnumerable<TestCaseData> CheckCases(SnapshotCompression codec)
        => new SnapshotStoreChecks(root => new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = Path.Combine(root, "state"), Compression = codec }))
            .All.Select(check => new TestCaseData(check).SetName(check.Name));
}

/// <summary>The <see cref="ISnapshotStore"/> contract against <see cref="FileSystemSnapshotStore"/> with uncompressed payloads.</summary>
[TestFixture]
public sealed class FileSystemSnapshotStoreUncompressedConformanceTests
{
    public static IEnumerable<TestCaseData> Checks() => FileSystemSnapshotStoreConformanceTests.CheckCases(SnapshotCompression.None);

    [TestCaseSource(nameof(Checks))]
    public Task Check(PersistenceCheck check) => check.RunAsync();
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
