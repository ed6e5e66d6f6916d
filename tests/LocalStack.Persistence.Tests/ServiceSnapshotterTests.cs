using LocalStack.Persistence.State;
using LocalStack.Persistence.Tests.State;

namespace LocalStack.Persistence.Tests;

public sealed class ServiceSnapshotterTests : StoreTestBase
{
    private readonly List<string> _log = [];

    // NUnit reuses one fixture instance for all its tests.
    [SetUp]
    public void ClearLog() => _log.Clear();

    private ServiceSnapshotter WithHooks() => new(Store, [new RecordingHook("A", _log), new RecordingHook("B", _log)]);

    [Test]
    public async Task Save_runs_global_hooks_in_order_with_the_providers_hook_closest_to_the_operation()
    {
        var provider = new RecordingProvider("svc", _log) { Value = "v1" };

        await WithHooks().SaveAsync(provider);

        Assert.That(_log, Is.EqualTo(new[]
        {
            "A.beforeSave(svc)", "B.beforeSave(svc)", "svc.hook.beforeSave(svc)",
            "svc.capture", "svc.write", "svc.captureDisposed",
            "svc.hook.afterSave(svc)", "A.afterSave(svc)", "B.afterSave(svc)",
        }));
    }

    [Test]
    public async Task Load_runs_hooks_around_the_restore()
    {
        await Snapshotter.SaveAsync(new RecordingProvider("svc", []) { Value = "saved" });
        var provider = new RecordingProvider("svc", _log);

        var metadata = await WithHooks().LoadAsync(provider);

        Assert.That(metadata, Is.Not.Null);
        Assert.That(provider.Value, Is.EqualTo("saved"));
        Assert.That(_log, Is.EqualTo(new[]
        {
            "A.beforeLoad(svc)", "B.beforeLoad(svc)", "svc.hook.beforeLoad(svc)",
            "svc.restore",
            "svc.hook.afterLoad(svc)", "A.afterLoad(svc)", "B.afterLoad(svc)",
        }));
        Assert.That(provider.LastContext!.Operation, Is.EqualTo(SnapshotOperation.Load));
        Assert.That(provider.LastContext.Generation, Is.EqualTo(metadata!.Generation));
    }

    [Test]
    public async Task Reset_runs_hooks_around_the_reset_and_keeps_the_snapshot()
    {
        await Snapshotter.SaveAsync(new RecordingProvider("svc", []) { Value = "saved" });
        var provider = new RecordingProvider("svc", _log) { Value = "live" };

        await WithHooks().ResetAsync(provider);

        Assert.That(_log, Is.EqualTo(new[]
        {
            "A.beforeReset(svc)", "B.beforeReset(svc)", "svc.hook.beforeReset(svc)",
            "svc.reset",
            "svc.hook.afterReset(svc)", "A.afterReset(svc)", "B.afterReset(svc)",
        }));
        Assert.That(provider.Value, Is.Empty);
        Assert.That(provider.LastContext!.Operation, Is.EqualTo(SnapshotOperation.Reset));
        Assert.That(await Store.GetMetadataAsync("svc"), Is.Not.Null, "a reset empties the live state only");
        await Snapshotter.LoadAsync(provider);
        Assert.That(provider.Value, Is.EqualTo("saved"), "reset then load returns to the last save");
    }

    [Test]
    public async Task Delete_removes_the_snapshot_and_leaves_the_live_state()
    {
        await Snapshotter.SaveAsync(new RecordingProvider("svc", []) { Value = "saved" });
        var provider = new RecordingProvider("svc", _log) { Value = "live" };

        Assert.That(await Snapshotter.DeleteAsync("svc"), Is.True);
        Assert.That(await Snapshotter.DeleteAsync("svc"), Is.False, "nothing left to delete");

        Assert.That(provider.Value, Is.EqualTo("live"));
        Assert.That(_log, Is.Empty, "no provider call and no hook");
        Assert.That(await Store.GetMetadataAsync("svc"), Is.Null);
        Assert.That(await Snapshotter.LoadAsync(provider), Is.Null);
    }

    [Test]
    public async Task Reset_of_a_service_without_a_snapshot_succeeds()
    {
        var provider = new RecordingProvider("svc", _log) { Value = "live" };

        await Snapshotter.ResetAsync(provider);

        Assert.That(provider.Value, Is.Empty);
        Assert.That(await Store.GetMetadataAsync("svc"), Is.Null);
    }

    [Test]
    public async Task A_cancelled_commit_keeps_the_previous_snapshot_and_removes_the_staged_generation()
    {
        var provider = new RecordingProvider("svc", _log)
        {
            Value = "good",
            OnCapture = async (context, ct) => await context.StageAsync("a.bin", async (path, t) => await File.WriteAllTextAsync(path, "asset", t), ct),
        };
        var good = await Snapshotter.SaveAsync(provider);
        provider.Value = "newer";
        using var cancellation = new CancellationTokenSource();

        var pending = await Snapshotter.CaptureAsync(provider);
        await cancellation.CancelAsync();
        await Assert.ThatAsync(async () => await Snapshotter.CommitAsync(pending, cancellation.Token), Throws.InstanceOf<OperationCanceledException>());

        Assert.That(Store.GetAssetGenerationDirectory("svc", pending.Generation), Is.Null);
        Assert.That(Store.GetAssetGenerationDirectory("svc", good.Generation), Is.Not.Null);
        var loaded = new RecordingProvider("svc", []);
        Assert.That((await Snapshotter.LoadAsync(loaded).AsTask().WaitAsync(TimeSpan.FromSeconds(10)))!.Generation, Is.EqualTo(good.Generation));
        Assert.That(loaded.Value, Is.EqualTo("good"));
    }

    [Test]
    public async Task A_provider_registered_as_a_global_hook_runs_once()
    {
        var provider = new RecordingProvider("svc", _log);

        await new ServiceSnapshotter(Store, [provider]).SaveAsync(provider);

        Assert.That(_log.Count(e => e == "svc.hook.beforeSave(svc)"), Is.EqualTo(1));
        Assert.That(_log.Count(e => e == "svc.hook.afterSave(svc)"), Is.EqualTo(1));
    }

    [Test]
    public async Task A_failing_before_hook_stops_the_operation()
    {
        var snapshotter = new ServiceSnapshotter(Store, [new ThrowingHook()]);
        var provider = new RecordingProvider("svc", _log) { Value = "v" };

        Assert.That((await Assert.ThrowsAsync<InvalidOperationException>(async () => await snapshotter.SaveAsync(provider)))!.Message, Is.EqualTo("hook refused"));
        Assert.That(_log, Does.Not.Contain("svc.capture"));
        Assert.That(await Store.GetMetadataAsync("svc"), Is.Null);

        // The failed save released the service: the next one runs.
        await Snapshotter.SaveAsync(provider);
        Assert.That(await Store.GetMetadataAsync("svc"), Is.Not.Null);
    }

    [Test]
    public async Task Generations_increase_by_one_per_save_and_continue_after_a_restart()
    {
        var provider = new RecordingProvider("svc", _log);
        var first = await Snapshotter.SaveAsync(provider);
        var second = await Snapshotter.SaveAsync(provider);

        ReopenStore();
        var third = await Snapshotter.SaveAsync(provider);

        Assert.That(new[] { first.Generation, second.Generation, third.Generation }, Is.EqualTo(new long[] { 1, 2, 3 }));
    }

    [Test]
    public async Task A_generation_is_never_reused_after_a_failed_save()
    {
        var provider = new RecordingProvider("svc", _log) { Value = "good" };
        await Snapshotter.SaveAsync(provider);
        provider.FailWrite = true;
        provider.Value = "bad";

        await Assert.ThrowsAsync<IOException>(async () => await Snapshotter.SaveAsync(provider));
        provider.FailWrite = false;
        var next = await Snapshotter.SaveAsync(provider);

        Assert.That(next.Generation, Is.EqualTo(3));
    }

    [Test]
    public async Task A_failed_write_keeps_the_previous_snapshot_and_propagates()
    {
        var provider = new RecordingProvider("svc", _log) { Value = "good" };
        var good = await Snapshotter.SaveAsync(provider);
        provider.Value = "bad";
        provider.FailWrite = true;

        var error = (await Assert.ThrowsAsync<IOException>(async () => await Snapshotter.SaveAsync(provider)))!;

        Assert.That(error.Message, Does.Contain("simulated"));
        Assert.That(_log, Does.Contain("svc.captureDisposed"));
        var loaded = new RecordingProvider("svc", []);
        var metadata = await Snapshotter.LoadAsync(loaded);
        Assert.That(loaded.Value, Is.EqualTo("good"));
        Assert.That(metadata!.Generation, Is.EqualTo(good.Generation));
    }

    [Test]
    public async Task A_second_capture_of_a_service_waits_until_the_first_save_is_committed()
    {
        var provider = new RecordingProvider("svc", _log) { Value = "one" };
        var first = await Snapshotter.CaptureAsync(provider);

        provider.Value = "two";
        var second = Snapshotter.CaptureAsync(provider).AsTask();
        await Task.WhenAny(second, Task.Delay(200));

        Assert.That(second.IsCompleted, Is.False, "the next capture must wait for the previous commit");
        Assert.That(_log.Count(e => e == "svc.capture"), Is.EqualTo(1));

        var firstMetadata = await Snapshotter.CommitAsync(first);
        var pendingSecond = await second.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(pendingSecond.Generation, Is.EqualTo(firstMetadata.Generation + 1));
        await Snapshotter.CommitAsync(pendingSecond);

        var loaded = new RecordingProvider("svc", []);
        await Snapshotter.LoadAsync(loaded);
        Assert.That(loaded.Value, Is.EqualTo("two"));
    }

    [Test]
    public async Task Other_services_are_not_blocked_by_a_pending_save()
    {
        await using var pending = await Snapshotter.CaptureAsync(new RecordingProvider("one", _log));

        var other = await Snapshotter.SaveAsync(new RecordingProvider("two", _log)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(other.ServiceName, Is.EqualTo("two"));
    }

    [Test]
    public async Task A_delete_waits_for_a_save_that_is_still_writing_so_the_snapshot_never_comes_back()
    {
        var provider = new RecordingProvider("svc", _log) { Value = "before delete", WriteGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var pending = await Snapshotter.CaptureAsync(provider);
        var commit = Snapshotter.CommitAsync(pending).AsTask();

        var delete = Snapshotter.DeleteAsync("svc").AsTask();
        await Task.WhenAny(delete, Task.Delay(200));
        Assert.That(delete.IsCompleted, Is.False, "the delete must wait for the write in flight");

        provider.WriteGate.SetResult();
        await commit.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(await delete.WaitAsync(TimeSpan.FromSeconds(10)), Is.True);

        Assert.That(await Store.GetMetadataAsync("svc"), Is.Null, "the delete ran after the write and removed it");
    }

    [Test]
    public async Task Disposing_a_pending_snapshot_abandons_it_and_releases_the_service()
    {
        var provider = new RecordingProvider("svc", _log)
        {
            OnCapture = async (context, ct) => await context.StageAsync("a.bin", async (path, t) => await File.WriteAllTextAsync(path, "x", t), ct),
        };
        var pending = await Snapshotter.CaptureAsync(provider);
        var generation = pending.Generation;
        Assert.That(pending.HasStagedAssets, Is.True);
        Assert.That(Store.GetAssetGenerationDirectory("svc", generation), Is.Not.Null);

        await pending.DisposeAsync();

        Assert.That(Store.GetAssetGenerationDirectory("svc", generation), Is.Null);
        Assert.That(await Store.GetMetadataAsync("svc"), Is.Null);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await Snapshotter.CommitAsync(pending));
        var next = await Snapshotter.SaveAsync(new RecordingProvider("svc", _log)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(next.Generation, Is.EqualTo(generation + 1));
    }

    [Test]
    public async Task A_pending_snapshot_is_committed_once_and_only_by_its_snapshotter()
    {
        var provider = new RecordingProvider("svc", _log);
        await using var pending = await Snapshotter.CaptureAsync(provider);

        await Assert.ThrowsAsync<ArgumentException>(async () => await new ServiceSnapshotter(Store).CommitAsync(pending));
        await Snapshotter.CommitAsync(pending);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await Snapshotter.CommitAsync(pending));
    }

    [Test]
    public async Task Load_without_a_snapshot_returns_null_and_leaves_the_provider_untouched()
    {
        var provider = new RecordingProvider("svc", _log) { Value = "live" };

        var metadata = await WithHooks().LoadAsync(provider);

        Assert.That(metadata, Is.Null);
        Assert.That(provider.Value, Is.EqualTo("live"));
        Assert.That(_log, Is.Empty);
    }

    [Test]
    public async Task Load_of_a_corrupt_snapshot_propagates_and_never_resets_the_provider()
    {
        var written = await Snapshotter.SaveAsync(new RecordingProvider("svc", []) { Value = "a reasonably long saved value" });
        using (var file = new FileStream(written.Location, FileMode.Open, FileAccess.Write))
        {
            file.SetLength(file.Length - 3);
        }

        var provider = new RecordingProvider("svc", _log) { Value = "live" };
        await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await ReopenStoreSnapshotter().LoadAsync(provider));

        Assert.That(provider.Value, Is.EqualTo("live"));
        Assert.That(_log, Does.Not.Contain("svc.reset").And.Not.Contain("svc.restore"));
    }

    [Test]
    public async Task Capture_failure_removes_the_staged_generation_and_keeps_the_committed_one()
    {
        var provider = new RecordingProvider("svc", _log)
        {
            OnCapture = async (context, ct) => await context.StageAsync("a.bin", async (path, t) => await File.WriteAllTextAsync(path, context.Generation.ToString(System.Globalization.CultureInfo.InvariantCulture), t), ct),
        };
        var committed = await Snapshotter.SaveAsync(provider);

        provider.OnCapture = async (context, ct) =>
        {
            await context.StageAsync("a.bin", async (path, t) => await File.WriteAllTextAsync(path, "never", t), ct);
            throw new InvalidOperationException("capture failed after staging");
        };
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await Snapshotter.SaveAsync(provider));

        Assert.That(Store.GetAssetGenerationDirectory("svc", committed.Generation + 1), Is.Null);
        Assert.That(Store.GetAssetGenerationDirectory("svc", committed.Generation), Is.Not.Null);
        Assert.That((await Store.GetMetadataAsync("svc"))!.Generation, Is.EqualTo(committed.Generation));
    }

    [Test]
    public async Task Invalid_provider_service_names_are_rejected_before_any_file_system_call()
    {
        await Assert.ThrowsAsync<ArgumentException>(async () => await Snapshotter.SaveAsync(new RecordingProvider("../escape", _log)));
        Assert.That(Directory.EnumerateFileSystemEntries(StateDirectory, "*escape*", SearchOption.AllDirectories), Is.Empty);
        Assert.That(Directory.Exists(Path.Combine(StateDirectory, "..", "escape")), Is.False);
    }

    private ServiceSnapshotter ReopenStoreSnapshotter()
    {
        ReopenStore();
        return Snapshotter;
    }

    private sealed class ThrowingHook : IStateLifecycleHook
    {
        public ValueTask OnBeforeSaveAsync(string serviceName, CancellationToken cancellationToken) => throw new InvalidOperationException("hook refused");
    }
}
