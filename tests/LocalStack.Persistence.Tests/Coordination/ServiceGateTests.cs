using LocalStack.Persistence.Coordination;

namespace LocalStack.Persistence.Tests.Coordination;

public sealed class ServiceGateTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Test]
    public async Task Shared_holders_enter_together()
    {
        var gate = new ServiceGate();

        var first = gate.EnterSharedAsync();
        var second = gate.EnterSharedAsync();

        Assert.That(first.IsCompletedSuccessfully && second.IsCompletedSuccessfully, Is.True);
        Assert.That(gate.SharedHolders, Is.EqualTo(2));
        await first;
        await second;
    }

    [Test]
    public async Task Exclusive_waits_for_the_shared_holders_in_flight()
    {
        var gate = new ServiceGate();
        await gate.EnterSharedAsync();
        await gate.EnterSharedAsync();

        var exclusive = gate.EnterExclusiveAsync().AsTask();
        gate.ExitShared();
        Assert.That(exclusive.IsCompleted, Is.False, "one request is still in flight");

        gate.ExitShared();
        await exclusive.WaitAsync(Patience);
        Assert.That(gate.ExclusiveHeld, Is.True);
    }

    [Test]
    public async Task A_waiting_exclusive_holder_stops_new_shared_holders_and_they_enter_right_after_it()
    {
        var gate = new ServiceGate();
        await gate.EnterSharedAsync();
        var exclusive = gate.EnterExclusiveAsync().AsTask();

        var late = gate.EnterSharedAsync().AsTask();
        Assert.That(late.IsCompleted, Is.False, "writer preference: the capture is not starved by new requests");

        gate.ExitShared();
        await exclusive.WaitAsync(Patience);
        Assert.That(late.IsCompleted, Is.False, "the request waits for the capture");

        gate.ExitExclusive();
        await late.WaitAsync(Patience);
        Assert.That(gate.SharedHolders, Is.EqualTo(1));
    }

    [Test]
    public async Task Requests_queued_behind_a_capture_go_before_the_next_capture()
    {
        var gate = new ServiceGate();
        await gate.EnterExclusiveAsync();
        var request = gate.EnterSharedAsync().AsTask();
        var nextCapture = gate.EnterExclusiveAsync().AsTask();

        gate.ExitExclusive();
        await request.WaitAsync(Patience);
        Assert.That(nextCapture.IsCompleted, Is.False);

        gate.ExitShared();
        await nextCapture.WaitAsync(Patience);
    }

    [Test]
    public async Task A_cancelled_shared_waiter_leaves_no_hold()
    {
        var gate = new ServiceGate();
        await gate.EnterExclusiveAsync();
        using var cts = new CancellationTokenSource();
        var waiting = gate.EnterSharedAsync(cts.Token).AsTask();

        await cts.CancelAsync();
        await Assert.CatchAsync<OperationCanceledException>(async () => await waiting);

        gate.ExitExclusive();
        Assert.That(gate.SharedHolders, Is.Zero);
        var exclusive = gate.EnterExclusiveAsync();
        Assert.That(exclusive.IsCompletedSuccessfully, Is.True, "nobody holds the gate");
        await exclusive;
    }

    [Test]
    public async Task A_cancelled_exclusive_waiter_lets_the_requests_behind_it_in()
    {
        var gate = new ServiceGate();
        await gate.EnterSharedAsync();
        using var cts = new CancellationTokenSource();
        var capture = gate.EnterExclusiveAsync(cts.Token).AsTask();
        var request = gate.EnterSharedAsync().AsTask();
        Assert.That(request.IsCompleted, Is.False);

        await cts.CancelAsync();

        await Assert.CatchAsync<OperationCanceledException>(async () => await capture);
        await request.WaitAsync(Patience);
        Assert.That(gate.SharedHolders, Is.EqualTo(2));
        Assert.That(gate.ExclusiveWaiters, Is.Zero);
    }

    [Test]
    public async Task An_already_cancelled_token_throws_without_entering()
    {
        var gate = new ServiceGate();
        await Assert.CatchAsync<OperationCanceledException>(async () => await gate.EnterSharedAsync(new CancellationToken(canceled: true)));
        Assert.That(gate.SharedHolders, Is.Zero);
    }

    [Test]
    public async Task Cancellation_racing_with_the_grant_either_enters_or_not_but_never_leaks()
    {
        var gate = new ServiceGate();
        var entered = 0;
        for (var i = 0; i < 2000; i++)
        {
            await gate.EnterExclusiveAsync();
            using var cts = new CancellationTokenSource();
            var shared = gate.EnterSharedAsync(cts.Token).AsTask();
            var capture = gate.EnterExclusiveAsync(cts.Token).AsTask();

            // Release and cancel at the same time: each waiter ends up either holding the gate or cancelled.
            var release = Task.Run(gate.ExitExclusive);
            var cancel = Task.Run(cts.Cancel);
            await Task.WhenAll(release, cancel);

            foreach (var (waiter, exclusive) in new[] { (shared, false), (capture, true) })
            {
                try
                {
                    await waiter.WaitAsync(Patience);
                    entered++;
                    if (exclusive)
                    {
                        gate.ExitExclusive();
                    }
                    else
                    {
                        gate.ExitShared();
                    }
                }
                catch (OperationCanceledException)
                {
                }
            }

            Assert.That(gate.SharedHolders, Is.Zero);
            Assert.That(gate.ExclusiveHeld, Is.False);
            Assert.That(gate.SharedWaiters + gate.ExclusiveWaiters, Is.Zero);
        }

        TestContext.Out.WriteLine($"{entered} of 4000 racing waiters entered before their cancellation");
    }
}
