using System.Diagnostics;
using System.Net;
using Amazon.SQS.Model;

namespace LocalStack.Persistence.SampleEmulator.Tests.Sqs;

public sealed partial class SqsOperationsTests
{
    [Test]
    public async Task A_long_poll_returns_as_soon_as_a_message_is_sent()
    {
        var url = await CreateQueueAsync("longpoll");
        var clock = Stopwatch.StartNew();
        var poll = ReceiveAsync(url, waitTimeSeconds: 5);
        await WaitUntilWaitingAsync(poll);

        await _sqs.SendMessageAsync(url, "wake up");
        var messages = await poll;

        Assert.That(messages.Single().Body, Is.EqualTo("wake up"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(4)), "the poll should not run to its 5 s end");
    }

    [Test]
    public async Task A_long_poll_with_nothing_to_receive_waits_for_WaitTimeSeconds_and_returns_empty()
    {
        var url = await CreateQueueAsync("emptypoll");
        var clock = Stopwatch.StartNew();
        var messages = await ReceiveAsync(url, waitTimeSeconds: 1);
        Assert.That(messages, Is.Empty);
        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(0.9)));
    }

    [Test]
    public async Task A_save_completes_while_a_long_poll_is_waiting()
    {
        var url = await CreateQueueAsync("savepoll");
        var poll = ReceiveAsync(url, waitTimeSeconds: 5);
        await WaitUntilWaitingAsync(poll);

        var clock = Stopwatch.StartNew();
        var (status, body) = await _emulator.PostAsync("/_localstack/state/sqs/save");
        var saveTime = clock.Elapsed;

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        Assert.That(poll.IsCompleted, Is.False, "the save must return before the poll ends");
        Assert.That(saveTime, Is.LessThan(TimeSpan.FromSeconds(3)));

        // End the poll with a message rather than waiting out its 5 seconds.
        await _sqs.SendMessageAsync(url, "after save");
        Assert.That((await poll).Single().Body, Is.EqualTo("after save"));
    }

    /// <summary>Gives the poll time to reach the server's wait (a real process; no other signal is visible from outside).</summary>
    private static async Task WaitUntilWaitingAsync(Task poll)
    {
        await Task.Delay(300);
        Assert.That(poll.IsCompleted, Is.False, "the long poll returned before anything was sent");
    }
}
