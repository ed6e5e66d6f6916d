using LocalStack.Persistence.Benchmarks.Workload;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Benchmarks.Scenarios;

/// <summary>
/// Target 6: managed bytes allocated by one save (all threads, precise) against the stored (compressed) size; the
/// constant is the allocation of a save of an empty state. BenchmarkDotNet's Allocated column of the save suite
/// gives the same figure per operation.
/// </summary>
public static class AllocationScenario
{
    /// <summary>Measures both capture modes on the large state.</summary>
    public static async Task RunAsync(Report report)
    {
        var records = BenchSettings.LargeRecords;
        Console.WriteLine($"== alloc: {records:N0} records");
        using var folder = new TempFolder("alloc");
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = Path.Combine(folder.Path, "state") });
        var snapshotter = new ServiceSnapshotter(store);
        var state = RecordFactory.CreateState(records);
        var empty = new S3State();

        foreach (var (label, large, small) in new (string, IServiceStateProvider, IServiceStateProvider)[]
                 {
                     ("default capture", new MutableS3Provider("big", state), new MutableS3Provider("empty", empty)),
                     ("immutable capture", new DeferredS3Provider("bigdeferred", state), new DeferredS3Provider("emptydeferred", empty)),
                 })
        {
            var constant = await MeasureAsync(snapshotter, small).ConfigureAwait(false);
            var allocated = await MeasureAsync(snapshotter, large).ConfigureAwait(false);
            var stored = allocated.Stored;
            var ratio = (allocated.Bytes - constant.Bytes) / (double)stored;
            report.Target(
                $"6 allocations per save ≤ 1.5× stored + c ({label})",
                $"{allocated.Bytes / 1048576.0:0.0} MiB alloc, stored {stored / 1048576.0:0.0} MiB, c {constant.Bytes / 1024.0:0} KiB: {Report.F(ratio)}×",
                ratio <= 1.5);
        }
    }

    private static async Task<(long Bytes, long Stored)> MeasureAsync(ServiceSnapshotter snapshotter, IServiceStateProvider provider)
    {
        // Two warm-up saves (JIT, pools, the first replace), then the smallest of three measured saves.
        await snapshotter.SaveAsync(provider).ConfigureAwait(false);
        await snapshotter.SaveAsync(provider).ConfigureAwait(false);
        var best = long.MaxValue;
        long stored = 0;
        for (var i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var before = GC.GetTotalAllocatedBytes(precise: true);
            stored = (await snapshotter.SaveAsync(provider).ConfigureAwait(false)).StoredLength;
            best = Math.Min(best, GC.GetTotalAllocatedBytes(precise: true) - before);
        }

        return (best, stored);
    }
}
