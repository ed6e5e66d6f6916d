using LocalStack.Persistence.Coordination;
using LocalStack.Persistence.Strategies;

namespace LocalStack.Persistence.Tests.Coordination;

/// <summary>
/// A load, reset or save that fails or is cancelled at any step leaves the service with the state before the operation,
/// the complete result of it, or faulted (requests and saves refused, the snapshot on disk untouched) until a load or
/// reset succeeds. The provider changes its state part by part with an await between parts, and keeps an asset.
/// </summary>
public sealed class SnapshotManagerInterruptionTests : CoordinationTestBase
{
    private static readonly string[] Old = ["old-0", "old-1", "old-2"];
    private static readonly string[] Saved = ["new-0", "new-1", "new-2"];

    private static IEnumerable<TestCaseData> RestoreSteps()
        => from step in Enumerable.Range(0, StepwiseProvider.StepCount)
           from failure in Enum.GetValues<StepFailure>()
           select new TestCaseData(step, failure).SetName($"Load_stopped_at_step_{step}_by_{failure}_leaves_old_new_or_faulted");

    private static IEnumerable<TestCaseData> ResetSteps()
        => from step in Enumerable.Range(0, StepwiseProvider.StepCount)
           from failure in Enum.GetValues<StepFailure>()
           select new TestCaseData(step, failure).SetName($"Reset_stopped_at_step_{step}_by_{failure}_leaves_old_new_or_faulted");

    private static IEnumerable<TestCaseData> CaptureSteps()
        => from step in Enumerable.Range(0, StepwiseProvider.StepCount)
           from failure in new[] { StepFailure.Throw, StepFailure.ProviderCancels }
           select new TestCaseData(step, failure).SetName($"Save_stopped_at_capture_step_{step}_by_{failure}_keeps_the_old_snapshot_and_the_live_state");

    [TestCaseSource(nameof(RestoreSteps))]
    public async Task A_load_stopped_half_way(int step, StepFailure failure)
    {
        var (provider, manager, snapshotBytes) = await StartWithSavedSnapshotAndOldLiveStateAsync();
        using var caller = new CancellationTokenSource();
        provider.FailAt("restore", step, failure, caller);

        Exception? error = null;
        try
        {
            await Within(manager.LoadAsync(provider.ServiceName, caller.Token));
        }
        catch (Exception e)
        {
            error = e;
        }

        await AssertOldNewOrFaultedAsync(manager, provider, snapshotBytes, error, failure);
        if (failure == StepFailure.CallerCancels)
        {
            Assert.That(error, Is.Null, "a caller that gives up after the restore started does not cut it in half");
            Assert.That(provider.Items, Is.EqualTo(Saved));
            return;
        }

        Assert.That(error, Is.TypeOf<ServiceFaultedException>());
        Assert.That(error!.Message, Does.Contain("stopped half-way").And.Contain("Load or reset the service"));

        // A request tries the load again (ON_REQUEST load strategy): while it keeps failing, the request is refused and
        // the mix is never served.
        Assert.That(async () => await Within(manager.BeginRequestAsync(provider.ServiceName, mutating: true)), Throws.TypeOf<ServiceFaultedException>());

        // Once the restore can complete, the next request gets the complete snapshot.
        provider.FailAt(null, 0, failure, null);
        var request = await Within(manager.BeginRequestAsync(provider.ServiceName, mutating: false));
        await request.DisposeAsync();
        Assert.That(provider.Items, Is.EqualTo(Saved));
        Assert.That(provider.WorkingAsset, Is.EqualTo(string.Join(",", Saved)));
        Assert.That(manager.GetStatus(provider.ServiceName).Faulted, Is.False);
    }

    [TestCaseSource(nameof(ResetSteps))]
    public async Task A_reset_stopped_half_way(int step, StepFailure failure)
    {
        var (provider, manager, snapshotBytes) = await StartWithSavedSnapshotAndOldLiveStateAsync();
        using var caller = new CancellationTokenSource();
        provider.FailAt("reset", step, failure, caller);

        Exception? error = null;
        try
        {
            await Within(manager.ResetAsync(provider.ServiceName, caller.Token));
        }
        catch (Exception e)
        {
            error = e;
        }

        await AssertOldNewOrFaultedAsync(manager, provider, snapshotBytes, error, failure, resetResult: true);
        if (failure == StepFailure.CallerCancels)
        {
            Assert.That(error, Is.Null);
            Assert.That(provider.Items, Is.Empty);
            Assert.That(manager.GetStatus(provider.ServiceName).Dirty, Is.True, "the empty state is a change for the save strategy");
            return;
        }

        Assert.That(error, Is.TypeOf<ServiceFaultedException>());
        Assert.That(error!.Message, Does.Contain("its reset stopped half-way"));

        // An explicit reset clears the fault; the empty state is then saved over the snapshot.
        provider.FailAt(null, 0, failure, null);
        await manager.ResetAsync(provider.ServiceName);
        Assert.That((provider.Items, provider.WorkingAsset), Is.EqualTo((Array.Empty<string>(), (string?)null)));
        await manager.SaveAsync(provider.ServiceName);
        Assert.That(await ReadStoredAsync(provider.ServiceName), Is.Empty);
    }

    [TestCaseSource(nameof(CaptureSteps))]
    public async Task A_save_stopped_half_way(int step, StepFailure failure)
    {
        var (provider, manager, snapshotBytes) = await StartWithSavedSnapshotAndOldLiveStateAsync();
        provider.FailAt("capture", step, failure, null);

        Assert.That(async () => await Within(manager.SaveAsync(provider.ServiceName)), Throws.InstanceOf<Exception>());

        var status = manager.GetStatus(provider.ServiceName);
        Assert.That((status.Faulted, status.Dirty), Is.EqualTo((false, true)), "a failed save changes no live state and keeps the change to save");
        Assert.That(provider.Items, Is.EqualTo(Old));
        Assert.That(await File.ReadAllBytesAsync(SnapshotPath(provider)), Is.EqualTo(snapshotBytes));
        Assert.That(GenerationFolders(provider), Has.Length.EqualTo(1), "the staged generation is removed");

        provider.FailAt(null, 0, failure, null);
        await manager.SaveAsync(provider.ServiceName);
        Assert.That(await ReadStoredAsync(provider.ServiceName), Is.EqualTo(Old));
    }

    [Test]
    public async Task A_load_cancelled_while_waiting_for_the_gate_changes_nothing()
    {
        var (provider, manager, snapshotBytes) = await StartWithSavedSnapshotAndOldLiveStateAsync();
        var request = await Within(manager.BeginRequestAsync(provider.ServiceName, mutating: false));
        using var caller = new CancellationTokenSource();

        var load = manager.LoadAsync(provider.ServiceName, caller.Token).AsTask();
        await WaitUntilAsync(() => manager.GetGate(provider.ServiceName).ExclusiveWaiters == 1, "the load waits for the gate");
        await caller.CancelAsync();

        Assert.That(async () => await Within(load), Throws.InstanceOf<OperationCanceledException>());
        await request.DisposeAsync();
        Assert.That(provider.Items, Is.EqualTo(Old));
        Assert.That(provider.Restores, Is.Zero);
        var status = manager.GetStatus(provider.ServiceName);
        Assert.That((status.Faulted, status.Loaded), Is.EqualTo((false, true)));
        Assert.That(await File.ReadAllBytesAsync(SnapshotPath(provider)), Is.EqualTo(snapshotBytes));
    }

    [Test]
    public async Task A_provider_that_refuses_its_snapshot_half_way_faults_the_service_and_no_request_retries_it()
    {
        var (provider, manager, _) = await StartWithSavedSnapshotAndOldLiveStateAsync();
        provider.RefuseAt = 1;

        var error = await Assert.ThrowsAsync<ServiceFaultedException>(async () => await manager.LoadAsync(provider.ServiceName));

        Assert.That(error!.Message, Does.Contain("could not be loaded").And.Contain("refused"));
        var restores = provider.Restores;
        Assert.That(async () => await manager.BeginRequestAsync(provider.ServiceName, mutating: false), Throws.TypeOf<ServiceFaultedException>());
        Assert.That(provider.Restores, Is.EqualTo(restores), "a snapshot the provider refused is not loaded again by a request");

        // The operator deletes the bad snapshot: the load finds none and empties what the refused restore left.
        await manager.DeleteSnapshotAsync(provider.ServiceName);
        Assert.That(manager.GetStatus(provider.ServiceName).Faulted, Is.True, "deleting the file does not make the live state whole");
        Assert.That(await manager.LoadAsync(provider.ServiceName), Is.Null);
        Assert.That((provider.Items, manager.GetStatus(provider.ServiceName).Faulted), Is.EqualTo((Array.Empty<string>(), false)));
    }

    [Test]
    public async Task Last_saved_comes_from_the_snapshot_after_a_restart()
    {
        var seeded = await SeedAsync("s3", 1, "bucket");
        var manager = CreateManager([new TestProvider("s3")]);
        Assert.That(manager.GetStatus("s3").LastSavedAt, Is.Null, "not loaded yet");

        await manager.EnsureLoadedAsync("s3");

        Assert.That(manager.GetStatus("s3").LastSavedAt, Is.EqualTo(seeded.CreatedAt));
    }

    [Test]
    public async Task A_reset_of_a_service_with_a_corrupt_snapshot_is_saved_over_it_and_the_bytes_stay_aside()
    {
        var seeded = await SeedAsync("s3", 1, "bucket");
        var damaged = await File.ReadAllBytesAsync(seeded.Location);
        damaged[0] ^= 0xFF; // the header's magic: the store refuses to overwrite such a file
        await File.WriteAllBytesAsync(seeded.Location, damaged);
        var provider = new TestProvider("s3");
        var manager = CreateManager([provider], new OnRequestSaveStrategy(), load: new ManualLoadStrategy());
        await Assert.ThrowsAsync<ServiceFaultedException>(async () => await manager.LoadAsync("s3"));

        await manager.ResetAsync("s3");

        Assert.That(manager.GetStatus("s3").Faulted, Is.False);
        Assert.That(await ReadStoredAsync("s3"), Is.Empty, "ON_REQUEST saved the empty state over the corrupt file");
        var copies = Directory.GetFiles(Path.GetDirectoryName(seeded.Location)!, "store.state.corrupt-*");
        Assert.That(copies.Select(File.ReadAllBytes), Has.One.EqualTo(damaged));
    }

    private async Task<(StepwiseProvider Provider, SnapshotManager Manager, byte[] SnapshotBytes)> StartWithSavedSnapshotAndOldLiveStateAsync()
    {
        var provider = new StepwiseProvider("svc", Store.GetWorkingDirectory("svc"));
        var manager = CreateManager([provider]);
        await manager.EnsureLoadedAsync(provider.ServiceName);
        provider.Set(Saved);
        manager.MarkModified(provider.ServiceName);
        await manager.SaveAsync(provider.ServiceName);
        provider.Set(Old);
        manager.MarkModified(provider.ServiceName);
        Assert.That(provider.WorkingAsset, Is.EqualTo(string.Join(",", Old)));
        return (provider, manager, await File.ReadAllBytesAsync(SnapshotPath(provider)));
    }

    private async Task AssertOldNewOrFaultedAsync(SnapshotManager manager, StepwiseProvider provider, byte[] snapshotBytes, Exception? error, StepFailure failure, bool resetResult = false)
    {
        var status = manager.GetStatus(provider.ServiceName);
        var items = provider.Items;
        var asset = provider.WorkingAsset;
        string[] result = resetResult ? [] : Saved;
        var whole = (items.SequenceEqual(Old) && asset == string.Join(",", Old))
            || (items.SequenceEqual(result) && asset == (resetResult ? null : string.Join(",", Saved)));
        Assert.That(status.Faulted || whole, Is.True, $"{failure}: not faulted, yet the live state is a mix: [{string.Join(",", items)}] asset '{asset}' (error: {error?.Message})");
        Assert.That(await File.ReadAllBytesAsync(SnapshotPath(provider)), Is.EqualTo(snapshotBytes), "the snapshot on disk is untouched");
        if (!status.Faulted)
        {
            return;
        }

        Assert.That((status.Loaded, status.LastError), Is.EqualTo((false, error?.Message)));
        Assert.That(async () => await manager.SaveAsync(provider.ServiceName), Throws.TypeOf<ServiceFaultedException>(), "a faulted service is never saved over its snapshot");
        manager.MarkModified(provider.ServiceName);
        await foreach (var saved in manager.SaveAllAsync(dirtyOnly: true))
        {
            Assert.Fail($"a faulted service is left out of the scheduled flush, got {saved}");
        }

        Assert.That(await File.ReadAllBytesAsync(SnapshotPath(provider)), Is.EqualTo(snapshotBytes));
    }

    private string SnapshotPath(StepwiseProvider provider) => Path.Combine(StateDirectory, "api_states", provider.ServiceName, "store.state");

    private string[] GenerationFolders(StepwiseProvider provider)
        => Directory.GetDirectories(Path.Combine(StateDirectory, provider.ServiceName)).Where(d => Path.GetFileName(d) != "working").ToArray();
}
