using System.Globalization;
using LocalStack.Persistence.Benchmarks.Workload;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Benchmarks.Scenarios;

/// <summary>
/// Issue 14, bytes per save of a keyed state (the same records): a base, then saves of one changed record each through
/// <see cref="ServiceSnapshotter"/> with the default compaction bounds. Figures: the delta file one save writes, and
/// every byte the process wrote over all the saves (deltas and the compactions they caused, from
/// <c>/proc/self/io</c>), per save; both against the encoded size of the record changed.
/// </summary>
public static class KeyedBytesScenario
{
    private const string Service = "s3";

    /// <summary>Runs each size.</summary>
    public static async Task RunAsync(Report report)
    {
        var sizes = BenchSettings.Quick ? new[] { 1_000 } : [1_000, 100_000, 1_000_000];
        var saves = BenchSettings.Quick ? 300 : 2_000;
        Console.WriteLine($"== keyed-bytes: {string.Join(", ", sizes.Select(s => s.ToString("N0", CultureInfo.InvariantCulture)))} records, {saves:N0} saves of one changed record each");
        foreach (var records in sizes)
        {
            await RunSizeAsync(report, records, saves).ConfigureAwait(false);
        }
    }

    private static async Task RunSizeAsync(Report report, int records, int saves)
    {
        using var folder = new TempFolder("keyed-bytes");
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = Path.Combine(folder.Path, "state") });
        var snapshotter = new ServiceSnapshotter(store);
        var (provider, keys) = KeyedS3Provider.Create(Service, records);
        var baseLength = (await snapshotter.SaveAsync(provider).ConfigureAwait(false)).FileLength;
        var change = KeyedS3Provider.EncodedSize(provider.Objects[keys[0]]);
        var bound = (4 * change) + (64 * 1024);

        var deltaLengths = new List<long>(saves);
        var written = new List<long>(saves);
        var bases = new HashSet<long>();
        var longestChain = 0;
        var writtenBefore = WrittenBytes();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var i = 0; i < saves; i++)
        {
            provider.Touch(keys[(int)((long)i * 7919 % keys.Length)], i);
            var before = WrittenBytes();
            var metadata = await snapshotter.SaveAsync(provider).ConfigureAwait(false);
            written.Add(WrittenBytes() - before);
            deltaLengths.Add(metadata.FileLength);
            var chain = Managers.ChainStats(store, Service);
            bases.Add(chain.BaseGeneration);
            longestChain = Math.Max(longestChain, chain.DeltaCount);
        }

        await snapshotter.WhenCompactionsDoneAsync().ConfigureAwait(false);
        var elapsed = Stats.Ms(started, System.Diagnostics.Stopwatch.GetTimestamp());
        bases.Add(Managers.ChainStats(store, Service).BaseGeneration);
        var total = WrittenBytes() - writtenBefore;
        var compactions = bases.Count - 1;
        var oneSave = Stats.Median(deltaLengths.Take(5).Select(l => (double)l));
        var perSave = total / (double)saves;
        report.Info($"keyed-bytes, {records:N0} records: base {MemoryCost.Mib(baseLength)} MiB; record changed {change} B encoded; {saves:N0} saves in {Report.F(elapsed / 1000, "0.0")} s, {compactions} compactions, longest chain {longestChain} deltas; bytes written per save (wchar, median) {Report.F(Stats.Median(written.Select(w => (double)w)), "0")} B; all bytes written {MemoryCost.Mib(total)} MiB");
        report.Target(
            $"14 bytes of one save after 1 change, {records:N0} records ≤ 4×change+64 KiB",
            $"{Report.F(oneSave, "0")} B delta file = {Report.F(oneSave / change, "0.0")}× change ({Report.F(oneSave / bound * 100, "0.0")} % of the bound {bound:N0} B)",
            oneSave <= bound);
        report.Target(
            $"14 amortized bytes per save incl. compactions, {records:N0} records ≤ 4×change+64 KiB",
            $"{Report.F(perSave / 1024, "0.0")} KiB = {Report.F(perSave / change, "0.0")}× change ({compactions} compactions of {MemoryCost.Mib(baseLength)} MiB over {saves:N0} saves)",
            perSave <= bound);
    }

    /// <summary>Bytes this process has passed to write system calls so far (<c>wchar</c> of <c>/proc/self/io</c>).</summary>
    private static long WrittenBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/io"))
        {
            if (line.StartsWith("wchar:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim(), CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("/proc/self/io has no wchar line.");
    }
}
