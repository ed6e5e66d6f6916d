using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LocalStack.Persistence.Benchmarks.Workload;

namespace LocalStack.Persistence.Benchmarks.Scenarios;

/// <summary>
/// Slow clients (issue 12): the latency of other S3 requests (an ON_REQUEST PUT, a GET and a ListObjectsV2 on another
/// bucket, in turn) while ten clients dribble 12 KiB uploads at 1 KiB/s, against the same requests with no uploads
/// (the baseline, same emulator, same run). Before the bodies were received outside the gate the p99 was 11 s.
/// </summary>
public static class SlowClientsScenario
{
    private const int Dribblers = 10;
    private const int ChunkBytes = 1024;

    /// <summary>Runs the scenario and adds its figures to <paramref name="report"/>.</summary>
    /// <param name="report">The summary.</param>
    /// <returns>A task that completes when the scenario has run.</returns>
    public static async Task RunAsync(Report report)
    {
        ArgumentNullException.ThrowIfNull(report);
        Console.WriteLine();
        Console.WriteLine("== slow clients: other S3 requests while ten clients dribble their upload bodies (ON_REQUEST) ==");
        var uploadBytes = BenchSettings.Quick ? 3 * ChunkBytes : 12 * ChunkBytes;
        using var volume = new TempFolder("slow-clients");
        await using var emulator = await EmulatorHost.StartAsync(volume.Path, "ON_REQUEST").ConfigureAwait(false);
        var http = emulator.Http;
        foreach (var bucket in new[] { "slow", "other" })
        {
            (await http.PutAsync(new Uri($"/{bucket}", UriKind.Relative), null).ConfigureAwait(false)).EnsureSuccessStatusCode();
        }

        (await http.PutAsync(new Uri("/other/seen", UriKind.Relative), new StringContent("seen")).ConfigureAwait(false)).EnsureSuccessStatusCode();

        // Baseline: the same requests for as many rounds, nobody uploading.
        var idle = new List<double>();
        for (var round = 0; round < 60; round++)
        {
            idle.Add(await TimeOneAsync(http, round).ConfigureAwait(false));
        }

        var dribbling = Enumerable.Range(0, Dribblers).Select(i => DribbleAsync(new Uri(emulator.ServiceUrl), $"/slow/dribbled-{i}", uploadBytes)).ToArray();
        var all = Task.WhenAll(dribbling);
        var busy = new List<double>();
        for (var round = 0; !all.IsCompleted; round++)
        {
            busy.Add(await TimeOneAsync(http, round).ConfigureAwait(false));
        }

        var statuses = await all.ConfigureAwait(false);
        busy.Sort();
        var (idle50, idle99, busy50, busy99) = (Stats.Quantile(idle, 0.50), Stats.Quantile(idle, 0.99), Stats.Quantile(busy, 0.50), Stats.Quantile(busy, 0.99));
        report.Info($"slow clients: {Dribblers} uploads of {uploadBytes / 1024} KiB at 1 KiB/s answered {string.Join(',', statuses.Distinct())}; other requests: idle n={idle.Count} p50 {Report.F(idle50, "0.0")} ms p99 {Report.F(idle99, "0.0")} ms, during n={busy.Count} p50 {Report.F(busy50, "0.0")} ms p99 {Report.F(busy99, "0.0")} ms, max {Report.F(busy[^1], "0.0")} ms");
        report.Target(
            "slow clients: p99 of other requests ≪ 1 s while 10 dribble",
            $"{Report.F(busy99, "0.0")} ms (idle {Report.F(idle99, "0.0")} ms, {Report.F(busy99 / Math.Max(idle99, 0.001), "0.0")}×)",
            busy99 < 1000 && statuses.All(s => s == 200));
    }

    private static async Task<double> TimeOneAsync(HttpClient http, int round)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = (round % 3) switch
        {
            0 => await http.PutAsync(new Uri($"/other/small-{round}", UriKind.Relative), new StringContent("small")).ConfigureAwait(false),
            1 => await http.GetAsync(new Uri("/other/seen", UriKind.Relative)).ConfigureAwait(false),
            _ => await http.GetAsync(new Uri("/other?list-type=2", UriKind.Relative)).ConfigureAwait(false),
        };
        response.EnsureSuccessStatusCode();
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    /// <summary>A PUT whose body arrives 1 KiB a second, on its own connection; returns the status code.</summary>
    private static async Task<int> DribbleAsync(Uri server, string path, int length)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port).ConfigureAwait(false);
        await using var stream = tcp.GetStream();
        var head = $"PUT {path} HTTP/1.1\r\nHost: {server.Host}:{server.Port}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head)).ConfigureAwait(false);
        var chunk = new byte[ChunkBytes];
        Random.Shared.NextBytes(chunk);
        for (var sent = 0; sent < length; sent += ChunkBytes)
        {
            await stream.WriteAsync(chunk.AsMemory(0, Math.Min(ChunkBytes, length - sent))).ConfigureAwait(false);
            await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false); // the client's pace, not a synchronization
        }

        using var reader = new StreamReader(stream, Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync().ConfigureAwait(false) ?? string.Empty;
        var parts = statusLine.Split(' ');
        return parts.Length > 1 && int.TryParse(parts[1], out var status) ? status : (int)HttpStatusCode.BadGateway;
    }
}
