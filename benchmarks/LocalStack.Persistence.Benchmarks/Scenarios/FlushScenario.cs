using System.Diagnostics;
using LocalStack.Persistence.Benchmarks.Workload;
using LocalStack.Persistence.Coordination;
using LocalStack.Persistence.Strategies;

namespace LocalStack.Persistence.Benchmarks.Scenarios;

/// <summary>Target 5: a scheduled flush (<c>SaveAllAsync(dirtyOnly: true)</c>) with 1 of 20 services dirty vs all 20 dirty.</summary>
public static class FlushScenario
{
    private const int Services = 20;

    /// <summary>Runs both flushes several times and compares the medians.</summary>
    public static async Task RunAsync(Report report)
    {
        var records = BenchSettings.Quick ? 1_000 : 10_000;
        var rounds = BenchSettings.Quick ? 3 : 7;
        Console.WriteLine($"== flush: {Services} services of {records:N0} records, {rounds} rounds");
        using var folder = new TempFolder("flush");
        var providers = Enumerable.Range(0, Services)
            .Select(i => new MutableS3Provider($"svc{i:D2}", RecordFactory.CreateState(records)))
            .ToArray();
        var (store, manager) = Managers.Create(Path.Combine(folder.Path, "state"), providers, new ManualSaveStrategy());
        using (store)
        await using (manager.ConfigureAwait(false))
        {
            await FlushAsync(manager, dirtyOnly: false).ConfigureAwait(false); // first write of every service
            var one = new List<double>();
            var all = new List<double>();
            for (var round = 0; round < rounds; round++)
            {
                manager.MarkModified(providers[round % Services].ServiceName);
                var (ms, written) = await FlushAsync(manager, dirtyOnly: true).ConfigureAwait(false);
                Check(written, 1);
                one.Add(ms);

                foreach (var provider in providers)
                {
                    manager.MarkModified(provider.ServiceName);
                }

                (ms, written) = await FlushAsync(manager, dirtyOnly: true).ConfigureAwait(false);
                Check(written, Services);
                all.Add(ms);
            }

            var ratio = Stats.Median(one) / Stats.Median(all);
            report.Target(
                "5 flush 1 of 20 dirty ≤ 10% of all 20 dirty",
                $"{Report.F(Stats.Median(one), "0.0")} ms / {Report.F(Stats.Median(all), "0.0")} ms = {Report.F(ratio * 100, "0.0")}% (medians)",
                ratio <= 0.10);
        }
    }

    private static void Check(int written, int expected)
    {
        if (written != expected)
        {
            throw new InvalidOperationException($"The flush wrote {written} services, expected {expected}.");
        }
    }

    private static async Task<(double Ms, int Written)> FlushAsync(SnapshotManager manager, bool dirtyOnly)
    {
        var start = Stopwatch.GetTimestamp();
        var written = 0;
        await foreach (var result in manager.SaveAllAsync(dirtyOnly).ConfigureAwait(false))
        {
            if (!result.Succeeded)
            {
                throw new InvalidOperationException($"Save of {result.ServiceName} failed: {result.Error}");
            }

            written++;
        }

        return (Stats.Ms(start, Stopwatch.GetTimestamp()), written);
    }
}
