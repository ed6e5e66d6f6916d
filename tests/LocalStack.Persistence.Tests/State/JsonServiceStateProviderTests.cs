using System.Text;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Tests.State;

public sealed class JsonServiceStateProviderTests : StoreTestBase
{

    [TestCase(false)]
    [TestCase(true)]
    public async Task State_round_trips_through_the_store(bool immutable)
    {
        var saved = new ShopProvider(immutable) { State = new ShopState { Orders = [new("apple", 3), new("pear", 1)], Currency = "USD" } };
        var metadata = await Snapshotter.SaveAsync(saved);

        var loaded = new ShopProvider(immutable);
        var restored = await new ServiceSnapshotter(Store).LoadAsync(loaded);

        Assert.That(restored!.Generation, Is.EqualTo(metadata.Generation));
        Assert.That(restored.Location, Is.EqualTo(metadata.Location));
        Assert.That(metadata.SchemaVersion, Is.EqualTo(3));
        Assert.That(loaded.State.Orders, Is.EqualTo(saved.State.Orders));
        Assert.That(loaded.State.Currency, Is.EqualTo("USD"));
        Assert.That(loaded.RestoreCount, Is.EqualTo(1));
    }

    [Test]
    public async Task Default_mode_serializes_during_capture_so_later_mutations_are_not_saved()
    {
        var provider = new ShopProvider(immutable: false) { State = new ShopState { Orders = [new("apple", 3)] } };

        await using var pending = await Snapshotter.CaptureAsync(provider);
        // The gate is released here: a request mutates the live state before the write phase runs.
        provider.State.Orders.Add(new("late", 99));
        provider.State.Currency = "GBP";
        await Snapshotter.CommitAsync(pending);

        var loaded = new ShopProvider();
        await Snapshotter.LoadAsync(loaded);
        Assert.That(loaded.State.Orders, Is.EqualTo(new[] { new Order("apple", 3) }));
        Assert.That(loaded.State.Currency, Is.EqualTo("EUR"));
    }

    [Test]
    public async Task Immutable_mode_serializes_in_the_write_phase_outside_the_gate()
    {
        // A provider that claims immutability but hands out its live object: the mutation made after the capture
        // shows up in the snapshot, which proves that serialization ran in CommitAsync, not under the gate.
        var provider = new ShopProvider(immutable: true) { State = new ShopState { Orders = [new("apple", 3)] } };

        await using var pending = await Snapshotter.CaptureAsync(provider);
        provider.State.Orders.Add(new("late", 99));
        await Snapshotter.CommitAsync(pending);

        var loaded = new ShopProvider();
        await Snapshotter.LoadAsync(loaded);
        Assert.That(loaded.State.Orders, Is.EqualTo(new[] { new Order("apple", 3), new Order("late", 99) }));
    }

    [Test]
    public async Task A_large_state_spanning_many_pooled_segments_round_trips()
    {
        var orders = Enumerable.Range(0, 60_000).Select(i => new Order($"order-{i:D6}-{new string('x', i % 50)}", i)).ToList();
        var provider = new ShopProvider { State = new ShopState { Orders = orders } };

        var metadata = await Snapshotter.SaveAsync(provider);
        var loaded = new ShopProvider();
        await Snapshotter.LoadAsync(loaded);

        Assert.That(metadata.UncompressedLength, Is.GreaterThan(3 * 1024 * 1024), "the payload must span several 1 MiB segments");
        Assert.That(loaded.State.Orders, Is.EqualTo(orders));
    }

    [Test]
    public async Task A_golden_v1_payload_is_migrated_step_by_step_in_order()
    {
        await Store.WriteAsync(new SnapshotWriteRequest("shop", SchemaVersion: 1, Generation: 1), async (destination, ct) =>
            await destination.WriteAsync(Encoding.UTF8.GetBytes(GoldenPayloads.ShopV1), ct));

        var log = new List<string>();
        var provider = new ShopProvider(migrationLog: log);
        var metadata = await Snapshotter.LoadAsync(provider);

        Assert.That(metadata!.SchemaVersion, Is.EqualTo(1));
        Assert.That(log, Is.EqualTo(new[] { "1->2", "2->3" }));
        Assert.That(provider.State.Orders, Is.EqualTo(new[] { new Order("apple", 3), new Order("pear", 1) }));
        Assert.That(provider.State.Currency, Is.EqualTo("EUR"));
    }

    [Test]
    public async Task A_snapshot_written_by_version_1_software_loads_in_version_3()
    {
        var old = new ShopProviderV1 { State = new ShopStateV1 { Items = [new("plum", 7)] } };
        await Snapshotter.SaveAsync(old);

        var log = new List<string>();
        var provider = new ShopProvider(migrationLog: log);
        await new ServiceSnapshotter(Store).LoadAsync(provider);

        Assert.That(log, Is.EqualTo(new[] { "1->2", "2->3" }));
        Assert.That(provider.State.Orders, Is.EqualTo(new[] { new Order("plum", 7) }));
    }

    [Test]
    public async Task A_snapshot_already_at_the_current_schema_is_not_migrated()
    {
        await Snapshotter.SaveAsync(new ShopProvider { State = new ShopState { Orders = [new("fig", 2)] } });

        var log = new List<string>();
        var provider = new ShopProvider(migrationLog: log);
        await Snapshotter.LoadAsync(provider);

        Assert.That(log, Is.Empty);
        Assert.That(provider.State.Orders, Is.EqualTo(new[] { new Order("fig", 2) }));
    }

    [Test]
    public async Task A_newer_schema_is_refused_and_the_live_state_is_unchanged()
    {
        var newer = new ShopProvider(schemaVersion: 4, extraMigrations: [new SchemaMigration(3, n => n)]) { State = new ShopState { Orders = [new("kiwi", 1)] } };
        var written = await Snapshotter.SaveAsync(newer);
        Assert.That(written.SchemaVersion, Is.EqualTo(4));

        var live = new ShopState { Orders = [new("live", 5)] };
        var provider = new ShopProvider { State = live };
        var error = (await Assert.ThrowsAsync<SnapshotVersionException>(async () => await new ServiceSnapshotter(Store).LoadAsync(provider)))!;

        Assert.That(error.Kind, Is.EqualTo("schema"));
        Assert.That(error.FoundVersion, Is.EqualTo(4));
        Assert.That(error.SupportedVersion, Is.EqualTo(3));
        Assert.That(error.Path, Is.EqualTo(written.Location));
        Assert.That(provider.State, Is.SameAs(live));
        Assert.That(provider.State.Orders, Is.EqualTo(new[] { new Order("live", 5) }));
        Assert.That(provider.RestoreCount, Is.Zero);
        Assert.That(provider.ResetCount, Is.Zero);
    }

    [Test]
    public async Task A_payload_that_does_not_match_the_state_is_reported_as_corrupt_and_nothing_is_restored()
    {
        var written = await Store.WriteAsync(new SnapshotWriteRequest("shop", SchemaVersion: 3, Generation: 1), async (destination, ct) =>
            await destination.WriteAsync("{\"orders\":5}"u8.ToArray(), ct));

        var live = new ShopState { Orders = [new("live", 5)] };
        var provider = new ShopProvider { State = live };
        var error = (await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await Snapshotter.LoadAsync(provider)))!;

        Assert.That(error.Path, Is.EqualTo(written.Location));
        Assert.That(error.Message, Does.Contain("shop"));
        Assert.That(provider.State, Is.SameAs(live));
        Assert.That(provider.RestoreCount, Is.Zero);
    }

    [Test]
    public void A_missing_migration_step_is_rejected_at_construction()
    {
        var error = Assert.Throws<ArgumentException>(() => new ShopProvider(schemaVersion: 4))!;
        Assert.That(error.Message, Does.Contain("3→4"));
        Assert.That(error.ParamName, Is.EqualTo("migrations"));
    }

    [Test]
    public void A_duplicate_or_out_of_range_migration_step_is_rejected_at_construction()
    {
        Assert.That(() => new ShopProvider(extraMigrations: [new SchemaMigration(1, n => n)]),
            Throws.ArgumentException.With.Message.Contains("two migration steps from schema version 1"));
        Assert.That(() => new ShopProvider(extraMigrations: [new SchemaMigration(3, n => n)]),
            Throws.ArgumentException.With.Message.Contains("from version 3 to 4 is not part of the chain"));
        Assert.That(() => new SchemaMigration(0, n => n), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Invalid_service_names_and_schema_versions_are_rejected()
    {
        Assert.That(() => new ShopProviderWithName("../etc"), Throws.ArgumentException.With.Message.StartsWith("Invalid service name"));
        Assert.That(() => new ShopProvider(schemaVersion: 0), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public async Task A_failing_migration_step_names_the_file_and_the_versions()
    {
        await Snapshotter.SaveAsync(new ShopProviderV1 { State = new ShopStateV1 { Items = [new("plum", 7)] } });
        var provider = new ShopProvider(schemaVersion: 4, extraMigrations: [new SchemaMigration(3, _ => throw new FormatException("boom"))]);

        var error = (await Assert.ThrowsAsync<SnapshotException>(async () => await Snapshotter.LoadAsync(provider)))!;
        Assert.That(error.Message, Does.Contain("from schema version 3 to 4").And.Contain("boom").And.Contain("store.state"));
        Assert.That(provider.RestoreCount, Is.Zero);
    }

    [Test]
    public async Task Reset_calls_the_providers_reset_and_keeps_the_snapshot()
    {
        var provider = new ShopProvider { State = new ShopState { Orders = [new("apple", 3)] } };
        await Snapshotter.SaveAsync(provider);

        await Snapshotter.ResetAsync(provider);

        Assert.That(provider.ResetCount, Is.EqualTo(1));
        Assert.That(provider.State.Orders, Is.Empty);
        Assert.That(await Store.GetMetadataAsync("shop"), Is.Not.Null);
    }

    [Test]
    public async Task A_null_capture_is_refused()
    {
        var provider = new ShopProvider { State = null! };
        await Assert.ThatAsync(async () => await Snapshotter.SaveAsync(provider), Throws.InvalidOperationException.With.Message.Contains("captured null"));
    }

    private sealed class ShopProviderWithName(string name) : LocalStack.Persistence.State.JsonServiceStateProvider<ShopState>(name, StateTestJsonContext.Default.ShopState)
    {
        protected override ShopState Capture() => new();

        protected override void Restore(ShopState state)
        {
        }

        protected override void Reset()
        {
        }
    }
}
