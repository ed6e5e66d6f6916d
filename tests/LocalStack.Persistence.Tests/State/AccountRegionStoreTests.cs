using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.Tests.State;

public sealed class AccountRegionStoreTests
{
    private const string Account = "000000000000";

    [Test]
    public void A_store_is_created_exactly_once_under_100_concurrent_first_callers()
    {
        const int callers = 100;
        var created = 0;
        var store = new AccountRegionStore<QueueStore>((_, _) =>
        {
            Interlocked.Increment(ref created);
            Thread.Sleep(20); // widen the window in which the other callers race the creation
            return new QueueStore();
        });

        // Dedicated threads released together by a barrier: real concurrency, without waiting for the thread pool to grow.
        var results = new QueueStore[callers];
        using var barrier = new Barrier(callers);
        var threads = Enumerable.Range(0, callers).Select(i => new Thread(() =>
        {
            barrier.SignalAndWait();
            results[i] = store.GetOrCreate(Account, "us-east-1");
        })).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        Assert.That(created, Is.EqualTo(1));
        Assert.That(results, Has.All.Not.Null);
        Assert.That(results.Distinct().Count(), Is.EqualTo(1));
        Assert.That(store.Count, Is.EqualTo(1));
    }

    [Test]
    public void The_factory_receives_the_account_and_region_and_the_indexer_creates_lazily()
    {
        var store = new AccountRegionStore<QueueStore>((account, region) => new QueueStore { Queues = [$"{account}/{region}"] });

        Assert.That(store.TryGet(Account, "eu-west-1", out _), Is.False);
        Assert.That(store.Count, Is.Zero);
        var created = store[Account, "eu-west-1"];

        Assert.That(created.Queues, Is.EqualTo(new[] { "000000000000/eu-west-1" }));
        Assert.That(store.TryGet(Account, "eu-west-1", out var found), Is.True);
        Assert.That(found, Is.SameAs(created));
        Assert.That(store[Account, "eu-west-1"], Is.SameAs(created));
    }

    [Test]
    public void A_failing_factory_is_not_cached()
    {
        var attempts = 0;
        var store = new AccountRegionStore<QueueStore>((_, _) => ++attempts == 1 ? throw new InvalidOperationException("first fails") : new QueueStore());

        Assert.That(() => store.GetOrCreate(Account, "us-east-1"), Throws.InvalidOperationException);
        Assert.That(store.Count, Is.Zero);
        Assert.That(store.GetOrCreate(Account, "us-east-1"), Is.Not.Null);
        Assert.That(attempts, Is.EqualTo(2));
    }

    [TestCase("000000000000")]
    [TestCase("123456789012")]
    public void Valid_account_ids_are_accepted(string accountId)
    {
        Assert.That(AccountRegionNames.IsValidAccountId(accountId), Is.True);
        Assert.That(new AccountRegionStore<QueueStore>((_, _) => new()).GetOrCreate(accountId, "us-east-1"), Is.Not.Null);
    }

    [TestCase("")]
    [TestCase("12345678901")]
    [TestCase("1234567890123")]
    [TestCase("12345678901a")]
    [TestCase(" 12345678901")]
    [TestCase("12345678901\n")]
    [TestCase("１２３４５６７８９０１２")] // full-width digits are not ASCII
    [TestCase("../../../etc")]
    [TestCase(null)]
    public void Invalid_account_ids_are_rejected_naming_the_value(string? accountId)
    {
        var store = new AccountRegionStore<QueueStore>((_, _) => new());
        Assert.That(AccountRegionNames.IsValidAccountId(accountId), Is.False);
        var error = Assert.Throws<ArgumentException>(() => store.GetOrCreate(accountId!, "us-east-1"))!;
        Assert.That(error.Message, Does.StartWith("Invalid AWS account id"));
        Assert.That(error.ParamName, Is.EqualTo("accountId"));
        if (!string.IsNullOrEmpty(accountId) && !accountId.Contains('\n', StringComparison.Ordinal))
        {
            Assert.That(error.Message, Does.Contain(accountId));
        }
    }

    [TestCase("us-east-1")]
    [TestCase("eu-central-1")]
    [TestCase("us-gov-west-1")]
    [TestCase("cn-north-1")]
    [TestCase("ap-southeast-2")]
    [TestCase("il-central-1")]
    [TestCase("ap-southeast-12")]
    public void Valid_regions_are_accepted(string region)
    {
        Assert.That(AccountRegionNames.IsValidRegion(region), Is.True);
        Assert.That(new AccountRegionStore<QueueStore>((_, _) => new()).GetOrCreate(Account, region), Is.Not.Null);
    }

    [TestCase("")]
    [TestCase("US-EAST-1")]
    [TestCase("us-east")]
    [TestCase("useast1")]
    [TestCase("us-east-123")]
    [TestCase("u-east-1")]
    [TestCase("us--east-1")]
    [TestCase("us-east-1 ")]
    [TestCase("us-east-1\n")]
    [TestCase("us-east-1/../x")]
    [TestCase("us-east-١")] // an Arabic-Indic digit is not [0-9]
    [TestCase("us-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-1")]
    [TestCase(null)]
    public void Invalid_regions_are_rejected_naming_the_value(string? region)
    {
        var store = new AccountRegionStore<QueueStore>((_, _) => new());
        Assert.That(AccountRegionNames.IsValidRegion(region), Is.False);
        var error = Assert.Throws<ArgumentException>(() => store.GetOrCreate(Account, region!))!;
        Assert.That(error.Message, Does.StartWith("Invalid AWS region"));
        Assert.That(error.ParamName, Is.EqualTo("region"));
        if (!string.IsNullOrEmpty(region) && !region.Contains('\n', StringComparison.Ordinal))
        {
            Assert.That(error.Message, Does.Contain(region));
        }
    }

    [Test]
    public void Enumeration_is_ordered_by_account_then_region_whatever_the_creation_order()
    {
        var store = new AccountRegionStore<QueueStore>((_, _) => new());
        foreach (var (account, region) in new[] { ("222222222222", "us-east-1"), ("111111111111", "us-west-2"), ("111111111111", "eu-west-1"), ("222222222222", "ap-south-1"), ("111111111111", "us-east-1") })
        {
            store.GetOrCreate(account, region);
        }

        var keys = store.Select(e => $"{e.AccountId}/{e.Region}").ToArray();

        Assert.That(keys, Is.EqualTo(new[]
        {
            "111111111111/eu-west-1", "111111111111/us-east-1", "111111111111/us-west-2",
            "222222222222/ap-south-1", "222222222222/us-east-1",
        }));
    }

    [Test]
    public void Reset_and_remove_drop_stores_and_later_access_creates_fresh_ones()
    {
        var store = new AccountRegionStore<QueueStore>((_, _) => new());
        var first = store[Account, "us-east-1"];
        first.Queues.Add("q");
        store.GetOrCreate(Account, "eu-west-1");

        Assert.That(store.Remove(Account, "eu-west-1"), Is.True);
        Assert.That(store.Remove(Account, "eu-west-1"), Is.False);
        Assert.That(store.Count, Is.EqualTo(1));

        store.Reset();

        Assert.That(store.Count, Is.Zero);
        Assert.That(store, Is.Empty);
        var again = store[Account, "us-east-1"];
        Assert.That(again, Is.Not.SameAs(first));
        Assert.That(again.Queues, Is.Empty);
    }

    [Test]
    public void ReplaceAll_swaps_the_contents_and_validates_before_changing_anything()
    {
        var store = new AccountRegionStore<QueueStore>((_, _) => new());
        var old = store[Account, "us-east-1"];
        var replacement = new QueueStore { Queues = ["restored"] };

        store.ReplaceAll([new AccountRegionEntry<QueueStore>("111111111111", "eu-west-1", replacement)]);

        Assert.That(store.Select(e => (e.AccountId, e.Region)), Is.EqualTo(new[] { ("111111111111", "eu-west-1") }));
        Assert.That(store["111111111111", "eu-west-1"], Is.SameAs(replacement));

        Assert.That(() => store.ReplaceAll([new AccountRegionEntry<QueueStore>(Account, "us-east-1", old), new AccountRegionEntry<QueueStore>("bad", "us-east-1", old)]),
            Throws.ArgumentException.With.Message.Contains("\"bad\""));
        Assert.That(() => store.ReplaceAll([new AccountRegionEntry<QueueStore>(Account, "us-east-1", old), new AccountRegionEntry<QueueStore>(Account, "us-east-1", old)]),
            Throws.ArgumentException.With.Message.Contains("appears twice"));
        Assert.That(store.Single().Store, Is.SameAs(replacement), "a rejected replacement changes nothing");
    }

    [Test]
    public void Json_round_trip_through_a_source_generated_context_uses_LocalStacks_shape()
    {
        var options = CreateOptions();
        var typeInfo = (JsonTypeInfo<QueueServiceState>)options.GetTypeInfo(typeof(QueueServiceState));
        var state = new QueueServiceState { Version = 7 };
        state.Stores["222222222222", "us-east-1"].Queues.Add("c");
        state.Stores[Account, "us-east-1"].Queues.Add("a");
        state.Stores[Account, "eu-west-1"].Queues.AddRange(["b1", "b2"]);

        var json = JsonSerializer.Serialize(state, typeInfo);

        Assert.That(json, Is.EqualTo(
            """{"version":7,"stores":{"000000000000":{"eu-west-1":{"queues":["b1","b2"]},"us-east-1":{"queues":["a"]}},"222222222222":{"us-east-1":{"queues":["c"]}}}}"""));

        var back = JsonSerializer.Deserialize(json, typeInfo)!;
        Assert.That(back.Version, Is.EqualTo(7));
        Assert.That(back.Stores.Select(e => $"{e.AccountId}/{e.Region}/{string.Join(',', e.Store.Queues)}"),
            Is.EqualTo(new[] { "000000000000/eu-west-1/b1,b2", "000000000000/us-east-1/a", "222222222222/us-east-1/c" }));

        // The deserialized store keeps creating lazily with the converter's factory.
        Assert.That(back.Stores["333333333333", "us-west-2"].Queues, Is.EqualTo(new[] { "created-after-load" }));
    }

    [Test]
    public void The_store_itself_serializes_as_a_top_level_state_with_explicit_store_metadata()
    {
        var converter = new AccountRegionStoreJsonConverter<QueueStore>((_, _) => new QueueStore(), StateTestJsonContext.Default.QueueStore);
        var options = new JsonSerializerOptions(StateTestJsonContext.Default.Options) { Converters = { converter } };
        var typeInfo = (JsonTypeInfo<AccountRegionStore<QueueStore>>)options.GetTypeInfo(typeof(AccountRegionStore<QueueStore>));
        var store = new AccountRegionStore<QueueStore>((_, _) => new QueueStore());

        Assert.That(JsonSerializer.Serialize(store, typeInfo), Is.EqualTo("{}"));
        store[Account, "us-east-1"].Queues.Add("q");
        var json = JsonSerializer.Serialize(store, typeInfo);

        Assert.That(JsonNode.Parse(json)![Account]!["us-east-1"]!["queues"]![0]!.GetValue<string>(), Is.EqualTo("q"));
        Assert.That(JsonSerializer.Deserialize(json, typeInfo)!.Single().Store.Queues, Is.EqualTo(new[] { "q" }));
    }

    [TestCase("""{"stores":{"00000000000x":{"us-east-1":{}}}}""", "00000000000x")]
    [TestCase("""{"stores":{"000000000000":{"US-EAST-1":{}}}}""", "US-EAST-1")]
    [TestCase("""{"stores":{"000000000000":{"us-east-1":null}}}""", "null")]
    [TestCase("""{"stores":[]}""", "Expected an object")]
    public void Invalid_json_is_rejected_naming_the_bad_value(string json, string expected)
    {
        var typeInfo = (JsonTypeInfo<QueueServiceState>)CreateOptions().GetTypeInfo(typeof(QueueServiceState));
        Assert.That(() => JsonSerializer.Deserialize(json, typeInfo), Throws.InstanceOf<JsonException>().With.Message.Contains(expected));
    }

    // A copy of the context's options keeps its naming policy and resolver; the converter is added to the copy.
    private static JsonSerializerOptions CreateOptions() => new(StateTestJsonContext.Default.Options)
    {
        Converters = { new AccountRegionStoreJsonConverter<QueueStore>((_, _) => new QueueStore { Queues = ["created-after-load"] }) },
    };
}
