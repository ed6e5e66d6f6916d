using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Amazon.SQS;
using Amazon.SQS.Model;
using LocalStack.Persistence.Benchmarks.Workload;

namespace LocalStack.Persistence.Benchmarks.Scenarios;

/// <summary>
/// Target 4 over HTTP: 16 concurrent clients of the real AWS SDK send SQS <c>SendMessage</c> to one standard queue of
/// the sample emulator (a real child process), in three variants alternated round after round so that load from other
/// processes hits them alike:
/// <list type="bullet">
/// <item>Manual: <c>SNAPSHOT_SAVE_STRATEGY=MANUAL</c>, no saves (the ceiling).</item>
/// <item>OnRequest: <c>ON_REQUEST</c>; each response is held until a save covering it is durable, concurrent requests
/// share a write. At the end of the run the emulator is SIGKILLed while the clients are still sending, restarted on the
/// same volume, and every acknowledged MessageId must be received from the queue.</item>
/// <item>(d) LocalStack's ON_REQUEST: a MANUAL emulator, and every client, under one <see cref="SemaphoreSlim"/> shared
/// by all 16, sends a message and then <c>POST /_localstack/state/sqs/save</c>; a send counts once the save returned
/// 200. One request and one full save of the service at a time, which is what LocalStack does per request.</item>
/// </list>
/// Each variant gets a fresh queue (and OnRequest a fresh emulator and volume), so every run starts from an empty
/// queue; the SQS state then grows by one message per request, and the report says how large it got and what a save of
/// that size costs from the emulator's side.
/// </summary>
public static class HttpOnRequestScenario
{
    private const string Service = "sqs";
    private const string SavePath = "/_localstack/state/sqs/save";
    private const int Clients = 16;
    private const int SaveSamples = 5;
    private static readonly string Padding = new('x', 96);

    /// <summary>Runs the rounds and reports targets 4a, 4b and 4c over HTTP.</summary>
    public static async Task RunAsync(Report report)
    {
        var duration = TimeSpan.FromSeconds(BenchSettings.Quick ? 2 : 10);
        var rounds = BenchSettings.Quick ? 1 : 2;
        Console.WriteLine($"== onrequest-http: {Clients} SDK clients, SQS SendMessage to the sample emulator, {duration.TotalSeconds:0} s per variant, {rounds} round(s) of (d) / Manual / OnRequest; load average {LoadAverage()}");

        using var root = new TempFolder("onrequest-http");
        var locked = new List<Run>();
        var saveOnlyLocked = new List<Run>();
        var manual = new List<Run>();
        var onRequest = new List<OnRequestRun>();
        var emptySaveMs = double.NaN;

        // Every emulator starts at once (a start is mostly waiting on a 2-core machine); the OnRequest ones idle until their round.
        var clock = Stopwatch.StartNew();
        var onRequestHosts = Enumerable.Range(1, rounds).Select(r => EmulatorHost.StartAsync(Path.Combine(root.Path, $"onrequest-{r}"), "ON_REQUEST")).ToArray();
        try
        {
            var manualHost = await EmulatorHost.StartAsync(Path.Combine(root.Path, "manual"), "MANUAL").ConfigureAwait(false);
            await using (manualHost.ConfigureAwait(false))
            {
                await Task.WhenAll(onRequestHosts).ConfigureAwait(false);
                Console.WriteLine($"   {rounds + 1} emulators started in {clock.Elapsed.TotalSeconds:0.0} s");
                using var sqs = manualHost.CreateSqsClient();
                await WarmUpAsync(sqs).ConfigureAwait(false);
                emptySaveMs = await TimeSavesAsync(manualHost, SaveSamples).ConfigureAwait(false);
                for (var round = 1; round <= rounds; round++)
                {
                    locked.Add(await RunLockedAsync(manualHost, sqs, duration, round).ConfigureAwait(false));
                    if (!BenchSettings.Quick)
                    {
                        saveOnlyLocked.Add(await RunLockedAsync(manualHost, sqs, duration, round, sendInLock: false).ConfigureAwait(false));
                    }

                    manual.Add(await RunManualAsync(manualHost, sqs, duration, round).ConfigureAwait(false));
                    onRequest.Add(await RunOnRequestAsync(await onRequestHosts[round - 1].ConfigureAwait(false), duration, round).ConfigureAwait(false));
                    Console.WriteLine($"   round {round}: OnRequest/(d) {Report.F(onRequest[^1].Run.PerSecond / locked[^1].PerSecond, "0.0")}×, OnRequest/Manual {Report.F(onRequest[^1].Run.PerSecond / manual[^1].PerSecond * 100, "0.0")}%");
                }
            }
        }
        finally
        {
            foreach (var starting in onRequestHosts)
            {
                try
                {
                    await (await starting.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException or HttpRequestException)
                {
                    // It never started; StartAsync already cleaned up.
                }
            }
        }

        Summarize(report, locked, saveOnlyLocked, manual, onRequest, emptySaveMs);
    }

    private static void Summarize(Report report, List<Run> locked, List<Run> saveOnlyLocked, List<Run> manual, List<OnRequestRun> onRequest, double emptySaveMs)
    {
        double Rate(IEnumerable<Run> runs) => runs.Sum(r => r.Requests) / runs.Sum(r => r.Elapsed.TotalSeconds);
        string Latency(IEnumerable<Run> runs)
        {
            var all = runs.SelectMany(r => r.LatenciesMs).ToArray();
            return $"p50 {Report.F(Stats.Quantile(all, 0.5), "0.0")} / p99 {Report.F(Stats.Quantile(all, 0.99), "0.0")} ms";
        }

        var runs = onRequest.Select(o => o.Run).ToArray();
        var d = Rate(locked);
        var m = Rate(manual);
        var o = Rate(runs);
        var writes = onRequest.Sum(x => x.Writes);
        var perWrite = runs.Sum(r => r.Requests) / (double)Math.Max(1, writes);
        var errors = locked.Concat(manual).Concat(runs).Sum(r => r.Errors);
        report.Info($"http req/s (load average {LoadAverage()}): (d) save per request under a client-side lock {Report.F(d, "0")}, Manual {Report.F(m, "0")}, OnRequest {Report.F(o, "0")} ({writes:N0} snapshot writes for {runs.Sum(r => r.Requests):N0} requests, {Report.F(perWrite, "0.0")} per write){(errors > 0 ? $"; {errors} failed requests" : "")}");
        report.Info($"http latency: (d) {Latency(locked)}, Manual {Latency(manual)}, OnRequest {Latency(runs)}");
        report.Info("http per round, OnRequest/(d) and OnRequest/Manual: " + string.Join(", ", onRequest.Select((x, i) => $"{Report.F(x.Run.PerSecond / locked[i].PerSecond, "0.0")}× / {Report.F(x.Run.PerSecond / manual[i].PerSecond * 100, "0.0")}%")));
        if (saveOnlyLocked.Count > 0)
        {
            var dPrime = Rate(saveOnlyLocked);
            report.Info($"http (d') sends concurrent, only the save per request under the lock: {Report.F(dPrime, "0")} req/s, {Latency(saveOnlyLocked)}; OnRequest/(d') {Report.F(Rate(runs) / dPrime, "0.0")}×");
        }

        foreach (var x in onRequest)
        {
            var first = x.Run.PerSecondBuckets.FirstOrDefault();
            var last = x.Run.PerSecondBuckets.Length > 1 ? x.Run.PerSecondBuckets[^1] : first;
            report.Info($"http OnRequest round {x.Round}: queue reached {x.QueueSize:N0} messages ({Mib(x.StoredSize)} stored at the kill); {x.Writes:N0} writes, {Report.F(x.Run.Elapsed.TotalMilliseconds / Math.Max(1, x.Writes), "0.0")} ms apart; {first} req in the first second, {last} in the last; a save from the emulator's side: {Report.F(emptySaveMs, "0.0")} ms empty, {Report.F(x.SaveMs, "0.0")} ms at {x.QueueSize:N0} messages; first request after the SIGKILL and restart (load + JIT) {Report.F(x.LoadMs, "0")} ms");
        }

        foreach (var x in manual)
        {
            report.Info($"http Manual round {x.Round}: queue reached {x.Requests:N0} messages, a save of it {Report.F(x.SaveMs, "0.0")} ms; (d) round {x.Round}: {locked[x.Round - 1].Requests:N0} messages");
        }

        var vsLocked = o / d;
        var vsManual = o / m;
        var lost = onRequest.Where(x => !x.Durable).Select(x => $"round {x.Round}: {x.Lost}").ToArray();
        report.Target("4a-http OnRequest, 16 SQS clients ≥ 8× baseline (d)", $"{Report.F(vsLocked, "0.0")}× ({Report.F(o, "0")} vs {Report.F(d, "0")} req/s)", vsLocked >= 8);
        report.Target("4b-http OnRequest ≥ 20% of Manual", $"{Report.F(vsManual * 100, "0.0")}% ({Report.F(o, "0")} vs {Report.F(m, "0")} req/s)", vsManual >= 0.20);
        report.Target(
            "4c-http every acknowledged SendMessage durable (SIGKILL)",
            lost.Length == 0 ? $"all {runs.Sum(r => r.Acknowledged.Length):N0} acked MessageIds received after restart" : "LOST: " + string.Join("; ", lost),
            lost.Length == 0);
    }

    private static async Task<Run> RunManualAsync(EmulatorHost host, AmazonSQSClient sqs, TimeSpan duration, int round)
    {
        var url = await CreateQueueAsync(sqs, $"bench-manual-{round}").ConfigureAwait(false);
        var run = await DriveAsync(duration, round, async (client, seq, ct) =>
            (await sqs.SendMessageAsync(Message(url, client, seq), ct).ConfigureAwait(false)).MessageId).ConfigureAwait(false);
        var saveMs = await TimeSavesAsync(host, BenchSettings.Quick ? 1 : 3).ConfigureAwait(false);
        await sqs.DeleteQueueAsync(url).ConfigureAwait(false);
        Print("Manual", run);
        return run with { SaveMs = saveMs };
    }

    /// <summary>
    /// (d): one request and then a full save of the service, one at a time. With <paramref name="sendInLock"/> false,
    /// the (d') variant: the sends run concurrently and only the save per request is serialized (LocalStack's handlers
    /// run concurrently and each mutating request triggers its own save), a gentler baseline.
    /// </summary>
    private static async Task<Run> RunLockedAsync(EmulatorHost host, AmazonSQSClient sqs, TimeSpan duration, int round, bool sendInLock = true)
    {
        var url = await CreateQueueAsync(sqs, $"bench-locked-{round}").ConfigureAwait(false);
        using var gate = new SemaphoreSlim(1, 1);
        var run = await DriveAsync(duration, round, async (client, seq, ct) =>
        {
            var sent = sendInLock ? null : await sqs.SendMessageAsync(Message(url, client, seq), ct).ConfigureAwait(false);
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                sent ??= await sqs.SendMessageAsync(Message(url, client, seq), ct).ConfigureAwait(false);
                var status = await host.PostAsync(SavePath, ct).ConfigureAwait(false);
                return status == HttpStatusCode.OK ? sent.MessageId : throw new InvalidOperationException($"save answered {(int)status}");
            }
            finally
            {
                gate.Release();
            }
        }).ConfigureAwait(false);
        await sqs.DeleteQueueAsync(url).ConfigureAwait(false);
        Print(sendInLock ? "(d)" : "(d')", run);
        return run;
    }

    private static async Task<OnRequestRun> RunOnRequestAsync(EmulatorHost host, TimeSpan duration, int round)
    {
        using var sqs = host.CreateSqsClient();
        await WarmUpAsync(sqs).ConfigureAwait(false);
        var url = await CreateQueueAsync(sqs, $"bench-onrequest-{round}").ConfigureAwait(false);
        var (before, _) = await host.GetServiceStatusAsync(Service).ConfigureAwait(false);
        long after = 0;
        long storedSize = 0;

        // At the deadline the emulator is read once more and then SIGKILLed while the clients are mid-request:
        // a crash under load; whatever was acknowledged before it must survive.
        var run = await DriveAsync(duration, round, async (client, seq, ct) =>
            (await sqs.SendMessageAsync(Message(url, client, seq), ct).ConfigureAwait(false)).MessageId,
            atDeadline: async () =>
            {
                (after, storedSize) = await host.GetServiceStatusAsync(Service).ConfigureAwait(false);
                await host.KillAsync().ConfigureAwait(false);
            }).ConfigureAwait(false);

        Print("OnRequest", run);
        return await VerifyAsync(host.VolumeDirectory, url, run, after - before, storedSize).ConfigureAwait(false);
    }

    /// <summary>Restarts the emulator on the killed one's volume (MANUAL, so that reading it saves nothing) and receives every message.</summary>
    private static async Task<OnRequestRun> VerifyAsync(string volume, string url, Run run, long writes, long storedSize)
    {
        var host = await EmulatorHost.StartAsync(volume, "MANUAL").ConfigureAwait(false);
        await using (host.ConfigureAwait(false))
        {
            using var sqs = host.CreateSqsClient();
            var name = url[(url.LastIndexOf('/') + 1)..];
            var clock = Stopwatch.StartNew();
            url = (await sqs.GetQueueUrlAsync(name).ConfigureAwait(false)).QueueUrl; // the first SQS request loads the snapshot
            var loadMs = clock.Elapsed.TotalMilliseconds;
            var attributes = await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = url, AttributeNames = ["ApproximateNumberOfMessages"] }).ConfigureAwait(false);
            var count = long.Parse(attributes.Attributes["ApproximateNumberOfMessages"], CultureInfo.InvariantCulture);
            var saveMs = await TimeSavesAsync(host, BenchSettings.Quick ? 1 : 3).ConfigureAwait(false);

            var received = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
            await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
            {
                while (true)
                {
                    var response = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = url, MaxNumberOfMessages = 10, VisibilityTimeout = 3600, WaitTimeSeconds = 0 }).ConfigureAwait(false);
                    if (response.Messages is not { Count: > 0 } messages)
                    {
                        return;
                    }

                    foreach (var message in messages)
                    {
                        received.TryAdd(message.MessageId, 0);
                    }
                }
            })).ConfigureAwait(false);

            var missing = run.Acknowledged.Where(id => !received.ContainsKey(id)).ToArray();
            var acked = run.Acknowledged.Length;
            var durable = acked > 0 && count >= acked && missing.Length == 0;
            var lost = durable ? "" : $"{acked:N0} acked, ApproximateNumberOfMessages {count:N0}, {received.Count:N0} received, {missing.Length:N0} acked MessageIds missing";
            Console.WriteLine($"   durability: {acked:N0} acked, {count:N0} in the queue after SIGKILL and restart, {received.Count:N0} received, {missing.Length} missing; load {loadMs:0} ms, a save of it {saveMs:0.0} ms");
            return new OnRequestRun(run.Round, run with { SaveMs = saveMs }, writes, storedSize, count, loadMs, saveMs, durable, lost);
        }
    }

    /// <summary>
    /// Runs <see cref="Clients"/> loops of <paramref name="request"/> until the deadline; then runs
    /// <paramref name="atDeadline"/> (if any) and waits for the loops. A request that fails after
    /// <paramref name="atDeadline"/> started is not acknowledged; one that fails before it is counted as an error.
    /// </summary>
    private static async Task<Run> DriveAsync(TimeSpan duration, int round, Func<int, long, CancellationToken, Task<string>> request, Func<Task>? atDeadline = null)
    {
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var buckets = new long[(int)Math.Ceiling(duration.TotalSeconds) + 1];
        var latencies = new List<double>[Clients];
        var acknowledged = new ConcurrentBag<string>();
        var stopped = 0;
        long errors = 0;
        long end = 0;
        var clients = Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
        {
            var mine = latencies[client] = [];
            long seq = 0;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var begin = Stopwatch.GetTimestamp();
                string id;
                try
                {
                    id = await request(client, ++seq, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception) when (Volatile.Read(ref stopped) == 1)
                {
                    return; // the emulator was killed under this request: not acknowledged
                }
                catch (Exception ex) when (ex is AmazonSQSException or HttpRequestException or InvalidOperationException or IOException)
                {
                    Interlocked.Increment(ref errors);
                    continue;
                }

                var done = Stopwatch.GetTimestamp();
                if (atDeadline is not null && done >= deadline)
                {
                    // Raced the kill: acknowledged, but after the measured window.
                    acknowledged.Add(id);
                    continue;
                }

                acknowledged.Add(id);
                mine.Add(Stats.Ms(begin, done));
                Interlocked.Increment(ref buckets[Math.Min(buckets.Length - 1, (int)((done - start) / Stopwatch.Frequency))]);
            }
        })).ToArray();

        if (atDeadline is not null)
        {
            var wait = TimeSpan.FromSeconds((deadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait).ConfigureAwait(false);
            }

            end = Stopwatch.GetTimestamp();
            Volatile.Write(ref stopped, 1);
            await atDeadline().ConfigureAwait(false);
        }

        await Task.WhenAll(clients).ConfigureAwait(false);
        if (atDeadline is null)
        {
            end = Stopwatch.GetTimestamp();
        }

        var timed = latencies.Sum(l => l.Count);
        var elapsed = TimeSpan.FromSeconds((end - start) / (double)Stopwatch.Frequency);
        return new Run(round, timed, elapsed, [.. latencies.SelectMany(l => l)], [.. buckets.Take((int)Math.Ceiling(duration.TotalSeconds))], [.. acknowledged], errors, double.NaN);
    }

    /// <summary>
    /// The median wall time of <paramref name="samples"/> <c>POST /_localstack/state/sqs/save</c> (the emulator's save,
    /// one HTTP round trip included), after one save that is not timed (a fresh process JITs the save path).
    /// </summary>
    private static async Task<double> TimeSavesAsync(EmulatorHost host, int samples)
    {
        var times = new List<double>(samples);
        for (var i = -1; i < samples; i++)
        {
            var begin = Stopwatch.GetTimestamp();
            var status = await host.PostAsync(SavePath).ConfigureAwait(false);
            if (i >= 0)
            {
                times.Add(Stats.Ms(begin, Stopwatch.GetTimestamp()));
            }

            if (status != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"POST {SavePath} answered {(int)status}. Emulator output:\n{host.Output}");
            }
        }

        return Stats.Median(times);
    }

    /// <summary>JIT and connection warm-up of both sides: a few hundred sends from all clients to a queue deleted afterwards.</summary>
    private static async Task WarmUpAsync(AmazonSQSClient sqs)
    {
        var url = await CreateQueueAsync(sqs, "bench-warmup").ConfigureAwait(false);
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async client =>
        {
            for (var seq = 1; seq <= 10; seq++)
            {
                await sqs.SendMessageAsync(Message(url, client, seq)).ConfigureAwait(false);
            }
        })).ConfigureAwait(false);
        await sqs.DeleteQueueAsync(url).ConfigureAwait(false);
    }

    private static async Task<string> CreateQueueAsync(AmazonSQSClient sqs, string prefix)
        => (await sqs.CreateQueueAsync($"{prefix}-{Guid.NewGuid():N}").ConfigureAwait(false)).QueueUrl;

    private static SendMessageRequest Message(string url, int client, long seq)
        => new() { QueueUrl = url, MessageBody = $"client {client:00} seq {seq:000000} {Padding}" };

    private static void Print(string variant, Run run)
        => Console.WriteLine($"   round {run.Round} {variant,-9}: {run.Requests,7:N0} requests in {run.Elapsed.TotalSeconds:0.0} s = {run.PerSecond,7:0} req/s, p50 {Stats.Quantile(run.LatenciesMs, 0.5):0.0} ms, p99 {Stats.Quantile(run.LatenciesMs, 0.99):0.0} ms{(run.Errors > 0 ? $", {run.Errors} errors" : "")}; load average {LoadAverage()}");

    private static string Mib(long bytes) => $"{bytes / 1048576.0:0.00} MiB";

    /// <summary>The 1-minute load average (the machine is shared; every figure is reported next to it).</summary>
    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }

    /// <summary>One variant's run: requests acknowledged within the window and their latencies.</summary>
    private sealed record Run(int Round, long Requests, TimeSpan Elapsed, double[] LatenciesMs, long[] PerSecondBuckets, string[] Acknowledged, long Errors, double SaveMs)
    {
        public double PerSecond => Requests / Elapsed.TotalSeconds;
    }

    private sealed record OnRequestRun(int Round, Run Run, long Writes, long StoredSize, long QueueSize, double LoadMs, double SaveMs, bool Durable, string Lost);
}
