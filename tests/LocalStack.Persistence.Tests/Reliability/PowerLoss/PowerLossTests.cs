using System.Globalization;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Tests.Shared;
using LocalStack.Persistence.Tests.Sqlite;

namespace LocalStack.Persistence.Tests.Reliability.PowerLoss;

/// <summary>
/// Power loss (docs/reliability.md, "Power loss"): the store saves on <c>lazyfs.py</c> while power cuts are injected at
/// seeded crash points; after each one the store is reopened on what survived. <c>LSP_POWERLOSS_CRASHES</c> sets the
/// number of crashes of the store (default 100; 1,000 in <c>.ci/run --long</c>), <c>LSP_POWERLOSS_SEED</c> replays a run.
/// </summary>
[NonParallelizable]
public sealed class PowerLossTests
{
    private const int DefaultCrashes = 100;

    // A save of the store loop is about a dozen recorded operations (create, 1 to 9 writes, fsync, rename, folder fsync);
    // the child's start (lock, temp-file sweep, warm-up save) about as many. Crash points cover start-up and 3 to 6 saves.
    private const int StoreOperations = 80;

    // Crashes a mutant may take before the test gives up on catching it.
    private const int MutantBudget = 600;

    private string _root = null!;

    [SetUp]
    public async Task SetUpAsync()
    {
        await LazyFsMount.RequireAsync();
        _root = Directory.CreateTempSubdirectory("lsp-powerloss-").FullName;
    }

    [TearDown]
    public void TearDown()
    {
        if (_root is not null && Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Test]
    public async Task Every_load_after_a_power_cut_during_saves_is_complete_and_not_older_than_the_last_acknowledged_save()
    {
        var crashes = PowerLossHarness.Crashes(DefaultCrashes);
        var seed = PowerLossHarness.Seed(nameof(PowerLossTests) + " store");

        var result = await PowerLossHarness.RunAsync(
            _root, ["store-save-loop", "{state}", "{seed}"], crashes, seed, StoreOperations, PowerLossHarness.CheckStoreAsync, lanes: 2);

        await TestContext.Out.WriteLineAsync($"store under power loss: {result}");
        Assert.That(result.Failures, Is.Empty);
        Assert.That(result.Crashes, Is.EqualTo(crashes));
        Assert.That(result.Acknowledged, Is.GreaterThan(0), "the children did save");
        Assert.That(result.InFlightKept, Is.GreaterThan(0), "some crashes kept the save in flight (the harness reaches the commit point)");
    }

    [Test]
    public async Task Sqlite_assets_after_a_power_cut_pass_integrity_check_and_match_the_state_of_their_save()
    {
        // A save here is about a thousand recorded operations (the backup API copies the database page by page): fewer,
        // longer rounds than the store's.
        var crashes = Math.Max(10, PowerLossHarness.Crashes(DefaultCrashes) / 10);
        var seed = PowerLossHarness.Seed(nameof(PowerLossTests) + " sqlite");

        var result = await PowerLossHarness.RunAsync(
            _root, ["sqlite-staging-loop", "{state}", "{seed}"], crashes, seed, maxOperations: 6000, CheckSqliteAsync, lanes: 2);

        await TestContext.Out.WriteLineAsync($"SQLite staging under power loss: {result}");
        Assert.That(result.Failures, Is.Empty);
        Assert.That(result.Crashes, Is.EqualTo(crashes));
        Assert.That(result.Acknowledged, Is.GreaterThan(0), "the children did save");
    }

    [Test]
    public async Task Keyed_deltas_and_compactions_after_a_power_cut_load_complete_and_current()
    {
        // A keyed save is a small delta (few operations), with a base or a compaction now and then.
        var crashes = Math.Max(10, PowerLossHarness.Crashes(DefaultCrashes) / 4);
        var seed = PowerLossHarness.Seed(nameof(PowerLossTests) + " keyed");

        var result = await PowerLossHarness.RunAsync(
            _root, ["keyed-save-loop", "{state}", "{seed}"], crashes, seed, StoreOperations, CheckKeyedAsync, lanes: 2);

        await TestContext.Out.WriteLineAsync($"keyed deltas under power loss: {result}");
        Assert.That(result.Failures, Is.Empty);
        Assert.That(result.Crashes, Is.EqualTo(crashes));
        Assert.That(result.Acknowledged, Is.GreaterThan(0), "the children did save");
    }

    /// <summary>The keyed service loads (base and delta chain) with every record as its counter says, never older than acknowledged.</summary>
    private static async Task<(long Loaded, string? Problem)> CheckKeyedAsync(string stateDirectory, long floor)
    {
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = stateDirectory });
        var provider = new KeyedCrashModel();
        try
        {
            await new ServiceSnapshotter(store).LoadAsync(provider);
        }
        catch (SnapshotException ex)
        {
            return (0, $"load failed: {ex.GetType().Name}: {ex.Message}");
        }

        var expected = KeyedCrashModel.Expected(provider.Counter);
        return expected.SequenceEqual(provider.Items)
            ? (provider.Counter, null)
            : (provider.Counter, $"save {provider.Counter} loaded with {provider.Items.Count} records that differ from the {expected.Count} it wrote");
    }

    [TestCase("no-file-fsync")]
    [TestCase("no-folder-fsync")]
    [TestCase("rename-before-fsync")]
    [TestCase("in-place")]
    public async Task The_harness_catches_a_writer(string mutant)
    {
        var seed = PowerLossHarness.Seed($"{nameof(PowerLossTests)} mutant {mutant}");

        var result = await PowerLossHarness.RunAsync(
            _root, ["store-save-loop", "{state}", "{seed}", mutant], MutantBudget, seed, StoreOperations, PowerLossHarness.CheckStoreAsync, stopAtFirstFailure: true, lanes: 2);

        await TestContext.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"mutant {mutant}: caught after {result.FirstFailureAt} crashes (2 lanes); {result}"));
        foreach (var failure in result.Failures)
        {
            await TestContext.Out.WriteLineAsync(failure);
        }

        Assert.That(result.FirstFailureAt, Is.GreaterThan(0), $"the mutant '{mutant}' survived {result.Crashes} crashes");
    }

    /// <summary>The service loads as a restarted emulator loads it; its database passes integrity_check and holds the rows its state recorded.</summary>
    private static async Task<(long Loaded, string? Problem)> CheckSqliteAsync(string stateDirectory, long floor)
    {
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = stateDirectory });
        using var provider = new SqliteRowsProvider(store);
        try
        {
            if (await new ServiceSnapshotter(store).LoadAsync(provider) is null)
            {
                return (0, null);
            }

            var (stateRows, databaseRows, integrity) = (provider.State.RowCount, provider.CountRows(), provider.IntegrityCheck());
            return integrity != "ok" ? (stateRows, $"integrity_check: {integrity}")
                : databaseRows != stateRows ? (stateRows, $"the database holds {databaseRows} rows, the state of its save {stateRows}")
                : (stateRows, null);
        }
        catch (Exception ex) when (ex is SnapshotException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            return (0, $"load failed: {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            provider.CloseLive();
        }
    }
}
