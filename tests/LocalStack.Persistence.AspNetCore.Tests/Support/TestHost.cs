using LocalStack.Persistence.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LocalStack.Persistence.AspNetCore.Tests.Support;

/// <summary>
/// A real Kestrel server on a free loopback port with real persistence (AddSnapshotPersistence, the file-system store on
/// a temp folder) and a real <see cref="HttpClient"/>. Defaults: persistence on, MANUAL save, ON_REQUEST load.
/// </summary>
internal sealed class TestHost : IAsyncDisposable
{
    /// <summary>Bounds every wait of a test, so that a bug shows as a failure rather than a hang.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly TempDirectory _directory;

    private TestHost(WebApplication app, TempDirectory directory, Uri address)
    {
        App = app;
        _directory = directory;
        Client = new HttpClient { BaseAddress = address, Timeout = Patience };
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public string StateDirectory => _directory.Path;

    public ISnapshotManager Manager => App.Services.GetRequiredService<ISnapshotManager>();

    public static async Task<TestHost> StartAsync(
        IEnumerable<IServiceStateProvider> providers,
        Action<WebApplication> configureApp,
        Action<SnapshotPersistenceOptions>? configureOptions = null,
        Action<WebApplicationBuilder, SnapshotPersistenceBuilder>? configureServices = null)
    {
        var directory = new TempDirectory();
        try
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var persistence = builder.Services.AddSnapshotPersistence(options =>
            {
                options.Enabled = true;
                options.StateDirectory = directory.Path;
                options.SaveStrategy = SnapshotSaveStrategy.Manual;
                options.LoadStrategy = SnapshotLoadStrategy.OnRequest;
                configureOptions?.Invoke(options);
            });
            foreach (var provider in providers)
            {
                builder.Services.AddSingleton(provider);
            }

            configureServices?.Invoke(builder, persistence);
            var app = builder.Build();
            configureApp(app);
            await app.StartAsync().WaitAsync(Patience);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new TestHost(app, directory, new Uri(address));
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    /// <summary>Where the store keeps a service's snapshot.</summary>
    public string SnapshotPath(string serviceName) => Path.Combine(StateDirectory, "api_states", serviceName, "store.state");

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync().WaitAsync(Patience);
        await App.DisposeAsync().AsTask().WaitAsync(Patience);
        _directory.Dispose();
    }
}
