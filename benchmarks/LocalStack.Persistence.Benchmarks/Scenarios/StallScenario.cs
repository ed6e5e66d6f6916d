using System.Diagnostics;
using LocalStack.Persistence.Benchmarks.Workload;
using LocalStack.Persistence.Strategies;

namespace LocalStack.Persistence.Benchmarks.Scenarios;

/// <summary>
/// Target 3: the worst latency of a concurrent request loop on the service while it is being saved, as a share of the
/// save's wall time; once with an O(1) capture (immutable state, CaptureIsImmutable) and once with the default
/// serialize-under-gate capture.
/// </summary>
public static class StallScenario
{
    private const string Service = "s3";

    /// <summary>Runs both capture modes on the large state.</summary>
    public static async Task RunAsync(Report report)
    {
        var records = BenchSettings.LargeRecords;
        var saves = BenchSettings.Quick ? 3 : 8;
        Console.WriteLine($"== stall: {records:N0} records, {saves} saves per capture mode, one request loop (mutating) on the same service");

        // The target figures use a paced loop (a request about every millisecond, a busy emulator); a loop with no pause
        // is also shown: there its own garbage (about a million state updates a second) makes GC pauses the stall.
        foreach (var capture in new[] { true, false })
        {
            var unpaced = await MeasureAsync(records, saves, capture, paced: false).ConfigureAwait(false);
            report.Info($"stall, unpaced loop, {(capture ? "O(1)" : "default")} capture: worst {Report.F(unpaced.WorstMs, "0.0")} ms / save {Report.F(unpaced.SaveMs, "0")} ms = {Report.F(unpaced.Share * 100, "0.0")}% (median over saves {Report.F(unpaced.MedianShare * 100, "0.0")}%, GC pauses in that save {Report.F(unpaced.GcPauseMs, "0")} ms, {unpaced.Requests:N0} req)");
        }

        var immutable = await MeasureAsync(records, saves, immutableCapture: true, paced: true).ConfigureAwait(false);
        report.Target(
            "3a stall, O(1) capture (ImmutableS3Provider) ≤ 5%",
            $"worst {Report.F(immutable.WorstMs, "0.0")} ms / save {Report.F(immutable.SaveMs, "0")} ms = {Report.F(immutable.Share * 100, "0.0")}% (median over saves {Report.F(immutable.MedianShare * 100, "0.0")}%, GC pauses in that save {Report.F(immutable.GcPauseMs, "0")} ms, {immutable.Requests:N0} req)",
            immutable.Share <= 0.05);

        var buffered = await MeasureAsync(records, saves, immutableCapture: false, paced: true).ConfigureAwait(false);
        report.Target(
            "3b stall, default capture (serialize under gate) ≤ 50%",
            $"worst {Report.F(buffered.WorstMs, "0.0")} ms / save {Report.F(buffered.SaveMs, "0")} ms = {Report.F(buffered.Share * 100, "0.0")}% (median over saves {Report.F(buffered.MedianShare * 100, "0.0")}%, GC pauses in that save {Report.F(buffered.GcPauseMs, "0")} ms, {buffered.Requests:N0} req)",
            buffered.Share <= 0.50);
    }

    private static async Task<Result> MeasureAsync(int records, int saves, bool immutableCapture, bool paced)
    {
        using var folder = new TempFolder("stall");
        Action<int> mutate;
        LocalStack.Persistence.State.IServiceStateProvider provider;
        if (immutableCapture)
        {
            var state = RecordFactory.CreateImmutableState(records);
            var keys = state.Objects.Keys.ToArray();
            var immutable = new ImmutableS3Provider(Service, state);
            provider = immutable;
            mutate = i =>
            {
                var key = keys[i % keys.Length];
                immutable.Update(s => s with { Objects = s.Objects.SetItem(key, s.Objects[key] with { Size = i }) });
            };
        }
        else
        {
            var mutable = new MutableS3Provider(Service, RecordFactory.CreateState(records));
            provider = mutable;
            mutate = i =>
            {
                lock (mutable.Sync)
                {
                    var list = mutable.State.Objects;
                    list[i % list.Count] = list[i % list.Count] with { Size = i };
                }
            };
        }

        var (store, manager) = Managers.Create(Path.Combine(folder.Path, "state"), [provider], new ManualSaveStrategy());
        using (store)
        await using (manager.ConfigureAwait(false))
        {
            await manager.SaveAsync(Service).ConfigureAwait(false); // the first write, outside the measurement

            // Only slow requests are kept (the worst one is what counts); the rest are counted.
            var slowTicks = Stopwatch.Frequency / 2000; // 0.5 ms
            var requests = new List<(long Start, long End)>(1 << 16);
            long count = 0;
            using var stop = new CancellationTokenSource();
            var loop = Task.Run(async () =>
            {
                var i = 0;
                while (!stop.IsCancellationRequested)
                {
                    var start = Stopwatch.GetTimestamp();
                    var scope = await manager.BeginRequestAsync(Service, mutating: true).ConfigureAwait(false);
                    await using (scope.ConfigureAwait(false))
                    {
                        mutate(i++);
                    }

                    var end = Stopwatch.GetTimestamp();
                    count++;
                    if (end - start >= slowTicks)
                    {
                        requests.Add((start, end));
                    }

                    if (paced)
                    {
                        await Task.Delay(1).ConfigureAwait(false);
                    }
                }
            });

            var windows = new List<(long Start, long End)>();
            var gcPauses = new List<double>();
            for (var s = 0; s < saves; s++)
            {
                await Task.Delay(100).ConfigureAwait(false); // let the loop run between saves
                var pauseBefore = GC.GetTotalPauseDuration();
                var start = Stopwatch.GetTimestamp();
                await manager.SaveAsync(Service).ConfigureAwait(false);
                windows.Add((start, Stopwatch.GetTimestamp()));
                gcPauses.Add((GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds);
            }

            await stop.CancelAsync().ConfigureAwait(false);
            await loop.ConfigureAwait(false);

            // Per save: the worst request that overlapped it, as a share of that save's wall time; the worst save counts.
            double worstShare = 0, worstMs = 0, saveMsOfWorst = 0, gcOfWorst = 0;
            var during = new List<double>();
            var shares = new List<double>();
            for (var w = 0; w < windows.Count; w++)
            {
                var (ws, we) = windows[w];
                var overlapping = requests.Where(r => r.End >= ws && r.Start <= we).Select(r => Stats.Ms(r.Start, r.End)).ToArray();
                during.AddRange(overlapping);
                // A request stuck for the whole save ends after it and is kept as slow, so no slow request means
                // every request during this save took under the threshold: count the threshold (an upper bound).
                var worst = overlapping.Length == 0 ? Stats.Ms(0, slowTicks) : overlapping.Max();
                var share = worst / Stats.Ms(ws, we);
                shares.Add(share);
                if (share >= worstShare)
                {
                    (worstShare, worstMs, saveMsOfWorst, gcOfWorst) = (share, worst, Stats.Ms(ws, we), gcPauses[w]);
                }
            }

            Console.WriteLine($"   {(paced ? "paced" : "unpaced")} loop, capture {(immutableCapture ? "O(1) immutable" : "default (buffered)")}: saves {string.Join(", ", windows.Select(w => Report.F(Stats.Ms(w.Start, w.End), "0")))} ms; requests {count:N0}, of which ≥ 0.5 ms during saves {during.Count:N0}; GC pause time per save {string.Join(", ", gcPauses.Select(g => Report.F(g, "0")))} ms");
            return new Result(worstMs, saveMsOfWorst, worstShare, Stats.Median(shares), gcOfWorst, count);
        }
    }

    private sealed record Result(double WorstMs, double SaveMs, double Share, double MedianShare, double GcPauseMs, long Requests);
}
