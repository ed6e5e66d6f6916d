using LocalStack.Persistence.Benchmarks.Workload;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Benchmarks.Scenarios;

/// <summary>
/// Targets 1 and 2 again, robust to a noisy machine: the library's save and load and the baselines (a), (b), (c) run
/// in turn, round after round, on the large state, and the medians are compared. Noise then hits every variant alike,
/// where BenchmarkDotNet measures one method after the other.
/// </summary>
public static class InterleavedScenario
{
    /// <summary>Runs the rounds and reports the median ratios.</summary>
    public static async Task RunAsync(Report report)
    {
        var records = BenchSettings.LargeRecords;
        var rounds = BenchSettings.Quick ? 5 : 15;
        Console.WriteLine($"== interleaved: {records:N0} records, {rounds} rounds of (a), (b), crash-safe save, immutable-capture save, (c), snapshot load");
        using var folder = new TempFolder("interleaved");
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = Path.Combine(folder.Path, "state") });
        var snapshotter = new ServiceSnapshotter(store);
        var state = RecordFactory.CreateState(records);
        var buffered = new MutableS3Provider("s3", state);
        var deferred = new DeferredS3Provider("s3deferred", state);
        var loader = new MutableS3Provider("s3", new S3State());
        var naivePath = Path.Combine(folder.Path, "naive.json");
        var rawPath = Path.Combine(folder.Path, "raw.bin");
        var rawBytes = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(state, BenchJsonContext.Default.S3State);

        var names = new[] { "naive save (a)", "raw write (b)", "crash-safe save", "crash-safe save, immutable capture", "naive load (c)", "snapshot load" };
        var steps = new Func<Task>[]
        {
            () => { Naive.Save(state, naivePath); return Task.CompletedTask; },
            () => { Naive.RawWrite(rawBytes, rawPath); return Task.CompletedTask; },
            async () => await snapshotter.SaveAsync(buffered).ConfigureAwait(false),
            async () => await snapshotter.SaveAsync(deferred).ConfigureAwait(false),
            () => { GC.KeepAlive(Naive.Load(naivePath)); return Task.CompletedTask; },
            async () => await snapshotter.LoadAsync(loader).ConfigureAwait(false),
        };
        var times = await Stats.InterleaveAsync(steps, rounds).ConfigureAwait(false);
        var median = times.Select(Stats.Median).ToArray();
        report.Info($"interleaved medians, {records:N0} records, {rounds} rounds: " + string.Join("; ", names.Select((n, i) => $"{n} {Report.F(median[i], "0.0")} ms")));
        var save = median[2] / median[0];
        report.Target($"1 (interleaved) crash-safe save ≤ 0.8× naive (a)", $"{Report.F(save)}× (immutable capture {Report.F(median[3] / median[0])}×, raw write (b) {Report.F(median[1] / median[0])}×)", save <= 0.8);
        var load = median[5] / median[4];
        report.Target($"2 (interleaved) load ≤ 1.0× naive (c)", $"{Report.F(load)}×", load <= 1.0);
    }
}
