using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.SQS;

namespace LocalStack.Persistence.SampleEmulator.Tests.Support;

/// <summary>
/// The sample emulator as a real child process (<c>dotnet LocalStack.Persistence.SampleEmulator.dll</c>) on a free
/// loopback port, with its own volume folder; stopped with SIGTERM (graceful) or SIGKILL (crash), restartable on the
/// same folder. Clients are the real AWS SDK clients.
/// </summary>
public sealed class EmulatorProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Stopwatch _sinceLaunch;

    private EmulatorProcess(Process process, int port, string volumeDirectory, DateTimeOffset? clockStart, Stopwatch sinceLaunch)
    {
        _process = process;
        Port = port;
        VolumeDirectory = volumeDirectory;
        ServiceUrl = $"http://127.0.0.1:{port}";
        ClockStart = clockStart;
        _sinceLaunch = sinceLaunch;
    }

    /// <summary>The sample's test-only setting that starts its clock at an ISO-8601 instant (see the sample's <c>SampleClock</c>).</summary>
    public const string ClockStartVariable = "LSP_TEST_CLOCK_START";

    /// <summary>
    /// A clock start for tests that check the emulator's timestamps: one second past what a signed 32-bit Unix time
    /// holds (2038-01-19T03:14:07Z), so those tests also show that no time of the emulator or the SDK wraps in 2038.
    /// </summary>
    public static readonly DateTimeOffset PastYear2038 = DateTimeOffset.FromUnixTimeSeconds((long)int.MaxValue + 1);

    /// <summary>The loopback port the emulator listens on.</summary>
    public int Port { get; }

    /// <summary>The emulator's LOCALSTACK_VOLUME_DIR (state in <c>&lt;volume&gt;/state</c>).</summary>
    public string VolumeDirectory { get; }

    /// <summary><c>http://127.0.0.1:&lt;port&gt;</c>.</summary>
    public string ServiceUrl { get; }

    /// <summary>Everything the emulator printed so far (for assertion messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// The instant the emulator's clock started at (<see cref="ClockStartVariable"/>), or null when it runs on the
    /// system clock.
    /// </summary>
    public DateTimeOffset? ClockStart { get; }

    /// <summary>
    /// The latest time the emulator's clock can show now: its start plus the real time since the process was launched
    /// (the emulator makes its clock after that), so every timestamp it wrote so far lies in
    /// [<see cref="ClockStart"/>, this]. Measured on a monotonic stopwatch: no wall clock, no date.
    /// </summary>
    public DateTimeOffset ClockUpperBound()
        => (ClockStart ?? throw new InvalidOperationException("The emulator runs on the system clock: start it with a clock start.")) + _sinceLaunch.Elapsed;

    /// <summary>Starts the emulator on <paramref name="volumeDirectory"/> and waits until <c>/_localstack/health</c> answers.</summary>
    /// <param name="volumeDirectory">LOCALSTACK_VOLUME_DIR.</param>
    /// <param name="environment">More variables (SNAPSHOT_SAVE_STRATEGY, ...); a null value removes the variable.</param>
    public static Task<EmulatorProcess> StartAsync(string volumeDirectory, IReadOnlyDictionary<string, string?>? environment = null, CancellationToken cancellationToken = default)
        => StartCoreAsync(volumeDirectory, null, environment, cancellationToken);

    /// <summary>
    /// Starts the emulator with its clock (the app's <see cref="TimeProvider"/>) at <paramref name="clockStart"/>,
    /// advancing with real time: whatever today's date, the emulator lives at that instant.
    /// </summary>
    public static Task<EmulatorProcess> StartAsync(string volumeDirectory, DateTimeOffset clockStart, IReadOnlyDictionary<string, string?>? environment = null, CancellationToken cancellationToken = default)
        => StartCoreAsync(volumeDirectory, clockStart, environment, cancellationToken);

    private static async Task<EmulatorProcess> StartCoreAsync(string volumeDirectory, DateTimeOffset? clockStart, IReadOnlyDictionary<string, string?>? environment, CancellationToken cancellationToken)
    {
        var port = FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "LocalStack.Persistence.SampleEmulator.dll");
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
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment.Remove("ASPNETCORE_URLS");
        info.Environment.Remove(ClockStartVariable);
        if (clockStart is { } start)
        {
            info.Environment[ClockStartVariable] = start.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        }

        if (environment is not null)
        {
            foreach (var (name, value) in environment)
            {
                if (value is null)
                {
                    info.Environment.Remove(name);
                }
                else
                {
                    info.Environment[name] = value;
                }
            }
        }

        var sinceLaunch = Stopwatch.StartNew();
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        var emulator = new EmulatorProcess(process, port, volumeDirectory, clockStart, sinceLaunch);
        process.OutputDataReceived += (_, e) => emulator.Append(e.Data);
        process.ErrorDataReceived += (_, e) => emulator.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await emulator.WaitUntilHealthyAsync(cancellationToken);
        }
        catch
        {
            await emulator.DisposeAsync();
            throw;
        }

        return emulator;
    }

    /// <summary>SIGKILL: the process dies at once, no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(); // SIGKILL on Linux
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as docker stop or Ctrl-C would: the host shuts down and the save strategy's final save runs.</summary>
    /// <returns>The exit code.</returns>
    public async Task<int> StopAsync(TimeSpan? timeout = null)
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The emulator did not stop within the timeout after SIGTERM. Output:\n{Output}");
        }

        return _process.ExitCode;
    }

    /// <summary>POSTs to a state endpoint, e.g. <c>/_localstack/state/s3/save</c>, and returns the status and body.</summary>
    public async Task<(HttpStatusCode Status, string Body)> PostAsync(string path, CancellationToken cancellationToken = default)
    {
        using var http = new HttpClient { BaseAddress = new Uri(ServiceUrl), Timeout = TimeSpan.FromMinutes(2) };
        using var response = await http.PostAsync(new Uri(path, UriKind.Relative), null, cancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>Credentials whose access key id is <paramref name="accountId"/> when it is 12 digits (LocalStack's account rule).</summary>
    public static AWSCredentials Credentials(string accessKeyId = "test") => new BasicAWSCredentials(accessKeyId, "test");

    public AmazonS3Client CreateS3Client(string accessKeyId = "test", string region = "us-east-1", bool forcePathStyle = true)
        => new(Credentials(accessKeyId), new AmazonS3Config { ServiceURL = ServiceUrl, ForcePathStyle = forcePathStyle, AuthenticationRegion = region, MaxErrorRetry = 0 });

    public AmazonSQSClient CreateSqsClient(string accessKeyId = "test", string region = "us-east-1")
        => new(Credentials(accessKeyId), new AmazonSQSConfig { ServiceURL = ServiceUrl, AuthenticationRegion = region, MaxErrorRetry = 0 });

    public AmazonDynamoDBClient CreateDynamoDbClient(string accessKeyId = "test", string region = "us-east-1")
        => new(Credentials(accessKeyId), new AmazonDynamoDBConfig { ServiceURL = ServiceUrl, AuthenticationRegion = region, MaxErrorRetry = 0 });

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

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
            _output.AppendLine(line);
        }
    }

    private async Task WaitUntilHealthyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = new Uri(ServiceUrl), Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The emulator exited with code {_process.ExitCode} before it was ready. Output:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri("/_localstack/health", UriKind.Relative), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Slow first answer.
            }

            // A real child process needs real time to start; polling is the only way to see it ready.
            await Task.Delay(100, cancellationToken);
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
