using LocalStack.Persistence.Coordination;

namespace LocalStack.Persistence.Tests.Coordination;

/// <summary>
/// Group commit with a commit delay: after a save that covered several callers, the next save waits (on the manager's
/// clock) for those callers to join it too before its capture, and no longer than the delay; one caller at a time never waits.
/// </summary>
public sealed class SnapshotManagerCommitDelayTests : CoordinationTestBase
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(2);

    [Test]
    public async Task The_wait_ends_without_the_clock_once_the_callers_just_answered_have_joined_and_one_capture_covers_them_all()
    {
        var (provider, manager) = await AfterASaveOfThreeCallersAsync();

        var first = manager.SaveAsync("sqs").AsTask(); // a caller already waiting when the worker looks
        var others = Enumerable.Range(0, 3).Select(_ => manager.SaveAsync("sqs").AsTask()).ToArray(); // the three just answered

        var results = await Within(Task.WhenAll([first, .. others])); // the fake clock never moves here

        Assert.That(results.Select(r => r.Generation).Distinct().Count(), Is.EqualTo(1), "the four callers share one write");
        Assert.That(provider.Captures, Is.EqualTo(3));
    }

    [Test]
    public async Task A_caller_left_alone_is_saved_once_the_delay_has_passed_on_the_managers_clock()
    {
        var (provider, manager) = await AfterASaveOfThreeCallersAsync();
        var start = Time.GetUtcNow();

        // The worker may pick the request up a moment later (it may still be finishing the last save), so the clock
        // moves in half-delay steps until the save is done instead of in one step that could come before its timer.
        var alone = manager.SaveAsync("sqs").AsTask();
        await WaitUntilAsync(() => alone.IsCompleted || Advance(Delay / 2), "the lone caller's save completed");

        Assert.That(provider.Captures, Is.EqualTo(3));
        Assert.That(Time.GetUtcNow() - start, Is.GreaterThanOrEqualTo(Delay), "the save waited for the whole delay on the manager's clock");
    }

    [Test]
    public async Task One_caller_at_a_time_never_waits()
    {
        var provider = new TestProvider("sqs");
        var manager = CreateManager([provider], commitDelay: Delay);
        for (var i = 0; i < 3; i++)
        {
            await MutateAsync(manager, provider, $"item-{i}");
            await Within(manager.SaveAsync("sqs")); // the fake clock never moves: a wait would never end
        }

        Assert.That(provider.Captures, Is.EqualTo(3));
    }

    [Test]
    public void A_negative_delay_is_refused()
    {
        Assert.That(() => CreateManager([new TestProvider("sqs")], commitDelay: TimeSpan.FromMilliseconds(-1)), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    /// <summary>Save 1 covers one caller while its write is held; three callers join save 2, which covers them.</summary>
    private async Task<(TestProvider Provider, SnapshotManager Manager)> AfterASaveOfThreeCallersAsync()
    {
        var provider = new TestProvider("sqs");
        var (writeStarted, releaseWrite) = provider.HoldFirstWrite();
        var manager = CreateManager([provider], commitDelay: Delay);
        await MutateAsync(manager, provider, "first");
        var running = manager.SaveAsync("sqs").AsTask();
        await Within(writeStarted.Task);
        await MutateAsync(manager, provider, "second");
        var batch = Enumerable.Range(0, 3).Select(_ => manager.SaveAsync("sqs").AsTask()).ToArray();
        releaseWrite.SetResult();
        await Within(running);
        var results = await Within(Task.WhenAll(batch));
        Assert.That(results.Select(r => r.Generation).Distinct().Count(), Is.EqualTo(1), "setup: the three callers shared save 2");
        Assert.That(provider.Captures, Is.EqualTo(2), "setup");
        await MutateAsync(manager, provider, "third");
        return (provider, manager);
    }

    private bool Advance(TimeSpan step)
    {
        Time.Advance(step);
        return false;
    }
}
