using System.Text.Json.Serialization;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.Tests.State;

// The "shop" test service in three schema versions:
// v1 {"items":[{"id":"a","qty":2}]}
// v2 {"orders":[{"id":"a","qty":2}]}                      (items renamed to orders)
// v3 {"orders":[{"id":"a","quantity":2}],"currency":"EUR"} (qty renamed to quantity, currency added)

internal sealed class ShopStateV1
{
    public List<ItemV1> Items { get; set; } = [];
}

internal sealed record ItemV1(string Id, int Qty);

internal sealed class ShopState
{
    public List<Order> Orders { get; set; } = [];

    public string Currency { get; set; } = "EUR";
}

internal sealed record Order(string Id, int Quantity);

internal sealed class QueueStore
{
    public List<string> Queues { get; set; } = [];
}

internal sealed class QueueServiceState
{
    public int Version { get; set; }

    public AccountRegionStore<QueueStore> Stores { get; set; } = new((_, _) => new QueueStore());
}

internal sealed class BlobIndex
{
    public List<string> Blobs { get; set; } = [];
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(BlobIndex))]
[JsonSerializable(typeof(ShopStateV1))]
[JsonSerializable(typeof(ShopState))]
[JsonSerializable(typeof(QueueStore))]
[JsonSerializable(typeof(QueueServiceState))]
[JsonSerializable(typeof(AccountRegionStore<QueueStore>))]
internal sealed partial class StateTestJsonContext : JsonSerializerContext;

/// <summary>The migration chain of the shop service, recording the order in which steps run.</summary>
internal static class ShopMigrations
{
    public static ISchemaMigration[] Create(List<string> log) =>
    [
        // Deliberately listed out of order: the provider orders the chain itself.
        new SchemaMigration(2, node =>
        {
            log.Add("2->3");
            foreach (var order in node["orders"]!.AsArray())
            {
                var item = order!.AsObject();
                item["quantity"] = item["qty"]!.DeepClone();
                item.Remove("qty");
            }

            node["currency"] = "EUR";
            return node;
        }),
        new SchemaMigration(1, node =>
        {
            log.Add("1->2");
            var items = node["items"]!;
            node.AsObject().Remove("items");
            node["orders"] = items;
            return node;
        }),
    ];
}

/// <summary>The shop service at schema version 3 (or 4, to play newer software).</summary>
internal sealed class ShopProvider : JsonServiceStateProvider<ShopState>
{
    private readonly bool _immutable;

    public ShopProvider(bool immutable = false, int schemaVersion = 3, List<string>? migrationLog = null, IEnumerable<ISchemaMigration>? extraMigrations = null)
        : base("shop", StateTestJsonContext.Default.ShopState, schemaVersion, ShopMigrations.Create(migrationLog ?? []).Concat(extraMigrations ?? []))
    {
        _immutable = immutable;
    }

    public ShopState State { get; set; } = new();

    public int CaptureCount { get; private set; }

    public int RestoreCount { get; private set; }

    public int ResetCount { get; private set; }

    protected override bool CaptureIsImmutable => _immutable;

    protected override ShopState Capture()
    {
        CaptureCount++;
        return State;
    }

    protected override void Restore(ShopState state)
    {
        RestoreCount++;
        State = state;
    }

    protected override void Reset()
    {
        ResetCount++;
        State = new ShopState();
    }
}

/// <summary>The shop service as version-1 software wrote it.</summary>
internal sealed class ShopProviderV1() : JsonServiceStateProvider<ShopStateV1>("shop", StateTestJsonContext.Default.ShopStateV1)
{
    public ShopStateV1 State { get; set; } = new();

    protected override ShopStateV1 Capture() => State;

    protected override void Restore(ShopStateV1 state) => State = state;

    protected override void Reset() => State = new ShopStateV1();
}
