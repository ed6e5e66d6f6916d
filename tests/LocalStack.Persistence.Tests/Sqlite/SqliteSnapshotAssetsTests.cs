using LocalStack.Persistence.Sqlite;
using LocalStack.Persistence.Tests.State;
using Microsoft.Data.Sqlite;

namespace LocalStack.Persistence.Tests.Sqlite;

public sealed class SqliteSnapshotAssetsTests : StoreTestBase
{
    [Test]
    public async Task A_working_database_in_WAL_mode_is_staged_committed_and_restored()
    {
        string savedDigest;
        using (var provider = new SqliteRowsProvider(Store))
        {
            provider.Insert(500, seed: 1);
            savedDigest = provider.Digest();
            var metadata = await Snapshotter.SaveAsync(provider);

            // Unsaved work after the save.
            provider.Insert(100, seed: 2);
            Assert.That(provider.CountRows(), Is.EqualTo(600));

            var generation = Store.GetAssetGenerationDirectory(SqliteRowsProvider.Service, metadata.Generation)!;
            Assert.That(Directory.GetFiles(generation).Select(Path.GetFileName), Is.EqualTo(new[] { SqliteRowsProvider.AssetName }),
                "the staged database is one complete file, without -wal, -shm or -journal");
        }

        ReopenStore();
        using var restored = new SqliteRowsProvider(Store);
        var loaded = await Snapshotter.LoadAsync(restored);

        Assert.That(loaded, Is.Not.Null);
        Assert.That(restored.State.RowCount, Is.EqualTo(500));
        Assert.That(restored.IntegrityCheck(), Is.EqualTo("ok"));
        Assert.That(restored.CountRows(), Is.EqualTo(500));
        Assert.That(restored.Digest(), Is.EqualTo(savedDigest));
    }

    [Test]
    public async Task An_in_memory_database_is_staged_and_restored_into_a_working_file()
    {
        string savedDigest;
        using (var inMemory = new SqliteRowsProvider(store: null))
        {
            inMemory.Insert(300, seed: 3);
            savedDigest = inMemory.Digest();
            await Snapshotter.SaveAsync(inMemory);
        }

        using var restored = new SqliteRowsProvider(Store);
        await Snapshotter.LoadAsync(restored);

        Assert.That(restored.IntegrityCheck(), Is.EqualTo("ok"));
        Assert.That(restored.CountRows(), Is.EqualTo(300));
        Assert.That(restored.Digest(), Is.EqualTo(savedDigest));
    }

    [Test]
    public async Task Restore_removes_a_stale_WAL_so_that_it_is_not_replayed_onto_the_restored_database()
    {
        using var provider = new SqliteRowsProvider(Store);
        provider.Insert(200, seed: 4);
        var savedDigest = provider.Digest();
        await Snapshotter.SaveAsync(provider);

        // A crash image: the working database with un-checkpointed changes in its -wal file.
        SqliteRowsProvider.Execute(provider.Live, "PRAGMA wal_autocheckpoint=0;");
        provider.Insert(300, seed: 5);
        var wal = provider.DatabasePath + "-wal";
        var staleWal = Path.Combine(StateDirectory, "stale-wal");
        File.Copy(wal, staleWal);
        provider.CloseLive();
        File.Copy(staleWal, wal, overwrite: true);
        Assert.That(new FileInfo(wal).Length, Is.GreaterThan(100_000), "precondition: the stale WAL holds the unsaved rows");

        using var restored = new SqliteRowsProvider(Store);
        await Snapshotter.LoadAsync(restored);

        Assert.That(restored.IntegrityCheck(), Is.EqualTo("ok"));
        Assert.That(restored.CountRows(), Is.EqualTo(200));
        Assert.That(restored.Digest(), Is.EqualTo(savedDigest));
    }

    [Test]
    public async Task Restore_reports_a_missing_database_and_changes_nothing()
    {
        var plain = new RecordingProvider(SqliteRowsProvider.Service, []) { Value = "no database" };
        await Snapshotter.SaveAsync(plain);
        var destination = Path.Combine(Store.GetWorkingDirectory(SqliteRowsProvider.Service), "untouched.db");
        await File.WriteAllTextAsync(destination, "live");

        bool? restored = null;
        plain.OnRestore = async (context, ct) => restored = await context.RestoreSqliteDatabaseAsync("rows.db", destination, ct);
        await Snapshotter.LoadAsync(plain);

        Assert.That(restored, Is.False);
        Assert.That(await File.ReadAllTextAsync(destination), Is.EqualTo("live"));
    }

    [Test]
    public async Task Staging_needs_an_open_connection_during_a_save()
    {
        using var closed = new SqliteConnection("Data Source=:memory:");
        var provider = new RecordingProvider("sqlmisuse", [])
        {
            OnCapture = async (context, ct) => await context.StageSqliteDatabaseAsync(closed, "x.db", ct),
        };

        await Assert.ThatAsync(async () => await Snapshotter.SaveAsync(provider), Throws.InvalidOperationException.With.Message.Contains("must be open"));
    }
}
