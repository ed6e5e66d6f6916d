using LocalStack.Persistence.Strategies;

namespace LocalStack.Persistence.Tests.Coordination;

/// <summary>Merged saves, dirty tracking, status and the all-service calls.</summary>
public sealed class SnapshotManagerSaveTests : CoordinationTestBase
{
    [Test]
    public async Task Fifty_concurrent_mutations_share_far_fewer_saves_and_each_is_durable_when_acknowledged()
    {
        const int Mutations = 50;
        var provider = new TestProvider("sqs");
        var manager = CreateManager([provider], new OnRequestSaveStrategy());
        var inFlight = 0;
        var allInFlight = NewSignal();

        // The fifty requests are in flight together (each has entered the gate and made its change) and then end
        // together, as concurrent requests do; without that, fast saves could simply run one after another.
        var requests = Enumerable.Range(0, Mutations).Select(i => Task.Run(async () =>
        {
            var item = $"message-{i}";
            var scope = await manager.BeginRequestAsync("sqs", mutating: true);
            await using (scope)
            {
                provider.Add(item);
                if (Interlocked.Increment(ref inFlight) == Mutations)
                {
                    allInFlight.SetResult();
                }

                await allInFlight.Task;
            }

            // Acknowledged: the change must already be on disk.
            Assert.That(await ReadStoredAsync("sqs"), Does.Contain(item), $"{item} was acknowledged before it was durable");
        })).ToArray();
        await Within(Task.WhenAll(requests));

        TestContext.Out.WriteLine($"{Mutations} concurrent mutating requests were covered by {provider.Writes} saves");
        Assert.That(provider.Writes, Is.LessThan(Mutations / 2));
        Assert.That(await ReadStoredAsync("sqs"), Has.Length.EqualTo(Mutations));
        Assert.That(manager.GetStatus("sqs").Dirty, Is.False);
    }

    [Test]
    public async Task Every_acknowledged_mutation_is_durable_when_requests_come_and_go_freely()
    {
        const int Mutations = 50;
        var provider = new TestProvider("sqs");
        var manager = CreateManager([provider], new OnRequestSaveStrategy());
        var start = NewSignal();

        var requests = Enumerable.Range(0, Mutations).Select(i => Task.Run(async () =>
        {
            await start.Task;
            var item = $"message-{i}";
            await MutateAsync(manager, provider, item);
            Assert.That(await ReadStoredAsync("sqs"), Does.Contain(item), $"{item} was acknowledged before it was durable");
        })).ToArray();
        start.SetResult();
        await Within(Task.WhenAll(requests));

        TestContext.Out.WriteLine($"{Mutations} free-running mutating requests were covered by {provider.Writes} saves");
        Assert.That(provider.Writes, Is.LessThanOrEqualTo(Mutations));
        Assert.That(await ReadStoredAsync("sqs"), Has.Length.EqualTo(Mutations));
    }

    [Test]
    public async Task Callers_arriving_while_a_save_writes_share_one_follow_up_save_that_covers_their_changes()
    {
        var provider = new TestProvider("sqs");
        var (writeStarted, releaseWrite) = provider.HoldFirstWrite();
        var manager = CreateManager([provider]);
        await MutateAsync(manager, provider, "first");
        var running = manager.SaveAsync("sqs").AsTask();
        await Within(writeStarted.Task);

        await MutateAsync(manager, provider, "second");
        var followUps = Enumerable.Range(0, 5).Select(_ => manager.SaveAsync("sqs").AsTask()).ToArray();
        Assert.That(provider.Captures, Is.EqualTo(1), "the follow-up capture waits for the running save to commit");
        releaseWrite.SetResult();

        var first = await Within(running);
        var merged = await Within(Task.WhenAll(followUps));
        Assert.That(provider.Writes, Is.EqualTo(2), "one running save and one merged follow-up");
        Assert.That(merged.Select(m => m.Generation).Distinct().Single(), Is.GreaterThan(first.Generation));
        Assert.That(await ReadStoredAsync("sqs"), Is.EqualTo(new[] { "first", "second" }));
    }

    [Test]
    public async Task Callers_arriving_before_the_capture_starts_share_that_save()
    {
        var provider = new TestProvider("sqs");
        var manager = CreateManager([provider]);
        await MutateAsync(manager, provider, "first");
        var request = await manager.BeginRequestAsync("sqs", mutating: false);
        var first = manager.SaveAsync("sqs").AsTask();
        await WaitUntilAsync(() => manager.GetGate("sqs").ExclusiveWaiters == 1, "the capture waits for the request");

        manager.MarkModified("sqs");
        var joined = Enumerable.Range(0, 5).Select(_ => manager.SaveAsync("sqs").AsTask()).ToArray();
        await request.DisposeAsync();

        var results = await Within(Task.WhenAll(joined.Append(first)));
        Assert.That(results.Select(r => r.Generation).Distinct().Count(), Is.EqualTo(1), "one save for all six callers");
        Assert.That(provider.Writes, Is.EqualTo(1));
        Assert.That(manager.GetStatus("sqs").Dirty, Is.False, "the change marked before joining is covered");
    }

    [Test]
    public async Task A_mutation_during_a_save_keeps_the_service_dirty()
    {
        var provider = new TestProvider("sqs");
        var writeStarted = NewSignal();
        var releaseWrite = NewSignal();
        provider.OnWrite = async () =>
        {
            writeStarted.TrySetResult();
            await releaseWrite.Task;
        };
        var manager = CreateManager([provider]);
        await MutateAsync(manager, provider, "before");
        var save = manager.SaveAsync("sqs").AsTask();
        await Within(writeStarted.Task);

        await MutateAsync(manager, provider, "during");
        releaseWrite.SetResult();
        await Within(save);

        Assert.That(manager.GetStatus("sqs").Dirty, Is.True);
        Assert.That(await ReadStoredAsync("sqs"), Is.EqualTo(new[] { "before" }));
    }

    [Test]
    public async Task Status_reports_loaded_dirty_generation_last_save_size_and_last_error()
    {
        var seeded = await SeedAsync("sqs", 1, "stored");
        var provider = new TestProvider("sqs");
        var manager = CreateManager([provider]);
        Assert.That(manager.GetStatus("sqs"), Is.EqualTo(new ServiceStatus("sqs", false, false, false, 0, null, 0, null)));

        await manager.EnsureLoadedAsync("sqs");
        Assert.That(manager.GetStatus("sqs"), Is.EqualTo(new ServiceStatus("sqs", true, false, false, seeded.Generation, seeded.CreatedAt, new FileInfo(seeded.Location).Length, null)), "last saved: when the loaded snapshot was written");

        await MutateAsync(manager, provider, "new");
        Assert.That(manager.GetStatus("sqs").Dirty, Is.True);

        Time.Advance(TimeSpan.FromMinutes(3));
        var saved = await manager.SaveAsync("sqs");
        var status = manager.GetStatus("sqs");
        Assert.That(status, Is.EqualTo(new ServiceStatus("sqs", true, false, false, saved.Generation, Time.GetUtcNow(), new FileInfo(saved.Location).Length, null)));
        Assert.That(saved.Generation, Is.GreaterThan(seeded.Generation));

        provider.FailWrite = true;
        await MutateAsync(manager, provider, "lost?");
        await Assert.ThrowsAsync<IOException>(async () => await manager.SaveAsync("sqs"));
        var failed = manager.GetStatus("sqs");
        Assert.That(failed.Dirty, Is.True, "a failed save leaves the service dirty");
        Assert.That(failed.LastError, Does.Contain("simulated failure writing"));
        Assert.That((failed.Generation, failed.LastSavedAt), Is.EqualTo((saved.Generation, status.LastSavedAt)));

        provider.FailWrite = false;
        await manager.SaveAsync("sqs");
        Assert.That(manager.GetStatus("sqs").LastError, Is.Null);
        Assert.That(await ReadStoredAsync("sqs"), Is.EqualTo(new[] { "stored", "new", "lost?" }));
    }

    [Test]
    public async Task Saving_a_service_that_was_never_loaded_or_modified_keeps_its_snapshot()
    {
        var seeded = await SeedAsync("sqs", 1, "stored");
        var provider = new TestProvider("sqs");
        var manager = CreateManager([provider]);

        var metadata = await manager.SaveAsync("sqs");

        Assert.That(metadata.Generation, Is.EqualTo(seeded.Generation));
        Assert.That(provider.Captures, Is.Zero);
        Assert.That(await ReadStoredAsync("sqs"), Is.EqualTo(new[] { "stored" }));
    }

    [Test]
    public async Task Save_all_yields_each_result_as_it_finishes_so_a_slow_service_holds_back_no_other()
    {
        var slow = new TestProvider("dynamodb");
        var fast = new TestProvider("s3");
        var releaseSlow = NewSignal();
        slow.OnWrite = () => new ValueTask(releaseSlow.Task);
        var manager = CreateManager([slow, fast]);
        await MutateAsync(manager, slow, "table");
        await MutateAsync(manager, fast, "bucket");

        await using var results = manager.SaveAllAsync().GetAsyncEnumerator();
        Assert.That(await Within(results.MoveNextAsync()), Is.True);
        Assert.That(results.Current, Is.EqualTo(new ServiceOperationResult("s3", SnapshotOperation.Save, null)));
        Assert.That(manager.GetStatus("dynamodb").LastSavedAt, Is.Null, "the slow save is still writing");

        releaseSlow.SetResult();
        Assert.That(await Within(results.MoveNextAsync()), Is.True);
        Assert.That(results.Current, Is.EqualTo(new ServiceOperationResult("dynamodb", SnapshotOperation.Save, null)));
        Assert.That(await results.MoveNextAsync(), Is.False);
    }

    [Test]
    public async Task A_failing_service_reports_its_error_while_the_others_save()
    {
        var broken = new TestProvider("dynamodb") { FailWrite = true };
        var healthy = new[] { new TestProvider("s3"), new TestProvider("sqs") };
        var manager = CreateManager([broken, .. healthy]);
        foreach (var provider in healthy.Append(broken))
        {
            await MutateAsync(manager, provider, "x");
        }

        var results = new List<ServiceOperationResult>();
        await foreach (var result in manager.SaveAllAsync())
        {
            results.Add(result);
        }

        Assert.That(results.Select(r => r.ServiceName), Is.EquivalentTo(new[] { "dynamodb", "s3", "sqs" }));
        Assert.That(results.Single(r => r.ServiceName == "dynamodb").Error, Is.TypeOf<IOException>());
        Assert.That(results.Where(r => r.ServiceName != "dynamodb"), Has.All.Matches<ServiceOperationResult>(r => r!.Succeeded));
        Assert.That(await ReadStoredAsync("s3"), Is.EqualTo(new[] { "x" }));
        Assert.That(await ReadStoredAsync("dynamodb"), Is.Null);
    }

    [Test]
    public async Task Dirty_only_save_all_saves_just_the_modified_services()
    {
        var modified = new TestProvider("s3");
        var clean = new TestProvider("sqs");
        var manager = CreateManager([modified, clean]);
        await MutateAsync(manager, modified, "x");
        var read = await manager.BeginRequestAsync("sqs", mutating: false);
        await read.DisposeAsync();

        var results = new List<ServiceOperationResult>();
        await foreach (var result in manager.SaveAllAsync(dirtyOnly: true))
        {
            results.Add(result);
        }

        Assert.That(results.Select(r => r.ServiceName), Is.EqualTo(new[] { "s3" }));
        Assert.That((modified.Writes, clean.Writes), Is.EqualTo((1, 0)));
    }

    [Test]
    public async Task Load_all_and_reset_all_report_every_service()
    {
        var seeded = await SeedAsync("s3", 1, "bucket");
        await File.WriteAllBytesAsync(seeded.Location, (await File.ReadAllBytesAsync(seeded.Location))[..10]);
        await SeedAsync("sqs", 1, "queue");
        var providers = new[] { new TestProvider("dynamodb"), new TestProvider("s3"), new TestProvider("sqs") };
        var manager = CreateManager(providers);

        var loads = new List<ServiceOperationResult>();
        await foreach (var result in manager.LoadAllAsync())
        {
            loads.Add(result);
        }

        Assert.That(loads.Select(r => r.ServiceName), Is.EquivalentTo(new[] { "dynamodb", "s3", "sqs" }));
        Assert.That(loads.Single(r => r.ServiceName == "s3").Error, Is.TypeOf<ServiceFaultedException>());
        Assert.That(loads.Where(r => r.ServiceName != "s3"), Has.All.Matches<ServiceOperationResult>(r => r!.Succeeded && r.Operation == SnapshotOperation.Load));
        Assert.That(providers[2].Items, Is.EqualTo(new[] { "queue" }));
        Assert.That(manager.GetStatus("dynamodb").Loaded, Is.True, "no snapshot counts as loaded (empty)");

        var resets = new List<ServiceOperationResult>();
        await foreach (var result in manager.ResetAllAsync())
        {
            resets.Add(result);
        }

        Assert.That(resets, Has.Count.EqualTo(3).And.All.Matches<ServiceOperationResult>(r => r!.Succeeded && r.Operation == SnapshotOperation.Reset));
        Assert.That(providers.Select(p => p.Resets), Is.EqualTo(new[] { 1, 1, 1 }));
        Assert.That(manager.GetStatus("s3").Faulted, Is.False);
        Assert.That(await ReadStoredAsync("sqs"), Is.Not.Null, "reset empties the live state; the snapshot stays until a save");
        Assert.That(manager.GetStatus("sqs").Dirty, Is.True);
    }
}
