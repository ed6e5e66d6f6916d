using LocalStack.Persistence.Strategies;

namespace LocalStack.Persistence.Tests.Coordination;

/// <summary>Lazy loading (RELIABILITY 16) and faulted services (RELIABILITY 5, 6).</summary>
public sealed class SnapshotManagerLoadTests : CoordinationTestBase
{
    [Test]
    public async Task A_hundred_concurrent_first_requests_load_the_service_exactly_once()
    {
        await SeedAsync("s3", 1, "bucket-a", "bucket-b");
        var provider = new TestProvider("s3");
        var restoreStarted = NewSignal();
        var releaseRestore = NewSignal();
        provider.OnRestore = async () =>
        {
            restoreStarted.TrySetResult();
            await releaseRestore.Task;
        };
        var manager = CreateManager([provider]);

        // Half join synchronously (their calls are all made before the load can finish), half from the thread pool.
        var requests = new List<Task<string[]>>();
        for (var i = 0; i < 100; i++)
        {
            requests.Add(i % 2 == 0 ? RequestAsync() : Task.Run(RequestAsync));
        }

        await Within(restoreStarted.Task);
        releaseRestore.SetResult();
        var seen = await Within(Task.WhenAll(requests));

        Assert.That(provider.Restores, Is.EqualTo(1));
        Assert.That(seen, Has.All.EqualTo(new[] { "bucket-a", "bucket-b" }), "every request saw the loaded state");
        Assert.That(manager.GetStatus("s3").Loaded, Is.True);

        async Task<string[]> RequestAsync()
        {
            var scope = await manager.BeginRequestAsync("s3", mutating: false);
            await using (scope)
            {
                return provider.Items;
            }
        }
    }

    [Test]
    public async Task A_failed_load_reaches_every_waiting_request_and_the_next_request_loads()
    {
        await SeedAsync("s3", 1, "bucket-a");
        var provider = new TestProvider("s3") { FailRestores = 1 };
        var releaseRestore = NewSignal();
        provider.OnRestore = () => new ValueTask(releaseRestore.Task);
        var manager = CreateManager([provider]);

        var waiting = Enumerable.Range(0, 10).Select(_ => manager.BeginRequestAsync("s3", mutating: false).AsTask()).ToList();
        Assert.That(waiting.Any(t => t.IsCompleted), Is.False);
        releaseRestore.SetResult();

        foreach (var request in waiting)
        {
            // The restore had started: the provider may hold part of the snapshot, so the service is faulted meanwhile.
            var error = await Assert.CatchAsync<ServiceFaultedException>(async () => await request.WaitAsync(Patience));
            Assert.That(error!.InnerException, Is.TypeOf<IOException>());
            Assert.That(error.Message, Does.Contain("simulated transient failure").And.Contain("stopped half-way"));
        }

        Assert.That(provider.Restores, Is.EqualTo(1), "the ten requests shared one load");
        var status = manager.GetStatus("s3");
        Assert.That((status.Loaded, status.Faulted), Is.EqualTo((false, true)), "a restore that failed half-way is not cached as success");
        Assert.That(status.LastError, Does.Contain("simulated transient failure"));

        var next = await Within(manager.BeginRequestAsync("s3", mutating: false));
        await next.DisposeAsync();
        Assert.That(provider.Restores, Is.EqualTo(2));
        Assert.That(provider.Items, Is.EqualTo(new[] { "bucket-a" }));
        Assert.That(manager.GetStatus("s3").LastError, Is.Null);
        Assert.That(manager.GetStatus("s3").Faulted, Is.False, "the next request's load cleared the fault");
    }

    [Test]
    public async Task A_truncated_snapshot_faults_the_service_and_is_never_overwritten()
    {
        var seeded = await SeedAsync("s3", 1, "bucket-a", "bucket-b");
        var path = StateFile(seeded);
        var good = await File.ReadAllBytesAsync(path);
        await File.WriteAllBytesAsync(path, good[..(good.Length / 2)]);
        var damaged = await File.ReadAllBytesAsync(path);
        var provider = new TestProvider("s3");
        var manager = CreateManager([provider], new ScheduledSaveStrategy(TimeSpan.FromSeconds(1), Time));

        var error = await Assert.ThrowsAsync<ServiceFaultedException>(async () => await manager.BeginRequestAsync("s3", mutating: true));
        Assert.That(error!.Message, Does.Contain(path), "the error names the file");
        Assert.That(error.ServiceName, Is.EqualTo("s3"));
        await Assert.ThrowsAsync<ServiceFaultedException>(async () => await manager.BeginRequestAsync("s3", mutating: false), "still faulted");
        Assert.That(provider.Items, Is.Empty);

        var saveError = await Assert.ThrowsAsync<ServiceFaultedException>(async () => await manager.SaveAsync("s3"));
        Assert.That(saveError!.Message, Does.Contain(path));
        var all = await ToListAsync(manager.SaveAllAsync());
        Assert.That(all.Single().Error, Is.TypeOf<ServiceFaultedException>());
        manager.MarkModified("s3");
        await manager.SaveStrategy.OnStoppedAsync(manager, CancellationToken.None);

        Assert.That(await File.ReadAllBytesAsync(path), Is.EqualTo(damaged), "the damaged bytes are kept as they were");
        Assert.That(provider.Captures, Is.Zero);
        var status = manager.GetStatus("s3");
        Assert.That((status.Faulted, status.Loaded), Is.EqualTo((true, false)));
        Assert.That(status.LastError, Does.Contain(path));

        await manager.ResetAsync("s3");
        Assert.That(manager.GetStatus("s3").Faulted, Is.False);
        await MutateAsync(manager, provider, "fresh");
        await manager.SaveAsync("s3");
        Assert.That(await ReadStoredAsync("s3"), Is.EqualTo(new[] { "fresh" }));
    }

    [Test]
    public async Task A_successful_load_after_the_file_is_replaced_clears_the_fault()
    {
        var seeded = await SeedAsync("s3", 1, "bucket-a", "bucket-b");
        var path = StateFile(seeded);
        var good = await File.ReadAllBytesAsync(path);
        await File.WriteAllBytesAsync(path, good[..^3]);
        var provider = new TestProvider("s3");
        var manager = CreateManager([provider]);
        await Assert.ThrowsAsync<ServiceFaultedException>(async () => await manager.EnsureLoadedAsync("s3"));
        await Assert.ThrowsAsync<ServiceFaultedException>(async () => await manager.LoadAsync("s3"), "loading the same damaged file again keeps the fault");
        Assert.That(manager.GetStatus("s3").Faulted, Is.True);

        // The operator restores the file from a backup.
        await File.WriteAllBytesAsync(path, good);
        var loaded = await manager.LoadAsync("s3");

        Assert.That(loaded!.Generation, Is.EqualTo(seeded.Generation));
        var status = manager.GetStatus("s3");
        Assert.That((status.Faulted, status.Loaded, status.LastError), Is.EqualTo((false, true, (string?)null)));
        var scope = await manager.BeginRequestAsync("s3", mutating: false);
        await scope.DisposeAsync();
        Assert.That(provider.Items, Is.EqualTo(new[] { "bucket-a", "bucket-b" }));
    }

    [Test]
    public async Task A_snapshot_of_a_newer_schema_faults_the_service_and_is_never_overwritten()
    {
        var seeded = await SeedAsync("s3", 2, "from-the-future");
        var before = await File.ReadAllBytesAsync(StateFile(seeded));
        var provider = new TestProvider("s3", schemaVersion: 1);
        var manager = CreateManager([provider], new OnRequestSaveStrategy());

        var error = await Assert.ThrowsAsync<ServiceFaultedException>(async () => await manager.BeginRequestAsync("s3", mutating: true));
        Assert.That(error!.Message, Does.Contain("schema version 2").And.Contain(StateFile(seeded)));
        await Assert.ThrowsAsync<ServiceFaultedException>(async () => await manager.SaveAsync("s3"));

        Assert.That(await File.ReadAllBytesAsync(StateFile(seeded)), Is.EqualTo(before));
        Assert.That(manager.GetStatus("s3").Faulted, Is.True);

        await manager.ResetAsync("s3");
        Assert.That(await ReadStoredAsync("s3"), Is.Empty, "the reset's save (ON_REQUEST) replaced the snapshot the operator gave up with the empty state");
        await MutateAsync(manager, provider, "now");
        Assert.That(await ReadStoredAsync("s3"), Is.EqualTo(new[] { "now" }));
    }

    [Test]
    public async Task A_service_without_a_snapshot_loads_as_empty_once()
    {
        var provider = new TestProvider("s3");
        var manager = CreateManager([provider]);

        await manager.EnsureLoadedAsync("s3");
        await manager.EnsureLoadedAsync("s3");

        var status = manager.GetStatus("s3");
        Assert.That((status.Loaded, status.Generation, status.StoredSize), Is.EqualTo((true, 0L, 0L)));
        Assert.That(provider.Restores, Is.Zero);
    }

    [Test]
    public async Task Manual_loading_serves_requests_without_loading_until_asked()
    {
        await SeedAsync("s3", 1, "bucket-a");
        var provider = new TestProvider("s3");
        var manager = CreateManager([provider], load: new ManualLoadStrategy());

        var scope = await manager.BeginRequestAsync("s3", mutating: false);
        await scope.DisposeAsync();
        Assert.That(provider.Restores, Is.Zero);
        Assert.That(provider.Items, Is.Empty, "a service never loaded serves its empty state");

        await manager.LoadAsync("s3");
        Assert.That(provider.Items, Is.EqualTo(new[] { "bucket-a" }));
    }

    [Test]
    public async Task A_load_replaces_the_live_state_and_leaves_the_service_clean()
    {
        await SeedAsync("s3", 1, "stored");
        var provider = new TestProvider("s3");
        var manager = CreateManager([provider], load: new ManualLoadStrategy());
        await MutateAsync(manager, provider, "live");
        Assert.That(manager.GetStatus("s3").Dirty, Is.True);

        await manager.LoadAsync("s3");

        Assert.That(provider.Items, Is.EqualTo(new[] { "stored" }));
        Assert.That(manager.GetStatus("s3").Dirty, Is.False);
    }

    private static async Task<List<ServiceOperationResult>> ToListAsync(IAsyncEnumerable<ServiceOperationResult> results)
    {
        var list = new List<ServiceOperationResult>();
        await foreach (var result in results)
        {
            list.Add(result);
        }

        return list;
    }
}
