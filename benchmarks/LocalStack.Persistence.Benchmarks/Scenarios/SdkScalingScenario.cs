using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using LocalStack.Persistence.Benchmarks.Workload;

namespace LocalStack.Persistence.Benchmarks.Scenarios;

/// <summary>
/// Issue 14's baseline: the sample emulator (real child processes) driven by 16 concurrent AWS SDK for .NET request
/// loops at growing state sizes; DynamoDB PutItem into a table of N items, SQS SendMessage into a queue of N messages,
/// S3 PutObject of 4 KiB into a bucket of N objects. For each service and N, in this order:
/// <list type="number">
/// <item>ON_REQUEST throughput on an empty service: one long-lived ON_REQUEST emulator, the service reset
/// (<c>POST /_localstack/state/&lt;svc&gt;/reset</c>) and a fresh table/queue/bucket before each measurement.</item>
/// <item>A MANUAL emulator on a fresh volume: N records written (BatchWriteItem of 25, SendMessageBatch of 10, S3 one
/// PutObject per object), saved once; then "bytes per save": one record written and <c>POST …/save</c>, counting the
/// bytes the emulator process passed to write system calls during the save (<c>wchar</c> of <c>/proc/&lt;pid&gt;/io</c>:
/// the new <c>store.state</c>, SQLite pages copied by the backup API, any copied asset and the HTTP response; a hard
/// link writes no bytes, so the S3 links are counted apart as files of the new generation folder); then the time of
/// <c>POST …/load</c> (a full load of the service at N: read, verify and restore the snapshot); then MANUAL
/// throughput with that state.</item>
/// <item>The same volume restarted under ON_REQUEST, loaded, and its throughput with N existing records.</item>
/// </list>
/// Every run starts with a short unmeasured warm-up. Ratios reported as issue 14 phrases its targets:
/// ON_REQUEST with state / empty (≥ 0.5), ON_REQUEST / MANUAL at that size (≥ 0.25), bytes per save ≤ 4 × the encoded
/// change + 64 KiB. Sizes: full 1k, 100k, 1M (DynamoDB), 1k, 100k (SQS) and 1k, 10k, 100k (S3); quick 200 each. No
/// SQS 1M by default: the sample's SendMessage drops expired messages by scanning the whole queue, so filling a queue
/// costs the square of its length (100k took 36 s here, 1M would take about an hour).
/// <c>LSP_BENCH_SDK_SCALING=dynamodb=1000,100000;sqs=1000</c> picks services and sizes (unlisted services are skipped).
/// </summary>
public static class SdkScalingScenario
{
    /// <summary>The environment variable that overrides services and sizes.</summary>
    public const string SizesVariable = "LSP_BENCH_SDK_SCALING";

    private const int Clients = 16;
    private const int ChangeClient = 99;
    private const long TargetSlack = 64 * 1024;
    private static readonly int[] QuickSizes = [200];

    private static TimeSpan Duration => BenchSettings.Quick ? TimeSpan.FromSeconds(1.5) : TimeSpan.FromSeconds(8);

    private static TimeSpan WarmUp => BenchSettings.Quick ? TimeSpan.FromSeconds(0.3) : TimeSpan.FromSeconds(2);

    private static int Samples => BenchSettings.Quick ? 1 : 3;

    /// <summary>Measures every service and size; adds one line per row and the targets per service.</summary>
    /// <param name="report">The summary.</param>
    /// <returns>A task that completes when the scenario has run.</returns>
    public static async Task RunAsync(Report report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var plan = Plan();
        Console.WriteLine();
        Console.WriteLine($"== sdk-scaling: {Clients} SDK request loops against the sample emulator, {Duration.TotalSeconds:0.0} s per run; {string.Join("; ", plan.Select(p => $"{p.Service} {string.Join(", ", p.Sizes.Select(s => s.ToString("N0", CultureInfo.InvariantCulture)))}"))}; load average {SdkLoad.LoadAverage()}");
        var clock = Stopwatch.StartNew();
        using var root = new TempFolder("sdk-scaling");
        var rows = new List<Row>();
        await using (var empty = await EmulatorHost.StartAsync(Path.Combine(root.Path, "empty"), "ON_REQUEST").ConfigureAwait(false))
        {
            foreach (var (service, sizes) in plan)
            {
                foreach (var size in sizes)
                {
                    var row = await MeasureAsync(service, size, empty, root.Path).ConfigureAwait(false);
                    rows.Add(row);
                    report.Info(row.ToString());
                }
            }
        }

        foreach (var group in rows.GroupBy(r => r.Service))
        {
            var worstEmpty = group.MinBy(r => r.WithState / r.Empty)!;
            var worstManual = group.MinBy(r => r.WithState / r.Manual)!;
            var worstBytes = group.MaxBy(r => r.SaveBytes / (double)r.TargetBytes)!;
            report.Target($"14a {group.Key} ON_REQUEST with state ≥ 0.5× empty", $"{Report.F(worstEmpty.WithState / worstEmpty.Empty)}× at {worstEmpty.Size:N0} (worst size)", group.All(r => r.WithState / r.Empty >= 0.5));
            report.Target($"14b {group.Key} ON_REQUEST with state ≥ 0.25× MANUAL", $"{Report.F(worstManual.WithState / worstManual.Manual, "0.000")}× at {worstManual.Size:N0} (worst size)", group.All(r => r.WithState / r.Manual >= 0.25));
            report.Target($"14c {group.Key} bytes per save ≤ 4× change + 64 KiB", $"{Bytes(worstBytes.SaveBytes)} for a {worstBytes.RecordBytes} B change at {worstBytes.Size:N0} (limit {Bytes(worstBytes.TargetBytes)})", group.All(r => r.SaveBytes <= r.TargetBytes));
        }

        Console.WriteLine();
        Console.WriteLine($"sdk-scaling table ({clock.Elapsed.TotalSeconds:0} s; load average {SdkLoad.LoadAverage()}):");
        Console.WriteLine(Table(rows));
    }

    /// <summary>The markdown table of docs/performance.md.</summary>
    private static string Table(IEnumerable<Row> rows)
    {
        var text = new StringBuilder();
        text.AppendLine("| Service, records | (1) ON_REQUEST empty | (2) ON_REQUEST with state | (3) MANUAL with state | (2)/(1) | (2)/(3) | (4) bytes per save after 1 record | ÷ change | (5) load | populate |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {r.Operation}, {r.Size:N0} {r.Records} | {r.Empty:N0}/s | **{r.WithState:N0}/s** | {r.Manual:N0}/s | {Report.F(r.WithState / r.Empty)}× | {Report.F(r.WithState / r.Manual, "0.000")}× | {Bytes(r.SaveBytes)}{(r.GenerationFiles > 0 ? $" + {r.GenerationFiles:N0} file{(r.GenerationFiles == 1 ? "" : "s")} in the generation" : "")} | {r.SaveBytes / (double)r.RecordBytes:N0}× | {r.LoadMs:N0} ms | {r.PopulateSeconds:0.0} s |");
        }

        return text.ToString();
    }

    private static async Task<Row> MeasureAsync(string service, int size, EmulatorHost empty, string root)
    {
        var name = $"scaling-{size}";
        Console.WriteLine($"-- {service}, {size:N0} records; load average {SdkLoad.LoadAverage()}");

        // (1) ON_REQUEST on an empty service: the service reset, a fresh resource.
        await PostOkAsync(empty, $"/_localstack/state/{service}/reset").ConfigureAwait(false);
        SdkRun emptyRun;
        using (var target = await SdkTarget.OpenAsync(service, empty, $"empty-{size}", create: true).ConfigureAwait(false))
        {
            emptyRun = await DriveAsync(target, "(1) ON_REQUEST, empty", 1).ConfigureAwait(false);
        }

        using var volume = new TempFolder($"sdk-scaling-{service}-{size}");
        var stateFolder = Path.Combine(volume.Path, "state");
        SdkRun manualRun;
        string operation, records;
        int recordBytes;
        long fullSaveBytes, saveBytes, stateFileBytes, storedSize;
        int generationFiles;
        double populateSeconds, fullSaveMs, saveMs, loadMs;
        await using (var manual = await EmulatorHost.StartAsync(volume.Path, "MANUAL").ConfigureAwait(false))
        {
            using var target = await SdkTarget.OpenAsync(service, manual, name, create: true).ConfigureAwait(false);
            (operation, records, recordBytes) = (target.Operation, target.Records, target.RecordBytes);
            var clock = Stopwatch.StartNew();
            await target.PopulateAsync(size, Clients).ConfigureAwait(false);
            populateSeconds = clock.Elapsed.TotalSeconds;
            (fullSaveBytes, fullSaveMs) = await SaveAsync(manual, service).ConfigureAwait(false);

            // (4) one record changed, one save; the median of a few.
            var saves = new List<(long Bytes, double Ms)>();
            for (var i = 0; i < Samples; i++)
            {
                await target.WriteAsync(ChangeClient, i).ConfigureAwait(false);
                saves.Add(await SaveAsync(manual, service).ConfigureAwait(false));
            }

            saveBytes = (long)Stats.Median(saves.Select(s => (double)s.Bytes));
            saveMs = Stats.Median(saves.Select(s => s.Ms));
            (var generation, storedSize) = await manual.GetServiceStatusAsync(service).ConfigureAwait(false);
            stateFileBytes = new FileInfo(Path.Combine(stateFolder, "api_states", service, "store.state")).Length;
            var generationFolder = Path.Combine(stateFolder, service, generation.ToString("D20", CultureInfo.InvariantCulture));
            generationFiles = Directory.Exists(generationFolder) ? Directory.EnumerateFiles(generationFolder, "*", SearchOption.AllDirectories).Count() : 0;

            // (5) a full load of the service at this size.
            loadMs = await SdkLoad.TimeStateCallsAsync(service, manual, Samples, "load").ConfigureAwait(false);
            Console.WriteLine($"   populated {size:N0} {records} in {populateSeconds:0.0} s; first save {Bytes(fullSaveBytes)} in {fullSaveMs:0} ms; after 1 record: {Bytes(saveBytes)} written in {saveMs:0.0} ms (store.state {Bytes(stateFileBytes)}, {generationFiles:N0} files in generation {generation}); load {loadMs:0} ms");

            // (3) MANUAL with that state.
            manualRun = await DriveAsync(target, "(3) MANUAL, with state", 3).ConfigureAwait(false);
        }

        // (2) ON_REQUEST with that state: the same volume, a new process.
        SdkRun withStateRun;
        await using (var onRequest = await EmulatorHost.StartAsync(volume.Path, "ON_REQUEST").ConfigureAwait(false))
        {
            await PostOkAsync(onRequest, $"/_localstack/state/{service}/load").ConfigureAwait(false);
            using var target = await SdkTarget.OpenAsync(service, onRequest, name, create: false).ConfigureAwait(false);
            withStateRun = await DriveAsync(target, "(2) ON_REQUEST, with state", 5).ConfigureAwait(false);
        }

        return new Row(service, operation, records, size, emptyRun.PerSecond, withStateRun.PerSecond, manualRun.PerSecond,
            emptyRun.Errors + withStateRun.Errors + manualRun.Errors, populateSeconds, fullSaveBytes, saveBytes, saveMs, stateFileBytes,
            generationFiles, storedSize, loadMs, recordBytes);
    }

    /// <summary>An unmeasured warm-up (slice <paramref name="slice"/>), then the measured run (the next slice, so keys differ).</summary>
    private static async Task<SdkRun> DriveAsync(SdkTarget target, string label, int slice)
    {
        await SdkLoad.DriveAsync(Clients, slice, WarmUp, target.WriteAsync, atDeadline: null).ConfigureAwait(false);
        var run = await SdkLoad.DriveAsync(Clients, slice + 1, Duration, target.WriteAsync, atDeadline: null).ConfigureAwait(false);
        Console.WriteLine($"   {label,-27}: {run.Requests,7:N0} requests in {run.Elapsed.TotalSeconds:0.00} s = {run.PerSecond,7:0} req/s, p50 {Stats.Quantile(run.LatenciesMs, 0.5),7:0.0} ms, p99 {Stats.Quantile(run.LatenciesMs, 0.99),7:0.0} ms{(run.Errors > 0 ? $", {run.Errors} errors" : "")}; load average {SdkLoad.LoadAverage()}");
        return run;
    }

    /// <summary>One <c>POST …/save</c>: the bytes the emulator wrote during it (<see cref="EmulatorHost.WrittenBytes"/>) and its time.</summary>
    private static async Task<(long Bytes, double Ms)> SaveAsync(EmulatorHost host, string service)
    {
        var before = host.WrittenBytes();
        var begin = Stopwatch.GetTimestamp();
        await PostOkAsync(host, $"/_localstack/state/{service}/save").ConfigureAwait(false);
        var ms = Stats.Ms(begin, Stopwatch.GetTimestamp());
        return (host.WrittenBytes() - before, ms);
    }

    private static async Task PostOkAsync(EmulatorHost host, string path)
    {
        var status = await host.PostAsync(path).ConfigureAwait(false);
        if (status != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"POST {path} answered {(int)status}. Emulator output:\n{host.Output}");
        }
    }

    /// <summary>The services and sizes: quick, full, or <see cref="SizesVariable"/>.</summary>
    private static (string Service, int[] Sizes)[] Plan()
    {
        if (Environment.GetEnvironmentVariable(SizesVariable) is { Length: > 0 } setting)
        {
            return [.. setting.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(part => part.Split('=', 2))
                .Select(kv => kv.Length == 2 && SdkTarget.Services.Contains(kv[0])
                    ? (kv[0], kv[1].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray())
                    : throw new ArgumentException($"{SizesVariable}: '{string.Join('=', kv)}' is not <dynamodb|sqs|s3>=<size>[,<size>…]."))];
        }

        return BenchSettings.Quick
            ? [.. SdkTarget.Services.Select(s => (s, QuickSizes))]
            : [("dynamodb", [1_000, 100_000, 1_000_000]), ("sqs", [1_000, 100_000]), ("s3", [1_000, 10_000, 100_000])];
    }

    private static string Bytes(long bytes) => bytes switch
    {
        >= 10 * 1048576 => $"{bytes / 1048576.0:0} MiB",
        >= 1048576 => $"{bytes / 1048576.0:0.0} MiB",
        >= 10 * 1024 => $"{bytes / 1024.0:0} KiB",
        _ => $"{bytes:N0} B",
    };

    /// <summary>One service at one size.</summary>
    private sealed record Row(
        string Service, string Operation, string Records, int Size, double Empty, double WithState, double Manual, long Errors,
        double PopulateSeconds, long FullSaveBytes, long SaveBytes, double SaveMs, long StateFileBytes, int GenerationFiles,
        long StoredSize, double LoadMs, int RecordBytes)
    {
        public long TargetBytes => (4L * RecordBytes) + TargetSlack;

        public override string ToString()
            => $"sdk-scaling {Operation}, {Size:N0} {Records}: req/s (1) ON_REQUEST empty {Empty:0}, (2) ON_REQUEST with state {WithState:0}, (3) MANUAL {Manual:0}; "
               + $"(2)/(1) {Report.F(WithState / Empty)}×, (2)/(3) {Report.F(WithState / Manual, "0.000")}×; "
               + $"(4) one save after 1 record ({RecordBytes} B) wrote {Bytes(SaveBytes)} = {SaveBytes / (double)RecordBytes:N0}× the change in {SaveMs:0.0} ms "
               + $"(store.state {Bytes(StateFileBytes)}, {GenerationFiles:N0} files in its generation; first full save {Bytes(FullSaveBytes)}); "
               + $"(5) load {LoadMs:0} ms; stored {Bytes(StoredSize)}; populated in {PopulateSeconds:0.0} s{(Errors > 0 ? $"; {Errors} failed requests" : "")}";
    }
}
