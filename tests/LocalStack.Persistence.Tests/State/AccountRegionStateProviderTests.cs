using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Tests.State;

public sealed class AccountRegionStateProviderTests : StoreTestBase
{
    // Captured from the hand-written provider (HandWrittenQueueProvider below) before AccountRegionStateProvider existed:
    // the helper must write the same bytes, so snapshots written either way load either way.
    private const string HandWrittenPayload =
        """{"000000000000":{"eu-west-1":{"queues":["b1","b\u003C2\u003E\u00E9\u0022"]},"us-east-1":{"queues":["a"]}},"222222222222":{"us-east-1":{"queues":["c"]}}}""";

    [Test]
    public async Task The_payload_is_the_json_the_hand_written_provider_writes()
    {
        var helper = new QueueProvider();
        Fill(helper.Live);
        await Snapshotter.SaveAsync(helper);
        var written = await ReadPayloadAsync();

        var handWritten = new HandWrittenQueueProvider();
        Fill(handWritten.Stores);
        await Snapshotter.SaveAsync(handWritten);

        Assert.That(written, Is.EqualTo(HandWrittenPayload));
        Assert.That(await ReadPayloadAsync(), Is.EqualTo(HandWrittenPayload));
    }

    [Test]
    public async Task Stores_round_trip_into_the_live_store_which_keeps_its_factory()
    {
        var saved = new QueueProvider();
        Fill(saved.Live);
        await Snapshotter.SaveAsync(saved);

        var loaded = new QueueProvider(factoryQueue: "created-after-load");
        var live = loaded.Live;
        var before = live.GetOrCreate("111111111111", "ap-south-1");
        Assert.That(await Snapshotter.LoadAsync(loaded), Is.Not.Null);

        Assert.That(loaded.Live, Is.SameAs(live), "the live object stays; its contents are replaced");
        Assert.That(Describe(live), Is.EqualTo(Describe(saved.Live)));
        Assert.That(loaded.Discarded, Is.EqualTo(new[] { ("111111111111", "ap-south-1", before) }));
        Assert.That(live["333333333333", "us-west-2"].Queues, Is.EqualTo(new[] { "created-after-load" }));
    }

    [Test]
    public async Task A_reset_empties_the_live_store_and_discards_every_store()
    {
        var provider = new QueueProvider();
        Fill(provider.Live);
        var stores = provider.Live.Select(e => (e.AccountId, e.Region, e.Store)).ToArray();

        await Snapshotter.ResetAsync(provider);

        Assert.That(provider.Live.Count, Is.Zero);
        Assert.That(provider.Discarded, Is.EqualTo(stores));
    }

    [Test]
    public async Task A_snapshot_written_by_the_hand_written_provider_loads()
    {
        var handWritten = new HandWrittenQueueProvider();
        Fill(handWritten.Stores);
        await Snapshotter.SaveAsync(handWritten);

        var loaded = new QueueProvider();
        await Snapshotter.LoadAsync(loaded);
        Assert.That(Describe(loaded.Live), Is.EqualTo(Describe(handWritten.Stores)));
    }

    [Test]
    public async Task An_invalid_account_id_is_refused_and_the_live_store_is_unchanged()
    {
        await Store.WriteAsync(new SnapshotWriteRequest("queues", SchemaVersion: 1, Generation: 1), async (destination, ct) =>
            await destination.WriteAsync("""{"00000000000x":{"us-east-1":{"queues":[]}}}"""u8.ToArray(), ct));

        var provider = new QueueProvider();
        provider.Live["000000000000", "us-east-1"].Queues.Add("kept");
        await Assert.ThatAsync(async () => await Snapshotter.LoadAsync(provider), Throws.InstanceOf<SnapshotCorruptException>().With.Message.Contains("00000000000x"));

        Assert.That(Describe(provider.Live), Is.EqualTo(new[] { "000000000000/us-east-1/kept" }));
        Assert.That(provider.Discarded, Is.Empty);
    }

    [Test]
    public void A_null_store_or_store_metadata_is_refused()
    {
        Assert.That(() => new NullArgumentProvider(null!, QueueStoreOnlyJsonContext.Default.QueueStore), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("stores"));
        Assert.That(() => new NullArgumentProvider(new((_, _) => new QueueStore()), null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("storeTypeInfo"));
    }

    private static void Fill(AccountRegionStore<QueueStore> stores)
    {
        stores["222222222222", "us-east-1"].Queues.Add("c");
        stores["000000000000", "us-east-1"].Queues.Add("a");
        stores["000000000000", "eu-west-1"].Queues.AddRange(["b1", "b<2>é\""]);
    }

    private static string[] Describe(AccountRegionStore<QueueStore> stores)
        => [.. stores.Select(e => $"{e.AccountId}/{e.Region}/{string.Join(',', e.Store.Queues)}")];

    private async Task<string> ReadPayloadAsync()
    {
        await using var reader = await Store.OpenReadAsync("queues");
        using var text = new StreamReader(reader!.Payload);
        return await text.ReadToEndAsync();
    }

    /// <summary>The helper's way: a few lines, and a context that declares only the per-account-region store.</summary>
    private sealed class QueueProvider(string? factoryQueue = null) : AccountRegionStateProvider<QueueStore>(
        "queues",
        new AccountRegionStore<QueueStore>((_, _) => new QueueStore { Queues = factoryQueue is null ? [] : [factoryQueue] }),
        QueueStoreOnlyJsonContext.Default.QueueStore)
    {
        public AccountRegionStore<QueueStore> Live => Stores;

        public List<(string AccountId, string Region, QueueStore Store)> Discarded { get; } = [];

        protected override void OnStoreDiscarded(AccountRegionEntry<QueueStore> entry) => Discarded.Add((entry.AccountId, entry.Region, entry.Store));
    }

    private sealed class NullArgumentProvider(AccountRegionStore<QueueStore> stores, JsonTypeInfo<QueueStore> storeTypeInfo)
        : AccountRegionStateProvider<QueueStore>("queues", stores, storeTypeInfo);

    /// <summary>The way before the helper: options copied with the converter added, the state's metadata taken from them.</summary>
    private sealed class HandWrittenQueueProvider() : JsonServiceStateProvider<AccountRegionStore<QueueStore>>("queues", CreateTypeInfo())
    {
        public AccountRegionStore<QueueStore> Stores { get; } = new((_, _) => new QueueStore());

        protected override AccountRegionStore<QueueStore> Capture() => Stores;

        protected override void Restore(AccountRegionStore<QueueStore> state) => Stores.ReplaceAll(state);

        protected override void Reset() => Stores.Reset();

        private static JsonTypeInfo<AccountRegionStore<QueueStore>> CreateTypeInfo()
        {
            var options = new JsonSerializerOptions(StateTestJsonContext.Default.Options)
            {
                Converters = { new AccountRegionStoreJsonConverter<QueueStore>((_, _) => new QueueStore(), StateTestJsonContext.Default.QueueStore) },
            };
            return (JsonTypeInfo<AccountRegionStore<QueueStore>>)options.GetTypeInfo(typeof(AccountRegionStore<QueueStore>));
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(QueueStore))]
internal sealed partial class QueueStoreOnlyJsonContext : JsonSerializerContext;
