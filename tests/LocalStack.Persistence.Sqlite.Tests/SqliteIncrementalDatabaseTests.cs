using LocalStack.Persistence.Sqlite.Tests.Support;
using LocalStack.Persistence.Sqlite.Wal;
using LocalStack.Persistence.Tests.Support;

namespace LocalStack.Persistence.Sqlite.Tests;

public sealed class SqliteIncrementalDatabaseTests
{
    [Test]
    public async Task Many_transactions_over_several_saves_restore_to_the_live_database()
    {
        using var temp = new TempDirectory();
        var blobs = new FileBlobStore(Path.Combine(temp.Path, "blobs"));
        // No fold, so that the chain keeps every segment.
        using var database = new SqliteIncrementalDatabase(Path.Combine(temp.Path, "live", "a.db"), new SqliteIncrementalOptions { FoldSegmentPercent = 10_000 });
        Directory.CreateDirectory(Path.Combine(temp.Path, "live"));
        var live = database.Open();
        TestDatabase.CreateSchema(live);
        var random = new Random(7);
        TestDatabase.Insert(live, random, 300);
        var first = await database.CaptureAsync(blobs, CancellationToken.None);
        Assert.That(first.SegmentBlobIds, Is.Empty, "the first save stores the whole database");

        SqliteDatabaseDescriptor descriptor = first;
        for (var save = 0; save < 6; save++)
        {
            // Small transactions: frames weighing more than the database would make the save store a whole copy instead.
            for (var t = 0; t < 5; t++)
            {
                TestDatabase.RandomTransaction(live, random, 3);
            }

            descriptor = await database.CaptureAsync(blobs, CancellationToken.None);
            Assert.That(descriptor.BaseBlobId, Is.EqualTo(first.BaseBlobId));
            Assert.That(descriptor.SegmentBlobIds, Has.Count.EqualTo(save + 1), "one segment per save");
        }

        var expected = TestDatabase.Digest(live);
        Assert.That(await RestoreDigestAsync(temp.Path, blobs, descriptor), Is.EqualTo(expected));
    }

    [Test]
    public async Task A_save_with_nothing_changed_ships_nothing()
    {
        using var temp = new TempDirectory();
        var blobs = new FileBlobStore(Path.Combine(temp.Path, "blobs"));
        using var database = new SqliteIncrementalDatabase(Path.Combine(temp.Path, "a.db"));
        TestDatabase.CreateSchema(database.Open());
        TestDatabase.Insert(database.Connection, new Random(1), 10);
        var first = await database.CaptureAsync(blobs, CancellationToken.None);
        var stored = blobs.Stored.Count;

        var second = await database.CaptureAsync(blobs, CancellationToken.None);

        Assert.That(blobs.Stored, Has.Count.EqualTo(stored));
        Assert.That((second.BaseBlobId, second.SegmentBlobIds), Is.EqualTo((first.BaseBlobId, first.SegmentBlobIds)));
    }

    [Test]
    public async Task After_a_checkpoint_shipping_continues_from_the_new_WAL()
    {
        using var temp = new TempDirectory();
        var blobs = new FileBlobStore(Path.Combine(temp.Path, "blobs"));
        using var database = new SqliteIncrementalDatabase(Path.Combine(temp.Path, "a.db"), new SqliteIncrementalOptions { CheckpointWalBytes = 64 * 1024, FoldSegmentPercent = 1000 });
        var live = database.Open();
        TestDatabase.CreateSchema(live);
        var random = new Random(3);
        TestDatabase.Insert(live, random, 200);
        await database.CaptureAsync(blobs, CancellationToken.None);
        Assert.That(new FileInfo(database.DatabasePath + "-wal").Length, Is.Zero, "the WAL passed the bound: checkpointed and truncated after the save");

        var segments = new List<WalSegment>();
        for (var save = 0; save < 4; save++)
        {
            TestDatabase.Insert(live, random, 40);
            var descriptor = await database.CaptureAsync(blobs, CancellationToken.None);
            segments.Add(WalSegment.Parse(File.ReadAllBytes(blobs.GetPath(descriptor.SegmentBlobIds[^1]))));
        }

        Assert.That(segments.Select(s => s.FirstFrame), Is.All.Zero, "each save's frames were over the bound, so each ships a new WAL from its start");
        Assert.That(segments.Select(s => s.WalHeader.Salt1).Distinct().Count(), Is.EqualTo(4));
        Assert.That(await RestoreDigestAsync(temp.Path, blobs, database.Descriptor!), Is.EqualTo(TestDatabase.Digest(live)));
    }

    [Test]
    public async Task A_WAL_reset_by_someone_else_makes_the_save_store_a_whole_database()
    {
        using var temp = new TempDirectory();
        var blobs = new FileBlobStore(Path.Combine(temp.Path, "blobs"));
        using var database = new SqliteIncrementalDatabase(Path.Combine(temp.Path, "a.db"));
        var live = database.Open();
        TestDatabase.CreateSchema(live);
        var random = new Random(4);
        TestDatabase.Insert(live, random, 100);
        var first = await database.CaptureAsync(blobs, CancellationToken.None);
        TestDatabase.Insert(live, random, 10);
        await database.CaptureAsync(blobs, CancellationToken.None);
        var shippedTo = new FileInfo(database.DatabasePath + "-wal").Length;

        // Changes, then a checkpoint behind the shipper's back, then more changes in a new WAL cycle: the frames of the
        // first changes are in no WAL any more.
        TestDatabase.Insert(live, random, 10);
        TestDatabase.Execute(live, "PRAGMA wal_checkpoint(TRUNCATE)");
        TestDatabase.Insert(live, random, 300);
        Assert.That(new FileInfo(database.DatabasePath + "-wal").Length, Is.GreaterThan(shippedTo), "the new WAL is longer than where shipping stopped: only its salts tell");
        var descriptor = await database.CaptureAsync(blobs, CancellationToken.None);

        Assert.That(descriptor.BaseBlobId, Is.Not.EqualTo(first.BaseBlobId));
        Assert.That(descriptor.SegmentBlobIds, Is.Empty);
        Assert.That(await RestoreDigestAsync(temp.Path, blobs, descriptor), Is.EqualTo(TestDatabase.Digest(live)));
    }

    [Test]
    public async Task Segments_are_folded_into_a_new_base_in_the_background_and_the_next_save_ships_it()
    {
        using var temp = new TempDirectory();
        var blobs = new FileBlobStore(Path.Combine(temp.Path, "blobs"));
        using var database = new SqliteIncrementalDatabase(Path.Combine(temp.Path, "a.db"), new SqliteIncrementalOptions { FoldSegmentCount = 3, FoldSegmentPercent = 1000 });
        var live = database.Open();
        TestDatabase.CreateSchema(live);
        var random = new Random(5);
        TestDatabase.Insert(live, random, 300);
        var first = await database.CaptureAsync(blobs, CancellationToken.None);
        for (var save = 0; save < 3; save++)
        {
            TestDatabase.RandomTransaction(live, random, 10);
            await database.CaptureAsync(blobs, CancellationToken.None);
        }

        Assert.That(database.Shipper.FoldTask, Is.Not.Null, "three segments: a fold started");
        await database.Shipper.FoldTask!;
        TestDatabase.RandomTransaction(live, random, 10);
        var descriptor = await database.CaptureAsync(blobs, CancellationToken.None);

        Assert.That(descriptor.BaseBlobId, Is.Not.EqualTo(first.BaseBlobId), "the folded base replaced the first one");
        Assert.That(descriptor.SegmentBlobIds, Has.Count.EqualTo(1), "only the segment shipped after the fold remains");
        Assert.That(await RestoreDigestAsync(temp.Path, blobs, descriptor), Is.EqualTo(TestDatabase.Digest(live)));
        Assert.That(Directory.GetFiles(Path.Combine(temp.Path, "a.db-snapshot")).Select(Path.GetFileName), Is.EquivalentTo(descriptor.BlobIds.Select((id, i) => id + (i == 0 ? ".base" : ".segment"))),
            "the local files are exactly the chain's");
    }

    [Test]
    public async Task A_restored_database_continues_its_chain_and_the_next_save_ships_only_what_changed()
    {
        using var temp = new TempDirectory();
        var blobs = new FileBlobStore(Path.Combine(temp.Path, "blobs"));
        var saved = await SaveBaseAndSegmentAsync(Path.Combine(temp.Path, "a.db"), blobs, seed: 6);

        using var restored = new SqliteIncrementalDatabase(Path.Combine(temp.Path, "b.db"));
        await restored.RestoreAsync(blobs, saved, "snapshot", CancellationToken.None);
        var connection = restored.Open();
        TestDatabase.RandomTransaction(connection, new Random(8), 10);
        var next = await restored.CaptureAsync(blobs, CancellationToken.None);

        Assert.That(next.BaseBlobId, Is.EqualTo(saved.BaseBlobId));
        Assert.That(next.SegmentBlobIds.Take(saved.SegmentBlobIds.Count), Is.EqualTo(saved.SegmentBlobIds));
        Assert.That(next.SegmentBlobIds, Has.Count.EqualTo(saved.SegmentBlobIds.Count + 1));
        Assert.That(await RestoreDigestAsync(temp.Path, blobs, next), Is.EqualTo(TestDatabase.Digest(connection)));
    }

    [Test]
    public async Task A_damaged_segment_or_base_fails_the_restore_with_a_snapshot_corrupt_error_naming_the_database()
    {
        using var temp = new TempDirectory();
        var blobs = new FileBlobStore(Path.Combine(temp.Path, "blobs"));
        var saved = await SaveBaseAndSegmentAsync(Path.Combine(temp.Path, "a.db"), blobs, seed: 9);

        blobs.FlipByte(saved.SegmentBlobIds[0], 200);
        using var restored = new SqliteIncrementalDatabase(Path.Combine(temp.Path, "b.db"));
        var error = await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await restored.RestoreAsync(blobs, saved, "the-snapshot", CancellationToken.None));
        Assert.That(error!.Message, Does.Contain("the-snapshot").And.Contain("b.db").And.Contain(saved.SegmentBlobIds[0]));
        Assert.That(File.Exists(restored.DatabasePath), Is.False, "no database from a chain that fails");

        // A base whose b-tree pages were overwritten: a database file SQLite opens, but not a sound one.
        blobs.FlipByte(saved.SegmentBlobIds[0], 200);
        var basePath = blobs.GetPath(saved.BaseBlobId);
        using (var stream = new FileStream(basePath, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = 4096 + 8;
            stream.Write(new byte[2000]);
        }

        error = await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await restored.RestoreAsync(blobs, new SqliteDatabaseDescriptor(saved.BaseBlobId, []), "the-snapshot", CancellationToken.None));
        Assert.That(error!.Message, Does.Contain("the-snapshot").And.Contain("b.db"));
        Assert.That(File.Exists(restored.DatabasePath), Is.False);
    }

    [Test]
    public async Task A_small_insert_into_a_database_of_100k_rows_ships_a_few_pages()
    {
        using var temp = new TempDirectory();
        var blobs = new FileBlobStore(Path.Combine(temp.Path, "blobs"));
        using var database = new SqliteIncrementalDatabase(Path.Combine(temp.Path, "a.db"));
        var live = database.Open();
        TestDatabase.CreateSchema(live);
        var random = new Random(11);
        for (var i = 0; i < 10; i++)
        {
            TestDatabase.Insert(live, random, 10_000, maxBody: 400);
        }

        await database.CaptureAsync(blobs, CancellationToken.None);
        var databaseBytes = new FileInfo(database.DatabasePath).Length;
        var stored = blobs.Stored.Count;

        TestDatabase.Insert(live, random, 1, maxBody: 200);
        var descriptor = await database.CaptureAsync(blobs, CancellationToken.None);

        Assert.That(blobs.Stored, Has.Count.EqualTo(stored + 1), "one segment");
        var segment = WalSegment.Parse(File.ReadAllBytes(blobs.GetPath(descriptor.SegmentBlobIds[^1])));
        var shipped = blobs.Stored[^1].Bytes;
        TestContext.Out.WriteLine($"100k rows: database {databaseBytes} bytes; one small insert shipped {shipped} bytes ({segment.FrameCount} pages of {segment.PageSize})");
        Assert.That(segment.FrameCount, Is.InRange(1u, 8u), "an insert touches a leaf of the table, a leaf of the index, maybe their parents and page 1");
        Assert.That(shipped, Is.LessThan(databaseBytes / 100));
        Assert.That(await RestoreDigestAsync(temp.Path, blobs, descriptor), Is.EqualTo(TestDatabase.Digest(live)));
    }

    [Test]
    public async Task A_failed_save_makes_the_next_one_store_a_whole_database()
    {
        using var temp = new TempDirectory();
        var blobs = new FileBlobStore(Path.Combine(temp.Path, "blobs"));
        using var database = new SqliteIncrementalDatabase(Path.Combine(temp.Path, "a.db"));
        var live = database.Open();
        TestDatabase.CreateSchema(live);
        TestDatabase.Insert(live, new Random(12), 50);
        var first = await database.CaptureAsync(blobs, CancellationToken.None);
        TestDatabase.Insert(live, new Random(13), 5);

        Assert.That(async () => await database.CaptureAsync(new FailingBlobStore(), CancellationToken.None), Throws.InstanceOf<IOException>());
        var next = await database.CaptureAsync(blobs, CancellationToken.None);

        Assert.That(next.BaseBlobId, Is.Not.EqualTo(first.BaseBlobId));
        Assert.That(next.SegmentBlobIds, Is.Empty);
        Assert.That(await RestoreDigestAsync(temp.Path, blobs, next), Is.EqualTo(TestDatabase.Digest(live)));
    }

    [Test]
    public void The_descriptor_reads_back_what_it_writes_and_refuses_other_JSON()
    {
        var descriptor = new SqliteDatabaseDescriptor(new string('a', 64), [new string('b', 64), new string('c', 64)]);
        using var buffer = new MemoryStream();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            descriptor.WriteTo(writer);
        }

        var read = SqliteDatabaseDescriptor.Parse(buffer.ToArray());
        Assert.That((read.BaseBlobId, read.SegmentBlobIds), Is.EqualTo((descriptor.BaseBlobId, descriptor.SegmentBlobIds)));
        foreach (var json in new[] { "{}", "[]", "{\"base\":\"a\"}", "{\"base\":\"a\",\"segments\":[1]}", "{\"base\":\"a\",\"segments\":[],\"x\":1}", "{\"base\":\"a\",\"base\":\"b\",\"segments\":[]}", "{\"base\":\"a\",\"segments\":[]} 1" })
        {
            Assert.That(() => SqliteDatabaseDescriptor.Parse(System.Text.Encoding.UTF8.GetBytes(json)), Throws.InstanceOf<System.Text.Json.JsonException>(), json);
        }
    }

    /// <summary>A database of 200 rows saved (a base), changed and saved again (a segment), then closed.</summary>
    private static async Task<SqliteDatabaseDescriptor> SaveBaseAndSegmentAsync(string path, FileBlobStore blobs, int seed)
    {
        using var database = new SqliteIncrementalDatabase(path);
        var live = database.Open();
        TestDatabase.CreateSchema(live);
        TestDatabase.Insert(live, new Random(seed), 200);
        await database.CaptureAsync(blobs, CancellationToken.None);
        TestDatabase.RandomTransaction(live, new Random(seed + 1), 10);
        return await database.CaptureAsync(blobs, CancellationToken.None);
    }

    /// <summary>Restores <paramref name="descriptor"/> into a fresh file (checked by integrity_check on the way) and returns its digest.</summary>
    private static async Task<string> RestoreDigestAsync(string directory, FileBlobStore blobs, SqliteDatabaseDescriptor descriptor)
    {
        var path = Path.Combine(directory, $"restored-{Guid.NewGuid():N}.db");
        using (var restored = new SqliteIncrementalDatabase(path))
        {
            await restored.RestoreAsync(blobs, descriptor, "test", CancellationToken.None);
        }

        var (digest, integrity) = TestDatabase.Inspect(path);
        Assert.That(integrity, Is.EqualTo("ok"));
        return digest;
    }

    private sealed class FailingBlobStore : IBlobStore
    {
        public ValueTask<string> StoreAsync(string sourcePath, CancellationToken cancellationToken) => throw new IOException("disk full");

        public string GetPath(string blobId) => throw new IOException("disk full");
    }
}
