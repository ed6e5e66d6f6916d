using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Tests.Storage;

/// <summary>
/// The contract of <see cref="ISnapshotStore"/>, as tests. Every implementation of <see cref="ISnapshotStore"/> should
/// subclass this fixture, implement <see cref="CreateStore"/> (and <see cref="DestroyStore"/> if disposing is not
/// enough) and pass all of it; add implementation-specific tests beside it.
/// </summary>
/// <remarks>Each test gets a fresh, empty root folder and a store created on it.</remarks>
public abstract class SnapshotStoreConformanceTests
{
    private string? _root;
    private ISnapshotStore? _store;

    /// <summary>The store under test, created on a fresh root for each test.</summary>
    protected ISnapshotStore Store => _store ?? throw new InvalidOperationException("The store is created in SetUp.");

    /// <summary>The root folder the store was created on.</summary>
    protected string Root => _root ?? throw new InvalidOperationException("The root is created in SetUp.");

    /// <summary>Creates the store under test on an empty root folder.</summary>
    protected abstract ISnapshotStore CreateStore(string root);

    /// <summary>Releases a store made by <see cref="CreateStore"/>; disposes it by default.</summary>
    protected virtual void DestroyStore(ISnapshotStore store)
    {
        (store as IDisposable)?.Dispose();
    }

    [SetUp]
    public void CreateStoreOnFreshRoot()
    {
        _root = Directory.CreateTempSubdirectory("lsp-store-").FullName;
        _store = CreateStore(_root);
    }

    [TearDown]
    public void DestroyStoreAndRoot()
    {
        if (_store is not null)
        {
            DestroyStore(_store);
            _store = null;
        }

        if (_root is not null)
        {
            Directory.Delete(_root, recursive: true);
            _root = null;
        }
    }

    [Test]
    public async Task A_service_without_a_snapshot_has_nothing_to_read_list_or_delete()
    {
        Assert.That(await Store.OpenReadAsync("s3"), Is.Null);
        Assert.That(await Store.GetMetadataAsync("s3"), Is.Null);
        Assert.That(await Store.ListAllAsync(), Is.Empty);
        Assert.That(await Store.DeleteAsync("s3"), Is.False);
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(4096)]
    [TestCase(3 * 1024 * 1024)]
    public async Task A_written_payload_reads_back_byte_for_byte(int size)
    {
        var payload = StoreTestData.Json("round-trip", size);

        await Store.WriteAsync("s3", 1, payload);

        Assert.That(await Store.ReadPayloadAsync("s3"), Is.EqualTo(payload));
    }

    [Test]
    public async Task The_metadata_describes_the_snapshot_written()
    {
        var payload = StoreTestData.Json("meta", 1000);

        var written = await Store.WriteAsync("sqs", 7, payload, schemaVersion: 3);

        Assert.Multiple(() =>
        {
            Assert.That(written.ServiceName, Is.EqualTo("sqs"));
            Assert.That(written.SchemaVersion, Is.EqualTo(3));
            Assert.That(written.Generation, Is.EqualTo(7));
            Assert.That(written.UncompressedLength, Is.EqualTo(payload.Length));
            Assert.That(written.FormatVersion, Is.GreaterThan(0));
            Assert.That(written.FileLength, Is.GreaterThanOrEqualTo(written.StoredLength));
            Assert.That(written.Location, Is.Not.Empty);
        });
        StoreTestData.AssertSameSnapshot(await Store.GetMetadataAsync("sqs"), written);
        await using var reader = await Store.OpenReadAsync("sqs");
        StoreTestData.AssertSameSnapshot(reader?.Metadata, written);
    }

    [Test]
    public async Task A_second_write_replaces_the_first()
    {
        await Store.WriteAsync("s3", 1, StoreTestData.Json("first"));
        var second = StoreTestData.Json("second", 5000);

        await Store.WriteAsync("s3", 2, second);

        Assert.That(await Store.ReadPayloadAsync("s3"), Is.EqualTo(second));
        Assert.That((await Store.GetMetadataAsync("s3"))?.Generation, Is.EqualTo(2));
    }

    [Test]
    public async Task Services_are_stored_separately()
    {
        var s3 = StoreTestData.Json("s3");
        var sqs = StoreTestData.Json("sqs");

        await Store.WriteAsync("s3", 1, s3);
        await Store.WriteAsync("sqs", 4, sqs);
        await Store.DeleteAsync("s3");

        Assert.That(await Store.ReadPayloadAsync("s3"), Is.Null);
        Assert.That(await Store.ReadPayloadAsync("sqs"), Is.EqualTo(sqs));
    }

    [Test]
    public async Task Delete_removes_the_snapshot_and_its_asset_generations_but_not_the_working_folder()
    {
        var staged = await Store.CreateAssetGenerationAsync("s3", 1);
        await File.WriteAllTextAsync(Path.Combine(staged, "bucket.db"), "assets");
        await Store.FlushAssetGenerationAsync("s3", 1);
        await Store.WriteAsync("s3", 1, StoreTestData.Json("doomed"));
        var working = Store.GetWorkingDirectory("s3");
        await File.WriteAllTextAsync(Path.Combine(working, "live.db"), "live");

        Assert.That(await Store.DeleteAsync("s3"), Is.True);

        Assert.That(await Store.OpenReadAsync("s3"), Is.Null);
        Assert.That(await Store.GetMetadataAsync("s3"), Is.Null);
        Assert.That(Store.GetAssetGenerationDirectory("s3", 1), Is.Null);
        Assert.That(File.ReadAllText(Path.Combine(Store.GetWorkingDirectory("s3"), "live.db")), Is.EqualTo("live"));
        Assert.That(await Store.DeleteAsync("s3"), Is.False);
    }

    [Test]
    public async Task A_service_can_be_written_again_after_delete()
    {
        await Store.WriteAsync("s3", 5, StoreTestData.Json("old"), schemaVersion: 9);
        await Store.DeleteAsync("s3");
        var fresh = StoreTestData.Json("fresh");

        await Store.WriteAsync("s3", 1, fresh, schemaVersion: 1);

        Assert.That(await Store.ReadPayloadAsync("s3"), Is.EqualTo(fresh));
    }

    [Test]
    public async Task List_returns_every_snapshot_ordered_by_service_name()
    {
        var written = new Dictionary<string, SnapshotMetadata>();
        foreach (var (name, generation) in new[] { ("sqs", 3L), ("dynamodb", 1L), ("s3", 2L) })
        {
            written[name] = await Store.WriteAsync(name, generation, StoreTestData.Json(name));
        }

        var listed = await Store.ListAllAsync();

        Assert.That(listed.Select(m => m.ServiceName), Is.EqualTo(new[] { "dynamodb", "s3", "sqs" }));
        foreach (var metadata in listed)
        {
            StoreTestData.AssertSameSnapshot(metadata, written[metadata.ServiceName]);
        }
    }

    [Test]
    public async Task A_newer_schema_is_not_overwritten_by_an_older_one_until_the_service_is_reset()
    {
        var newer = StoreTestData.Json("newer");
        await Store.WriteAsync("s3", 1, newer, schemaVersion: 5);

        var error = await Assert.ThrowsAsync<SnapshotVersionException>(async () => await Store.WriteAsync("s3", 2, StoreTestData.Json("older"), schemaVersion: 3));

        Assert.That(error!.Kind, Is.EqualTo("schema"));
        Assert.That(error.FoundVersion, Is.EqualTo(5));
        Assert.That(await Store.ReadPayloadAsync("s3"), Is.EqualTo(newer));
        Assert.That((await Store.GetMetadataAsync("s3"))?.SchemaVersion, Is.EqualTo(5));

        await Store.DeleteAsync("s3");
        await Store.WriteAsync("s3", 1, StoreTestData.Json("older"), schemaVersion: 3);
        Assert.That((await Store.GetMetadataAsync("s3"))?.SchemaVersion, Is.EqualTo(3));
    }

    [Test]
    public async Task A_newer_schema_may_replace_an_older_one()
    {
        await Store.WriteAsync("s3", 1, StoreTestData.Json("v2"), schemaVersion: 2);

        await Store.WriteAsync("s3", 2, StoreTestData.Json("v3"), schemaVersion: 3);

        Assert.That((await Store.GetMetadataAsync("s3"))?.SchemaVersion, Is.EqualTo(3));
    }

    [Test]
    public async Task Cancelling_a_write_midway_leaves_the_previous_snapshot()
    {
        var previous = StoreTestData.Json("previous");
        await Store.WriteAsync("s3", 1, previous);
        using var cancellation = new CancellationTokenSource();

        await Assert.CatchAsync<OperationCanceledException>(async () => await Store.WriteAsync(
            new SnapshotWriteRequest("s3", 1, 2),
            async (destination, ct) =>
            {
                await destination.WriteAsync(StoreTestData.Json("half", 100_000), ct);
                await cancellation.CancelAsync();
                await destination.WriteAsync(StoreTestData.Json("rest", 100_000), ct);
                ct.ThrowIfCancellationRequested();
            },
            cancellation.Token));

        Assert.That(await Store.ReadPayloadAsync("s3"), Is.EqualTo(previous));
        Assert.That((await Store.GetMetadataAsync("s3"))?.Generation, Is.EqualTo(1));
    }

    [Test]
    public async Task A_write_cancelled_before_it_starts_changes_nothing()
    {
        var previous = StoreTestData.Json("previous");
        await Store.WriteAsync("s3", 1, previous);

        await Assert.CatchAsync<OperationCanceledException>(async () => await Store.WriteAsync("s3", 2, StoreTestData.Json("never"), cancellationToken: new CancellationToken(canceled: true)));

        Assert.That(await Store.ReadPayloadAsync("s3"), Is.EqualTo(previous));
    }

    [Test]
    public async Task A_failing_payload_writer_leaves_the_previous_snapshot()
    {
        var previous = StoreTestData.Json("previous");
        await Store.WriteAsync("s3", 1, previous);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await Store.WriteAsync(
            new SnapshotWriteRequest("s3", 1, 2),
            async (destination, ct) =>
            {
                await destination.WriteAsync(StoreTestData.Json("partial", 50_000), ct);
                throw new InvalidOperationException("capture failed");
            }));

        Assert.That(error!.Message, Is.EqualTo("capture failed"));
        Assert.That(await Store.ReadPayloadAsync("s3"), Is.EqualTo(previous));
    }

    [Test]
    public async Task Concurrent_writes_of_one_service_each_complete_and_leave_one_whole_version()
    {
        const int writers = 8;
        var payloads = Enumerable.Range(1, writers).Select(i => StoreTestData.Json($"writer-{i}", i * 40_000)).ToArray();

        // Each writer yields between chunks, so unserialized writes would interleave their bytes.
        var writes = Enumerable.Range(1, writers).Select(i => Task.Run(async () => await Store.WriteAsync(
            new SnapshotWriteRequest("s3", 1, i),
            async (destination, ct) =>
            {
                var payload = payloads[i - 1];
                for (var offset = 0; offset < payload.Length; offset += 4096)
                {
                    await destination.WriteAsync(payload.AsMemory(offset, Math.Min(4096, payload.Length - offset)), ct);
                    await Task.Yield();
                }
            })));
        var results = await Task.WhenAll(writes);

        Assert.That(results.Select(r => r.Generation), Is.EquivalentTo(Enumerable.Range(1, writers).Select(i => (long)i)));
        var metadata = await Store.GetMetadataAsync("s3");
        var stored = await Store.ReadPayloadAsync("s3");
        Assert.That(metadata, Is.Not.Null);
        Assert.That(stored, Is.EqualTo(payloads[metadata!.Generation - 1]), "the stored payload is the complete payload of the generation its header names");
    }

    [Test]
    public async Task A_new_asset_generation_is_an_empty_folder_found_again_by_its_number()
    {
        var folder = await Store.CreateAssetGenerationAsync("s3", 1);

        Assert.That(Directory.Exists(folder), Is.True);
        Assert.That(Directory.EnumerateFileSystemEntries(folder), Is.Empty);
        Assert.That(Store.GetAssetGenerationDirectory("s3", 1), Is.EqualTo(folder));
        Assert.That(Store.GetAssetGenerationDirectory("s3", 2), Is.Null);
        Assert.That(Store.GetAssetGenerationDirectory("sqs", 1), Is.Null);
    }

    [Test]
    public async Task Creating_a_generation_again_discards_what_a_save_that_never_committed_staged()
    {
        var folder = await Store.CreateAssetGenerationAsync("s3", 3);
        await File.WriteAllTextAsync(Path.Combine(folder, "leftover.db"), "half-staged");
        Directory.CreateDirectory(Path.Combine(folder, "nested"));

        var again = await Store.CreateAssetGenerationAsync("s3", 3);

        Assert.That(again, Is.EqualTo(folder));
        Assert.That(Directory.EnumerateFileSystemEntries(again), Is.Empty);
    }

    [Test]
    public async Task Flushing_a_generation_keeps_its_files()
    {
        var folder = await Store.CreateAssetGenerationAsync("s3", 1);
        Directory.CreateDirectory(Path.Combine(folder, "buckets"));
        await File.WriteAllTextAsync(Path.Combine(folder, "buckets", "a.bin"), "alpha");
        await File.WriteAllTextAsync(Path.Combine(folder, "index.db"), "index");

        await Store.FlushAssetGenerationAsync("s3", 1);

        Assert.That(File.ReadAllText(Path.Combine(folder, "buckets", "a.bin")), Is.EqualTo("alpha"));
        Assert.That(File.ReadAllText(Path.Combine(folder, "index.db")), Is.EqualTo("index"));
    }

    [Test]
    public async Task Pruning_keeps_only_the_named_generation_and_the_working_folder()
    {
        foreach (var generation in new long[] { 1, 2, 3 })
        {
            var folder = await Store.CreateAssetGenerationAsync("s3", generation);
            await File.WriteAllTextAsync(Path.Combine(folder, "data.db"), $"generation {generation}");
        }

        var working = Store.GetWorkingDirectory("s3");
        await File.WriteAllTextAsync(Path.Combine(working, "live.db"), "live");

        await Store.PruneAssetGenerationsAsync("s3", 2);

        Assert.That(Store.GetAssetGenerationDirectory("s3", 1), Is.Null);
        Assert.That(Store.GetAssetGenerationDirectory("s3", 3), Is.Null);
        var kept = Store.GetAssetGenerationDirectory("s3", 2);
        Assert.That(kept, Is.Not.Null);
        Assert.That(File.ReadAllText(Path.Combine(kept!, "data.db")), Is.EqualTo("generation 2"));
        Assert.That(File.ReadAllText(Path.Combine(working, "live.db")), Is.EqualTo("live"));
    }

    [Test]
    public async Task The_working_folder_is_stable_per_service_and_never_a_generation_folder()
    {
        var working = Store.GetWorkingDirectory("s3");
        var generation = await Store.CreateAssetGenerationAsync("s3", 1);

        Assert.That(Directory.Exists(working), Is.True);
        Assert.That(Store.GetWorkingDirectory("s3"), Is.EqualTo(working));
        Assert.That(Store.GetWorkingDirectory("sqs"), Is.Not.EqualTo(working));
        Assert.That(working, Is.Not.EqualTo(generation));
        Assert.That(Path.GetFullPath(generation).StartsWith(Path.GetFullPath(working) + Path.DirectorySeparatorChar, StringComparison.Ordinal), Is.False);
    }

    [TestCase(0)]
    [TestCase(-1)]
    [TestCase(long.MinValue)]
    public async Task Generations_below_one_are_rejected(long generation)
    {
        await Assert.CatchAsync<ArgumentOutOfRangeException>(async () => await Store.CreateAssetGenerationAsync("s3", generation));
        await Assert.CatchAsync<ArgumentOutOfRangeException>(async () => await Store.FlushAssetGenerationAsync("s3", generation));
        await Assert.CatchAsync<ArgumentOutOfRangeException>(async () => await Store.PruneAssetGenerationsAsync("s3", generation));
        Assert.Catch<ArgumentOutOfRangeException>(() => Store.GetAssetGenerationDirectory("s3", generation));
        await Assert.CatchAsync<ArgumentException>(async () => await Store.WriteAsync("s3", generation, StoreTestData.Json("x")));
    }

    /// <summary>Names from the reliability catalogue (case 12).</summary>
    public static IEnumerable<string> HostileNames()
    {
        yield return "../../etc";
        yield return "/abs";
        yield return "a/b";
        yield return "a\\b";
        yield return "..";
        yield return ".";
        yield return string.Empty;
        yield return "s3\0";
        yield return new string('a', 300);
        yield return "CON";
        yield return "con";
        yield return "S3";
    }

    [TestCaseSource(nameof(HostileNames))]
    public async Task Every_method_rejects_a_hostile_service_name(string name)
    {
        var calls = StoreCalls(Store, name);
        foreach (var (method, call) in calls)
        {
            await Assert.CatchAsync<ArgumentException>(async () => await call(), method);
        }
    }

    /// <summary>Every method of the store that takes a service name, called with <paramref name="serviceName"/>.</summary>
    public static IReadOnlyList<(string Method, Func<Task> Call)> StoreCalls(ISnapshotStore store, string serviceName) =>
    [
        ("WriteAsync", async () => await store.WriteAsync(serviceName, 1, StoreTestData.Json("x"))),
        ("OpenReadAsync", async () => await store.OpenReadAsync(serviceName)),
        ("GetMetadataAsync", async () => await store.GetMetadataAsync(serviceName)),
        ("DeleteAsync", async () => await store.DeleteAsync(serviceName)),
        ("GetWorkingDirectory", () => Task.FromResult(store.GetWorkingDirectory(serviceName))),
        ("CreateAssetGenerationAsync", async () => await store.CreateAssetGenerationAsync(serviceName, 1)),
        ("FlushAssetGenerationAsync", async () => await store.FlushAssetGenerationAsync(serviceName, 1)),
        ("GetAssetGenerationDirectory", () => Task.FromResult(store.GetAssetGenerationDirectory(serviceName, 1))),
        ("PruneAssetGenerationsAsync", async () => await store.PruneAssetGenerationsAsync(serviceName, 1)),
    ];
}
