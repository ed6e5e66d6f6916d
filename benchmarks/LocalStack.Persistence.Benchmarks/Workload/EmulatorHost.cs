using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.SQS;

namespace LocalStack.Persistence.Benchmarks.Workload;

/// <summary>
/// The sample emulator as a real child process (<c>dotnet LocalStack.Persistence.SampleEmulator.dll</c>, copied next to
/// the benchmarks by the project reference) on a free loopback port with its own volume folder. Stopped with SIGTERM, or
/// SIGKILL for a crash; restartable on the same volume with another save strategy.
/// </summary>
public sealed class EmulatorHost : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private const int KeptOutputLines = 200;
    private readonly Process _process;
    private readonly Queue<string> _output = new();

    private EmulatorHost(Process process, int port, string volumeDirectory, string saveStrategy)
    {
        _process = process;
        VolumeDirectory = volumeDirectory;
        SaveStrategy = saveStrategy;
        ServiceUrl = $"http://127.0.0.1:{port}";
        Http = new HttpClient { BaseAddress = new Uri(ServiceUrl), Timeout = TimeSpan.FromMinutes(2) };
    }

    /// <summary>The emulator's LOCALSTACK_VOLUME_DIR.</summary>
    public string VolumeDirectory { get; }

    /// <summary>SNAPSHOT_SAVE_STRATEGY of this process.</summary>
    public string SaveStrategy { get; }

    /// <summary><c>http://127.0.0.1:&lt;port&gt;</c>.</summary>
    public string ServiceUrl { get; }

    /// <summary>A client for the state endpoints.</summary>
    public HttpClient Http { get; }

    /// <summary>The last lines the emulator printed (for error messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join(Environment.NewLine, _output);
            }
        }
    }

    /// <summary>Starts the emulator on <paramref name="volumeDirectory"/> and waits until <c>/_localstack/health</c> answers.</summary>
    /// <param name="volumeDirectory">LOCALSTACK_VOLUME_DIR (state in <c>&lt;volume&gt;/state</c>).</param>
    /// <param name="saveStrategy">SNAPSHOT_SAVE_STRATEGY: MANUAL, ON_REQUEST, ...</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public static async Task<EmulatorHost> StartAsync(string volumeDirectory, string saveStrategy, CancellationToken cancellationToken = default)
    {
        var port = FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "LocalStack.Persistence.SampleEmulator.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException("The sample emulator is not next to the benchmarks (project reference missing?).", dll);
        }

        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(dll);
        info.Environment["GATEWAY_LISTEN"] = $"127.0.0.1:{port}";
        info.Environment["LOCALSTACK_VOLUME_DIR"] = volumeDirectory;
        info.Environment["PERSISTENCE"] = "1";
        info.Environment["SNAPSHOT_SAVE_STRATEGY"] = saveStrategy;
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        // Console logging is synchronous work in the emulator; only warnings matter here.
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment.Remove("ASPNETCORE_URLS");
        // Fully optimized code from the first request: with tiered compilation, on 2 shared cores under a load of 20-30,
        // the emulators ran tier-0 code for about a minute and the serial (d) baseline, whose every hop is that code,
        // was measured 3-5× slower than in steady state. Quick mode (a smoke test) keeps the faster tiered start.
        if (!BenchSettings.Quick)
        {
            info.Environment["DOTNET_TieredCompilation"] = "0";
        }
        // The benchmarks run with quick mode in the environment; the emulator has no use for it.
        info.Environment.Remove(BenchSettings.QuickVariable);

        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        var host = new EmulatorHost(process, port, volumeDirectory, saveStrategy);
        process.OutputDataReceived += (_, e) => host.Append(e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await host.WaitUntilHealthyAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return host;
    }

    /// <summary>An SQS client of the real AWS SDK, no retries (a failed request must show).</summary>
    public AmazonSQSClient CreateSqsClient() => new(
        new BasicAWSCredentials("test", "test"),
        new AmazonSQSConfig { ServiceURL = ServiceUrl, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0, Timeout = TimeSpan.FromMinutes(2) });

    /// <summary>A DynamoDB client of the real AWS SDK, no retries.</summary>
    public AmazonDynamoDBClient CreateDynamoDbClient() => new(
        new BasicAWSCredentials("test", "test"),
        new AmazonDynamoDBConfig { ServiceURL = ServiceUrl, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0, Timeout = TimeSpan.FromMinutes(2) });

    /// <summary>An S3 client of the real AWS SDK (path-style addressing), no retries.</summary>
    public AmazonS3Client CreateS3Client() => new(
        new BasicAWSCredentials("test", "test"),
        new AmazonS3Config { ServiceURL = ServiceUrl, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0, Timeout = TimeSpan.FromMinutes(2) });

    /// <summary>
    /// The bytes the emulator process has passed to <c>write</c>-family system calls so far (<c>wchar</c> of
    /// <c>/proc/&lt;pid&gt;/io</c>, Linux only): files and sockets alike, whether or not they reached the disk yet.
    /// </summary>
    public long WrittenBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id.ToString(CultureInfo.InvariantCulture)}/io"))
        {
            if (line.StartsWith("wchar:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim(), CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("/proc/<pid>/io has no wchar line.");
    }

    /// <summary>POSTs to a state endpoint, e.g. <c>/_localstack/state/sqs/save</c>; returns the status code.</summary>
    public async Task<HttpStatusCode> PostAsync(string path, CancellationToken cancellationToken = default)
    {
        using var response = await Http.PostAsync(new Uri(path, UriKind.Relative), null, cancellationToken).ConfigureAwait(false);
        return response.StatusCode;
    }

    /// <summary>The generation and stored size of <paramref name="service"/> from <c>GET /_localstack/state</c>.</summary>
    public async Task<(long Generation, long StoredSize)> GetServiceStatusAsync(string service, CancellationToken cancellationToken = default)
    {
        using var response = await Http.GetAsync(new Uri("/_localstack/state", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            using var json = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var line in json.RootElement.GetProperty("services").EnumerateArray())
            {
                if (line.GetProperty("service").GetString() == service)
                {
                    return (line.GetProperty("generation").GetInt64(), line.GetProperty("storedSize").GetInt64());
                }
            }
        }

        throw new InvalidOperationException($"GET /_localstack/state has no service '{service}'.");
    }

    /// <summary>SIGKILL: the process dies at once, no shutdown code runs (a crash).</summary>
    public async Task KillAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(); // SIGKILL on Linux
            }
        }
        catch (InvalidOperationException)
        {
            // Already reaped.
        }

        await _process.WaitForExitAsync().ConfigureAwait(false);
    }

    /// <summary>SIGTERM, as <c>docker stop</c> would: the host shuts down gracefully. Returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync().ConfigureAwait(false);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The emulator did not stop within 60 s after SIGTERM. Output:\n{Output}");
        }

        return _process.ExitCode;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await KillAsync().ConfigureAwait(false);
        Http.Dispose();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            while (_output.Count > KeptOutputLines)
            {
                _output.Dequeue();
            }
        }
    }

    private async Task WaitUntilHealthyAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartTimeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The emulator exited with code {_process.ExitCode} before it was ready. Output:\n{Output}");
            }

            try
            {
                using var probe = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                probe.CancelAfter(TimeSpan.FromSeconds(5));
                using var response = await Http.GetAsync(new Uri("/_localstack/health", UriKind.Relative), probe.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Slow first answer.
            }

            // A child process needs real time to start; polling is the only way to see it ready.
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException($"The emulator was not healthy within {StartTimeout}. Output:\n{Output}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
