using LocalStack.Persistence.Strategies;
using LocalStack.Persistence.Tests.Coordination;

namespace LocalStack.Persistence.Tests.Strategies;

/// <summary>The built-in save strategies against a real store, with a fake clock (RELIABILITY 13, 14).</summary>
public sealed class SaveStrategyTests : CoordinationTestBase
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    [Test]
    public async Task Scheduled_saves_only_the_services_modified_since_their_last_save_each_interval()
    {
        var modified = new TestProvider("s3");
        var clean = new TestProvider("sqs");
        var strategy = new ScheduledSaveStrategy(Interval, Time);
        var flushes = new FlushCounter(strategy);
        var manager = CreateManager([modified, clean], strategy);
        await MutateAsync(manager, modified, "bucket");
        var read = await manager.BeginRequestAsync("sqs", mutating: false);
        await read.DisposeAsync();
        using var stopping = new CancellationTokenSource();
        var run = strategy.RunAsync(manager, stopping.Token);

        Time.Advance(Interval - TimeSpan.FromMilliseconds(1));
        Assert.That(modified.Writes, Is.Zero, "nothing before the interval");
        Time.Advance(TimeSpan.FromMilliseconds(1));
        await flushes.WaitForAsync(1);

        Assert.That((modified.Writes, clean.Writes), Is.EqualTo((1, 0)), "the clean service is not saved");
        Assert.That(await ReadStoredAsync("s3"), Is.EqualTo(new[] { "bucket" }));
        Assert.That(manager.GetStatus("s3").LastSavedAt, Is.EqualTo(Time.GetUtcNow()), "saved within the interval (no extra delay on the fake clock)");

        Time.Advance(Interval);
        await flushes.WaitForAsync(2);
        Assert.That((modified.Writes, clean.Writes), Is.EqualTo((1, 0)), "nothing changed, nothing saved");

        await MutateAsync(manager, clean, "queue");
        Time.Advance(Interval);
        await flushes.WaitForAsync(3);
        Assert.That((modified.Writes, clean.Writes), Is.EqualTo((1, 1)));

        await stopping.CancelAsync();
        await Within(run);
    }

    [Test]
    public async Task Scheduled_a_mutation_during_a_save_keeps_the_service_dirty_and_the_next_tick_saves_it()
    {
        var provider = new TestProvider("s3");
        var (writeStarted, releaseWrite) = provider.HoldFirstWrite();
        var strategy = new ScheduledSaveStrategy(Interval, Time);
        var flushes = new FlushCounter(strategy);
        var manager = CreateManager([provider], strategy);
        await MutateAsync(manager, provider, "before");
        using var stopping = new CancellationTokenSource();
        var run = strategy.RunAsync(manager, stopping.Token);

        Time.Advance(Interval);
        await Within(writeStarted.Task);
        await MutateAsync(manager, provider, "during");
        releaseWrite.SetResult();
        await flushes.WaitForAsync(1);

        Assert.That(await ReadStoredAsync("s3"), Is.EqualTo(new[] { "before" }));
        Assert.That(manager.GetStatus("s3").Dirty, Is.True, "the change made during the save is not covered by it");

        Time.Advance(Interval);
        await flushes.WaitForAsync(2);
        Assert.That(await ReadStoredAsync("s3"), Is.EqualTo(new[] { "before", "during" }));
        Assert.That(manager.GetStatus("s3").Dirty, Is.False);

        await stopping.CancelAsync();
        await Within(run);
    }

    [Test]
    public async Task Scheduled_flushes_the_modified_services_when_stopped()
    {
        var modified = new TestProvider("s3");
        var clean = new TestProvider("sqs");
        var strategy = new ScheduledSaveStrategy(Interval, Time);
        var manager = CreateManager([modified, clean], strategy);
        await MutateAsync(manager, modified, "bucket");
        await manager.EnsureLoadedAsync("sqs");
        using var stopping = new CancellationTokenSource();
        var run = strategy.RunAsync(manager, stopping.Token);

        await stopping.CancelAsync();
        await Within(run);
        await Within(strategy.OnStoppedAsync(manager, CancellationToken.None));

        Assert.That(await ReadStoredAsync("s3"), Is.EqualTo(new[] { "bucket" }));
        Assert.That(clean.Writes, Is.Zero);
    }

    [Test]
    public void Scheduled_refuses_an_interval_that_is_not_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new ScheduledSaveStrategy(TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new ScheduledSaveStrategy(TimeSpan.FromSeconds(-1)));
    }

    [Test]
    public async Task OnRequest_makes_every_acknowledged_mutation_durable_before_the_acknowledgement()
    {
        var provider = new TestProvider("sqs");
        var manager = CreateManager([provider], new OnRequestSaveStrategy());

        for (var i = 0; i < 5; i++)
        {
            await MutateAsync(manager, provider, $"message-{i}");
            Assert.That(await ReadStoredAsync("sqs"), Is.EqualTo(provider.Items), $"after acknowledgement {i}");
        }

        var read = await manager.BeginRequestAsync("sqs", mutating: false);
        await read.DisposeAsync();
        Assert.That(provider.Writes, Is.EqualTo(5), "reads do not save");
    }

    [Test]
    public async Task OnRequest_fails_the_request_when_its_save_fails()
    {
        var provider = new TestProvider("sqs") { FailWrite = true };
        var manager = CreateManager([provider], new OnRequestSaveStrategy());
        var scope = await manager.BeginRequestAsync("sqs", mutating: true);
        provider.Add("not durable");

        await Assert.ThrowsAsync<IOException>(async () => await scope.DisposeAsync());
        Assert.That(manager.GetStatus("sqs").Dirty, Is.True);
        Assert.That(manager.GetGate("sqs").SharedHolders, Is.Zero, "the gate was released before the save");
    }

    [Test]
    public async Task OnShutdown_saves_nothing_while_running_and_only_the_modified_services_when_stopped()
    {
        var modified = new TestProvider("s3");
        var loadedClean = new TestProvider("sqs");
        var neverUsed = new TestProvider("dynamodb");
        var strategy = new OnShutdownSaveStrategy();
        var manager = CreateManager([modified, loadedClean, neverUsed], strategy);
        await MutateAsync(manager, modified, "bucket");
        await manager.EnsureLoadedAsync("sqs");
        await Within(strategy.RunAsync(manager, CancellationToken.None));
        Assert.That(modified.Writes, Is.Zero, "no saves while running");

        await Within(strategy.OnStoppedAsync(manager, CancellationToken.None));

        Assert.That((modified.Writes, loadedClean.Writes, neverUsed.Writes), Is.EqualTo((1, 0, 0)), "a service loaded and left unchanged is not rewritten");
        Assert.That(await ReadStoredAsync("s3"), Is.EqualTo(new[] { "bucket" }));
        Assert.That(await ReadStoredAsync("dynamodb"), Is.Null);

        // A second clean stop with nothing changed writes nothing at all.
        await Within(strategy.OnStoppedAsync(manager, CancellationToken.None));
        Assert.That((modified.Writes, loadedClean.Writes, neverUsed.Writes), Is.EqualTo((1, 0, 0)));
    }

    [Test]
    public async Task OnShutdown_a_failed_save_is_reported_and_the_others_still_save()
    {
        var broken = new TestProvider("dynamodb") { FailWrite = true };
        var healthy = new TestProvider("s3");
        var strategy = new OnShutdownSaveStrategy();
        var manager = CreateManager([broken, healthy], strategy);
        await MutateAsync(manager, broken, "table");
        await MutateAsync(manager, healthy, "bucket");

        await Within(strategy.OnStoppedAsync(manager, CancellationToken.None));

        Assert.That(await ReadStoredAsync("s3"), Is.EqualTo(new[] { "bucket" }));
        var status = manager.GetStatus("dynamodb");
        Assert.That(status.Dirty, Is.True);
        Assert.That(status.LastError, Does.Contain("simulated failure writing"));
    }

    [Test]
    public async Task OnShutdown_returns_when_the_shutdown_timeout_expires()
    {
        var stuck = new TestProvider("s3");
        var releaseWrite = NewSignal();
        stuck.OnWrite = () => new ValueTask(releaseWrite.Task);
        var strategy = new OnShutdownSaveStrategy();
        var manager = CreateManager([stuck], strategy);
        await MutateAsync(manager, stuck, "bucket");
        using var timeout = new CancellationTokenSource();

        var stopped = strategy.OnStoppedAsync(manager, timeout.Token).AsTask();
        await WaitUntilAsync(() => stuck.Writes == 1, "the save is writing");
        await timeout.CancelAsync();
        await Within(stopped);

        releaseWrite.SetResult();
        await WaitUntilAsync(() => !manager.GetStatus("s3").Dirty, "the save that was writing completes");
        Assert.That(await ReadStoredAsync("s3"), Is.EqualTo(new[] { "bucket" }));
    }

    [Test]
    public async Task Manual_never_saves()
    {
        var provider = new TestProvider("s3");
        var strategy = new ManualSaveStrategy();
        var manager = CreateManager([provider], strategy);

        await MutateAsync(manager, provider, "bucket");
        await Within(strategy.RunAsync(manager, CancellationToken.None));
        await Within(strategy.OnStoppedAsync(manager, CancellationToken.None));

        Assert.That(provider.Captures, Is.Zero);
        Assert.That(await ReadStoredAsync("s3"), Is.Null);
        Assert.That(manager.GetStatus("s3").Dirty, Is.True);

        await manager.SaveAsync("s3");
        Assert.That(await ReadStoredAsync("s3"), Is.EqualTo(new[] { "bucket" }), "an explicit save still works");
    }

    [Test]
    public void Strategies_are_named_as_LocalStack_names_them()
    {
        Assert.That(
            new ISaveStrategy[] { new OnRequestSaveStrategy(), new ScheduledSaveStrategy(Interval), new OnShutdownSaveStrategy(), new ManualSaveStrategy() }.Select(s => s.Name),
            Is.EqualTo(new[] { "ON_REQUEST", "SCHEDULED", "ON_SHUTDOWN", "MANUAL" }));
        Assert.That(
            new ILoadStrategy[] { new OnRequestLoadStrategy(), new OnStartupLoadStrategy(), new ManualLoadStrategy() }.Select(s => s.Name),
            Is.EqualTo(new[] { "ON_REQUEST", "ON_STARTUP", "MANUAL" }));
    }

    /// <summary>Counts the flushes of a scheduled strategy, so a test waits for a tick's saves to finish rather than for time.</summary>
    private sealed class FlushCounter
    {
        private readonly Lock _sync = new();
        private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];
        private int _count;

        public FlushCounter(ScheduledSaveStrategy strategy) => strategy.Flushed = _ => Increment();

        public Task WaitForAsync(int count)
        {
            lock (_sync)
            {
                if (_count >= count)
                {
                    return Task.CompletedTask;
                }

                var signal = NewSignal();
                _waiters.Add((count, signal));
                return signal.Task.WaitAsync(Patience);
            }
        }

        private void Increment()
        {
            lock (_sync)
            {
                _count++;
                foreach (var (count, signal) in _waiters.Where(w => w.Count <= _count))
                {
                    signal.TrySetResult();
                }
            }
        }
    }
}
