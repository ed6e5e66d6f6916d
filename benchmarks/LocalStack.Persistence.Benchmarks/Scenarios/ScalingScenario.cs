using System.Diagnostics;
using LocalStack.Persistence.Benchmarks.Workload;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Benchmarks.Scenarios;

/// <summary>
/// Target 7: time per record of a crash-safe save at 1k/10k/100k/1M records (quick: 1k/10k/30k); the largest size's
/// time per record against the 10k one. The naive save (a) is measured at each size too, for the ratio.
/// </summary>
public static class ScalingScenario
{
    /// <summary>Saves each size several times; medians.</summary>
    public static async Task RunAsync(Report report)
    {
        var sizes = BenchSettings.ScalingSizes;
        Console.WriteLine($"== scaling: {string.Join(", ", sizes.Select(s => s.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))} records");
        var perRecord = new Dictionary<int, double>();
        foreach (var records in sizes)
        {
            var runs = Math.Clamp(2_000_000 / records, 3, 15);
            using var folder = new TempFolder("scaling");
            using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = Path.Combine(folder.Path, "state") });
            var snapshotter = new ServiceSnapshotter(store);
            var state = RecordFactory.CreateState(records);
            var provider = new MutableS3Provider("s3", state);
            var naivePath = Path.Combine(folder.Path, "naive.json");
            var stored = (await snapshotter.SaveAsync(provider).ConfigureAwait(false)).UncompressedLength;
            Naive.Save(state, naivePath);

            var library = new List<double>();
            var naive = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                // Alternate so that machine noise hits both alike.
                var start = Stopwatch.GetTimestamp();
                await snapshotter.SaveAsync(provider).ConfigureAwait(false);
                library.Add(Stats.Ms(start, Stopwatch.GetTimestamp()));
                start = Stopwatch.GetTimestamp();
                Naive.Save(state, naivePath);
                naive.Add(Stats.Ms(start, Stopwatch.GetTimestamp()));
            }

            var libraryMs = Stats.Median(library);
            var naiveMs = Stats.Median(naive);
            perRecord[records] = libraryMs * 1000 / records;
            report.Info($"{records,9:N0} records ({stored / 1048576.0,7:0.0} MiB JSON, {runs} runs): crash-safe save {libraryMs,9:0.0} ms = {perRecord[records],6:0.00} µs/record; naive (a) {naiveMs,9:0.0} ms; ratio {Report.F(libraryMs / naiveMs)}×");
        }

        var largest = sizes[^1];
        var ratio = perRecord[largest] / perRecord[10_000];
        report.Target(
            $"7 time per record at {largest:N0} ≤ 1.5× at 10,000",
            $"{Report.F(perRecord[largest])} µs / {Report.F(perRecord[10_000])} µs = {Report.F(ratio)}×",
            ratio <= 1.5);
    }
}
