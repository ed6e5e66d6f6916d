using System.Diagnostics;
using System.Globalization;
using LocalStack.Persistence.Tests.Support;

namespace LocalStack.Persistence.Tests.Sqlite;

/// <summary>
/// RELIABILITY case 15: a child process inserts rows into a working SQLite database and saves in a loop (staging the
/// database with the backup API) while it is SIGKILLed at random moments. After every kill a fresh store and
/// snapshotter load the service: the restored database passes <c>PRAGMA integrity_check</c> and holds exactly the rows
/// that the state of the same save recorded, never fewer than the last acknowledged save.
/// </summary>
[NonParallelizable]
public sealed class SqliteStagingCrashTests
{
    private const int Rounds = 20;

    [Test]
    public async Task Kills_while_assets_are_staged_leave_state_and_database_of_the_same_save()
    {
        using var dir = new TempDirectory();
        var seed = Environment.TickCount;
        var random = new Random(seed);
        TestContext.Out.WriteLine($"seed {seed}");
        long lastAck = 0;
        var phases = new Dictionary<string, int>(StringComparer.Ordinal) { ["capture"] = 0, ["commit"] = 0, ["between saves"] = 0 };

        for (var round = 0; round < Rounds; round++)
        {
            var lines = await RunAndKillAsync(dir.Path, seed + round, acksBeforeKill: random.Next(1, 4), killDelay: TimeSpan.FromMilliseconds(random.Next(0, 80)));

            var acks = lines.Where(l => l.StartsWith("ack ", StringComparison.Ordinal)).Select(l => long.Parse(l[4..], CultureInfo.InvariantCulture)).ToList();
            Assert.That(acks, Is.Not.Empty, $"round {round}: the child acknowledged nothing: {string.Join(" | ", lines)}");
            Assert.That(acks, Is.Ordered, $"round {round}: row counts only grow");
            lastAck = Math.Max(lastAck, acks.Max());
            var last = lines[^1];
            phases[last.StartsWith("stage ", StringComparison.Ordinal) ? "capture" : last.StartsWith("staged ", StringComparison.Ordinal) ? "commit" : "between saves"]++;

            var (stateRows, databaseRows, integrity) = await LoadAsync(dir.Path);

            Assert.That(integrity, Is.EqualTo("ok"), $"round {round}: integrity_check of the restored database");
            Assert.That(databaseRows, Is.EqualTo(stateRows), $"round {round}: the database must be the one staged by the save whose state was loaded");
            Assert.That(stateRows, Is.GreaterThanOrEqualTo(lastAck), $"round {round}: the loaded save is older than the last acknowledged one");
        }

        TestContext.Out.WriteLine($"{Rounds} kills; last line before the kill: {string.Join(", ", phases.Select(p => $"{p.Key} {p.Value}"))}; last acknowledged rows {lastAck}");
        Assert.That(phases["capture"] + phases["commit"], Is.GreaterThan(0), "at least one kill must land inside a save");
    }

    /// <summary>Starts the child, waits for <paramref name="acksBeforeKill"/> acknowledged saves, waits a random delay, SIGKILLs it and returns every line it printed.</summary>
    private static async Task<List<string>> RunAndKillAsync(string stateDirectory, int seed, int acksBeforeKill, TimeSpan killDelay)
    {
        var child = Path.Combine(AppContext.BaseDirectory, "LocalStack.Persistence.CrashChild.dll");
        using var process = Process.Start(new ProcessStartInfo("dotnet", [child, "sqlite-staging-loop", stateDirectory, seed.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var lines = new List<string>();
        var enoughAcks = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = Task.Run(async () =>
        {
            var acks = 0;
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (lines)
                {
                    lines.Add(line);
                }

                if (line.StartsWith("ack ", StringComparison.Ordinal) && ++acks >= acksBeforeKill)
                {
                    enoughAcks.TrySetResult();
                }
            }

            enoughAcks.TrySetResult();
        });

        try
        {
            await enoughAcks.Task.WaitAsync(TimeSpan.FromSeconds(60));
            if (process.HasExited)
            {
                Assert.Fail($"the child exited early (code {process.ExitCode}): {await stderr}");
            }

            // The random moment of the kill: the child runs freely meanwhile (a real process needs real time).
            await Task.Delay(killDelay);
        }
        finally
        {
            process.Kill(); // SIGKILL on Linux
            await process.WaitForExitAsync();
        }

        await stdout;
        return lines;
    }

    /// <summary>Loads the service the way a restarted emulator does and inspects the restored database.</summary>
    private static async Task<(long StateRows, long DatabaseRows, string Integrity)> LoadAsync(string stateDirectory)
    {
        var store = TestStores.Create(stateDirectory);
        try
        {
            using var provider = new SqliteRowsProvider(store);
            var metadata = await new ServiceSnapshotter(store).LoadAsync(provider);
            Assert.That(metadata, Is.Not.Null, "a snapshot must exist after an acknowledged save");
            return (provider.State.RowCount, provider.CountRows(), provider.IntegrityCheck());
        }
        finally
        {
            TestStores.Release(store);
        }
    }
}
