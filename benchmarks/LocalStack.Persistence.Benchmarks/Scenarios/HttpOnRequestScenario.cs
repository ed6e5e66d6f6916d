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
/// the sample emulator (a real child process per variant, each on its own volume, so that every variant saves only its
/// own queue):
/// <list type="bullet">
/// <item>Manual: <c>SNAPSHOT_SAVE_STRATEGY=MANUAL</c>, no saves (the ceiling).</item>
/// <item>OnRequest: <c>ON_REQUEST</c>; each response is held until a save covering it is durable, concurrent requests
/// share a write. At the end the emulator is SIGKILLed while the clients are still sending, restarted on the same
/// volume, and every acknowledged MessageId must be received from the queue.</item>
/// <item>(d) LocalStack's ON_REQUEST: a MANUAL emulator, and every client, under one <see cref="SemaphoreSlim"/> shared
/// by all 16, sends a message and then <c>POST /_localstack/state/sqs/save</c>; a send counts once the save returned
/// 200: one request and one full save of the service at a time. (d') is gentler: the sends run concurrently and only
/// the save per request is serialized.</item>
/// </list>
/// Each variant's 10 s are cut into 2 s slices run in turn (d, d', Manual, OnRequest, d, d', ...) so that bursts of load
/// from other processes hit every variant alike. Each variant keeps its queue for all its slices, so its state grows by
/// one message per acknowledged request, as it would in a real emulator; the report gives the size reached and what a
/// save of it costs from the emulator's side.
/// </summary>
public static class HttpOnRequestScenario
{
    private const string Service = "sqs";
    private const string SavePath = "/_localstack/state/sqs/save";
    private const int Clients = 16;
    private static readonly TimeSpan Slice = TimeSpan.FromSeconds(2);
    private static readonly string Padding = new('x', 96);

    private enum Kind
    {
        Locked,
        SaveOnlyLocked,
        Manual,
        OnRequest,
    }

    /// <summary>Runs the slices and reports targets 4a, 4b and 4c over HTTP.</summary>
    public static async Task RunAsync(Report report)
    {
        var slices = BenchSettings.Quick ? 1 : 5;
        Kind[] kinds = BenchSettings.Quick ? [Kind.Locked, Kind.Manual, Kind.OnRequest] : [Kind.Locked, Kind.SaveOnlyLocked, Kind.Manual, Kind.OnRequest];
        Console.WriteLine($"== onrequest-http: {Clients} SDK clients, SQS SendMessage to the sample emulator, {slices} × {Slice.TotalSeconds:0} s per variant, alternated; load average {SdkLoad.LoadAverage()}");

        using var root = new TempFolder("onrequest-http");
        var clock = Stopwatch.StartNew();

        // Every emulator starts at once (a start is mostly waiting); each idles while the others run.
        var starts = kinds.Select(k => EmulatorHost.StartAsync(Path.Combine(root.Path, k.ToString()), k == Kind.OnRequest ? "ON_REQUEST" : "MANUAL")).ToArray();
        var variants = new List<Variant>();
        try
        {
            await Task.WhenAll(starts).ConfigureAwait(false);
            foreach (var (kind, start) in kinds.Zip(starts))
            {
                var host = await start.ConfigureAwait(false);
                variants.Add(new Variant(kind, host, host.CreateSqsClient()));
            }

            // Warm-up: one unmeasured slice per variant against a queue deleted afterwards (connections, the client's
            // JIT; the emulators run without tiered compilation, see EmulatorHost).
            foreach (var v in variants)
            {
                v.QueueUrl = await CreateQueueAsync(v.Sqs, "bench-warmup").ConfigureAwait(false);
                await SdkLoad.DriveAsync(Clients, 0, BenchSettings.Quick ? TimeSpan.FromSeconds(1) : Slice, RequestOf(v), atDeadline: null).ConfigureAwait(false);
                await v.Sqs.DeleteQueueAsync(v.QueueUrl).ConfigureAwait(false);
                v.QueueUrl = await CreateQueueAsync(v.Sqs, $"bench-{v.Kind.ToString().ToLowerInvariant()}").ConfigureAwait(false);
                v.ResetTimings();
            }

            Console.WriteLine($"   {variants.Count} emulators started and warmed up in {clock.Elapsed.TotalSeconds:0.0} s; load average {SdkLoad.LoadAverage()}");
            var empty = variants[0];
            var emptySaveMs = await SdkLoad.TimeStateCallsAsync(Service, empty.Host, BenchSettings.Quick ? 1 : 5).ConfigureAwait(false);
            var onRequest = variants.Single(v => v.Kind == Kind.OnRequest);
            var generationBefore = (await onRequest.Host.GetServiceStatusAsync(Service).ConfigureAwait(false)).Generation;
            var generationAfter = 0L;
            var storedSize = 0L;

            for (var slice = 1; slice <= slices; slice++)
            {
                foreach (var variant in variants)
                {
                    Func<Task>? atDeadline = null;
                    if (variant.Kind == Kind.OnRequest && slice == slices)
                    {
                        // The last slice ends with a crash under load: the status is read once more, then SIGKILL while the
                        // clients are mid-request; whatever was acknowledged before it must survive.
                        atDeadline = async () =>
                        {
                            (generationAfter, storedSize) = await variant.Host.GetServiceStatusAsync(Service).ConfigureAwait(false);
                            await variant.Host.KillAsync().ConfigureAwait(false);
                        };
                    }

                    var run = await SdkLoad.DriveAsync(Clients, slice, Slice, RequestOf(variant), atDeadline).ConfigureAwait(false);
                    variant.Runs.Add(run);
                    Print(variant.Name, run);
                }
            }

            var manual = variants.Single(v => v.Kind == Kind.Manual);
            var manualSaveMs = await SdkLoad.TimeStateCallsAsync(Service, manual.Host, BenchSettings.Quick ? 1 : 3).ConfigureAwait(false);
            var verified = await VerifyAsync(onRequest, generationAfter - generationBefore, storedSize).ConfigureAwait(false);
            Summarize(report, variants, verified, emptySaveMs, manualSaveMs);
        }
        finally
        {
            foreach (var variant in variants)
            {
                variant.Sqs.Dispose();
            }

            foreach (var start in starts)
            {
                try
                {
                    await (await start.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException or HttpRequestException)
                {
                    // It never started; StartAsync already cleaned up.
                }
            }
        }
    }

    private static Func<int, long, Task<string>> RequestOf(Variant variant)
    {
        var sqs = variant.Sqs;
        var url = variant.QueueUrl;
        var gate = variant.Gate;
        return variant.Kind switch
        {
            Kind.Locked => async (client, seq) =>
            {
                // LocalStack's ON_REQUEST: one request and then a full save of the service, one at a time.
                await gate.WaitAsync().ConfigureAwait(false);
                try
                {
                    var begin = Stopwatch.GetTimestamp();
                    var sent = await sqs.SendMessageAsync(Message(url, client, seq)).ConfigureAwait(false);
                    variant.AddSend(begin);
                    return await SaveAsync(variant).ConfigureAwait(false) ? sent.MessageId : throw new InvalidOperationException("save failed");
                }
                finally
                {
                    gate.Release();
                }
            },
            Kind.SaveOnlyLocked => async (client, seq) =>
            {
                var sent = await sqs.SendMessageAsync(Message(url, client, seq)).ConfigureAwait(false);
                await gate.WaitAsync().ConfigureAwait(false);
                try
                {
                    return await SaveAsync(variant).ConfigureAwait(false) ? sent.MessageId : throw new InvalidOperationException("save failed");
                }
                finally
                {
                    gate.Release();
                }
            },
            _ => async (client, seq) => (await sqs.SendMessageAsync(Message(url, client, seq)).ConfigureAwait(false)).MessageId,
        };
    }

    private static async Task<bool> SaveAsync(Variant variant)
    {
        var begin = Stopwatch.GetTimestamp();
        var saved = await variant.Host.PostAsync(SavePath).ConfigureAwait(false) == HttpStatusCode.OK;
        variant.AddSave(begin);
        return saved;
    }

    private static void Summarize(Report report, List<Variant> variants, Verified verified, double emptySaveMs, double manualSaveMs)
    {
        var d = variants.Single(v => v.Kind == Kind.Locked);
        var manual = variants.Single(v => v.Kind == Kind.Manual);
        var onRequest = variants.Single(v => v.Kind == Kind.OnRequest);
        var dPrime = variants.SingleOrDefault(v => v.Kind == Kind.SaveOnlyLocked);
        var o = onRequest.PerSecond;
        var errors = variants.Sum(v => v.Runs.Sum(r => r.Errors));
        var load = SdkLoad.LoadAverage();

        report.Info($"http req/s (load average {load}): (d) save per request under a client-side lock {Report.F(d.PerSecond, "0")}, Manual {Report.F(manual.PerSecond, "0")}, OnRequest {Report.F(o, "0")} ({verified.Writes:N0} snapshot writes for {onRequest.Requests:N0} requests, {Report.F(onRequest.Requests / (double)Math.Max(1, verified.Writes), "0.0")} per write){(errors > 0 ? $"; {errors} failed requests" : "")}");
        report.Info("http latency p50 / p99: " + string.Join(", ", variants.Select(v => $"{v.Name} {Report.F(Stats.Quantile(v.Latencies, 0.5), "0.0")} / {Report.F(Stats.Quantile(v.Latencies, 0.99), "0.0")} ms")));
        report.Info("http per slice, OnRequest/(d) and OnRequest/Manual: " + string.Join(", ", onRequest.Runs.Select((r, i) => $"{Report.F(r.PerSecond / d.Runs[i].PerSecond, "0.0")}× / {Report.F(r.PerSecond / manual.Runs[i].PerSecond * 100, "0")}%")));
        if (dPrime is not null)
        {
            report.Info($"http (d') sends concurrent, only the save per request under the lock: {Report.F(dPrime.PerSecond, "0")} req/s; OnRequest/(d') {Report.F(o / dPrime.PerSecond, "0.0")}×; its POST save {Report.F(dPrime.MeanSaveMs, "0.0")} ms mean");
        }

        report.Info($"http (d) inside the lock, per request (means): SendMessage {Report.F(d.MeanSendMs, "0.0")} ms + POST save {Report.F(d.MeanSaveMs, "0.0")} ms (state of at most {d.Acknowledged:N0} messages)");

        report.Info($"http queue sizes reached: " + string.Join(", ", variants.Select(v => $"{v.Name} {v.Acknowledged:N0}")) + $"; OnRequest stored {Report.F(verified.StoredSize / 1048576.0)} MiB at the kill");
        report.Info($"http OnRequest writes {Report.F(onRequest.Elapsed / Math.Max(1, verified.Writes), "0.0")} ms apart; req/s first slice {Report.F(onRequest.Runs[0].PerSecond, "0")}, last {Report.F(onRequest.Runs[^1].PerSecond, "0")}; a save from the emulator's side (POST save, median): empty {Report.F(emptySaveMs, "0.0")} ms, {verified.QueueSize:N0} messages {Report.F(verified.SaveMs, "0.0")} ms, {manual.Acknowledged:N0} messages (Manual's queue) {Report.F(manualSaveMs, "0.0")} ms; first request after SIGKILL and restart (load + JIT) {Report.F(verified.LoadMs, "0")} ms");

        // The figure is the median of the per-slice ratios: each slice of OnRequest is compared with the (d) and Manual
        // slices run just before it, under the same load from other processes, which swings 3-5× within a minute here.
        var vsLocked = Stats.Median(onRequest.Runs.Select((r, i) => r.PerSecond / d.Runs[i].PerSecond));
        var vsManual = Stats.Median(onRequest.Runs.Select((r, i) => r.PerSecond / manual.Runs[i].PerSecond));
        report.Target("4a-http OnRequest, 16 SQS clients ≥ 8× baseline (d)", $"{Report.F(vsLocked, "0.0")}× median of slices (all slices: {Report.F(o / d.PerSecond, "0.0")}×, {Report.F(o, "0")} vs {Report.F(d.PerSecond, "0")} req/s)", vsLocked >= 8);
        report.Target("4b-http OnRequest ≥ 20% of Manual", $"{Report.F(vsManual * 100, "0.0")}% median of slices (all slices: {Report.F(o / manual.PerSecond * 100, "0.0")}%, {Report.F(o, "0")} vs {Report.F(manual.PerSecond, "0")} req/s)", vsManual >= 0.20);
        report.Target(
            "4c-http every acknowledged SendMessage durable (SIGKILL)",
            verified.Durable ? $"all {onRequest.Acknowledged:N0} acked MessageIds received after restart" : "LOST: " + verified.Lost,
            verified.Durable);
    }

    /// <summary>Restarts the killed OnRequest emulator on its volume (MANUAL, so that reading saves nothing) and receives every message.</summary>
    private static async Task<Verified> VerifyAsync(Variant onRequest, long writes, long storedSize)
    {
        var host = await EmulatorHost.StartAsync(onRequest.Host.VolumeDirectory, "MANUAL").ConfigureAwait(false);
        await using (host.ConfigureAwait(false))
        {
            using var sqs = host.CreateSqsClient();
            var name = onRequest.QueueUrl[(onRequest.QueueUrl.LastIndexOf('/') + 1)..];
            var clock = Stopwatch.StartNew();
            var url = (await sqs.GetQueueUrlAsync(name).ConfigureAwait(false)).QueueUrl; // the first SQS request loads the snapshot
            var loadMs = clock.Elapsed.TotalMilliseconds;
            var attributes = await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = url, AttributeNames = ["ApproximateNumberOfMessages"] }).ConfigureAwait(false);
            var count = long.Parse(attributes.Attributes["ApproximateNumberOfMessages"], CultureInfo.InvariantCulture);
            var saveMs = await SdkLoad.TimeStateCallsAsync(Service, host, BenchSettings.Quick ? 1 : 3).ConfigureAwait(false);

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

            var acknowledged = onRequest.Runs.SelectMany(r => r.Acknowledged).ToArray();
            var missing = acknowledged.Count(id => !received.ContainsKey(id));
            var durable = acknowledged.Length > 0 && count >= acknowledged.Length && missing == 0;
            var lost = $"{acknowledged.Length:N0} acked, ApproximateNumberOfMessages {count:N0} after SIGKILL and restart, {received.Count:N0} received, {missing:N0} acked MessageIds missing";
            Console.WriteLine($"   durability: {lost}; first request (load) {loadMs:0} ms, a save of it {saveMs:0.0} ms");
            return new Verified(writes, storedSize, count, loadMs, saveMs, durable, lost);
        }
    }

    private static async Task<string> CreateQueueAsync(AmazonSQSClient sqs, string prefix)
        => (await sqs.CreateQueueAsync($"{prefix}-{Guid.NewGuid():N}").ConfigureAwait(false)).QueueUrl;

    private static SendMessageRequest Message(string url, int client, long seq)
        => new() { QueueUrl = url, MessageBody = $"client {client:00} seq {seq:0000000} {Padding}" };

    private static void Print(string variant, SdkRun run)
        => Console.WriteLine($"   slice {run.Slice} {variant,-9}: {run.Requests,6:N0} requests in {run.Elapsed.TotalSeconds:0.00} s = {run.PerSecond,6:0} req/s, p50 {Stats.Quantile(run.LatenciesMs, 0.5),6:0.0} ms, p99 {Stats.Quantile(run.LatenciesMs, 0.99),6:0.0} ms{(run.Errors > 0 ? $", {run.Errors} errors" : "")}; load average {SdkLoad.LoadAverage()}");

    /// <summary>A variant: its emulator, client, queue and slices.</summary>
    private sealed class Variant(Kind kind, EmulatorHost host, AmazonSQSClient sqs)
    {
        private long _sendTicks;
        private long _sends;
        private long _saveTicks;
        private long _saves;

        public Kind Kind => kind;

        public string Name => kind switch
        {
            Kind.Locked => "(d)",
            Kind.SaveOnlyLocked => "(d')",
            _ => kind.ToString(),
        };

        public EmulatorHost Host => host;

        public AmazonSQSClient Sqs => sqs;

        public string QueueUrl { get; set; } = "";

        /// <summary>The client-side lock of (d) and (d').</summary>
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public List<SdkRun> Runs { get; } = [];

        public long Requests => Runs.Sum(r => r.Requests);

        public long Acknowledged => Runs.Sum(r => r.Acknowledged.Length);

        public double Elapsed => Runs.Sum(r => r.Elapsed.TotalMilliseconds);

        public double PerSecond => Requests / (Elapsed / 1000);

        public double[] Latencies => [.. Runs.SelectMany(r => r.LatenciesMs)];

        public double MeanSendMs => Stats.Ms(0, Interlocked.Read(ref _sendTicks)) / Math.Max(1, Interlocked.Read(ref _sends));

        public double MeanSaveMs => Stats.Ms(0, Interlocked.Read(ref _saveTicks)) / Math.Max(1, Interlocked.Read(ref _saves));

        public void ResetTimings()
        {
            Interlocked.Exchange(ref _sendTicks, 0);
            Interlocked.Exchange(ref _sends, 0);
            Interlocked.Exchange(ref _saveTicks, 0);
            Interlocked.Exchange(ref _saves, 0);
        }

        public void AddSend(long begin)
        {
            Interlocked.Add(ref _sendTicks, Stopwatch.GetTimestamp() - begin);
            Interlocked.Increment(ref _sends);
        }

        public void AddSave(long begin)
        {
            Interlocked.Add(ref _saveTicks, Stopwatch.GetTimestamp() - begin);
            Interlocked.Increment(ref _saves);
        }
    }

    private sealed record Verified(long Writes, long StoredSize, long QueueSize, double LoadMs, double SaveMs, bool Durable, string Lost);
}
