using LocalStack.Persistence.Testing.Tests.Support;

namespace LocalStack.Persistence.Testing.Tests;

/// <summary>The provider checks pass on a correct provider and fail, saying what differed, on a provider with one flaw.</summary>
public sealed class ProviderChecksTests
{
    private readonly List<ItemsProvider> _providers = [];

    [TearDown]
    public void DisposeProviders()
    {
        foreach (var provider in _providers)
        {
            provider.Dispose();
        }

        _providers.Clear();
    }

    [Test]
    public async Task Every_check_passes_on_a_correct_provider()
    {
        var report = await ProviderChecks.RunAllAsync(() => WithState(ProviderFlaw.None), () => Empty(ProviderFlaw.None));

        Assert.That(report.Passed, Is.True, report.ToString());
        Assert.That(report.Results.Select(r => r.Name), Is.EqualTo(new[] { ProviderChecks.CaptureRestoreCaptureName, ProviderChecks.ResetLeavesNothingName, ProviderChecks.HostilePayloadsName }));
    }

    [Test]
    public async Task Hostile_payloads_report_how_many_were_refused_and_served()
    {
        var summary = await ProviderChecks.HostilePayloadsAsync(WithState(ProviderFlaw.None), () => Empty(ProviderFlaw.None), new HostilePayloadOptions { Cases = 10, HugeStringBytes = 1024 });

        Assert.That(summary.Refused + summary.Served, Is.EqualTo(10));
    }

    [Test]
    public async Task Capture_restore_capture_fails_on_a_restore_that_drops_a_field_naming_its_json_path()
    {
        var failure = await Assert.ThrowsAsync<PersistenceCheckException>(() => ProviderChecks.CaptureRestoreCaptureAsync(WithState(ProviderFlaw.RestoreDropsCount)));

        TestContext.Out.WriteLine(failure!.Message);
        Assert.That(failure.CheckName, Is.EqualTo(ProviderChecks.CaptureRestoreCaptureName));
        Assert.That(failure.Message, Does.Contain("payload: at $.items[0].count expected 3, found 0"));
    }

    [Test]
    public async Task Capture_restore_capture_fails_on_a_restore_that_drops_a_file_naming_the_asset()
    {
        var failure = await Assert.ThrowsAsync<PersistenceCheckException>(() => ProviderChecks.CaptureRestoreCaptureAsync(WithState(ProviderFlaw.RestoreDropsFile)));

        TestContext.Out.WriteLine(failure!.Message);
        Assert.That(failure.Message, Does.Contain("the save after the load threw FileNotFoundException").Or.Contain("asset 'blobs/alpha.bin'"));
    }

    [Test]
    public async Task Capture_restore_capture_fails_on_a_restore_that_works_only_on_the_same_instance_once_a_fresh_provider_is_given()
    {
        await ProviderChecks.CaptureRestoreCaptureAsync(WithState(ProviderFlaw.RestoreReusesLiveFiles));

        var failure = await Assert.ThrowsAsync<PersistenceCheckException>(() => ProviderChecks.CaptureRestoreCaptureAsync(WithState(ProviderFlaw.RestoreReusesLiveFiles), () => Empty(ProviderFlaw.RestoreReusesLiveFiles)));

        TestContext.Out.WriteLine(failure!.Message);
        Assert.That(failure.Message, Does.Contain("the save of the fresh provider after its load threw FileNotFoundException"));
    }

    [Test]
    public async Task Reset_leaves_nothing_fails_on_a_reset_that_keeps_an_item()
    {
        var failure = await Assert.ThrowsAsync<PersistenceCheckException>(() => ProviderChecks.ResetLeavesNothingAsync(WithState(ProviderFlaw.ResetLeavesItem), () => Empty(ProviderFlaw.ResetLeavesItem)));

        TestContext.Out.WriteLine(failure!.Message);
        Assert.That(failure.CheckName, Is.EqualTo(ProviderChecks.ResetLeavesNothingName));
        Assert.That(failure.Message, Does.Contain("after a reset, service 'items' saves something other than a fresh provider does, payload: at $.items expected 0 items, found 1"));
    }

    [Test]
    public async Task Reset_leaves_nothing_refuses_a_provider_without_state()
    {
        var failure = await Assert.ThrowsAsync<PersistenceCheckException>(() => ProviderChecks.ResetLeavesNothingAsync(Empty(ProviderFlaw.ResetLeavesItem), () => Empty(ProviderFlaw.ResetLeavesItem)));

        Assert.That(failure!.Message, Does.Contain("holds no state"));
    }

    [Test]
    public async Task Hostile_payloads_fail_on_a_provider_that_throws_InvalidOperationException_naming_seed_and_mutation()
    {
        var options = new HostilePayloadOptions { Cases = 10, HugeStringBytes = 64 * 1024 };

        var failure = await Assert.ThrowsAsync<PersistenceCheckException>(() => ProviderChecks.HostilePayloadsAsync(WithState(ProviderFlaw.ThrowsInvalidOperationOnGarbage), () => Empty(ProviderFlaw.ThrowsInvalidOperationOnGarbage), options));

        TestContext.Out.WriteLine(failure!.Message);
        Assert.That(failure.CheckName, Is.EqualTo(ProviderChecks.HostilePayloadsName));
        Assert.That(failure.Message, Does.Contain($"seed {options.Seed}").Or.Contain($"seed {options.Seed + 1}"));
        Assert.That(failure.Message, Does.Contain("the restore threw System.InvalidOperationException"));
        Assert.That(failure.Message, Does.Contain("[$"), "the mutation's path is named");
    }

    [Test]
    public async Task Hostile_payloads_fail_on_a_provider_that_accepts_a_payload_it_then_cannot_serve()
    {
        var failure = await Assert.ThrowsAsync<PersistenceCheckException>(() => ProviderChecks.HostilePayloadsAsync(WithState(ProviderFlaw.AcceptsAnyCount), () => Empty(ProviderFlaw.AcceptsAnyCount), new HostilePayloadOptions { Cases = 25, HugeStringBytes = 64 * 1024 }));

        TestContext.Out.WriteLine(failure!.Message);
        Assert.That(failure.Message, Does.Contain("the restore accepted it, but the first save threw InvalidOperationException: item '"));
    }

    [Test]
    public async Task A_factory_that_throws_fails_each_check_in_the_report_naming_it()
    {
        var report = await ProviderChecks.RunAllAsync(() => throw new InvalidOperationException("boom"), () => Empty(ProviderFlaw.None));

        Assert.That(report.Failures.Select(f => f.Name), Is.EqualTo(report.Results.Select(r => r.Name)));
        Assert.That(report.Failures.Select(f => f.Failure!.Message), Has.All.Contain(": unexpected System.InvalidOperationException: boom"));
    }

    [Test]
    public async Task The_checks_as_test_cases_give_each_its_own_provider()
    {
        var checks = ProviderChecks.All(() => WithState(ProviderFlaw.ResetLeavesItem), () => Empty(ProviderFlaw.ResetLeavesItem), new HostilePayloadOptions { Cases = 3, HugeStringBytes = 1024 });

        await checks.Single(c => c.Name == ProviderChecks.CaptureRestoreCaptureName).RunAsync();
        await Assert.ThrowsAsync<PersistenceCheckException>(() => checks.Single(c => c.Name == ProviderChecks.ResetLeavesNothingName).RunAsync());
    }

    private ItemsProvider Empty(ProviderFlaw flaw)
    {
        var provider = new ItemsProvider(flaw);
        _providers.Add(provider);
        return provider;
    }

    private ItemsProvider WithState(ProviderFlaw flaw)
        => Empty(flaw).Put("alpha", 3, "first file").Put("beta", 7, "second file").Put("gamma", 0, "");
}
