using LocalStack.Persistence.Strategies;

namespace LocalStack.Persistence.Tests.Coordination;

/// <summary>Construction, unknown services, read-only baseline mode and disabled persistence.</summary>
public sealed class SnapshotManagerModeTests : CoordinationTestBase
{
    [Test]
    public void Two_providers_for_one_service_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => CreateManager([new TestProvider("s3"), new TestProvider("sqs"), new TestProvider("s3")]));
        Assert.That(error!.Message, Does.Contain("'s3'"));
    }

    [TestCase("")]
    [TestCase("../etc")]
    [TestCase("S3")]
    public void A_provider_with_an_invalid_service_name_is_refused(string name)
        => Assert.Throws<ArgumentException>(() => CreateManager([new TestProvider(name)]));

    [Test]
    public void Service_names_are_ordered()
        => Assert.That(CreateManager([new TestProvider("sqs"), new TestProvider("dynamodb"), new TestProvider("s3")]).ServiceNames, Is.EqualTo(new[] { "dynamodb", "s3", "sqs" }));

    [Test]
    public async Task Every_call_on_an_unknown_service_throws_UnknownServiceException()
    {
        var manager = CreateManager([new TestProvider("s3")]);
        await Assert.ThrowsAsync<UnknownServiceException>(async () => await manager.BeginRequestAsync("lambda", mutating: false));
        await Assert.ThrowsAsync<UnknownServiceException>(async () => await manager.SaveAsync("lambda"));
        await Assert.ThrowsAsync<UnknownServiceException>(async () => await manager.LoadAsync("lambda"));
        await Assert.ThrowsAsync<UnknownServiceException>(async () => await manager.ResetAsync("lambda"));
        await Assert.ThrowsAsync<UnknownServiceException>(async () => await manager.EnsureLoadedAsync("../lambda"));
        Assert.Throws<UnknownServiceException>(() => manager.MarkModified("lambda"));
        var error = Assert.Throws<UnknownServiceException>(() => manager.GetStatus("lambda"));
        Assert.That(error!.ServiceName, Is.EqualTo("lambda"));
    }

    [Test]
    public async Task Read_only_mode_loads_the_baseline_and_never_saves()
    {
        var seeded = await SeedAsync("s3", 1, "baseline");
        var before = await File.ReadAllBytesAsync(seeded.Location);
        var provider = new TestProvider("s3");
        var manager = CreateManager([provider], new OnRequestSaveStrategy(), readOnly: true);
        Assert.That((manager.IsEnabled, manager.IsReadOnly), Is.EqualTo((true, true)));

        await MutateAsync(manager, provider, "test-run");
        Assert.That(provider.Items, Is.EqualTo(new[] { "baseline", "test-run" }), "loaded per the strategy, then changed");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await manager.SaveAsync("s3"));
        Assert.That(error!.Message, Does.Contain("read-only"));
        await foreach (var result in manager.SaveAllAsync())
        {
            Assert.That(result.Error, Is.TypeOf<InvalidOperationException>());
        }

        foreach (var strategy in new ISaveStrategy[] { new OnRequestSaveStrategy(), new ScheduledSaveStrategy(TimeSpan.FromSeconds(1), Time), new OnShutdownSaveStrategy() })
        {
            await strategy.OnStoppedAsync(manager, CancellationToken.None);
        }

        Assert.That(provider.Captures, Is.Zero);
        Assert.That(await File.ReadAllBytesAsync(seeded.Location), Is.EqualTo(before));

        await manager.ResetAsync("s3");
        Assert.That(provider.Items, Is.Empty);
        Assert.That(await File.ReadAllBytesAsync(seeded.Location), Is.EqualTo(before), "a reset keeps the baseline");
        await manager.LoadAsync("s3");
        Assert.That(provider.Items, Is.EqualTo(new[] { "baseline" }));
    }

    [Test]
    public async Task Disabled_persistence_passes_requests_through_and_refuses_explicit_operations_but_reset()
    {
        var provider = new TestProvider("s3");
        var manager = CreateManager([provider], new OnRequestSaveStrategy(), disabled: true);
        Assert.That(manager.IsEnabled, Is.False);

        await MutateAsync(manager, provider, "in-memory");
        await manager.EnsureLoadedAsync("s3");
        manager.MarkModified("s3");

        Assert.That(provider.Items, Is.EqualTo(new[] { "in-memory" }));
        Assert.That(provider.Captures + provider.Restores, Is.Zero);
        Assert.That(manager.GetStatus("s3"), Is.EqualTo(new ServiceStatus("s3", false, false, false, 0, null, 0, null)));
        foreach (var call in new Func<Task>[]
        {
            async () => await manager.SaveAsync("s3"),
            async () => await manager.LoadAsync("s3"),
            async () => await manager.DeleteSnapshotAsync("s3"),
            () => { manager.SaveAllAsync(); return Task.CompletedTask; },
            () => { manager.LoadAllAsync(); return Task.CompletedTask; },
            () => { manager.DeleteAllSnapshotsAsync(); return Task.CompletedTask; },
        })
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await call());
            Assert.That(error!.Message, Does.StartWith("Persistence is disabled (PERSISTENCE=0)"));
        }

        // LocalStack's reset empties the live state with persistence off too; nothing is written.
        await manager.ResetAsync("s3");
        Assert.That(provider.Items, Is.Empty);
        Assert.That(provider.Resets, Is.EqualTo(1));
        await MutateAsync(manager, provider, "again");
        await foreach (var result in manager.ResetAllAsync())
        {
            Assert.That(result.Error, Is.Null);
        }

        Assert.That(provider.Items, Is.Empty);
        Assert.That(provider.Captures, Is.Zero);
        Assert.That(Directory.EnumerateFiles(StateDirectory, "store.state*", SearchOption.AllDirectories), Is.Empty, "persistence off writes nothing");
    }

    [Test]
    public async Task Disabled_persistence_still_holds_the_gate_for_requests()
    {
        var manager = CreateManager([new TestProvider("s3")], disabled: true);
        var scope = await manager.BeginRequestAsync("s3", mutating: true);
        Assert.That(manager.GetGate("s3").SharedHolders, Is.EqualTo(1));
        await scope.DisposeAsync();
        Assert.That(manager.GetGate("s3").SharedHolders, Is.Zero);
    }

    [Test]
    public async Task A_disposed_manager_refuses_new_work()
    {
        var manager = CreateManager([new TestProvider("s3")]);
        await manager.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await manager.BeginRequestAsync("s3", mutating: false));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await manager.SaveAsync("s3"));
    }
}
