using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using static LocalStack.Persistence.AotSmoke.Smoke;

namespace LocalStack.Persistence.AotSmoke;

/// <summary>The checks: each uses a fresh state folder and throws on the first thing that is not as expected.</summary>
internal static class Checks
{
    public static async Task SyncOverridesAsync(string folder)
    {
        using (var store = OpenStore(folder))
        {
            var snapshotter = new ServiceSnapshotter(store);
            var state = new KvState();
            state.Items["bucket"] = "photos";
            var saved = await snapshotter.SaveAsync(state);
            Expect(saved.ServiceName == "kv" && saved.Generation >= 1, $"a saved kv snapshot, got {saved}");

            await snapshotter.ResetAsync(state);
            Expect(state.Items.Count == 0, "no items after the reset");

            var loaded = await snapshotter.LoadAsync(state);
            Expect(loaded?.Generation == saved.Generation, $"generation {saved.Generation} loaded, got {loaded}");
            Expect(state.Items.GetValueOrDefault("bucket") == "photos", "the saved item after the load");
        }

        // A new store on the same folder (a restart) reads the committed snapshot.
        using (var store = OpenStore(folder))
        {
            var state = new KvState();
            await new ServiceSnapshotter(store).LoadAsync(state);
            Expect(state.Items.GetValueOrDefault("bucket") == "photos", "the saved item after a reopen");
        }
    }

    public static async Task AsyncOnlyOverridesAsync(string folder)
    {
        using var store = OpenStore(folder);
        var snapshotter = new ServiceSnapshotter(store);
        var state = new NotesState { Title = "todo", Text = "buy milk" };
        await snapshotter.SaveAsync(state);

        await snapshotter.ResetAsync(state);
        Expect(state.Title.Length == 0 && state.Text.Length == 0, "an empty note after the reset");

        await snapshotter.LoadAsync(state);
        Expect(state.Title == "todo", $"title 'todo' after the load, got '{state.Title}'");
        Expect(state.Text == "buy milk", $"the asset's text after the load, got '{state.Text}'");
    }

    public static async Task AccountRegionProviderAsync(string folder)
    {
        using var store = OpenStore(folder);
        var snapshotter = new ServiceSnapshotter(store);
        var stores = new AccountRegionStore<TopicStore>((_, _) => new TopicStore());
        var state = new TopicState(stores);
        stores["000000000000", "us-east-1"].Topics.Add("orders");
        stores["111111111111", "eu-west-1"].Topics.Add("events");
        await snapshotter.SaveAsync(state);

        await snapshotter.ResetAsync(state);
        Expect(stores.Count == 0, $"no stores after the reset, got {stores.Count}");

        await snapshotter.LoadAsync(state);
        Expect(stores.Count == 2, $"two stores after the load, got {stores.Count}");
        Expect(stores.TryGet("000000000000", "us-east-1", out var east) && east.Topics.SequenceEqual(["orders"]), "topic 'orders' in 000000000000/us-east-1");
        Expect(stores.TryGet("111111111111", "eu-west-1", out var west) && west.Topics.SequenceEqual(["events"]), "topic 'events' in 111111111111/eu-west-1");
    }

    public static async Task SchemaMigrationAsync(string folder)
    {
        using var store = OpenStore(folder);
        var snapshotter = new ServiceSnapshotter(store);
        var v1 = new KvState();
        v1.Items["queue"] = "jobs";
        await snapshotter.SaveAsync(v1);

        var v2 = new KvStateV2();
        await snapshotter.LoadAsync(v2);
        Expect(v2.Items.GetValueOrDefault("queue") == "jobs", "the version 1 item after the migration");
        Expect(v2.Items.GetValueOrDefault("migrated") == "from-v1", "the key the migration step adds");
    }

    public static Task MissingPairRefusedAsync()
    {
        try
        {
            _ = new NoResetState();
        }
        catch (InvalidOperationException e) when (e.Message.Contains("neither Reset() nor ResetAsync", StringComparison.Ordinal))
        {
            Expect(!e.Message.Contains("Capture", StringComparison.Ordinal) && !e.Message.Contains("Restore(", StringComparison.Ordinal),
                $"only the Reset pair named, got: {e.Message}");
            return Task.CompletedTask;
        }

        throw new InvalidOperationException("expected InvalidOperationException naming the Reset pair");
    }

    public static async Task GenericHostAsync(string volume)
    {
        using (var host = BuildHost(volume, loadStrategy: "MANUAL"))
        {
            await host.StartAsync();
            var manager = host.Services.GetRequiredService<ISnapshotManager>();
            var state = host.Services.GetRequiredService<KvState>();
            state.Items["table"] = "users";
            var saved = await manager.SaveAsync("kv");
            Expect(saved.Location.StartsWith(Path.Combine(volume, "state"), StringComparison.Ordinal), $"the snapshot under LOCALSTACK_VOLUME_DIR/state, got {saved.Location}");

            await manager.ResetAsync("kv");
            Expect(state.Items.Count == 0, "no items after the reset");

            await manager.LoadAsync("kv");
            Expect(state.Items.GetValueOrDefault("table") == "users", "the saved item after the load");
            await host.StopAsync();
        }

        // A second host on the same volume loads the snapshot while it starts.
        using (var host = BuildHost(volume, loadStrategy: "ON_STARTUP"))
        {
            await host.StartAsync();
            var state = host.Services.GetRequiredService<KvState>();
            Expect(state.Items.GetValueOrDefault("table") == "users", "the saved item loaded on start-up");
            await host.StopAsync();
        }
    }

    private static IHost BuildHost(string volume, string loadStrategy)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PERSISTENCE"] = "1",
            ["SNAPSHOT_SAVE_STRATEGY"] = "MANUAL",
            ["SNAPSHOT_LOAD_STRATEGY"] = loadStrategy,
            ["LOCALSTACK_VOLUME_DIR"] = volume,
        });
        builder.Services.AddSnapshotPersistence().AddServiceState<KvState>();
        return builder.Build();
    }

    private static FileSystemSnapshotStore OpenStore(string folder)
        => new(new FileSystemSnapshotStoreOptions { StateDirectory = folder });
}
