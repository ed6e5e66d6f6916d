using System.Buffers;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Storage.Format;
using LocalStack.Persistence.Tests.State;
using LocalStack.Persistence.Tests.Support;

namespace LocalStack.Persistence.Tests.Storage.Format;

/// <summary>
/// Keeps the keyed record layout of docs/snapshot-format.md ("Keyed snapshots") fixed, and committed keyed files
/// (a base and a delta) loadable by every future reader. Set LSP_UPDATE_GOLDEN=1 once to create missing golden files.
/// </summary>
public sealed class KeyedRecordsGoldenTests
{
    private static readonly byte[] Blob = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    /// <summary>The base of the golden chain: two values, the second referencing a blob.</summary>
    private static byte[] BasePayload()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new KeyedRecordWriter(buffer);
        writer.WriteBaseStart();
        writer.WriteValue("a", [], "\"1\""u8);
        writer.WriteValue("b", [Blob], "\"2\""u8);
        writer.WriteEnd();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The delta after generation 42: "a" removed, "c" added.</summary>
    private static byte[] DeltaPayload()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new KeyedRecordWriter(buffer);
        writer.WriteDeltaStart(42);
        writer.WriteRemoval("a");
        writer.WriteValue("c", [], "\"3\""u8);
        writer.WriteEnd();
        return buffer.WrittenSpan.ToArray();
    }

    [Test]
    public void Record_bytes_match_the_documented_layout()
    {
        Assert.That(Convert.ToHexStringLower(BasePayload()), Is.EqualTo(
            "4c53504b01" + "01" + "01" + "61" + "00" + "03" + "223122"
            + "01" + "01" + "62" + "01" + Convert.ToHexStringLower(Blob) + "03" + "223222" + "00"));
        Assert.That(Convert.ToHexStringLower(DeltaPayload()), Is.EqualTo(
            "4c53504401" + "2a00000000000000" + "02" + "01" + "61" + "01" + "01" + "63" + "00" + "03" + "223322" + "00"));
    }

    [Test]
    public async Task Committed_keyed_golden_files_load_as_a_chain()
    {
        var golden = Path.Combine(SnapshotFiles.SourceFolder(), "Golden");
        var basePath = Path.Combine(golden, "keyed-base.state");
        var deltaPath = Path.Combine(golden, "keyed-delta.state");
        if (SnapshotFiles.UpdateGolden)
        {
            if (!File.Exists(basePath))
            {
                await SnapshotFiles.WriteAsync(basePath, BasePayload(), SnapshotFiles.Fields(SnapshotCompression.Lz4, generation: 42));
            }

            if (!File.Exists(deltaPath))
            {
                await SnapshotFiles.WriteAsync(deltaPath, DeltaPayload(), SnapshotFiles.Fields(SnapshotCompression.Lz4, generation: 45));
            }
        }

        Assert.That(File.Exists(basePath) && File.Exists(deltaPath), Is.True, "golden keyed files are missing (create them once with LSP_UPDATE_GOLDEN=1 and commit them)");
        using var temp = new TempDirectory();
        var folder = Path.Combine(temp.Path, "api_states", "s3");
        Directory.CreateDirectory(folder);
        File.Copy(basePath, Path.Combine(folder, "store.state"));
        File.Copy(deltaPath, Path.Combine(folder, "store.delta.00000000000000000045"));

        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = temp.Path });
        var provider = new KeyedDictionaryProvider("s3", schemaVersion: 2); // the golden files carry schema version 2
        var loaded = await new ServiceSnapshotter(store).LoadAsync(provider);

        Assert.That(loaded!.Generation, Is.EqualTo(42));
        Assert.That(provider.Items, Is.EquivalentTo(new Dictionary<string, string> { ["b"] = "2", ["c"] = "3" }));
    }

    [TestCase("4c53504b01" + "07", "unknown record kind 7")]
    [TestCase("4c53504b01" + "0101", "inside a record")]
    [TestCase("4c53504b01" + "01" + "00", "empty key")]
    [TestCase("4c53504b01" + "01" + "8110", "key length of 2049")]
    [TestCase("4c53504b01" + "00" + "00", "after the end mark")]
    [TestCase("4c53504b01" + "01" + "01" + "ff", "not UTF-8")]
    public void Damaged_records_are_refused_naming_the_file_and_the_problem(string hex, string reason)
    {
        using var payload = new MemoryStream(Convert.FromHexString(hex + (reason == "not UTF-8" ? "0000" : "")));
        using var reader = new KeyedRecordReader(payload, "/state/api_states/s3/store.state");
        Assert.That(reader.TryReadBaseMagic(), Is.True);

        var error = Assert.Throws<SnapshotCorruptException>(() =>
        {
            while (reader.Read())
            {
            }
        });
        Assert.That(error!.Path, Is.EqualTo("/state/api_states/s3/store.state"));
        Assert.That(error.Message, Does.Contain(reason));
    }
}
