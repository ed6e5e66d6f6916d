using System.Text;
using System.Text.Json;
using LocalStack.Persistence.AspNetCore.Aws;
using LocalStack.Persistence.SampleEmulator.Aws;
using LocalStack.Persistence.SampleEmulator.Sqs;
using LocalStack.Persistence.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace LocalStack.Persistence.SampleEmulator.Tests.Sqs;

/// <summary>
/// Message retention and FIFO deduplication intervals, on the handler in process with a fake clock (the emulator
/// process's test clock moves with real time, and retention is at least 60 seconds): expired messages disappear from
/// sends, receives and the queue's counts, a changed retention period applies to the messages already queued, a
/// redriven message keeps its original send time, and all of it holds for a queue restored from a snapshot.
/// </summary>
public sealed class SqsExpiryTests
{
    private const string Account = "000000000000";
    private const string Region = "us-east-1";
    private static readonly DateTimeOffset Start = new(2040, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public async Task Messages_past_retention_disappear_from_receives_and_counts_also_after_a_retention_change()
    {
        var time = new FakeTimeProvider(Start);
        var sqs = new Client(new SqsBackend(time));
        var url = await sqs.CreateQueueAsync("retained", """{"MessageRetentionPeriod":"60"}""");

        await sqs.SendAsync(url, "old");
        time.Advance(TimeSpan.FromSeconds(30));
        await sqs.SendAsync(url, "young");
        Assert.That(await sqs.VisibleCountAsync(url), Is.EqualTo(2));

        // At exactly 60 s the first message is gone; the second has 30 s left.
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.That(await sqs.VisibleCountAsync(url), Is.EqualTo(1));
        Assert.That(await sqs.ReceiveBodiesAsync(url), Is.EqualTo(new[] { "young" }));

        // A longer period keeps the queued message past its old end; a shorter one ends it at once (AWS applies the
        // period to every message).
        await sqs.CallAsync("SetQueueAttributes", $$"""{"QueueUrl":"{{url}}","Attributes":{"MessageRetentionPeriod":"120"} }""");
        await sqs.SendAsync(url, "third");
        time.Advance(TimeSpan.FromSeconds(40));
        Assert.That(await sqs.ReceiveBodiesAsync(url), Is.EquivalentTo(new[] { "young", "third" }), "young, sent 100 s ago, is kept by the 120 s period");

        await sqs.CallAsync("SetQueueAttributes", $$"""{"QueueUrl":"{{url}}","Attributes":{"MessageRetentionPeriod":"60"} }""");
        Assert.That(await sqs.VisibleCountAsync(url), Is.EqualTo(1), "young is past the new 60 s period");

        // A send drops what expired before it queues: third (sent 40 s ago) goes at 60 s.
        time.Advance(TimeSpan.FromSeconds(20));
        await sqs.SendAsync(url, "fourth");
        Assert.That(await sqs.ReceiveBodiesAsync(url), Is.EqualTo(new[] { "fourth" }));
    }

    [Test]
    public async Task A_redriven_message_expires_by_its_original_send_time_though_it_is_queued_after_younger_ones()
    {
        var time = new FakeTimeProvider(Start);
        var sqs = new Client(new SqsBackend(time));
        var deadLetterUrl = await sqs.CreateQueueAsync("dead-letters", """{"MessageRetentionPeriod":"60"}""");
        var policy = JsonSerializer.Serialize($$"""{"deadLetterTargetArn":"arn:aws:sqs:{{Region}}:{{Account}}:dead-letters","maxReceiveCount":"1"}""");
        var sourceUrl = await sqs.CreateQueueAsync("source", $$"""{"RedrivePolicy":{{policy}}}""");

        await sqs.SendAsync(sourceUrl, "redriven");
        time.Advance(TimeSpan.FromSeconds(30));
        await sqs.SendAsync(deadLetterUrl, "direct");
        Assert.That(await sqs.ReceiveBodiesAsync(sourceUrl), Is.EqualTo(new[] { "redriven" }));
        Assert.That(await sqs.ReceiveBodiesAsync(sourceUrl), Is.Empty, "the second receive moves it to the dead-letter queue");
        Assert.That(await sqs.VisibleCountAsync(deadLetterUrl), Is.EqualTo(2));

        // 60 s after "redriven" was sent, behind "direct" (30 s younger) in the dead-letter queue.
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.That(await sqs.VisibleCountAsync(deadLetterUrl), Is.EqualTo(1));
        Assert.That(await sqs.ReceiveBodiesAsync(deadLetterUrl), Is.EqualTo(new[] { "direct" }));
    }

    [Test]
    public async Task Expiry_and_deduplication_intervals_go_on_in_a_queue_restored_from_a_snapshot()
    {
        using var dir = new TempDirectory();
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = dir.Path });
        var snapshotter = new ServiceSnapshotter(store);
        var time = new FakeTimeProvider(Start);
        var backend = new SqsBackend(time);
        var provider = new SqsStateProvider(backend);
        var sqs = new Client(backend);
        var url = await sqs.CreateQueueAsync("kept", """{"MessageRetentionPeriod":"60"}""");
        var fifoUrl = await sqs.CreateQueueAsync("kept.fifo", """{"FifoQueue":"true","MessageRetentionPeriod":"600"}""");

        await sqs.SendAsync(url, "first");
        var original = await sqs.SendFifoAsync(fifoUrl, "once", "d1");
        time.Advance(TimeSpan.FromSeconds(40));
        await sqs.SendAsync(url, "second");
        await snapshotter.SaveAsync(provider);

        // Changed after the save, then replaced by the load.
        await sqs.SendAsync(url, "not saved");
        await snapshotter.LoadAsync(provider);

        Assert.That(await sqs.VisibleCountAsync(url), Is.EqualTo(2));
        Assert.That(await sqs.SendFifoAsync(fifoUrl, "once", "d1"), Is.EqualTo(original), "a duplicate within 5 minutes, by the restored record");
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.That(await sqs.VisibleCountAsync(url), Is.EqualTo(1), "first is 60 s old");
        Assert.That(await sqs.ReceiveBodiesAsync(url), Is.EqualTo(new[] { "second" }));

        // The restored deduplication record ends 5 minutes after the first send: the same id is then a new message.
        time.Advance(TimeSpan.FromSeconds(240));
        Assert.That(await sqs.SendFifoAsync(fifoUrl, "once", "d1"), Is.Not.EqualTo(original));
        Assert.That(await sqs.VisibleCountAsync(fifoUrl), Is.EqualTo(2));

        // Both FIFO messages were sent more than 600 s ago by now.
        time.Advance(TimeSpan.FromSeconds(601));
        Assert.That(await sqs.VisibleCountAsync(fifoUrl), Is.Zero);
        Assert.That(await sqs.VisibleCountAsync(url), Is.Zero);
    }

    /// <summary>JSON-protocol requests through the handler on an in-memory HTTP context (no server).</summary>
    private sealed class Client(SqsBackend backend)
    {
        private readonly SqsHandler _handler = new(backend);

        public async Task<string> CreateQueueAsync(string name, string attributes)
            => (await CallAsync("CreateQueue", $$"""{"QueueName":"{{name}}","Attributes":{{attributes}}}""")).GetProperty("QueueUrl").GetString()!;

        public Task SendAsync(string url, string body)
            => CallAsync("SendMessage", $$"""{"QueueUrl":"{{url}}","MessageBody":"{{body}}"}""");

        public async Task<string> SendFifoAsync(string url, string body, string deduplicationId)
            => (await CallAsync("SendMessage", $$"""{"QueueUrl":"{{url}}","MessageBody":"{{body}}","MessageGroupId":"g","MessageDeduplicationId":"{{deduplicationId}}"}"""))
                .GetProperty("MessageId").GetString()!;

        public async Task<int> VisibleCountAsync(string url)
            => int.Parse((await CallAsync("GetQueueAttributes", $$"""{"QueueUrl":"{{url}}","AttributeNames":["ApproximateNumberOfMessages"]}"""))
                .GetProperty("Attributes").GetProperty("ApproximateNumberOfMessages").GetString()!, System.Globalization.CultureInfo.InvariantCulture);

        /// <summary>Receives up to 10 messages with a zero visibility timeout, so that they stay receivable.</summary>
        public async Task<string[]> ReceiveBodiesAsync(string url)
        {
            var answer = await CallAsync("ReceiveMessage", $$"""{"QueueUrl":"{{url}}","MaxNumberOfMessages":10,"VisibilityTimeout":0}""");
            return answer.TryGetProperty("Messages", out var messages) ? [.. messages.EnumerateArray().Select(m => m.GetProperty("Body").GetString()!)] : [];
        }

        public async Task<JsonElement> CallAsync(string operation, string json)
        {
            var http = new DefaultHttpContext();
            var body = Encoding.UTF8.GetBytes(json);
            http.Request.Method = "POST";
            http.Request.Path = "/";
            http.Request.Host = new HostString("localhost:4566");
            http.Request.ContentType = "application/x-amz-json-1.0";
            http.Request.Headers["X-Amz-Target"] = "AmazonSQS." + operation;
            http.Request.Body = new MemoryStream(body);
            http.Request.ContentLength = body.Length;
            var response = new MemoryStream();
            http.Response.Body = response;
            await _handler.HandleAsync(new AwsRequestContext(http, Account, Region));
            var text = Encoding.UTF8.GetString(response.ToArray());
            Assert.That(http.Response.StatusCode, Is.EqualTo(StatusCodes.Status200OK), $"{operation}: {text}");
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
    }
}
