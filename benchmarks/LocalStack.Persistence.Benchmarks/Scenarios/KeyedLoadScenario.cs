using System.Text.Json;
using LocalStack.Persistence.Benchmarks.Workload;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Storage.Format;

namespace LocalStack.Persistence.Benchmarks.Scenarios;

/// <summary>
/// Issue 14, load of a keyed state (the interleaved scenario's records and naive load (c)): (a) a keyed base fully
/// compacted, and (b) the same base with the longest delta chain the default compaction bounds allow, loaded in turn
/// with (c), round after round; medians compared, then the memory of one load of each.
/// </summary>
public static class KeyedLoadScenario
{
    private const string Service = "s3";

    /// <summary>Overrides the number of rounds (15, quick 3), e.g. for a shorter profile on a busy machine.</summary>
    public const string RoundsVariable = "LSP_BENCH_KEYED_LOAD_ROUNDS";

    /// <summary>Builds both snapshots, runs the rounds and reports (a)/(c) and (b)/(a).</summary>
    public static async Task RunAsync(Report report)
    {
        var records = BenchSettings.LargeRecords;
        var rounds = int.TryParse(Environment.GetEnvironmentVariable(RoundsVariable), out var r) && r > 0 ? r : BenchSettings.Quick ? 3 : 15;
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
        var profileRounds = BenchSettings.Quick ? 1 : rounds;
        report.Info($"keyed-load profile (each step adds one part; medians of {profileRounds} rounds): {await ProfileAsync(compactedStore, chainStore, naivePath, profileRounds).ConfigureAwait(false)}");
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

    /// <summary>
    /// Where a keyed load's time goes, each step adding one part to the one before (medians of interleaved rounds):
    /// the snapshot's bytes read and decoded, the records framed, their JSON parsed, put in a dictionary; for the
    /// chain, the deltas read and framed; for (c), the file read alone.
    /// </summary>
    private static async Task<string> ProfileAsync(FileSystemSnapshotStore compacted, FileSystemSnapshotStore chain, string naivePath, int rounds)
    {
        var naiveBytes = await File.ReadAllBytesAsync(naivePath).ConfigureAwait(false);
        var values = await ReadValuesAsync(compacted).ConfigureAwait(false);
        var names = new[] { "(c) file read only", "(c) JSON parse only (bytes in memory)", "(a)'s values parsed one by one (bytes in memory)", "(a) read + decode", "+ records framed", "+ JSON parsed", "+ dictionary", "(b)'s 255 deltas read, decoded and framed one after the other", "the same, all opened before any is framed (as RestoreAsync does)", "(a) through LoadAsync, values discarded", "(b) through LoadAsync, values discarded" };
        var steps = new Func<Task>[]
        {
            () => { GC.KeepAlive(File.ReadAllBytes(naivePath)); return Task.CompletedTask; },
            () => { GC.KeepAlive(JsonSerializer.Deserialize(naiveBytes, BenchJsonContext.Default.S3State)); return Task.CompletedTask; },
            () => { GC.KeepAlive(values.Select(v => JsonSerializer.Deserialize(v, BenchJsonContext.Default.S3ObjectRecord)).ToList()); return Task.CompletedTask; },
            () => ReadBaseAsync(compacted, Part.Decode),
            () => ReadBaseAsync(compacted, Part.Frame),
            () => ReadBaseAsync(compacted, Part.Parse),
            () => ReadBaseAsync(compacted, Part.Dictionary),
            () => ReadDeltasAsync(chain, openAllFirst: false),
            () => ReadDeltasAsync(chain, openAllFirst: true),
            () => new ServiceSnapshotter(compacted).LoadAsync(new KeyedS3Provider(Service) { DiscardOnRestore = true }).AsTask(),
            () => new ServiceSnapshotter(chain).LoadAsync(new KeyedS3Provider(Service) { DiscardOnRestore = true }).AsTask(),
        };
        var median = (await Stats.InterleaveAsync(steps, rounds).ConfigureAwait(false)).Select(Stats.Median).ToArray();
        return string.Join("; ", names.Select((n, i) => $"{n} {Report.F(median[i], "0.0")} ms"));
    }

    private static async Task<byte[][]> ReadValuesAsync(FileSystemSnapshotStore store)
    {
        var reader = await store.OpenReadAsync(Service).ConfigureAwait(false) ?? throw new InvalidOperationException("No base.");
        await using (reader.ConfigureAwait(false))
        {
            using var records = new KeyedRecordReader(reader.Payload, "profile");
            _ = records.TryReadBaseMagic();
            var values = new List<byte[]>();
            while (records.Read())
            {
                values.Add(records.ValueSpan.ToArray());
            }

            return [.. values];
        }
    }

    private enum Part
    {
        Decode,
        Frame,
        Parse,
        Dictionary,
    }

    private static async Task ReadBaseAsync(FileSystemSnapshotStore store, Part part)
    {
        var reader = await store.OpenReadAsync(Service).ConfigureAwait(false) ?? throw new InvalidOperationException("No base.");
        await using (reader.ConfigureAwait(false))
        {
            if (part == Part.Decode)
            {
                await reader.Payload.CopyToAsync(Stream.Null).ConfigureAwait(false);
                return;
            }

            using var records = new KeyedRecordReader(reader.Payload, "profile");
            _ = records.TryReadBaseMagic();
            var list = new List<S3ObjectRecord>();
            var objects = new Dictionary<string, S3ObjectRecord>(StringComparer.Ordinal);
            long bytes = 0;
            while (records.Read())
            {
                bytes += records.ValueSpan.Length;
                if (part >= Part.Parse)
                {
                    var record = JsonSerializer.Deserialize(records.ValueSpan, BenchJsonContext.Default.S3ObjectRecord)!;
                    if (part == Part.Dictionary)
                    {
                        objects[records.Key] = record;
                    }
                    else
                    {
                        list.Add(record);
                    }
                }
            }

            GC.KeepAlive(bytes);
        }
    }

    private static async Task ReadDeltasAsync(FileSystemSnapshotStore store, bool openAllFirst)
    {
        var open = new List<(string Path, SnapshotReader Reader)>();
        try
        {
            foreach (var file in store.ListDeltaFiles(Service))
            {
                open.Add((file.Path, await store.OpenDeltaAsync(file, CancellationToken.None).ConfigureAwait(false)));
                if (!openAllFirst)
                {
                    await FrameAndCloseAsync(open).ConfigureAwait(false);
                }
            }

            await FrameAndCloseAsync(open).ConfigureAwait(false);
        }
        finally
        {
            foreach (var (_, reader) in open)
            {
                await reader.DisposeAsync().ConfigureAwait(false);
            }
        }

        static async Task FrameAndCloseAsync(List<(string Path, SnapshotReader Reader)> open)
        {
            foreach (var (path, reader) in open)
            {
                using (var records = new KeyedRecordReader(reader.Payload, path))
                {
                    _ = records.ReadDeltaPreamble();
                    while (records.Read())
                    {
                    }
                }

                await reader.DisposeAsync().ConfigureAwait(false);
            }

            open.Clear();
        }
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
