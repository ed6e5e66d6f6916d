namespace LocalStack.Persistence.Benchmarks;

/// <summary>
/// Sizes for the run. Quick mode is passed to BenchmarkDotNet's child processes through an environment variable,
/// because parameter sources are evaluated again in each of them.
/// </summary>
public static class BenchSettings
{
    /// <summary>The environment variable set by <c>--quick</c>.</summary>
    public const string QuickVariable = "LSP_BENCH_QUICK";

    /// <summary>Whether this is the smoke-test run.</summary>
    public static bool Quick => Environment.GetEnvironmentVariable(QuickVariable) == "1";

    /// <summary>The small state.</summary>
    public const int SmallRecords = 1_000;

    /// <summary>The large state: about 100,000 records, roughly 50 MB of JSON (10,000 in quick mode).</summary>
    public static int LargeRecords => Quick ? 10_000 : 100_000;

    /// <summary>The state sizes of the save and load suites.</summary>
    public static IEnumerable<int> SuiteSizes => [SmallRecords, LargeRecords];

    /// <summary>The sizes of the scaling scenario.</summary>
    public static int[] ScalingSizes => Quick ? [1_000, 10_000, 30_000] : [1_000, 10_000, 100_000, 1_000_000];
}
