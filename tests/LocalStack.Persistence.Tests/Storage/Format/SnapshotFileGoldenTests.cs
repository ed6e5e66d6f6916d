using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Text;
using LocalStack.Persistence.Tests.Support;
using NUnit.Framework.Internal;
using Snapshooter;
using Snapshooter.NUnit;

namespace LocalStack.Persistence.Tests.Storage.Format;

/// <summary>
/// Makes every change of the v1 byte layout visible (Snapshooter snapshots of a structured description of
/// deterministic files) and keeps committed v1 files loadable (RELIABILITY case 7).
/// Set LSP_UPDATE_GOLDEN=1 once to create missing snapshots and golden files; review and commit them.
/// </summary>
public class SnapshotFileGoldenTests
{
    /// <summary>The payload of the golden files and the layout snapshots.</summary>
    public static readonly byte[] GoldenPayload = Encoding.UTF8.GetBytes(
        """{"buckets":[{"name":"golden-bucket","region":"us-east-1","objects":[{"key":"a.txt","size":3,"etag":"900150983cd24fb0d6963f7d28e17f72"},{"key":"b.txt","size":3,"etag":"900150983cd24fb0d6963f7d28e17f72"}]}],"schema":"v1-golden"}""");

    [TestCase(SnapshotCompression.None)]
    [TestCase(SnapshotCompression.Lz4)]
    public async Task Byte_layout_matches_the_committed_snapshot(SnapshotCompression codec)
    {
        var bytes = await SnapshotFiles.WriteToBytesAsync(GoldenPayload, SnapshotFiles.Fields(codec));

        var name = new SnapshotFullName($"{nameof(SnapshotFileGoldenTests)}.Layout_{codec}.snap", SnapshotFiles.SourceFolder());
        RequireCommittedSnapshot(name);
        Snapshot.Match(Describe(bytes), name);
    }

    [Test]
    public async Task A_layout_change_fails_the_snapshot_match()
    {
        // Proves the snapshot test can fail: a file that differs in one header field against a copy of the committed snapshot.
        var committed = new SnapshotFullName($"{nameof(SnapshotFileGoldenTests)}.Layout_Lz4.snap", SnapshotFiles.SourceFolder());
        RequireCommittedSnapshot(committed);
        using var temp = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(temp.Path, "__snapshots__"));
        File.Copy(Path.Combine(committed.FolderPath, "__snapshots__", committed.Filename), Path.Combine(temp.Path, "__snapshots__", committed.Filename));
        var copy = new SnapshotFullName(committed.Filename, temp.Path);
        var changed = await SnapshotFiles.WriteToBytesAsync(GoldenPayload, SnapshotFiles.Fields(SnapshotCompression.Lz4, generation: 43));
        var same = await SnapshotFiles.WriteToBytesAsync(GoldenPayload, SnapshotFiles.Fields(SnapshotCompression.Lz4));

        Exception? mismatch;
        using (new TestExecutionContext.IsolatedContext())
        {
            Snapshot.Match(Describe(same), copy);
            mismatch = Assert.Catch(() => Snapshot.Match(Describe(changed), copy));
        }

        Assert.That(mismatch, Is.Not.Null, "a changed layout must not match the committed snapshot");
    }

    [TestCase("v1-lz4.state", SnapshotCompression.Lz4)]
    [TestCase("v1-none.state", SnapshotCompression.None)]
    public async Task Committed_v1_golden_file_loads(string fileName, SnapshotCompression codec)
    {
        var path = Path.Combine(SnapshotFiles.SourceFolder(), "Golden", fileName);
        if (!File.Exists(path) && SnapshotFiles.UpdateGolden)
        {
            await SnapshotFiles.WriteAsync(path, GoldenPayload, SnapshotFiles.Fields(codec));
        }

        Assert.That(File.Exists(path), Is.True, $"golden file {path} is missing (create it once with LSP_UPDATE_GOLDEN=1 and commit it)");
        using var temp = new TempDirectory();
        var copy = Path.Combine(temp.Path, "store.state");
        File.Copy(path, copy);

        var (metadata, payload) = await SnapshotFiles.LoadAsync(copy);

        Assert.That(Encoding.UTF8.GetString(payload), Is.EqualTo(Encoding.UTF8.GetString(GoldenPayload)));
        Assert.That(metadata.FormatVersion, Is.EqualTo(1));
        Assert.That(metadata.ServiceName, Is.EqualTo("s3"));
        Assert.That(metadata.SchemaVersion, Is.EqualTo(2));
        Assert.That(metadata.Generation, Is.EqualTo(42));
        Assert.That(metadata.CreatedAt, Is.EqualTo(SnapshotFiles.FixedCreatedAt));
        Assert.That(metadata.Compression, Is.EqualTo(codec));
        Assert.That(metadata.UncompressedLength, Is.EqualTo(GoldenPayload.Length));
        Assert.That(metadata.FileLength, Is.EqualTo(new FileInfo(path).Length));
    }

    private static void RequireCommittedSnapshot(SnapshotFullName name)
    {
        // Snapshooter silently creates a missing snapshot and passes; a missing committed snapshot must fail instead.
        var file = Path.Combine(name.FolderPath, "__snapshots__", name.Filename);
        Assert.That(File.Exists(file) || SnapshotFiles.UpdateGolden, Is.True, $"committed snapshot {file} is missing (create it once with LSP_UPDATE_GOLDEN=1 and commit it)");
    }

    /// <summary>A structured description of a snapshot file, decoded at the documented offsets (not with the production code).</summary>
    internal static object Describe(byte[] file)
    {
        var span = file.AsSpan();
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(span[10..]);
        var nameLength = span[14];
        long storedLength = BinaryPrimitives.ReadInt64LittleEndian(span[44..]);
        var stored = span.Slice(headerLength, (int)storedLength);
        var trailer = span[(headerLength + (int)storedLength)..];
        return new
        {
            FileLength = file.Length,
            Header = new
            {
                Offset = 0,
                Length = headerLength,
                Hex = Hex(span[..headerLength]),
                Magic = Hex(span[..8]),
                FormatVersion = BinaryPrimitives.ReadUInt16LittleEndian(span[8..]),
                HeaderLength = headerLength,
                Codec = span[12],
                Flags = span[13],
                ServiceNameLength = nameLength,
                Reserved = span[15],
                SchemaVersion = BinaryPrimitives.ReadInt32LittleEndian(span[16..]),
                Generation = BinaryPrimitives.ReadInt64LittleEndian(span[20..]),
                CreatedAtUnixMilliseconds = BinaryPrimitives.ReadInt64LittleEndian(span[28..]),
                UncompressedLength = BinaryPrimitives.ReadInt64LittleEndian(span[36..]),
                StoredLength = storedLength,
                ServiceName = Encoding.UTF8.GetString(span.Slice(52, nameLength)),
                Crc32 = Hex32(BinaryPrimitives.ReadUInt32LittleEndian(span[(headerLength - 4)..])),
                Crc32Recomputed = Hex32(Crc32.HashToUInt32(span[..(headerLength - 4)])),
            },
            Stored = new
            {
                Offset = headerLength,
                Length = storedLength,
                First32Bytes = Hex(stored[..Math.Min(32, stored.Length)]),
                XxHash3 = Hex64(XxHash3.HashToUInt64(stored)),
            },
            Trailer = new
            {
                Offset = headerLength + storedLength,
                Length = trailer.Length,
                Hex = Hex(trailer),
                XxHash3 = Hex64(BinaryPrimitives.ReadUInt64LittleEndian(trailer)),
                StoredLength = BinaryPrimitives.ReadInt64LittleEndian(trailer[8..]),
                EndMagic = Hex(trailer[16..]),
            },
            WholeFileXxHash3 = Hex64(XxHash3.HashToUInt64(span)),
        };
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);

    private static string Hex32(uint value) => "0x" + value.ToString("X8", CultureInfo.InvariantCulture);

    private static string Hex64(ulong value) => "0x" + value.ToString("X16", CultureInfo.InvariantCulture);
}
