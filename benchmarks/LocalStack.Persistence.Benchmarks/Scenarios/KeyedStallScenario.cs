using System.Diagnostics;
using LocalStack.Persistence.Benchmarks.Workload;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Strategies;

namespace LocalStack.Persistence.Benchmarks.Scenarios;

/// <summary>
/// Issue 14, stall with a keyed state (the stall scenario's records and paced request loop): saves through the manager
/// every 100 ms while requests change about 1 % of the records between two saves, so each save is a delta; the
/// chain passes the default compaction bounds every few saves and a compaction of the whole state runs in the
/// background while requests and saves go on. Figures: the worst request overlapping a save over that save's wall time
/// (3b's measure), and the worst request overlapping a compaction over the compaction's wall time.
/// </summary>
public static class KeyedStallScenario
{
    private const string Service = "s3";

    /// <summary>Runs the loop and the saves on the large state.</summary>
    public static async Task RunAsync(Report report)
    {
        var records = BenchSettings.LargeRecords;
        var saves = BenchSettings.Quick ? 20 : 40;
        var perSave = records / 100; // ~1 % of the records changed between two saves
        var perRequest = Math.Max(1, perSave / 20);
        Console.WriteLine($"== keyed-stall: {records:N0} records, {saves} saves at least 100 ms apart once {perSave:N0} records changed, one paced request loop changing {perRequest} record(s) per request");
        using var folder = new TempFolder("keyed-stall");
        var (provider, keys) = KeyedS3Provider.Create(Service, records);
        var (store, manager) = Managers.Create(Path.Combine(folder.Path, "state"), [provider], new ManualSaveStrategy());
        using (store)
        await using (manager.ConfigureAwait(false))
        {
            await manager.SaveAsync(Service).ConfigureAwait(false); // the full base, outside the measurement

            var requests = new List<(long Start, long End)>(1 << 16);
            var changes = 0L;
            using var stop = new CancellationTokenSource();
            var loop = Task.Run(async () =>
            {
                var i = 0L;
                while (!stop.IsCancellationRequested)
                {
                    var start = Stopwatch.GetTimestamp();
                    var scope = await manager.BeginRequestAsync(Service, mutating: true).ConfigureAwait(false);
                    await using (scope.ConfigureAwait(false))
                    {
                        for (var j = 0; j < perRequest; j++, i++)
                        {
                            provider.Touch(keys[(int)(i * 7919 % keys.Length)], i);
                        }
                    }

                    Volatile.Write(ref changes, i);

                    requests.Add((start, Stopwatch.GetTimestamp()));
                    await Task.Delay(1).ConfigureAwait(false);
                }
            });

            // Compactions start after the save that passes the bounds and end when the base's generation changes.
            var compactions = new List<Compaction>();
            Compaction? open = null;
            var watch = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var current = Volatile.Read(ref open);
                    if (current is not null && Managers.ChainStats(store, Service).BaseGeneration != current.BaseGeneration)
                    {
                        current.End = Stopwatch.GetTimestamp();
                        current.GcPauseMs = (GC.GetTotalPauseDuration() - current.GcPauseBefore).TotalMilliseconds;
                        Volatile.Write(ref open, null);
                    }

                    await Task.Delay(1).ConfigureAwait(false);
                }
            });

            var windows = new List<SaveWindow>();
            await Task.Delay(100).ConfigureAwait(false);
            await manager.SaveAsync(Service).ConfigureAwait(false); // the first delta (warms its path up), not measured
            for (var s = 0; s < saves || Volatile.Read(ref open) is not null; s++)
            {
                // The request rate depends on the machine's load; the saves wait for the changes instead.
                var from = Volatile.Read(ref changes);
                await Task.Delay(100).ConfigureAwait(false);
                for (var waited = 0; Volatile.Read(ref changes) - from < perSave && waited < 5_000; waited += 5)
                {
                    await Task.Delay(5).ConfigureAwait(false);
                }

                var pauseBefore = GC.GetTotalPauseDuration();
                var start = Stopwatch.GetTimestamp();
                var metadata = await manager.SaveAsync(Service).ConfigureAwait(false);
                var end = Stopwatch.GetTimestamp();
                windows.Add(new SaveWindow(start, end, provider.LastCaptureEnded, provider.LastCaptureRecords, provider.LastCaptureWasFull, provider.LastCaptureMs, provider.LastCaptureProviderMs, metadata.FileLength, (GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds));
                var chain = Managers.ChainStats(store, Service);
                if (Volatile.Read(ref open) is null && CompactionBounds.Default.IsExceeded(chain))
                {
                    var started = new Compaction(chain.BaseGeneration, end, GC.GetTotalPauseDuration());
                    compactions.Add(started);
                    Volatile.Write(ref open, started);
                }

                if (s > saves + 600)
                {
                    throw new InvalidOperationException("A compaction did not finish within a minute of saves.");
                }
            }

            await stop.CancelAsync().ConfigureAwait(false);
            await loop.ConfigureAwait(false);
            await watch.ConfigureAwait(false);

            double Worst(long from, long to, Func<(long Start, long End), bool>? also = null)
                => requests.Where(r => r.End >= from && r.Start <= to && (also is null || also(r))).Select(r => Stats.Ms(r.Start, r.End)).DefaultIfEmpty(0).Max();
            bool DuringCompaction(long from, long to) => compactions.Any(c => c.End >= from && c.Start <= to);

            var deltas = windows.Where(w => !w.Full).ToArray();
            var measured = deltas.Select(w => new Measured(
                Stats.Ms(w.Start, w.End),
                Stats.Ms(w.Start, w.CaptureEnd), // the save's start to its last record written: the gate's wait and hold
                w.CaptureMs,
                Worst(w.Start, w.End),
                DuringCompaction(w.Start, w.End))).ToArray();
            Console.WriteLine($"   delta saves (save ms / until capture ended ms / of which records ms / worst request ms; * = during a compaction): {string.Join(", ", measured.Select(m => $"{Report.F(m.SaveMs, "0.0")}/{Report.F(m.GateMs, "0.0")}/{Report.F(m.CaptureMs, "0.0")}/{Report.F(m.WorstMs, "0.0")}{(m.Compacting ? "*" : "")}"))}");
            var quiet = measured.Where(m => !m.Compacting).ToArray();
            report.Info($"keyed-stall: {requests.Count:N0} requests, {deltas.Length} delta saves (median {Report.F(Stats.Median(deltas.Select(w => w.Records * 100.0 / records)), "0.00")} % of the records changed, delta file {Report.F(Stats.Median(deltas.Select(w => (double)w.FileLength)) / 1024, "0")} KiB), median save {Report.F(Stats.Median(measured.Select(m => m.SaveMs)), "0.0")} ms, median until the capture ended {Report.F(Stats.Median(measured.Select(m => m.GateMs)), "0.00")} ms (gate entry, the snapshotter's slot, the header read, then the records), of it the records (first to last) {Report.F(Stats.Median(deltas.Select(w => w.CaptureMs)), "0.00")} ms, of which in the provider (lookup + JSON serialization) {Report.F(Stats.Median(deltas.Select(w => w.ProviderMs)), "0.00")} ms; share until the capture ended, every delta save: worst {Report.F(measured.Max(m => m.GateShare) * 100, "0.0")} %, median {Report.F(Stats.Median(measured.Select(m => m.GateShare)) * 100, "0.0")} %; worst request / save: worst {Report.F(measured.Max(m => m.WorstShare) * 100, "0.0")} %, median {Report.F(Stats.Median(measured.Select(m => m.WorstShare)) * 100, "0.0")} %");
            var worstQuiet = quiet.MaxBy(m => m.GateShare);
            report.Target(
                "14 stall, keyed default capture, ~1 % changed ≤ 10%",
                worstQuiet is null
                    ? "no save outside a compaction"
                    : $"under the gate {Report.F(worstQuiet.GateMs, "0.00")} ms / save {Report.F(worstQuiet.SaveMs, "0.0")} ms = {Report.F(worstQuiet.GateShare * 100, "0.0")}% (median {Report.F(Stats.Median(quiet.Select(m => m.GateShare)) * 100, "0.0")}%; worst request / save {Report.F(quiet.Max(m => m.WorstShare) * 100, "0.0")}%; {quiet.Length} saves outside compactions)",
                worstQuiet is not null && worstQuiet.GateShare <= 0.10);

            var json = await JsonCaptureAsync(folder.Path, records).ConfigureAwait(false);
            report.Info($"keyed-stall baseline, same records as a JSON provider (MutableS3Provider, default capture), median of 3: capture under the gate {Report.F(json.CaptureMs, "0.0")} ms of a {Report.F(json.SaveMs, "0.0")} ms save ({Report.F(json.CaptureMs / json.SaveMs * 100, "0.0")} %); keyed delta saves hold the gate {Report.F(Stats.Median(measured.Select(m => m.GateMs)) / json.CaptureMs * 100, "0.00")} % of that (median)");

            var done = compactions.Where(c => c.End != 0).ToArray();
            foreach (var c in done)
            {
                var outsideSaves = Worst(c.Start, c.End, r => !windows.Any(w => w.End >= r.Start && w.Start <= r.End));
                Console.WriteLine($"   compaction: {Report.F(Stats.Ms(c.Start, c.End), "0")} ms, worst request {Report.F(Worst(c.Start, c.End), "0.0")} ms ({Report.F(outsideSaves, "0.0")} ms outside saves), GC pauses {Report.F(c.GcPauseMs, "0")} ms");
            }

            var worstCompaction = done.MaxBy(c => Worst(c.Start, c.End) / Stats.Ms(c.Start, c.End));
            report.Target(
                $"14 stall during a compaction ({records:N0} records) ≤ 5%",
                worstCompaction is null
                    ? "no compaction ran"
                    : $"worst {Report.F(Worst(worstCompaction.Start, worstCompaction.End), "0.0")} ms / compaction {Report.F(Stats.Ms(worstCompaction.Start, worstCompaction.End), "0")} ms = {Report.F(Worst(worstCompaction.Start, worstCompaction.End) / Stats.Ms(worstCompaction.Start, worstCompaction.End) * 100, "0.0")}% (outside saves {Report.F(Worst(worstCompaction.Start, worstCompaction.End, r => !windows.Any(w => w.End >= r.Start && w.Start <= r.End)), "0.0")} ms; {done.Length} compactions)",
                worstCompaction is not null && Worst(worstCompaction.Start, worstCompaction.End) / Stats.Ms(worstCompaction.Start, worstCompaction.End) <= 0.05);
        }
    }

    /// <summary>The JSON provider's capture (what the manager runs under the gate) and whole save, through the snapshotter's two steps.</summary>
    private static async Task<(double CaptureMs, double SaveMs)> JsonCaptureAsync(string folder, int records)
    {
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = Path.Combine(folder, "json") });
        var snapshotter = new ServiceSnapshotter(store);
        var provider = new MutableS3Provider(Service, RecordFactory.CreateState(records));
        var captures = new List<double>();
        var saves = new List<double>();
        for (var round = -1; round < 3; round++)
        {
            var start = Stopwatch.GetTimestamp();
            var pending = await snapshotter.CaptureAsync(provider).ConfigureAwait(false);
            var captured = Stopwatch.GetTimestamp();
            await using (pending.ConfigureAwait(false))
            {
                await snapshotter.CommitAsync(pending).ConfigureAwait(false);
            }

            if (round >= 0)
            {
                captures.Add(Stats.Ms(start, captured));
                saves.Add(Stats.Ms(start, Stopwatch.GetTimestamp()));
            }
        }

        return (Stats.Median(captures), Stats.Median(saves));
    }

    private sealed record Measured(double SaveMs, double GateMs, double CaptureMs, double WorstMs, bool Compacting)
    {
        public double GateShare => GateMs / SaveMs;

        public double WorstShare => WorstMs / SaveMs;
    }

    private sealed record SaveWindow(long Start, long End, long CaptureEnd, int Records, bool Full, double CaptureMs, double ProviderMs, long FileLength, double GcPauseMs);

    private sealed class Compaction(long baseGeneration, long start, TimeSpan gcPauseBefore)
    {
        public long BaseGeneration { get; } = baseGeneration;

        public long Start { get; } = start;

        public TimeSpan GcPauseBefore { get; } = gcPauseBefore;

        public long End { get; set; }

        public double GcPauseMs { get; set; }
    }
}
