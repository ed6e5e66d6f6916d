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

    [Test]
    public async Task An_abandoned_long_poll_takes_no_message()
    {
        var url = await CreateQueueAsync("abandon");
        using var cancel = new CancellationTokenSource();
        var poll = _sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = url, WaitTimeSeconds = 5 }, cancel.Token);
        await WaitUntilWaitingAsync(poll);
        await cancel.CancelAsync();
        Assert.That(async () => await poll, Throws.InstanceOf<OperationCanceledException>());

        // The server noticed the abort and stopped waiting, so the next message goes to the next receiver.
        await _sqs.SendMessageAsync(url, "for the next receiver");
        var messages = await ReceiveAsync(url, waitTimeSeconds: 1);
        Assert.That(messages.Single().Body, Is.EqualTo("for the next receiver"));
    }

    [Test]
    public async Task Concurrent_receivers_never_get_the_same_message()
    {
        var url = await CreateQueueAsync("concurrent");
        for (var batch = 0; batch < 4; batch++)
        {
            await _sqs.SendMessageBatchAsync(new SendMessageBatchRequest
            {
                QueueUrl = url,
                Entries = [.. Enumerable.Range(0, 10).Select(i => new SendMessageBatchRequestEntry { Id = "m" + i, MessageBody = $"{batch}-{i}" })],
            });
        }

        var receivers = Enumerable.Range(0, 8).Select(_ => ReceiveAsync(url, max: 10, visibilityTimeout: 60));
        var received = (await Task.WhenAll(receivers)).SelectMany(m => m).ToList();

        Assert.That(received.Select(m => m.MessageId), Is.Unique);
        Assert.That(received, Has.Count.EqualTo(40));
    }

    /// <summary>Gives the poll time to reach the server's wait (a real process; no other signal is visible from outside).</summary>
    private static async Task WaitUntilWaitingAsync(Task poll)
    {
        await Task.Delay(300);
        Assert.That(poll.IsCompleted, Is.False, "the long poll returned before anything was sent");
    }
}
