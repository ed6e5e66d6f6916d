namespace LocalStack.Persistence.Benchmarks.Scenarios;

/// <summary>Small statistics helpers for the custom scenarios.</summary>
public static class Stats
{
    /// <summary>The median of the values.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>The <paramref name="p"/> quantile (0..1) of the values (nearest rank).</summary>
    public static double Quantile(IReadOnlyCollection<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    /// <summary>
    /// Runs the steps in turn, round after round (round -1 warms up), each on a collected heap like BenchmarkDotNet
    /// between iterations, so that noise hits every step alike; returns each step's times in milliseconds.
    /// </summary>
    public static async Task<List<double>[]> InterleaveAsync(IReadOnlyList<Func<Task>> steps, int rounds)
    {
        var times = steps.Select(_ => new List<double>()).ToArray();
        for (var round = -1; round < rounds; round++)
        {
            for (var s = 0; s < steps.Count; s++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                var start = System.Diagnostics.Stopwatch.GetTimestamp();
                await steps[s]().ConfigureAwait(false);
                if (round >= 0)
                {
                    times[s].Add(Ms(start, System.Diagnostics.Stopwatch.GetTimestamp()));
                }
            }
        }

        return times;
    }

    /// <summary>Milliseconds between two <see cref="System.Diagnostics.Stopwatch"/> timestamps.</summary>
    public static double Ms(long from, long to) => (to - from) * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
}
