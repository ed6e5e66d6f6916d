using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using LocalStack.Persistence.AspNetCore;
using LocalStack.Persistence.AspNetCore.Aws;
using LocalStack.Persistence.SampleEmulator.Aws;
using LocalStack.Persistence.SampleEmulator.S3;
using LocalStack.Persistence.SampleEmulator.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LocalStack.Persistence.SampleEmulator.Tests.S3;

/// <summary>
/// The sample's S3 service hosted in the test process (as Program.cs wires it, S3 only, MANUAL saves) on a free
/// loopback port, so that a test can read the live <see cref="S3Store"/> next to what real SDK clients see.
/// </summary>
internal sealed class InProcessS3Emulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _http;

    private InProcessS3Emulator(WebApplication app, string url)
    {
        _app = app;
        ServiceUrl = url;
        _http = new HttpClient { BaseAddress = new Uri(url) };
    }

    public string ServiceUrl { get; }

    public S3Store Store => _app.Services.GetRequiredService<S3Store>();

    public static async Task<InProcessS3Emulator> StartAsync(string volume, TimeProvider clock)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PERSISTENCE"] = "1",
            ["LOCALSTACK_VOLUME_DIR"] = volume,
            ["SNAPSHOT_SAVE_STRATEGY"] = "MANUAL",
            ["SNAPSHOT_LOAD_STRATEGY"] = "ON_STARTUP",
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = null);
        builder.Services.AddSingleton(clock);
        builder.Services.AddSingleton<AwsGateway>();
        builder.Services.AddSingleton<WorkingDirectories>();
        builder.Services.AddSnapshotPersistence()
            .AddS3()
            .UseServiceRequestResolver(_ => new S3UploadRequestResolver(new AwsServiceRequestResolver(S3Module.ServiceName)));
        var app = builder.Build();
        app.UseSnapshotPersistence();
        app.MapSnapshotEndpoints();
        app.Map("/{**path}", (HttpContext http, AwsGateway gateway) => gateway.HandleAsync(http));
        await app.StartAsync();
        return new InProcessS3Emulator(app, app.Urls.Single());
    }

    public AmazonS3Client CreateClient(string accessKeyId = "test")
        => new(EmulatorProcess.Credentials(accessKeyId), new AmazonS3Config { ServiceURL = ServiceUrl, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });

    /// <summary>POST /_localstack/state/s3/&lt;action&gt; (save, load, reset); fails the test unless it answers 200.</summary>
    public async Task StateAsync(string action)
    {
        using var response = await _http.PostAsync($"/_localstack/state/s3/{action}", content: null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"{action}: {body}");
    }

    /// <summary>
    /// The whole live state: the store's document (buckets, objects, uploads, parts, with their file names) and the
    /// SHA-256 of every file it references.
    /// </summary>
    public string Describe()
    {
        S3StateDocument document;
        lock (Store.Sync)
        {
            document = Store.ToDocument();
        }

        var text = new StringBuilder(JsonSerializer.Serialize(document, S3JsonContext.Default.S3StateDocument));
        var files = document.Accounts.SelectMany(a => a.Buckets)
            .SelectMany(b => b.Objects.Select(o => o.File).Concat(b.Uploads.SelectMany(u => u.Parts.Select(p => p.File))))
            .Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            text.Append('\n').Append(file).Append(' ').Append(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Store.PathOf(file)))));
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
