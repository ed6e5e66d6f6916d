using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LocalStack.Persistence.Tests.Hosting;

/// <summary>Real hosts for the tests: no environment variables or appsettings, only the given in-memory configuration.</summary>
internal static class TestHosts
{
    public static HostApplicationBuilder CreateBuilder(IEnumerable<KeyValuePair<string, string?>>? configuration = null, CapturingLoggerProvider? logs = null)
    {
        // DisableDefaults: the machine's own PERSISTENCE or LOCALSTACK_VOLUME_DIR must not leak into a test.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(configuration ?? []);
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
        }

        return builder;
    }

    /// <summary>Configuration that turns persistence on in <paramref name="stateDirectory"/>.</summary>
    public static Dictionary<string, string?> Enabled(string stateDirectory, string saveStrategy = "SCHEDULED", string loadStrategy = "ON_REQUEST")
        => new()
        {
            ["PERSISTENCE"] = "1",
            ["SNAPSHOT_SAVE_STRATEGY"] = saveStrategy,
            ["SNAPSHOT_LOAD_STRATEGY"] = loadStrategy,
            ["SnapshotPersistence:StateDirectory"] = stateDirectory,
        };

    public static async Task DisposeAsync(IHost host)
    {
        if (host is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync();
        }
        else
        {
            host.Dispose();
        }
    }

    /// <summary>Writes a snapshot of <paramref name="provider"/> as a previous run would have, and releases the folder.</summary>
    public static async Task SeedAsync(string stateDirectory, IServiceStateProvider provider)
    {
        var store = TestStores.Create(stateDirectory);
        try
        {
            await new ServiceSnapshotter(store).SaveAsync(provider);
        }
        finally
        {
            TestStores.Release(store);
        }
    }

    /// <summary>Reads a service's stored value with a fresh store, as the next run would; null when there is no snapshot.</summary>
    public static async Task<string?> ReadStoredAsync<TState>(string stateDirectory)
        where TState : TextState, new()
    {
        var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = stateDirectory });
        try
        {
            var state = new TState();
            var metadata = await new ServiceSnapshotter(store).LoadAsync(state);
            return metadata is null ? null : state.Value;
        }
        finally
        {
            store.Dispose();
        }
    }
}
