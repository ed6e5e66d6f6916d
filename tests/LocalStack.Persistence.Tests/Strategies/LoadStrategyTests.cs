using LocalStack.Persistence.Strategies;
using LocalStack.Persistence.Tests.Coordination;

namespace LocalStack.Persistence.Tests.Strategies;

/// <summary>The built-in load strategies against a real store.</summary>
public sealed class LoadStrategyTests : CoordinationTestBase
{
    [Test]
    public async Task OnStartup_loads_every_service_before_serving_and_requests_do_not_load_again()
    {
        await SeedAsync("s3", 1, "bucket");
        await SeedAsync("sqs", 1, "queue");
        var providers = new[] { new TestProvider("dynamodb"), new TestProvider("s3"), new TestProvider("sqs") };
        var strategy = new OnStartupLoadStrategy();
        var manager = CreateManager(providers, load: strategy);

        await Within(strategy.OnStartingAsync(manager, CancellationToken.None));

        Assert.That(providers.Select(p => p.Restores), Is.EqualTo(new[] { 0, 1, 1 }));
        Assert.That(manager.ServiceNames.Select(n => manager.GetStatus(n).Loaded), Has.All.True, "a service without a snapshot counts as loaded (empty)");
        Assert.That(providers[1].Items, Is.EqualTo(new[] { "bucket" }));

        var scope = await manager.BeginRequestAsync("s3", mutating: false);
        await scope.DisposeAsync();
        Assert.That(providers[1].Restores, Is.EqualTo(1));
    }

    [Test]
    public async Task OnStartup_leaves_a_corrupt_service_faulted_and_starts_the_others()
    {
        var seeded = await SeedAsync("s3", 1, "bucket");
        await File.WriteAllBytesAsync(seeded.Location, (await File.ReadAllBytesAsync(seeded.Location))[..^1]);
        await SeedAsync("sqs", 1, "queue");
        var providers = new[] { new TestProvider("s3"), new TestProvider("sqs") };
        var strategy = new OnStartupLoadStrategy();
        var manager = CreateManager(providers, load: strategy);

        await Within(strategy.OnStartingAsync(manager, CancellationToken.None));

        Assert.That(manager.GetStatus("s3").Faulted, Is.True);
        Assert.That(providers[1].Items, Is.EqualTo(new[] { "queue" }));
        await Assert.ThrowsAsync<ServiceFaultedException>(async () => await manager.BeginRequestAsync("s3", mutating: false));
    }

    [Test]
    public async Task OnStartup_a_service_whose_load_failed_for_a_transient_reason_loads_on_its_first_request()
    {
        await SeedAsync("s3", 1, "bucket");
        var provider = new TestProvider("s3") { FailRestores = 1 };
        var strategy = new OnStartupLoadStrategy();
        var manager = CreateManager([provider], load: strategy);

        await Within(strategy.OnStartingAsync(manager, CancellationToken.None));
        Assert.That(manager.GetStatus("s3").Loaded, Is.False);

        var scope = await manager.BeginRequestAsync("s3", mutating: false);
        await scope.DisposeAsync();
        Assert.That(provider.Items, Is.EqualTo(new[] { "bucket" }), "never served empty");
    }

    [Test]
    public async Task OnRequest_and_Manual_load_nothing_at_start_up()
    {
        await SeedAsync("s3", 1, "bucket");
        foreach (var strategy in new ILoadStrategy[] { new OnRequestLoadStrategy(), new ManualLoadStrategy() })
        {
            var provider = new TestProvider("s3");
            var manager = CreateManager([provider], load: strategy);
            await Within(strategy.OnStartingAsync(manager, CancellationToken.None));
            Assert.That(provider.Restores, Is.Zero, strategy.Name);
            await manager.DisposeAsync();
        }

        Assert.That((new OnRequestLoadStrategy().LoadsOnFirstRequest, new OnStartupLoadStrategy().LoadsOnFirstRequest, new ManualLoadStrategy().LoadsOnFirstRequest), Is.EqualTo((true, true, false)));
    }
}
