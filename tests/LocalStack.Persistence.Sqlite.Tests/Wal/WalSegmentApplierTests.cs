using LocalStack.Persistence.Sqlite.Tests.Support;
using LocalStack.Persistence.Sqlite.Wal;
using LocalStack.Persistence.Tests.Support;
using Microsoft.Data.Sqlite;

namespace LocalStack.Persistence.Sqlite.Tests.Wal;

public sealed class WalSegmentApplierTests
{
    [Test]
    public void Segments_applied_in_order_to_the_base_give_the_live_database()
    {
        using var temp = new TempDirectory();
        var (basePath, segments, live) = Chain(temp.Path, pageSize: 4096, segmentCount: 4);
        using (live)
        {
            using (var applier = new WalSegmentApplier(basePath))
            {
                foreach (var segment in segments)
                {
                    applier.Apply(segment);
                }
            }

            var (digest, integrity) = TestDatabase.Inspect(basePath);
            Assert.That(integrity, Is.EqualTo("ok"));
            Assert.That(digest, Is.EqualTo(TestDatabase.Digest(live)));
        }
    }

    [TestCase(0, TestName = "A flipped byte in the segment magic is detected")]
    [TestCase(8 + 17, TestName = "A flipped byte in the WAL header salts is detected")]
    [TestCase(44, TestName = "A flipped byte in the frame count is detected")]
    [TestCase(50, TestName = "A flipped byte in the checksum before the first frame is detected")]
    [TestCase(WalSegment.HeaderSize + 2, TestName = "A flipped byte in a frame's page number is detected")]
    [TestCase(WalSegment.HeaderSize + 24 + 1000, TestName = "A flipped byte in a frame's page is detected")]
    [TestCase(-5, TestName = "A flipped byte in the last frame's page is detected")]
    public void A_flipped_byte_in_a_segment_is_refused_before_any_page_is_written(int offset)
    {
        using var temp = new TempDirectory();
        var (basePath, segments, live) = Chain(temp.Path, pageSize: 4096, segmentCount: 2);
        using (live)
        {
            var damaged = segments[1].ToArray();
            damaged[offset < 0 ? damaged.Length + offset : offset] ^= 0x5A;
            using (var applier = new WalSegmentApplier(basePath))
            {
                applier.Apply(segments[0]);
            }

            var before = File.ReadAllBytes(basePath);
            using (var applier = new WalSegmentApplier(basePath))
            {
                Assert.That(() => applier.Apply(damaged), Throws.InstanceOf<InvalidDataException>());
            }

            Assert.That(File.ReadAllBytes(basePath), Is.EqualTo(before), "nothing of the refused segment was written");
        }
    }

    [Test]
    public void A_segment_of_another_page_size_is_refused()
    {
        using var temp = new TempDirectory();
        var (basePath, _, small) = Chain(Directory.CreateDirectory(Path.Combine(temp.Path, "a")).FullName, pageSize: 4096, segmentCount: 1);
        var (_, otherSegments, large) = Chain(Directory.CreateDirectory(Path.Combine(temp.Path, "b")).FullName, pageSize: 8192, segmentCount: 1);
        using (small)
        using (large)
        {
            using var applier = new WalSegmentApplier(basePath);
            Assert.That(() => applier.Apply(otherSegments[0]), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("8192").And.Message.Contains("4096"));
        }
    }

    [Test]
    public void Segments_out_of_order_or_with_one_missing_are_refused()
    {
        using var temp = new TempDirectory();
        var (basePath, segments, live) = Chain(temp.Path, pageSize: 4096, segmentCount: 3);
        using (live)
        {
            using var applier = new WalSegmentApplier(basePath);
            applier.Apply(segments[0]);
            Assert.That(() => applier.Apply(segments[2]), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("does not follow"));
            applier.Apply(segments[1]);
            Assert.That(() => applier.Apply(segments[1]), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("does not follow"));
        }
    }

    [Test]
    public void A_segment_cut_at_a_frame_boundary_is_refused()
    {
        using var temp = new TempDirectory();
        var (basePath, segments, live) = Chain(temp.Path, pageSize: 4096, segmentCount: 1);
        using (live)
        {
            var segment = WalSegment.Parse(segments[0]);
            Assume.That(segment.FrameCount, Is.GreaterThan(1u));
            var cut = segments[0][..^segment.WalHeader.FrameSize];
            using var applier = new WalSegmentApplier(basePath);
            Assert.That(() => applier.Apply(cut), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("announces"));
        }
    }

    /// <summary>
    /// A base (backup API) of a database with rows, then <paramref name="segmentCount"/> segments of several random
    /// transactions each, read from the live WAL as a save would; the live connection stays open for comparison.
    /// </summary>
    internal static (string BasePath, List<byte[]> Segments, SqliteConnection Live) Chain(string directory, int pageSize, int segmentCount)
    {
        var databasePath = Path.Combine(directory, "live.db");
        var live = TestDatabase.OpenWal(databasePath, pageSize);
        TestDatabase.CreateSchema(live);
        var random = new Random(pageSize + segmentCount);
        TestDatabase.Insert(live, random, 200);
        var basePath = Path.Combine(directory, "base.db");
        using (var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = basePath, Pooling = false }.ToString()))
        {
            copy.Open();
            live.BackupDatabase(copy);
        }

        var position = WalReader.ReadCommitted(databasePath + "-wal", null, null).End;
        var segments = new List<byte[]>();
        for (var i = 0; i < segmentCount; i++)
        {
            for (var t = 0; t < 3; t++)
            {
                TestDatabase.RandomTransaction(live, random, 20);
            }

            using var stream = new MemoryStream();
            position = WalReader.ReadCommitted(databasePath + "-wal", position, stream).End;
            segments.Add(stream.ToArray());
        }

        return (basePath, segments, live);
    }
}
