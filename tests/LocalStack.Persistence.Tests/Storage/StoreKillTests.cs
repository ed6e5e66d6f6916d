using System.Globalization;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Tests.Shared;
using LocalStack.Persistence.Tests.Support;

namespace LocalStack.Persistence.Tests.Storage;

/// <summary>
/// Reliability cases 1 and 2 with real child processes and SIGKILL. <c>LSP_KILL_ROUNDS</c> sets the number of kills of the
/// store (default 100; e.g. 1000 for a long run); <c>LSP_KILL_CONTROL_ROUNDS</c> that of the in-place control (default 25).
/// </summary>
[NonParallelizable]
public sealed class StoreKillTests
{
    private const int DefaultRounds = 100;
    private const int DefaultControlRounds = 25;

    [Test]
    public async Task Every_load_after_a_SIGKILL_during_saves_is_complete_and_not_older_than_the_last_acknowledged_save()
    {
        using var root = new TempDirectory();
        var rounds = Rounds("LSP_KILL_ROUNDS", DefaultRounds);

        var result = await KillHarness.RunAsync("store-save-loop", root.Path, rounds, seed: 1_000_003);

        await TestContext.Out.WriteLineAsync($"store kill harness: {result}");
        Assert.That(result.Failures, Is.Empty);
        Assert.That(result.Kills, Is.EqualTo(rounds));
        Assert.That(result.Acknowledged, Is.GreaterThan(0), "the children did save");
        Assert.That(result.KillsDuringWrite, Is.GreaterThan(0), "some kills landed while a temp file was being written");
    }

    [Test]
    public async Task Every_load_of_a_keyed_service_after_a_SIGKILL_during_delta_saves_and_compactions_is_complete_and_current()
    {
        using var root = new TempDirectory();
        var rounds = Rounds("LSP_KILL_ROUNDS", DefaultRounds);

        var result = await KillHarness.RunAsync("keyed-save-loop", root.Path, rounds, seed: 3_000_017, KeyedCrashModel.ServiceNameValue, LoadKeyedAsync);

        await TestContext.Out.WriteLineAsync($"keyed kill harness: {result}");
        Assert.That(result.Failures, Is.Empty);
        Assert.That(result.Kills, Is.EqualTo(rounds));
        Assert.That(result.Acknowledged, Is.GreaterThan(rounds), "the children did save");
        Assert.That(result.KillsDuringWrite, Is.GreaterThan(0), "some kills landed while a delta or a base was being written");
    }

    /// <summary>Loads the keyed service and checks every record against the state its counter says it is; then no stale delta may be left.</summary>
    private static async Task<(long Save, string? Problem)> LoadKeyedAsync(FileSystemSnapshotStore store)
    {
        var provider = new KeyedCrashModel();
        try
        {
            await new ServiceSnapshotter(store).LoadAsync(provider);
        }
        catch (SnapshotException ex)
        {
            return (0, ex.Message);
        }

        var expected = KeyedCrashModel.Expected(provider.Counter);
        if (!expected.SequenceEqual(provider.Items))
        {
            var wrong = expected.Keys.Union(provider.Items.Keys).First(k => expected.GetValueOrDefault(k) != provider.Items.GetValueOrDefault(k));
            return (provider.Counter, $"save {provider.Counter} loaded with record '{wrong}' = '{provider.Items.GetValueOrDefault(wrong)}', expected '{expected.GetValueOrDefault(wrong)}'");
        }

        var stats = store.GetChainStats(KeyedCrashModel.ServiceNameValue);
        var stale = store.ListDeltaFiles(KeyedCrashModel.ServiceNameValue).Where(d => d.Generation <= stats.BaseGeneration).ToList();
        return stale.Count > 0
            ? (provider.Counter, $"delta files not newer than the base survived the start-up: {string.Join(", ", stale.Select(d => Path.GetFileName(d.Path)))}")
            : (provider.Counter, null);
    }

    [Test]
    public async Task The_same_harness_catches_the_torn_snapshots_of_an_in_place_writer()
    {
        using var root = new TempDirectory();
        var rounds = Rounds("LSP_KILL_CONTROL_ROUNDS", DefaultControlRounds);

        var result = await KillHarness.RunAsync("inplace-save-loop", root.Path, rounds, seed: 2_000_003);

        var rate = (double)result.TornLoads / result.Kills;
        await TestContext.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"in-place control: {result} detectionRate={rate:P1}"));
        Assert.That(result.Kills, Is.EqualTo(rounds));
        Assert.That(result.TornLoads, Is.GreaterThan(0), "the harness must be able to see a torn write");
    }

    private static int Rounds(string variable, int fallback)
        => int.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.None, CultureInfo.InvariantCulture, out var rounds) && rounds > 0 ? rounds : fallback;
}
