using System.Collections.Concurrent;

namespace LocalStack.Persistence.Tests.Coordination;

/// <summary>The gate as requests and saves see it through the manager.</summary>
public sealed class SnapshotManagerGateTests : CoordinationTestBase
{
    [Test]
    public async Task A_capture_waits_for_the_requests_in_flight()
    {
        var provider = new TestProvider("sqs");
        var manager = CreateManager([provider]);
        var request = await manager.BeginRequestAsync("sqs", mutating: true);
        provider.Add("in-flight");

        var save = manager.SaveAsync("sqs").AsTask();
        await WaitUntilAsync(() => manager.GetGate("sqs").ExclusiveWaiters == 1, "the capture waits at the gate");
        Assert.That(provider.Captures, Is.Zero, "no capture in the middle of a request");

        await request.DisposeAsync();
        await Within(save);
        Assert.That(provider.Captures, Is.EqualTo(1));
        Assert.That(await ReadStoredAsync("sqs"), Is.EqualTo(new[] { "in-flight" }));
    }

    [Test]
    public async Task A_request_arriving_while_a_capture_waits_enters_after_the_capture_not_after_the_write()
    {
        var events = new ConcurrentQueue<string>();
        var provider = new TestProvider("sqs", events: events);
        var writeStarted = NewSignal();
        var releaseWrite = NewSignal();
        provider.OnWrite = async () =>
        {
            writeStarted.TrySetResult();
            await releaseWrite.Task;
        };
        var manager = CreateManager([provider]);
        var first = await manager.BeginRequestAsync("sqs", mutating: false);
        var save = manager.SaveAsync("sqs").AsTask();
        await WaitUntilAsync(() => manager.GetGate("sqs").ExclusiveWaiters == 1, "the capture waits at the gate");

        var second = manager.BeginRequestAsync("sqs", mutating: false).AsTask();
        await WaitUntilAsync(() => manager.GetGate("sqs").SharedWaiters == 1, "the second request waits behind the capture");
        Assert.That(second.IsCompleted, Is.False, "writer preference: a waiting capture holds new requests back");

        await first.DisposeAsync();
        var secondScope = await Within(second);
        events.Enqueue("second request entered");

        await Within(writeStarted.Task);
        Assert.That(save.IsCompleted, Is.False, "the write is still blocked");
        Assert.That(events.TakeWhile(e => e != "second request entered"), Does.Contain("sqs.capture"), "the request entered after the capture");

        releaseWrite.SetResult();
        await Within(save);
        await secondScope.DisposeAsync();
    }

    [Test]
    public async Task Stepping_out_lets_a_save_run_while_a_long_poll_waits()
    {
        var provider = new TestProvider("sqs");
        var manager = CreateManager([provider]);
        var poll = await manager.BeginRequestAsync("sqs", mutating: false);

        var steppedOut = await poll.StepOutAsync();
        await Within(manager.SaveAsync("sqs"));
        Assert.That(provider.Captures, Is.EqualTo(1), "the capture ran while the long poll was stepped out");

        await steppedOut.DisposeAsync();
        Assert.That(manager.GetGate("sqs").SharedHolders, Is.EqualTo(1), "back inside the gate");
        var blocked = manager.SaveAsync("sqs").AsTask();
        await WaitUntilAsync(() => manager.GetGate("sqs").ExclusiveWaiters == 1, "the next capture waits for the request again");
        Assert.That(provider.Captures, Is.EqualTo(1));

        await poll.DisposeAsync();
        await Within(blocked);
        Assert.That(manager.GetGate("sqs").SharedHolders, Is.Zero);
    }

    [Test]
    public async Task A_scope_ended_while_stepped_out_does_not_reenter()
    {
        var manager = CreateManager([new TestProvider("sqs")]);
        var poll = await manager.BeginRequestAsync("sqs", mutating: false);
        var steppedOut = await poll.StepOutAsync();

        await poll.DisposeAsync();
        await steppedOut.DisposeAsync();

        Assert.That(manager.GetGate("sqs").SharedHolders, Is.Zero);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await poll.StepOutAsync());
    }

    [Test]
    public async Task Cancelling_a_waiting_request_does_not_leak_a_hold()
    {
        var provider = new TestProvider("sqs");
        var manager = CreateManager([provider]);
        var first = await manager.BeginRequestAsync("sqs", mutating: false);
        var save = manager.SaveAsync("sqs").AsTask();
        await WaitUntilAsync(() => manager.GetGate("sqs").ExclusiveWaiters == 1, "the capture waits at the gate");
        using var cts = new CancellationTokenSource();
        var cancelled = manager.BeginRequestAsync("sqs", mutating: true, cts.Token).AsTask();
        await WaitUntilAsync(() => manager.GetGate("sqs").SharedWaiters == 1, "the request waits behind the capture");

        await cts.CancelAsync();
        await Assert.CatchAsync<OperationCanceledException>(async () => await cancelled);

        await first.DisposeAsync();
        await Within(save);
        var gate = manager.GetGate("sqs");
        Assert.That((gate.SharedHolders, gate.SharedWaiters, gate.ExclusiveHeld), Is.EqualTo((0, 0, false)));
        Assert.That(manager.GetStatus("sqs").Dirty, Is.False, "the cancelled request never ran, so it changed nothing");
        await Within(manager.SaveAsync("sqs"));
        Assert.That(provider.Captures, Is.EqualTo(2), "later captures are not blocked by a leaked hold");
    }

    [Test]
    public async Task Saves_of_one_service_never_overlap_and_each_covers_the_changes_before_it()
    {
        var provider = new TestProvider("sqs");
        var inSave = 0;
        var overlapped = false;
        provider.OnWrite = async () =>
        {
            overlapped |= Interlocked.Increment(ref inSave) > 1;
            await Task.Yield();
            Interlocked.Decrement(ref inSave);
        };
        var manager = CreateManager([provider]);

        var saves = Enumerable.Range(0, 20).Select(async i =>
        {
            await MutateAsync(manager, provider, $"item-{i}");
            await manager.SaveAsync("sqs");
            Assert.That(await ReadStoredAsync("sqs"), Does.Contain($"item-{i}"));
        });
        await Within(Task.WhenAll(saves));

        Assert.That(overlapped, Is.False);
        Assert.That(await ReadStoredAsync("sqs"), Has.Length.EqualTo(20));
    }
}
