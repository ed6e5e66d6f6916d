using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.SQS;
using LocalStack.Persistence.AspNetCore;
using LocalStack.Persistence.SampleEmulator.Aws;
using LocalStack.Persistence.SampleEmulator.Sqs;
using LocalStack.Persistence.SampleEmulator.Tests.Support;
using LocalStack.Persistence.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace LocalStack.Persistence.SampleEmulator.Tests.Sqs.Keyed;

/// <summary>
/// The sample's SQS service in this process, as Program.cs wires it (persistence middleware, state endpoints, gateway),
/// on real Kestrel at a free loopback port, on a clock the test moves: so a test can read the live state
/// (<see cref="Backend"/>) and compare it with what a fresh load of the volume gives, which a child process hides.
/// </summary>
internal sealed class InProcessSqs : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessSqs(WebApplication app, string volume, FakeTimeProvider clock)
    {
        _app = app;
        Volume = volume;
        Clock = clock;
        ServiceUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
    }

    public string Volume { get; }

    public FakeTimeProvider Clock { get; }

    public string ServiceUrl { get; }

    public SqsBackend Backend => _app.Services.GetRequiredService<SqsBackend>();

    public static async Task<InProcessSqs> StartAsync(string volume, FakeTimeProvider clock)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PERSISTENCE"] = "1",
            ["LOCALSTACK_VOLUME_DIR"] = volume,
            ["SNAPSHOT_SAVE_STRATEGY"] = "MANUAL",
            ["SNAPSHOT_LOAD_STRATEGY"] = "ON_STARTUP",
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddSingleton<AwsGateway>();
        builder.Services.AddSnapshotPersistence().AddSqs().UseAwsServiceRequestResolver();
        var app = builder.Build();
        app.UseSnapshotPersistence();
        app.MapSnapshotEndpoints();
        app.Map("/{**path}", (HttpContext http, AwsGateway gateway) => gateway.HandleAsync(http));
        await app.StartAsync();
        return new InProcessSqs(app, volume, clock);
    }

    public AmazonSQSClient CreateClient(string accessKeyId, string region)
        => new(EmulatorProcess.Credentials(accessKeyId), new AmazonSQSConfig { ServiceURL = ServiceUrl, AuthenticationRegion = region, MaxErrorRetry = 0 });

    /// <summary>POST /_localstack/state/sqs/save; anything but 200 fails the test.</summary>
    public async Task SaveAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri(ServiceUrl) };
        using var response = await http.PostAsync(new Uri("/_localstack/state/sqs/save", UriKind.Relative), null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
    }

    /// <summary>The live state's document, canonical (<see cref="Canonical"/>). Call when no request is running.</summary>
    public string LiveDocument() => Canonical(Backend);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>
    /// The state's whole JSON document (the form of snapshots before the state was keyed), canonical: object members
    /// sorted (dictionary order is not state), array order kept (message order is), and the stores of an account and
    /// region that hold no queue dropped (a store is created on first use; an empty one is no state).
    /// </summary>
    public static string Canonical(SqsBackend backend)
    {
        var node = JsonNode.Parse(JsonSerializer.SerializeToUtf8Bytes(backend.Stores, SqsStateProvider.Document))!.AsObject();
        foreach (var (account, regions) in node.ToList())
        {
            foreach (var (region, store) in regions!.AsObject().ToList())
            {
                if (store!["queues"]!.AsObject().Count == 0)
                {
                    regions.AsObject().Remove(region);
                }
            }

            if (regions.AsObject().Count == 0)
            {
                node.Remove(account);
            }
        }

        return Sorted(node)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>
    /// The state a new provider loads from a copy of the volume's state folder (the emulator holds the folder's lock;
    /// a copy reads the same committed files).
    /// </summary>
    public static async Task<SqsBackend> LoadCopyAsync(string volume, string stateFolder = "state")
    {
        using var copy = new TempDirectory();
        CopyFolder(Path.Combine(volume, stateFolder), copy.Path);
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = copy.Path });
        var backend = new SqsBackend(new FakeTimeProvider());
        await new ServiceSnapshotter(store).LoadAsync(new SqsStateProvider(backend));
        return backend;
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            if (Path.GetFileName(file) != ".lock")
            {
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
            }
        }

        foreach (var folder in Directory.GetDirectories(from))
        {
            CopyFolder(folder, Path.Combine(to, Path.GetFileName(folder)));
        }
    }

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value?.DeepClone())))),
        JsonArray a => new JsonArray([.. a.Select(e => Sorted(e?.DeepClone()))]),
        _ => node?.DeepClone(),
    };
}
