using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Amazon.Runtime;
using LocalStack.Persistence.Benchmarks.Workload;

namespace LocalStack.Persistence.Benchmarks.Scenarios;

/// <summary>
/// What the scenarios that drive the sample emulator with AWS SDK clients share: concurrent request loops for a fixed
/// time, timed state-endpoint calls, and the machine's load average printed next to every figure.
/// </summary>
public static class SdkLoad
{
    /// <summary>
    /// Runs <paramref name="clients"/> loops of <paramref name="request"/> for <paramref name="duration"/>; then runs
    /// <paramref name="atDeadline"/> (if any) and waits for the loops. A request that fails after
    /// <paramref name="atDeadline"/> started is not acknowledged; one that fails before it is counted as an error.
    /// Without <paramref name="atDeadline"/> the run lasts until the last request started in it has returned.
    /// </summary>
    /// <param name="clients">Concurrent loops.</param>
    /// <param name="slice">The slice number (also seeds the sequence numbers passed to <paramref name="request"/>).</param>
    /// <param name="duration">How long new requests are started.</param>
    /// <param name="request">One request: (client, sequence number) → an acknowledgement id.</param>
    /// <param name="atDeadline">Run when the time is up, while requests may still be in flight (e.g. a SIGKILL).</param>
    /// <returns>The requests acknowledged, their latencies and the errors.</returns>
    public static async Task<SdkRun> DriveAsync(int clients, int slice, TimeSpan duration, Func<int, long, Task<string>> request, Func<Task>? atDeadline)
    {
        ArgumentNullException.ThrowIfNull(request);
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var latencies = new List<double>[clients];
        var acknowledged = new ConcurrentBag<string>();
        var stopped = 0;
        long errors = 0;
        var loops = Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var mine = latencies[client] = [];
            var seq = slice * 1_000_000L;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var begin = Stopwatch.GetTimestamp();
                string id;
                try
                {
                    id = await request(client, ++seq).ConfigureAwait(false);
                }
                catch (Exception) when (Volatile.Read(ref stopped) == 1)
                {
                    return; // the emulator was killed under this request: not acknowledged
                }
                catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or InvalidOperationException or IOException)
                {
                    Interlocked.Increment(ref errors);
                    continue;
                }

                acknowledged.Add(id);
                var done = Stopwatch.GetTimestamp();
                if (atDeadline is null || done < deadline)
                {
                    // Answers that raced the kill are acknowledged (and checked) but fall outside the measured window.
                    mine.Add(Stats.Ms(begin, done));
                }
            }
        })).ToArray();

        long end;
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
            await Task.WhenAll(loops).ConfigureAwait(false);
        }
        else
        {
            await Task.WhenAll(loops).ConfigureAwait(false);
            end = Stopwatch.GetTimestamp();
        }

        var timed = latencies.SelectMany(l => l).ToArray();
        return new SdkRun(slice, timed.Length, TimeSpan.FromSeconds((end - start) / (double)Stopwatch.Frequency), timed, [.. acknowledged], errors);
    }

    /// <summary>
    /// The median wall time of <paramref name="samples"/> <c>POST /_localstack/state/&lt;service&gt;/&lt;operation&gt;</c>
    /// (the emulator's save or load, one HTTP round trip included), after one call that is not timed (a fresh process
    /// JITs the path).
    /// </summary>
    /// <param name="service">The service, e.g. <c>sqs</c>.</param>
    /// <param name="host">The emulator.</param>
    /// <param name="samples">Timed calls.</param>
    /// <param name="operation"><c>save</c> or <c>load</c>.</param>
    /// <returns>The median in milliseconds.</returns>
    public static async Task<double> TimeStateCallsAsync(string service, EmulatorHost host, int samples, string operation = "save")
    {
        ArgumentNullException.ThrowIfNull(host);
        var path = $"/_localstack/state/{service}/{operation}";
        var times = new List<double>(samples);
        for (var i = -1; i < samples; i++)
        {
            var begin = Stopwatch.GetTimestamp();
            var status = await host.PostAsync(path).ConfigureAwait(false);
            if (i >= 0)
            {
                times.Add(Stats.Ms(begin, Stopwatch.GetTimestamp()));
            }

            if (status != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"POST {path} answered {(int)status}. Emulator output:\n{host.Output}");
            }
        }

        return Stats.Median(times);
    }

    /// <summary>The 1-minute load average (the machine is shared; every figure is reported next to it).</summary>
    public static string LoadAverage()
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
}

/// <summary>One run of <see cref="SdkLoad.DriveAsync"/>: requests acknowledged within it, their latencies and ids.</summary>
/// <param name="Slice">The slice number.</param>
/// <param name="Requests">Requests acknowledged within the measured window.</param>
/// <param name="Elapsed">The measured window.</param>
/// <param name="LatenciesMs">Their latencies.</param>
/// <param name="Acknowledged">Every acknowledged id (also those that raced a kill).</param>
/// <param name="Errors">Requests that failed before the deadline.</param>
public sealed record SdkRun(int Slice, long Requests, TimeSpan Elapsed, double[] LatenciesMs, string[] Acknowledged, long Errors)
{
    /// <summary>Acknowledged requests per second.</summary>
    public double PerSecond => Requests / Elapsed.TotalSeconds;
}
