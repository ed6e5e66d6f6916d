using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using LocalStack.Persistence.Benchmarks;
using LocalStack.Persistence.Benchmarks.Scenarios;
using LocalStack.Persistence.Benchmarks.Suites;

// Usage:
//   -- --filter '*'            full run: the BenchmarkDotNet suites (save, load), then every custom scenario
//   -- --quick                 smoke test: the suites with a tiny in-process job and small states, then the scenarios, small
//   -- --scenario stall,flush  only the named scenarios (interleaved, stall, onrequest, onrequest-http, flush, alloc, scaling, slow-clients, sdk-scaling,
//                              keyed-load, keyed-stall, keyed-bytes); add --quick for small sizes
//                              (onrequest-http and sdk-scaling start the sample emulator as child processes and drive it with AWS SDK clients;
//                              sdk-scaling's services and sizes: LSP_BENCH_SDK_SCALING=dynamodb=1000,100000;sqs=1000;s3=1000)
//   -- --no-scenarios          with --filter: the suites only
var quick = args.Contains("--quick");
var noScenarios = args.Contains("--no-scenarios");
var scenarioArg = Array.IndexOf(args, "--scenario") is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
if (quick)
{
    Environment.SetEnvironmentVariable(BenchSettings.QuickVariable, "1");
}

var scenarios = new Dictionary<string, Func<Report, Task>>(StringComparer.OrdinalIgnoreCase)
{
    ["interleaved"] = InterleavedScenario.RunAsync,
    ["stall"] = StallScenario.RunAsync,
    ["onrequest"] = OnRequestScenario.RunAsync,
    ["onrequest-http"] = HttpOnRequestScenario.RunAsync,
    ["flush"] = FlushScenario.RunAsync,
    ["alloc"] = AllocationScenario.RunAsync,
    ["scaling"] = ScalingScenario.RunAsync,
    ["slow-clients"] = SlowClientsScenario.RunAsync,
    ["sdk-scaling"] = SdkScalingScenario.RunAsync,
    ["keyed-load"] = KeyedLoadScenario.RunAsync,
    ["keyed-stall"] = KeyedStallScenario.RunAsync,
    ["keyed-bytes"] = KeyedBytesScenario.RunAsync,
};

var clock = Stopwatch.StartNew();
var report = new Report();
Console.WriteLine($"LocalStack.Persistence benchmarks ({(quick ? "quick" : "full")}), {Environment.ProcessorCount} cores, temp {Path.GetTempPath()}");

if (scenarioArg is null)
{
    var bdnArgs = args.Where(a => a is not "--quick" and not "--no-scenarios").ToArray();
    if (quick && !bdnArgs.Contains("--filter"))
    {
        bdnArgs = [.. bdnArgs, "--filter", "*"];
    }

    var config = quick ? QuickConfig() : FullConfig();
    var summaries = BenchmarkSwitcher.FromTypes([typeof(SaveBenchmarks), typeof(LoadBenchmarks)]).Run(bdnArgs, config).ToArray();
    SummarizeSuites(summaries, report);
}

if (scenarioArg is not null || !noScenarios)
{
    var names = scenarioArg is null or "all" ? [.. scenarios.Keys] : scenarioArg.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    foreach (var name in names)
    {
        if (!scenarios.TryGetValue(name, out var run))
        {
            Console.Error.WriteLine($"Unknown scenario '{name}'; known: {string.Join(", ", scenarios.Keys)}.");
            return 2;
        }

        await run(report).ConfigureAwait(false);
    }
}

Console.WriteLine();
Console.WriteLine($"===== Summary ({(quick ? "quick mode: small states, tiny job; figures are a smoke test, not the targets" : "full mode")}, {clock.Elapsed.TotalSeconds:0} s) =====");
foreach (var line in report.Lines)
{
    Console.WriteLine(line);
}

return 0;

static IConfig FullConfig() => DefaultConfig.Instance
    .AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10).WithId("Full"));

static IConfig QuickConfig() => DefaultConfig.Instance
    .AddJob(Job.Dry.WithStrategy(RunStrategy.Monitoring).WithWarmupCount(1).WithIterationCount(3)
        .WithToolchain(InProcessEmitToolchain.Instance).WithId("Quick"));

// Targets 1 and 2 from the suites: mean of the library's case over the baseline's, per state size.
static void SummarizeSuites(Summary[] summaries, Report report)
{
    foreach (var group in summaries.SelectMany(s => s.Reports)
                 .Where(r => r.ResultStatistics is not null)
                 .GroupBy(r => (Type: r.BenchmarkCase.Descriptor.Type.Name, Records: Convert.ToInt32(r.BenchmarkCase.Parameters["Records"], CultureInfo.InvariantCulture))))
    {
        double Mean(string method) => group.FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method)?.ResultStatistics?.Mean ?? double.NaN;
        string Alloc(string method)
        {
            var r = group.FirstOrDefault(x => x.BenchmarkCase.Descriptor.WorkloadMethod.Name == method);
            var bytes = r?.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase);
            return bytes is null ? "?" : $"{bytes.Value / 1048576.0:0.00} MiB";
        }

        var records = group.Key.Records;
        var large = records == BenchSettings.LargeRecords;
        if (group.Key.Type == nameof(SaveBenchmarks))
        {
            var naive = Mean(nameof(SaveBenchmarks.NaiveUnsafeSave));
            var raw = Mean(nameof(SaveBenchmarks.RawWriteSameBytes)) / naive;
            var safe = Mean(nameof(SaveBenchmarks.CrashSafeSave)) / naive;
            var deferred = Mean(nameof(SaveBenchmarks.CrashSafeSaveImmutableCapture)) / naive;
            report.Info($"save, {records:N0} records: naive (a) {naive / 1e6:0.0} ms; ratios raw write (b) {Report.F(raw)}×, crash-safe {Report.F(safe)}×, crash-safe immutable capture {Report.F(deferred)}×; allocated naive {Alloc(nameof(SaveBenchmarks.NaiveUnsafeSave))}, crash-safe {Alloc(nameof(SaveBenchmarks.CrashSafeSave))}, immutable {Alloc(nameof(SaveBenchmarks.CrashSafeSaveImmutableCapture))}");
            if (large)
            {
                report.Target($"1 crash-safe save, {records:N0} records ≤ 0.8× naive (a)", $"{Report.F(safe)}× (immutable capture {Report.F(deferred)}×)", safe <= 0.8);
            }
        }
        else
        {
            var naive = Mean(nameof(LoadBenchmarks.NaiveLoad));
            var load = Mean(nameof(LoadBenchmarks.SnapshotLoad)) / naive;
            report.Info($"load, {records:N0} records: naive (c) {naive / 1e6:0.0} ms; snapshot load {Report.F(load)}×; allocated naive {Alloc(nameof(LoadBenchmarks.NaiveLoad))}, snapshot {Alloc(nameof(LoadBenchmarks.SnapshotLoad))}");
            if (large)
            {
                report.Target($"2 load, {records:N0} records ≤ 1.0× naive (c)", $"{Report.F(load)}×", load <= 1.0);
            }
        }
    }
}
