using LocalStack.Persistence.Sqlite.Tests.Support;
using LocalStack.Persistence.Sqlite.Wal;
using LocalStack.Persistence.Tests.Support;

namespace LocalStack.Persistence.Sqlite.Tests.Wal;

public sealed class WalReaderTests
{
    [Test]
    public void Reads_the_frames_committed_since_a_position_and_nothing_when_nothing_was_committed()
    {
        using var temp = new TempDirectory();
        var databasePath = Path.Combine(temp.Path, "live.db");
        using var live = TestDatabase.OpenWal(databasePath);
        TestDatabase.CreateSchema(live);
        TestDatabase.Insert(live, new Random(1), 50);

        var first = WalReader.ReadCommitted(databasePath + "-wal", null, null);
        Assert.That(first.Outcome, Is.EqualTo(WalReadOutcome.Read));
        Assert.That(first.FirstFrame, Is.Zero);
        Assert.That(first.FrameCount, Is.GreaterThan(0));
        Assert.That(first.End!.Value.NextFrame, Is.EqualTo(first.FrameCount));

        var unchanged = WalReader.ReadCommitted(databasePath + "-wal", first.End, null);
        Assert.That(unchanged.FrameCount, Is.Zero, "nothing committed since");
        Assert.That(unchanged.End, Is.EqualTo(first.End));

        TestDatabase.Insert(live, new Random(2), 1, maxBody: 100);
        var next = WalReader.ReadCommitted(databasePath + "-wal", first.End, null);
        Assert.That(next.FirstFrame, Is.EqualTo(first.FrameCount));
        Assert.That(next.FrameCount, Is.InRange(1u, 4u), "one small insert changes a few pages");
        Assert.That(next.End!.Value.Offset, Is.EqualTo(new FileInfo(databasePath + "-wal").Length));
    }

    [Test]
    public void A_torn_last_frame_is_not_shipped_and_neither_is_the_transaction_it_belongs_to()
    {
        using var temp = new TempDirectory();
        var databasePath = Path.Combine(temp.Path, "live.db");
        using var live = TestDatabase.OpenWal(databasePath);
        TestDatabase.CreateSchema(live);
        TestDatabase.Insert(live, new Random(1), 20);
        var committed = WalReader.ReadCommitted(databasePath + "-wal", null, null).End!.Value;
        TestDatabase.Insert(live, new Random(2), 20);
        var whole = WalReader.ReadCommitted(databasePath + "-wal", null, null).End!.Value;
        Assert.That(whole.NextFrame, Is.GreaterThan(committed.NextFrame));

        // A copy of the WAL whose last frame was cut short, as a crash in the middle of the write leaves it.
        var torn = Path.Combine(temp.Path, "torn-wal");
        File.Copy(databasePath + "-wal", torn);
        using (var stream = new FileStream(torn, FileMode.Open))
        {
            stream.SetLength(whole.Offset - 100);
        }

        var read = WalReader.ReadCommitted(torn, null, null);
        Assert.That(read.End!.Value.NextFrame, Is.EqualTo(committed.NextFrame), "the second transaction ends in the torn frame");

        // A last frame of full length whose page holds other bytes (a write that did not reach the disk whole).
        var changed = Path.Combine(temp.Path, "changed-wal");
        File.Copy(databasePath + "-wal", changed);
        TestDatabase.FlipByte(changed, whole.Offset - 10);
        Assert.That(WalReader.ReadCommitted(changed, null, null).End!.Value.NextFrame, Is.EqualTo(committed.NextFrame));
    }

    [Test]
    public void Frames_left_from_an_earlier_WAL_cycle_are_ignored_and_a_position_in_that_cycle_reads_as_reset()
    {
        using var temp = new TempDirectory();
        var databasePath = Path.Combine(temp.Path, "live.db");
        using var live = TestDatabase.OpenWal(databasePath);
        TestDatabase.CreateSchema(live);
        TestDatabase.Insert(live, new Random(1), 200);
        var oldCycle = WalReader.ReadCommitted(databasePath + "-wal", null, null).End!.Value;

        // RESTART (not TRUNCATE): the next writer starts the WAL over with new salts, over the old frames.
        TestDatabase.Execute(live, "PRAGMA wal_checkpoint(RESTART)");
        TestDatabase.Insert(live, new Random(2), 1, maxBody: 100);
        var length = new FileInfo(databasePath + "-wal").Length;

        var read = WalReader.ReadCommitted(databasePath + "-wal", null, null);
        Assert.That(read.End!.Value.Header.Salt1, Is.Not.EqualTo(oldCycle.Header.Salt1));
        Assert.That(read.FrameCount, Is.InRange(1u, 4u), "only the new cycle's frames");
        Assert.That(read.End.Value.Offset, Is.LessThan(length), "the old cycle's frames are still in the file");

        Assert.That(WalReader.ReadCommitted(databasePath + "-wal", oldCycle, null).Outcome, Is.EqualTo(WalReadOutcome.Reset));
    }

    [Test]
    public void Frames_of_a_transaction_rolled_back_after_spilling_to_the_WAL_are_not_shipped()
    {
        using var temp = new TempDirectory();
        var databasePath = Path.Combine(temp.Path, "live.db");
        using var live = TestDatabase.OpenWal(databasePath);
        TestDatabase.CreateSchema(live);
        TestDatabase.Insert(live, new Random(1), 10);
        var committed = WalReader.ReadCommitted(databasePath + "-wal", null, null).End!.Value;

        // A tiny page cache makes SQLite write the transaction's pages to the WAL before it ends.
        TestDatabase.Execute(live, "PRAGMA cache_size = 10");
        using (var transaction = live.BeginTransaction())
        {
            using var command = live.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO rows (k, body) SELECT 'k' || value, randomblob(3000) FROM generate_series(1, 500)";
            try
            {
                command.ExecuteNonQuery();
            }
            catch (Microsoft.Data.Sqlite.SqliteException)
            {
                // generate_series is not built in everywhere: a recursive CTE does the same.
                command.CommandText = "WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 500) INSERT INTO rows (k, body) SELECT 'k' || v, randomblob(3000) FROM n";
                command.ExecuteNonQuery();
            }

            transaction.Rollback();
        }

        Assert.That(new FileInfo(databasePath + "-wal").Length, Is.GreaterThan(committed.Offset), "the rolled back pages reached the WAL");
        var read = WalReader.ReadCommitted(databasePath + "-wal", committed, null);
        Assert.That(read.FrameCount, Is.Zero);
        Assert.That(read.End, Is.EqualTo(committed));
    }

    [Test]
    public void A_missing_WAL_is_nothing_from_the_start_of_a_cycle_and_a_reset_from_a_position()
    {
        using var temp = new TempDirectory();
        var databasePath = Path.Combine(temp.Path, "live.db");
        using (var live = TestDatabase.OpenWal(databasePath))
        {
            TestDatabase.CreateSchema(live);
        }

        Assert.That(File.Exists(databasePath + "-wal"), Is.False, "closing the last connection checkpoints and deletes the WAL");
        var fromStart = WalReader.ReadCommitted(databasePath + "-wal", null, null);
        Assert.That((fromStart.Outcome, fromStart.FrameCount, fromStart.End), Is.EqualTo((WalReadOutcome.Read, 0u, (WalPosition?)null)));

        var header = new WalHeader(WalFormat.MagicLittleEndian, 4096, 0, 1, 2, default);
        Assert.That(WalReader.ReadCommitted(databasePath + "-wal", WalPosition.StartOf(header), null).Outcome, Is.EqualTo(WalReadOutcome.Reset));
    }

    [Test]
    public void The_segment_written_holds_the_committed_frames_after_a_header_that_checks()
    {
        using var temp = new TempDirectory();
        var databasePath = Path.Combine(temp.Path, "live.db");
        using var live = TestDatabase.OpenWal(databasePath);
        TestDatabase.CreateSchema(live);
        TestDatabase.Insert(live, new Random(1), 30);
        using var segment = new MemoryStream();
        var read = WalReader.ReadCommitted(databasePath + "-wal", null, segment);

        var parsed = WalSegment.Parse(segment.ToArray());
        Assert.That(parsed.FrameCount, Is.EqualTo(read.FrameCount));
        Assert.That(parsed.ChecksumAfter, Is.EqualTo(read.End!.Value.Checksum));
        Assert.That(segment.Length, Is.EqualTo(WalSegment.HeaderSize + read.FrameBytes));
        Assert.That(parsed.DatabasePages, Is.EqualTo(long.Parse(TestDatabase.Scalar(live, "PRAGMA page_count"), System.Globalization.CultureInfo.InvariantCulture)));

        var nothing = new MemoryStream();
        WalReader.ReadCommitted(databasePath + "-wal", read.End, nothing);
        Assert.That(nothing.Length, Is.Zero, "no segment when nothing was committed");
    }
}
