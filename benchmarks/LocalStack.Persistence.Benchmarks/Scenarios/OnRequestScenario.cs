using System.Diagnostics;
using LocalStack.Persistence.Benchmarks.Workload;
using LocalStack.Persistence.Strategies;

namespace LocalStack.Persistence.Benchmarks.Scenarios;

/// <summary>
/// Target 4: 16 concurrent mutating clients in-process through <c>SnapshotManager.BeginRequestAsync</c> on the small
/// state, with the OnRequest strategy, against (d) a save per request under a lock (LocalStack's ON_REQUEST) and the
/// Manual strategy (no saves). Each client bumps its own record; after the OnRequest run the snapshot is loaded by a
/// fresh store and every acknowledged bump must be in it.
/// </summary>
public static class OnRequestScenario
{
    private const string Service = "s3";
    private const int Clients = 16;

    /// <summary>Runs the three variants.</summary>
    public static async Task RunAsync(Report report)
    {
        var duration = TimeSpan.FromSeconds(BenchSettings.Quick ? 2 : 10);
        Console.WriteLine($"== onrequest: {Clients} clients, {BenchSettings.SmallRecords:N0} records, {duration.TotalSeconds:0} s per variant");

        var baseline = await RunLockedNaiveAsync(duration).ConfigureAwait(false);
        var manual = await RunManagerAsync(duration, onRequest: false).ConfigureAwait(false);
        var onRequest = await RunManagerAsync(duration, onRequest: true).ConfigureAwait(false);

        report.Info($"req/s: (d) save per request under a lock {Report.F(baseline.PerSecond, "0")}, Manual {Report.F(manual.PerSecond, "0")}, OnRequest {Report.F(onRequest.PerSecond, "0")} ({onRequest.Saves} snapshot writes for {onRequest.Requests:N0} requests)");
        var vsBaseline = onRequest.PerSecond / baseline.PerSecond;
        var vsManual = onRequest.PerSecond / manual.PerSecond;
        report.Target("4a OnRequest, 16 clients ≥ 8× baseline (d)", $"{Report.F(vsBaseline, "0.0")}×", vsBaseline >= 8);
        report.Target("4b OnRequest ≥ 20% of Manual", $"{Report.F(vsManual * 100, "0.0")}%", vsManual >= 0.20);
        report.Target("4c every acknowledged mutation durable", onRequest.Durable ? "all found after reload" : $"LOST: {onRequest.Lost}", onRequest.Durable);
    }

    private static async Task<Result> RunManagerAsync(TimeSpan duration, bool onRequest)
    {
        using var folder = new TempFolder("onrequest");
        var stateDirectory = Path.Combine(folder.Path, "state");
        var provider = new MutableS3Provider(Service, RecordFactory.CreateState(BenchSettings.SmallRecords));
        var acknowledged = new long[Clients];
        long requests;
        long saves = 0;
        var (store, manager) = Managers.Create(stateDirectory, [provider], onRequest ? new OnRequestSaveStrategy() : new ManualSaveStrategy());
        using (store)
        await using (manager.ConfigureAwait(false))
        {
            await manager.SaveAsync(Service).ConfigureAwait(false);
            var before = manager.GetStatus(Service).Generation;
            requests = await DriveAsync(duration, async (client, seq) =>
            {
                var scope = await manager.BeginRequestAsync(Service, mutating: true).ConfigureAwait(false);
                await using (scope.ConfigureAwait(false))
                {
                    lock (provider.Sync)
                    {
                        var list = provider.State.Objects;
                        list[client] = list[client] with { Size = seq };
                    }
                }

                // Disposal returned: under OnRequest the save covering this change is durable.
                acknowledged[client] = seq;
            }).ConfigureAwait(false);
            saves = manager.GetStatus(Service).Generation - before;
        }

        if (!onRequest)
        {
            return new Result(requests, duration, saves, true, "");
        }

        // A fresh store and provider, as after a restart: every acknowledged bump must be there.
        using var reopened = new Storage.FileSystemSnapshotStore(new Storage.FileSystemSnapshotStoreOptions { StateDirectory = stateDirectory });
        var restored = new MutableS3Provider(Service, new S3State());
        await new ServiceSnapshotter(reopened).LoadAsync(restored).ConfigureAwait(false);
        var lost = Enumerable.Range(0, Clients)
            .Where(c => restored.State.Objects.Count <= c || restored.State.Objects[c].Size < acknowledged[c])
            .Select(c => $"client {c} acked {acknowledged[c]}, stored {(restored.State.Objects.Count > c ? restored.State.Objects[c].Size : -1)}")
            .ToArray();
        return new Result(requests, duration, saves, lost.Length == 0 && acknowledged.All(a => a > 0), string.Join("; ", lost));
    }

    private static async Task<Result> RunLockedNaiveAsync(TimeSpan duration)
    {
        using var folder = new TempFolder("lockedsave");
        var path = Path.Combine(folder.Path, "s3.json");
        var state = RecordFactory.CreateState(BenchSettings.SmallRecords);
        using var gate = new SemaphoreSlim(1, 1);
        var requests = await DriveAsync(duration, async (client, seq) =>
        {
            await gate.WaitAsync().ConfigureAwait(false);
            try
            {
                state.Objects[client] = state.Objects[client] with { Size = seq };
                Naive.Save(state, path);
            }
            finally
            {
                gate.Release();
            }
        }).ConfigureAwait(false);
        return new Result(requests, duration, requests, true, "");
    }

    /// <summary>Runs <see cref="Clients"/> loops of <paramref name="request"/> for <paramref name="duration"/>; returns the completed requests.</summary>
    private static async Task<long> DriveAsync(TimeSpan duration, Func<int, long, Task> request)
    {
        long completed = 0;
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var clients = Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
        {
            long seq = 0;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                await request(client, ++seq).ConfigureAwait(false);
                Interlocked.Increment(ref completed);
            }
        })).ToArray();
        await Task.WhenAll(clients).ConfigureAwait(false);
        return completed;
    }

    private sealed record Result(long Requests, TimeSpan Duration, long Saves, bool Durable, string Lost)
    {
        public double PerSecond => Requests / Duration.TotalSeconds;
    }
}
