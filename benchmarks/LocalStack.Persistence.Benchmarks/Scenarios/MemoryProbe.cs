using System.Diagnostics;

namespace LocalStack.Persistence.Benchmarks.Scenarios;

/// <summary>
/// What one operation costs in memory: bytes allocated (precise), the peak of the managed heap above where it started
/// (sampled every millisecond on another thread), and what it still holds after a full collection.
/// </summary>
public sealed record MemoryCost(long AllocatedBytes, long PeakHeapBytes, long RetainedBytes, int Gen2Collections, double GcPauseMs)
{
    /// <summary>Runs <paramref name="operation"/> once on a collected heap and measures it; keep what it returns alive until then.</summary>
    public static async Task<MemoryCost> MeasureAsync(Func<Task<object?>> operation)
    {
        Collect();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: false);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var gen2Before = GC.CollectionCount(2);
        var pauseBefore = GC.GetTotalPauseDuration();
        var peak = heapBefore;
        using var stop = new CancellationTokenSource();
        var sampler = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var heap = GC.GetTotalMemory(forceFullCollection: false);
                if (heap > Volatile.Read(ref peak))
                {
                    Volatile.Write(ref peak, heap);
                }

                Thread.Sleep(1);
            }
        }) { IsBackground = true, Name = "memory probe" };
        sampler.Start();
        object? result;
        try
        {
            result = await operation().ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            sampler.Join();
        }

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var gen2 = GC.CollectionCount(2) - gen2Before;
        var pause = (GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds;
        peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false));
        Collect();
        var retained = GC.GetTotalMemory(forceFullCollection: false) - heapBefore;
        GC.KeepAlive(result);
        return new MemoryCost(allocated, peak - heapBefore, retained, gen2, pause);
    }

    /// <summary>"allocated 12.3 MiB, peak heap +45.6 MiB, retained 40.1 MiB, 1 gen2 GC, GC pauses 12 ms".</summary>
    public override string ToString()
        => $"allocated {Mib(AllocatedBytes)} MiB, peak heap +{Mib(PeakHeapBytes)} MiB, retained {Mib(RetainedBytes)} MiB, {Gen2Collections} gen2 GC, GC pauses {Report.F(GcPauseMs, "0")} ms";

    /// <summary>Bytes in MiB, one decimal.</summary>
    public static string Mib(long bytes) => Report.F(bytes / 1048576.0, "0.0");

    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
