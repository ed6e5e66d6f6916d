using LocalStack.Persistence.Benchmarks.Workload;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Benchmarks.Scenarios;

/// <summary>
/// Issue 14, load of a keyed state (the interleaved scenario's records and naive load (c)): (a) a keyed base fully
/// compacted, and (b) the same base with the longest delta chain the default compaction bounds allow, loaded in turn
/// with (c), round after round; medians compared, then the memory of one load of each.
/// </summary>
public static class KeyedLoadScenario
{
    private const string Service = "s3";

    /// <summary>Builds both snapshots, runs the rounds and reports (a)/(c) and (b)/(a).</summary>
    public static async Task RunAsync(Report report)
    {
        var records = BenchSettings.LargeRecords;
        var rounds = BenchSettings.Quick ? 3 : 15;
        Console.WriteLine($"== keyed-load: {records:N0} records, {rounds} rounds of naive load (c), keyed compacted (a), keyed + longest chain (b)");
        using var folder = new TempFolder("keyed-load");

        var naivePath = Path.Combine(folder.Path, "naive.json");
        Naive.Save(RecordFactory.CreateState(records), naivePath);

        using var compactedStore = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = Path.Combine(folder.Path, "compacted") });
        var compacted = new ServiceSnapshotter(compactedStore);
        var baseMetadata = await compacted.SaveAsync(KeyedS3Provider.Create(Service, records).Provider).ConfigureAwait(false);

        using var chainStore = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = Path.Combine(folder.Path, "chain") });
        var chain = new ServiceSnapshotter(chainStore) { Bounds = new CompactionBounds(int.MaxValue, long.MaxValue, double.MaxValue) }; // built by hand below
        var (source, keys) = KeyedS3Provider.Create(Service, records);
        var built = await BuildLongestChainAsync(chain, chainStore, source, keys).ConfigureAwait(false);
        report.Info($"keyed-load: base {MemoryCost.Mib(baseMetadata.FileLength)} MiB stored ({records:N0} records, naive JSON {MemoryCost.Mib(new FileInfo(naivePath).Length)} MiB); chain {built}");

        var names = new[] { "naive load (c)", "keyed compacted (a)", "keyed + chain (b)" };
        var steps = new Func<Task<object?>>[]
        {
            () => Task.FromResult<object?>(Naive.Load(naivePath)),
            async () => await LoadAsync(compacted).ConfigureAwait(false),
            async () => await LoadAsync(chain).ConfigureAwait(false),
        };
        ThrowIfDifferent(source, await LoadAsync(chain).ConfigureAwait(false)); // the chain really carries the changes
        var times = await Stats.InterleaveAsync([.. steps.Select(step => (Func<Task>)step)], rounds).ConfigureAwait(false);

        var memory = new MemoryCost[steps.Length];
        for (var s = 0; s < steps.Length; s++)
        {
            memory[s] = await MemoryCost.MeasureAsync(steps[s]).ConfigureAwait(false);
        }

        var median = times.Select(Stats.Median).ToArray();
        report.Info($"keyed-load medians, {records:N0} records, {rounds} rounds: " + string.Join("; ", names.Select((n, i) => $"{n} {Report.F(median[i], "0.0")} ms")));
        report.Info("keyed-load memory of one load: " + string.Join("; ", names.Select((n, i) => $"{n} {memory[i]}")));
        var compactedRatio = median[1] / median[0];
        report.Target(
            "14 keyed load, compacted (a) ≤ 0.8× naive (c)",
            $"{Report.F(compactedRatio)}× (peak heap {Report.F(memory[1].PeakHeapBytes / (double)memory[0].PeakHeapBytes)}× (c)'s)",
            compactedRatio <= 0.8);
        var chainRatio = median[2] / median[1];
        report.Target(
            "14 keyed load, + longest chain (b) ≤ 1.2× compacted (a)",
            $"{Report.F(chainRatio)}× ({Report.F(median[2] / median[0])}× (c); peak heap {Report.F(memory[2].PeakHeapBytes / (double)memory[0].PeakHeapBytes)}× (c)'s)",
            chainRatio <= 1.2);
    }

    private static async Task<KeyedS3Provider> LoadAsync(ServiceSnapshotter snapshotter)
    {
        var provider = new KeyedS3Provider(Service);
        _ = await snapshotter.LoadAsync(provider).ConfigureAwait(false) ?? throw new InvalidOperationException("No snapshot to load.");
        return provider;
    }

    /// <summary>
    /// Saves a base of <paramref name="provider"/>, then deltas of distinct changed records until one more would pass
    /// <see cref="CompactionBounds.Default"/>: 255 deltas, or delta bytes up to the base fraction (whichever comes first),
    /// each delta the same number of records, sized so that both limits are reached about together.
    /// </summary>
    private static async Task<string> BuildLongestChainAsync(ServiceSnapshotter snapshotter, FileSystemSnapshotStore store, KeyedS3Provider provider, string[] keys)
    {
        var bounds = CompactionBounds.Default;
        var baseLength = (await snapshotter.SaveAsync(provider).ConfigureAwait(false)).FileLength;
        var byteLimit = Math.Max(bounds.MinDeltaBytes, (long)(bounds.BaseFraction * baseLength));
        var maxDeltas = bounds.MaxDeltas - 1;
        var perDelta = Math.Max(1, keys.Length / 2500);
        var touched = 0;
        long lastLength = 0;
        for (var d = 0; d < maxDeltas; d++)
        {
            var stats = store.GetChainStats(Service);
            if (d > 0 && stats.DeltaBytes + (lastLength * 3 / 2) >= byteLimit)
            {
                break;
            }

            for (var r = 0; r < perDelta; r++)
            {
                // Distinct records spread over the state (7919 is prime, so the walk visits every record once).
                provider.Touch(keys[(int)((long)touched++ * 7919 % keys.Length)], touched);
            }

            lastLength = (await snapshotter.SaveAsync(provider).ConfigureAwait(false)).FileLength;
            if (d == 0)
            {
                // Size the deltas so that 255 of them fill about 97 % of the byte limit.
                var bytesPerRecord = (double)lastLength / perDelta;
                perDelta = Math.Max(1, (int)(byteLimit * 0.97 / maxDeltas / bytesPerRecord));
            }
        }

        var chain = store.GetChainStats(Service);
        if (bounds.IsExceeded(chain))
        {
            throw new InvalidOperationException($"The chain built passes the default bounds: {chain}.");
        }

        return $"{chain.DeltaCount} deltas of {perDelta} records ({touched:N0} records rewritten), {MemoryCost.Mib(chain.DeltaBytes)} MiB = {Report.F(chain.DeltaBytes * 100.0 / chain.BaseLength, "0.0")} % of the base (bounds: {bounds.MaxDeltas} deltas, or {MemoryCost.Mib(byteLimit)} MiB)";
    }

    private static void ThrowIfDifferent(KeyedS3Provider expected, KeyedS3Provider loaded)
    {
        if (loaded.Objects.Count != expected.Objects.Count
            || expected.Objects.Any(e => !loaded.Objects.TryGetValue(e.Key, out var l) || l.Size != e.Value.Size))
        {
            throw new InvalidOperationException("The keyed load of the chain does not give the state that was saved.");
        }
    }
}
