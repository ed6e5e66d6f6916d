using System.Collections.Concurrent;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.S3;

/// <summary>Fixtures of S3 operations: one shared emulator process, every test uses its own bucket.</summary>
public abstract class S3TestBase
{
    private int _buckets;

    /// <summary>The emulator all S3 fixtures share (started once by <see cref="SharedS3Emulator"/>).</summary>
    protected static EmulatorProcess Emulator => SharedS3Emulator.Instance;

    protected AmazonS3Client S3 { get; private set; } = null!;

    /// <summary>Requests the <see cref="S3"/> client sent, with their headers (to prove which wire format a test exercised).</summary>
    protected RecordingHttpClientFactory Recorder { get; } = new();

    [OneTimeSetUp]
    public void CreateS3Client() => S3 = CreateClient();

    [OneTimeTearDown]
    public void DisposeS3Client() => S3?.Dispose();

    protected AmazonS3Client CreateClient(Action<AmazonS3Config>? configure = null, string accessKeyId = "test")
    {
        var config = new AmazonS3Config
        {
            ServiceURL = Emulator.ServiceUrl,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 0,
            HttpClientFactory = Recorder,
        };
        configure?.Invoke(config);
        return new AmazonS3Client(EmulatorProcess.Credentials(accessKeyId), config);
    }

    protected async Task<string> NewBucketAsync(AmazonS3Client? client = null)
    {
        var name = $"{GetType().Name.ToLowerInvariant()}-{Interlocked.Increment(ref _buckets)}-{Guid.NewGuid().ToString("N")[..8]}";
        await (client ?? S3).PutBucketAsync(new PutBucketRequest { BucketName = name });
        return name;
    }

    protected static byte[] RandomBytes(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    protected static string QuotedMd5(byte[] data) => "\"" + Convert.ToHexStringLower(Md5(data)) + "\"";

    /// <summary>MD5, as S3 defines ETags and Content-MD5 with it.</summary>
    protected static byte[] Md5(ReadOnlySpan<byte> data)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        md5.AppendData(data);
        return md5.GetHashAndReset();
    }

    protected async Task<byte[]> GetBytesAsync(string bucket, string key, AmazonS3Client? client = null)
    {
        using var response = await (client ?? S3).GetObjectAsync(bucket, key);
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    /// <summary>A digest of large byte arrays: NUnit's element-wise comparison of megabytes takes seconds.</summary>
    protected internal static string Digest(byte[] data) => $"{data.Length} bytes, sha256 {Convert.ToHexStringLower(SHA256.HashData(data))}";

    protected static HttpClient RawClient() => new() { BaseAddress = new Uri(Emulator.ServiceUrl) };

    protected internal static async Task<AmazonS3Exception> ThrowsS3Async(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (AmazonS3Exception e)
        {
            return e;
        }

        Assert.Fail("Expected an AmazonS3Exception.");
        throw new InvalidOperationException();
    }
}

/// <summary>Starts one emulator for the S3 operation fixtures of this namespace (process starts dominate test time).</summary>
[SetUpFixture]
public sealed class SharedS3Emulator
{
    private static EmulatorProcess? _instance;
    private string? _volume;

    public static EmulatorProcess Instance => _instance ?? throw new InvalidOperationException("The shared S3 emulator is not running.");

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _volume = Directory.CreateTempSubdirectory("lsp-s3-").FullName;
        _instance = await EmulatorProcess.StartAsync(_volume);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_instance is not null)
        {
            await _instance.DisposeAsync();
            _instance = null;
        }

        if (_volume is not null)
        {
            try
            {
                Directory.Delete(_volume, recursive: true);
            }
            catch (IOException)
            {
                // best effort
            }
        }
    }
}

/// <summary>Lets the tests see the headers the real SDK put on the wire.</summary>
public sealed class RecordingHttpClientFactory : HttpClientFactory
{
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new Recording(this, new SocketsHttpHandler()));

    public RecordedRequest Last(HttpMethod method, string pathEnd)
        => Requests.Reverse().First(r => r.Method == method && r.Path.EndsWith(pathEnd, StringComparison.Ordinal));

    private sealed class Recording(RecordingHttpClientFactory owner, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, values) in request.Headers)
            {
                headers[name] = string.Join(",", values);
            }

            if (request.Content is not null)
            {
                foreach (var (name, values) in request.Content.Headers)
                {
                    headers[name] = string.Join(",", values);
                }
            }

            owner.Requests.Enqueue(new RecordedRequest(request.Method, request.RequestUri!.AbsolutePath, headers));
            return base.SendAsync(request, cancellationToken);
        }
    }
}

public sealed record RecordedRequest(HttpMethod Method, string Path, IReadOnlyDictionary<string, string> Headers)
{
    public string Header(string name) => Headers.TryGetValue(name, out var value) ? value : string.Empty;
}
