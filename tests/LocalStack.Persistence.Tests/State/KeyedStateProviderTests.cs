using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Tests.State;

public sealed class KeyedStateProviderTests : StoreTestBase
{
    private string ServiceFolder => Path.Combine(StateDirectory, "api_states", "kv");

    private string[] DeltaFiles => Directory.Exists(ServiceFolder)
        ? [.. Directory.GetFiles(ServiceFolder, "store.delta.*").Select(Path.GetFileName).Order(StringComparer.Ordinal)!]
        : [];

    private FileSystemSnapshotStore Files => (FileSystemSnapshotStore)Store;

    [Test]
    public async Task The_first_save_writes_a_base_and_later_saves_write_only_the_changed_records_as_deltas()
    {
        var provider = new KeyedDictionaryProvider();
        for (var i = 0; i < 1000; i++)
        {
            provider.Set($"item/{i:D4}", new string('x', 100));
        }

        var first = await Snapshotter.SaveAsync(provider);
        Assert.That(provider.ValuesWritten, Is.EqualTo(1000));
        Assert.That(DeltaFiles, Is.Empty);
        var baseBytes = File.ReadAllBytes(first.Location);

        provider.Set("item/0007", "changed");
        provider.Remove("item/0008");
        provider.Set("item/new", "added");
        var second = await Snapshotter.SaveAsync(provider);

        Assert.That(provider.ValuesWritten, Is.EqualTo(1002), "two values written (the removal writes none), not 1,000");
        Assert.That(DeltaFiles, Is.EqualTo(new[] { $"store.delta.{second.Generation:D20}" }));
        Assert.That(File.ReadAllBytes(first.Location), Is.EqualTo(baseBytes), "the base is not rewritten by a delta save");
        Assert.That(second.FileLength, Is.LessThan(200), "a delta of three records");

        var restored = new KeyedDictionaryProvider();
        await Snapshotter.LoadAsync(restored);
        Assert.That(restored.Items, Is.EquivalentTo(provider.Items));
        Assert.That(restored.Items.ContainsKey("item/0008"), Is.False);
        Assert.That(restored.Items["item/0007"], Is.EqualTo("changed"));
    }

    [Test]
    public async Task A_chain_of_deltas_loads_in_order_after_a_restart_and_the_next_delta_follows_the_loaded_chain()
    {
        var provider = new KeyedDictionaryProvider();
        provider.Set("a", "1");
        await Snapshotter.SaveAsync(provider);
        for (var i = 2; i <= 5; i++)
        {
            provider.Set("a", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            provider.Set($"k{i}", "v");
            await Snapshotter.SaveAsync(provider);
        }

        provider.Remove("k3");
        await Snapshotter.SaveAsync(provider);
        Assert.That(DeltaFiles, Has.Length.EqualTo(5));

        ReopenStore();
        var restored = new KeyedDictionaryProvider();
        await Snapshotter.LoadAsync(restored);
        Assert.That(restored.Items, Is.EquivalentTo(provider.Items));

        restored.Set("after", "restart");
        var next = await Snapshotter.SaveAsync(restored);
        Assert.That(DeltaFiles, Has.Length.EqualTo(6), "the save after a load is a delta on the loaded chain");
        Assert.That(DeltaFiles[^1], Is.EqualTo($"store.delta.{next.Generation:D20}"));

        ReopenStore();
        var again = new KeyedDictionaryProvider();
        await Snapshotter.LoadAsync(again);
        Assert.That(again.Items, Is.EquivalentTo(restored.Items));
    }

    [Test]
    public async Task A_missing_delta_in_the_middle_faults_the_load_naming_the_delta_after_the_gap_and_nothing_is_applied()
    {
        var provider = new KeyedDictionaryProvider();
        provider.Set("a", "0");
        await Snapshotter.SaveAsync(provider);
        for (var i = 1; i <= 3; i++)
        {
            provider.Set("a", $"{i}");
            await Snapshotter.SaveAsync(provider);
        }

        var deltas = DeltaFiles;
        File.Delete(Path.Combine(ServiceFolder, deltas[1]));
        ReopenStore();

        var restored = new KeyedDictionaryProvider();
        restored.Items["live"] = "untouched";
        var error = (await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await Snapshotter.LoadAsync(restored)))!;
        Assert.That(error.Path, Is.EqualTo(Path.Combine(ServiceFolder, deltas[2])));
        Assert.That(error.Message, Does.Contain("missing"));
    }

    [Test]
    public async Task A_damaged_delta_faults_the_load_naming_it_before_the_live_state_is_touched()
    {
        var provider = new KeyedDictionaryProvider();
        provider.Set("a", "0");
        await Snapshotter.SaveAsync(provider);
        provider.Set("a", "1");
        var delta = await Snapshotter.SaveAsync(provider);

        var bytes = File.ReadAllBytes(delta.Location);
        bytes[^20] ^= 0x40;
        File.WriteAllBytes(delta.Location, bytes);
        ReopenStore();

        var restored = new KeyedDictionaryProvider();
        restored.Items["live"] = "untouched";
        var error = (await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await Snapshotter.LoadAsync(restored)))!;
        Assert.That(error.Path, Is.EqualTo(delta.Location));
        Assert.That(restored.Items, Is.EquivalentTo(new Dictionary<string, string> { ["live"] = "untouched" }), "deltas are verified before the state is cleared");
    }

    [Test]
    public async Task A_delta_not_newer_than_the_base_is_ignored_by_a_load_and_removed_by_the_next_base()
    {
        var provider = new KeyedDictionaryProvider();
        provider.Set("a", "0");
        await Snapshotter.SaveAsync(provider);
        provider.Set("a", "1");
        var delta = await Snapshotter.SaveAsync(provider);
        var stale = File.ReadAllBytes(delta.Location);

        provider.MarkAllChanged();
        provider.Set("a", "2");
        var full = await Snapshotter.SaveAsync(provider);
        Assert.That(DeltaFiles, Is.Empty, "a base removes the deltas it covers");

        // A crash between a base's rename and the removal of older deltas leaves them behind.
        File.WriteAllBytes(delta.Location, stale);
        ReopenStore();
        var restored = new KeyedDictionaryProvider();
        var loaded = await Snapshotter.LoadAsync(restored);
        Assert.That(loaded!.Generation, Is.EqualTo(full.Generation));
        Assert.That(restored.Items["a"], Is.EqualTo("2"), "the older delta (generation below the base) is not applied");
    }

    [Test]
    public async Task A_failed_delta_save_makes_the_next_save_a_full_base_so_no_change_is_lost()
    {
        var provider = new KeyedDictionaryProvider();
        provider.Set("a", "0");
        provider.Set("b", "0");
        await Snapshotter.SaveAsync(provider);

        provider.Set("a", "1");
        var fileSystem = new Storage.RecordingFileSystem();

        // Fail the delta's rename through a store whose seam throws.
        Files.Dispose();
        using var faulty = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = StateDirectory }, null, fileSystem);
        var snapshotter = new ServiceSnapshotter(faulty);
        fileSystem.Fail = op => op.Name == Storage.RecordingFileSystem.MoveOp ? new IOException("disk gone") : null;
        await Assert.ThrowsAsync<IOException>(async () => await snapshotter.SaveAsync(provider));
        Assert.That(DeltaFiles, Is.Empty);

        fileSystem.Fail = null;
        provider.Set("b", "1");
        var next = await snapshotter.SaveAsync(provider);
        Assert.That(next.Location, Does.EndWith("store.state"), "after a failed save the next one writes a full base");

        var restored = new KeyedDictionaryProvider();
        await snapshotter.LoadAsync(restored);
        Assert.That(restored.Items, Is.EquivalentTo(new Dictionary<string, string> { ["a"] = "1", ["b"] = "1" }));
    }

    [Test]
    public async Task Compaction_folds_the_chain_into_a_base_of_the_newest_delta_and_a_delta_written_meanwhile_survives()
    {
        var provider = new KeyedDictionaryProvider();
        for (var i = 0; i < 100; i++)
        {
            provider.Set($"k{i:D3}", "base");
        }

        await Snapshotter.SaveAsync(provider);
        long last = 0;
        for (var i = 0; i < 10; i++)
        {
            provider.Set($"k{i:D3}", $"delta{i}");
            provider.Remove($"k{i + 50:D3}");
            provider.Set($"new{i}", "added");
            last = (await Snapshotter.SaveAsync(provider)).Generation;
        }

        var compacted = await Snapshotter.CompactAsync("kv", CancellationToken.None);
        Assert.That(compacted, Is.Not.Null);
        Assert.That(compacted!.Generation, Is.EqualTo(last));
        Assert.That(DeltaFiles, Is.Empty);

        provider.Set("after", "compaction");
        await Snapshotter.SaveAsync(provider);
        Assert.That(DeltaFiles, Has.Length.EqualTo(1), "the chain continues on the compacted base");

        ReopenStore();
        var restored = new KeyedDictionaryProvider();
        await Snapshotter.LoadAsync(restored);
        Assert.That(restored.Items, Is.EquivalentTo(provider.Items));
    }

    [Test]
    public async Task Compaction_commits_nothing_when_a_full_save_replaced_the_base_meanwhile()
    {
        var provider = new KeyedDictionaryProvider();
        provider.Set("a", "0");
        await Snapshotter.SaveAsync(provider);
        provider.Set("a", "1");
        await Snapshotter.SaveAsync(provider);

        // The commit of the compaction waits for the service's slot: hold it with a save's capture, and make that save a full base.
        provider.MarkAllChanged();
        provider.Set("a", "full");
        var pending = await Snapshotter.CaptureAsync(provider);
        var compaction = Snapshotter.CompactAsync("kv", CancellationToken.None).AsTask();
        await using (pending)
        {
            await Snapshotter.CommitAsync(pending);
        }

        Assert.That(await compaction, Is.Null, "the base it folded is gone");
        var restored = new KeyedDictionaryProvider();
        await Snapshotter.LoadAsync(restored);
        Assert.That(restored.Items["a"], Is.EqualTo("full"));
    }

    [Test]
    public async Task Compaction_starts_in_the_background_when_the_chain_passes_its_bound()
    {
        Snapshotter.Bounds = new CompactionBounds(MaxDeltas: 4, MinDeltaBytes: long.MaxValue, BaseFraction: 1);
        var provider = new KeyedDictionaryProvider();
        provider.Set("a", "0");
        await Snapshotter.SaveAsync(provider);
        for (var i = 1; i <= 4; i++)
        {
            provider.Set("a", $"{i}");
            await Snapshotter.SaveAsync(provider);
        }

        await Snapshotter.WhenCompactionsDoneAsync();
        Assert.That(DeltaFiles, Is.Empty);
        Assert.That(Files.GetChainStats("kv").DeltaCount, Is.Zero);
        var restored = new KeyedDictionaryProvider();
        await Snapshotter.LoadAsync(restored);
        Assert.That(restored.Items["a"], Is.EqualTo("4"));
    }

    [Test]
    public async Task A_snapshot_written_before_the_service_was_keyed_is_restored_and_converted_by_the_next_save()
    {
        var legacy = new Dictionary<string, string> { ["old"] = "v1", ["x"] = "y" };
        await Store.WriteAsync(new SnapshotWriteRequest("kv", 1, 3), (s, ct) => s.WriteAsync(KeyedDictionaryProvider.LegacyPayload(legacy), ct));

        var provider = new KeyedDictionaryProvider();
        await Snapshotter.LoadAsync(provider);
        Assert.That(provider.Items, Is.EquivalentTo(legacy));

        provider.Set("new", "v2");
        var converted = await Snapshotter.SaveAsync(provider);
        Assert.That(converted.Location, Does.EndWith("store.state"), "the first save after a v1 load writes a full keyed base");
        Assert.That(provider.ValuesWritten, Is.EqualTo(3));

        ReopenStore();
        var restored = new KeyedDictionaryProvider();
        await Snapshotter.LoadAsync(restored);
        Assert.That(restored.Items, Is.EquivalentTo(provider.Items));
    }

    [Test]
    public async Task A_reset_makes_the_next_save_a_full_base_of_the_empty_state()
    {
        var provider = new KeyedDictionaryProvider();
        provider.Set("a", "0");
        await Snapshotter.SaveAsync(provider);
        provider.Set("b", "1");
        await Snapshotter.SaveAsync(provider);

        await Snapshotter.ResetAsync(provider);
        var saved = await Snapshotter.SaveAsync(provider);
        Assert.That(saved.Location, Does.EndWith("store.state"));
        Assert.That(DeltaFiles, Is.Empty);

        var restored = new KeyedDictionaryProvider();
        await Snapshotter.LoadAsync(restored);
        Assert.That(restored.Items, Is.Empty);
    }

    [Test]
    public void Keys_must_be_non_empty_utf8_of_at_most_1024_bytes()
    {
        var provider = new KeyedDictionaryProvider();
        Assert.Throws<ArgumentException>(() => provider.MarkChanged(""));
        Assert.Throws<ArgumentException>(() => provider.MarkChanged(new string('k', 1025)));
        Assert.Throws<ArgumentException>(() => provider.MarkChanged("lone\uD800surrogate"));
        Assert.DoesNotThrow(() => provider.MarkChanged(new string('k', 1024)));
    }
}
