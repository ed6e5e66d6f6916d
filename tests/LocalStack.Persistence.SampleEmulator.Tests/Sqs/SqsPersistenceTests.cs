using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Amazon.SQS;
using Amazon.SQS.Model;
using LocalStack.Persistence.SampleEmulator.Tests.Sqs.Keyed;
using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.Sqs;

/// <summary>SQS state through save, SIGKILL and restart on the same volume, and through load and reset.</summary>
public sealed class SqsPersistenceTests
{
    private static readonly Dictionary<string, string?> ManualSaves = new() { ["SNAPSHOT_SAVE_STRATEGY"] = "MANUAL" };

    [Test]
    public async Task Queues_and_messages_survive_a_save_and_a_SIGKILL_with_in_flight_messages_kept_invisible_until_their_deadline()
    {
        using var volume = new TempDirectory();
        string standardUrl, shortUrl, fifoUrl, longHandle, fifoFirstSequence, fifoFirstId;
        string shortFirstReceive;
        Stopwatch sinceShortReceive;
        await using (var before = await EmulatorProcess.StartAsync(volume.Path, ManualSaves))
        {
            using var sqs = before.CreateSqsClient();
            standardUrl = (await sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = "orders", Attributes = new() { ["VisibilityTimeout"] = "7" }, Tags = new() { ["team"] = "a" } })).QueueUrl;
            shortUrl = (await sqs.CreateQueueAsync("short-lease")).QueueUrl;
            fifoUrl = (await sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = "ledger.fifo", Attributes = new() { ["FifoQueue"] = "true" } })).QueueUrl;

            await sqs.SendMessageAsync(standardUrl, "in flight for an hour");
            longHandle = (await Receive(sqs, standardUrl, visibilityTimeout: 3600)).Single().ReceiptHandle;
            await sqs.SendMessageAsync(new SendMessageRequest
            {
                QueueUrl = standardUrl,
                MessageBody = "visible with attributes",
                MessageAttributes = new()
                {
                    ["s"] = new() { DataType = "String", StringValue = "text" },
                    ["n"] = new() { DataType = "Number", StringValue = "7" },
                    ["b"] = new() { DataType = "Binary", BinaryValue = new MemoryStream([1, 2, 3]) },
                },
            });
            await sqs.SendMessageAsync(standardUrl, "visible plain");
            await sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = standardUrl, MessageBody = "delayed", DelaySeconds = 900 });

            await sqs.SendMessageAsync(shortUrl, "in flight for 2 seconds");
            sinceShortReceive = Stopwatch.StartNew();
            shortFirstReceive = (await Receive(sqs, shortUrl, visibilityTimeout: 2)).Single().Attributes["ApproximateFirstReceiveTimestamp"];

            var fifoFirst = await sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = fifoUrl, MessageBody = "entry 1", MessageGroupId = "g", MessageDeduplicationId = "e1" });
            (fifoFirstSequence, fifoFirstId) = (fifoFirst.SequenceNumber, fifoFirst.MessageId);

            var (status, body) = await before.PostAsync("/_localstack/state/sqs/save");
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
            await before.KillAsync();
        }

        // The snapshot (keyed records) loads into a new provider whose document has LocalStack's shape: {"<account>":{"<region>":{"queues":{...}}}}.
        {
            var saved = JsonNode.Parse(InProcessSqs.Canonical(await InProcessSqs.LoadCopyAsync(volume.Path)));
            var queues = saved!["000000000000"]!["us-east-1"]!["queues"]!.AsObject();
            Assert.That(queues.Select(q => q.Key), Is.EquivalentTo(new[] { "ledger.fifo", "orders", "short-lease" }));
            Assert.That(queues["orders"]!["messages"]!.AsArray(), Has.Count.EqualTo(4));
        }

        await using var after = await EmulatorProcess.StartAsync(volume.Path, ManualSaves);
        using var client = after.CreateSqsClient();

        // The queue URLs name the new port; the queues are found by account and name.
        var urls = (await client.ListQueuesAsync(new ListQueuesRequest())).QueueUrls;
        Assert.That(urls.Select(u => u.Split('/')[^1]), Is.EquivalentTo(new[] { "ledger.fifo", "orders", "short-lease" }));
        standardUrl = Rebase(after, standardUrl);
        shortUrl = Rebase(after, shortUrl);
        fifoUrl = Rebase(after, fifoUrl);

        var attributes = (await client.GetQueueAttributesAsync(standardUrl, ["All"])).Attributes;
        var tags = (await client.ListQueueTagsAsync(new ListQueueTagsRequest { QueueUrl = standardUrl })).Tags;
        Assert.Multiple(() =>
        {
            Assert.That(attributes["VisibilityTimeout"], Is.EqualTo("7"));
            Assert.That(attributes["ApproximateNumberOfMessages"], Is.EqualTo("2"));
            Assert.That(attributes["ApproximateNumberOfMessagesNotVisible"], Is.EqualTo("1"));
            Assert.That(attributes["ApproximateNumberOfMessagesDelayed"], Is.EqualTo("1"));
            Assert.That(tags["team"], Is.EqualTo("a"));
        });

        // Visible messages come back with their attributes (the SDK verifies the digests); the hour-long one stays hidden.
        var visible = await Receive(client, standardUrl, visibilityTimeout: 60);
        Assert.That(visible.Select(m => m.Body), Is.EquivalentTo(new[] { "visible with attributes", "visible plain" }));
        var withAttributes = visible.Single(m => m.Body == "visible with attributes");
        Assert.That(withAttributes.MessageAttributes["b"].BinaryValue.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That(withAttributes.MessageAttributes["n"].StringValue, Is.EqualTo("7"));

        // The receipt handle from before the crash still works for the in-flight message.
        await client.ChangeMessageVisibilityAsync(standardUrl, longHandle, 0);
        var released = (await Receive(client, standardUrl, visibilityTimeout: 60)).Single();
        Assert.That(released.Body, Is.EqualTo("in flight for an hour"));
        Assert.That(released.Attributes["ApproximateReceiveCount"], Is.EqualTo("2"));

        // The short lease becomes visible at its original deadline, not earlier, with its receive count kept.
        var again = (await Receive(client, shortUrl, visibilityTimeout: 60, waitTimeSeconds: 2)).Single();
        Assert.Multiple(() =>
        {
            Assert.That(sinceShortReceive.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1.95)));
            Assert.That(again.Attributes["ApproximateReceiveCount"], Is.EqualTo("2"));
            Assert.That(again.Attributes["ApproximateFirstReceiveTimestamp"], Is.EqualTo(shortFirstReceive));
        });

        // FIFO deduplication records and the sequence counter survive too.
        var duplicate = await client.SendMessageAsync(new SendMessageRequest { QueueUrl = fifoUrl, MessageBody = "entry 1", MessageGroupId = "g", MessageDeduplicationId = "e1" });
        var next = await client.SendMessageAsync(new SendMessageRequest { QueueUrl = fifoUrl, MessageBody = "entry 2", MessageGroupId = "g", MessageDeduplicationId = "e2" });
        var fifoMessages = await Receive(client, fifoUrl, visibilityTimeout: 60);
        Assert.Multiple(() =>
        {
            Assert.That(duplicate.MessageId, Is.EqualTo(fifoFirstId));
            Assert.That(string.CompareOrdinal(next.SequenceNumber, fifoFirstSequence), Is.GreaterThan(0));
            Assert.That(fifoMessages.Select(m => m.Body), Is.EqualTo(new[] { "entry 1", "entry 2" }));
        });
    }

    [Test]
    public async Task Load_replaces_the_live_state_with_the_snapshot_and_reset_empties_it()
    {
        using var volume = new TempDirectory();
        await using var emulator = await EmulatorProcess.StartAsync(volume.Path, ManualSaves);
        using var sqs = emulator.CreateSqsClient();
        var url = (await sqs.CreateQueueAsync("kept")).QueueUrl;
        await sqs.SendMessageAsync(url, "saved message");
        Assert.That((await emulator.PostAsync("/_localstack/state/sqs/save")).Status, Is.EqualTo(HttpStatusCode.OK));

        var received = (await Receive(sqs, url, visibilityTimeout: 60)).Single();
        await sqs.DeleteMessageAsync(url, received.ReceiptHandle);
        await sqs.CreateQueueAsync("created-after-save");

        Assert.That((await emulator.PostAsync("/_localstack/state/sqs/load")).Status, Is.EqualTo(HttpStatusCode.OK));
        var names = (await sqs.ListQueuesAsync(new ListQueuesRequest())).QueueUrls.Select(u => u.Split('/')[^1]);
        Assert.That(names, Is.EqualTo(new[] { "kept" }));
        Assert.That((await Receive(sqs, url)).Single().Body, Is.EqualTo("saved message"));

        Assert.That((await emulator.PostAsync("/_localstack/state/sqs/reset")).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await sqs.ListQueuesAsync(new ListQueuesRequest())).QueueUrls, Is.Null.Or.Empty);
        await Assert.ThrowsAsync<QueueDoesNotExistException>(() => sqs.SendMessageAsync(url, "gone"));
    }

    private static string Rebase(EmulatorProcess emulator, string queueUrl) => emulator.ServiceUrl + new Uri(queueUrl).AbsolutePath;

    private static async Task<List<Message>> Receive(AmazonSQSClient sqs, string url, int? visibilityTimeout = null, int waitTimeSeconds = 0)
        => (await sqs.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = url,
            MaxNumberOfMessages = 10,
            VisibilityTimeout = visibilityTimeout,
            WaitTimeSeconds = waitTimeSeconds,
            MessageSystemAttributeNames = ["All"],
            MessageAttributeNames = ["All"],
        })).Messages ?? [];
}
