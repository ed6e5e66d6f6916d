using System.Globalization;
using Amazon.SQS.Model;
using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.Golden;

/// <summary>
/// The fixed SQS workload of the golden sets: a standard queue with two visible messages (one with String, Number and
/// Binary attributes) and one in flight, and a FIFO queue with three messages in two groups.
/// </summary>
internal static class GoldenSqsWorkload
{
    public const string Queue = "golden-queue";
    public const string FifoQueue = "golden-queue.fifo";
    public const string InFlightBody = "in flight until 2100";

    /// <summary>
    /// The in-flight message's deadline in the golden payload (2100-01-01, Unix ms). The API caps visibility at 12 hours,
    /// so <see cref="GoldenSets"/> moves the deadline of the payload the emulator wrote to this value.
    /// </summary>
    public const long FarFutureVisibleAt = 4_102_444_800_000;

    public static IReadOnlyList<(string Body, string Group, string? DeduplicationId)> FifoMessages { get; } =
    [
        ("fifo-1", "g1", null),
        ("fifo-2", "g1", null),
        ("fifo-3", "g2", "explicit-dedup"),
    ];

    public static Dictionary<string, MessageAttributeValue> Attributes() => new()
    {
        ["color"] = new MessageAttributeValue { DataType = "String", StringValue = "blue" },
        ["count"] = new MessageAttributeValue { DataType = "Number", StringValue = "42" },
        ["blob"] = new MessageAttributeValue { DataType = "Binary", BinaryValue = new MemoryStream([1, 2, 3, 254]) },
    };

    /// <summary>Makes the queues; returns the in-flight message's receipt handle.</summary>
    public static async Task<string> CreateAsync(EmulatorProcess emulator)
    {
        using var sqs = emulator.CreateSqsClient(GoldenWorkload.AccessKey, GoldenWorkload.Region);
        var url = (await sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = Queue,
            Attributes = new() { ["VisibilityTimeout"] = "45", ["MessageRetentionPeriod"] = "86400" },
            Tags = new() { ["env"] = "golden" },
        })).QueueUrl;

        // First in, received alone: the other messages are sent after it.
        await sqs.SendMessageAsync(url, InFlightBody);
        var received = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = url, MaxNumberOfMessages = 1, VisibilityTimeout = 43_200 });
        var inFlight = received.Messages?.SingleOrDefault() ?? throw new InvalidOperationException("the in-flight message was not received");
        Assert.That(inFlight.Body, Is.EqualTo(InFlightBody));

        await sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = url, MessageBody = "with attributes", MessageAttributes = Attributes() });
        await sqs.SendMessageAsync(url, "plain");

        var fifoUrl = (await sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = FifoQueue,
            Attributes = new() { ["FifoQueue"] = "true", ["ContentBasedDeduplication"] = "true" },
        })).QueueUrl;
        foreach (var (body, group, deduplicationId) in FifoMessages)
        {
            await sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = fifoUrl, MessageBody = body, MessageGroupId = group, MessageDeduplicationId = deduplicationId });
        }

        return inFlight.ReceiptHandle;
    }

    /// <param name="madeAt">When the set was made (<see cref="GoldenSets.MadeAtAsync"/>); the emulator's clock is later.</param>
    public static async Task VerifyAsync(EmulatorProcess emulator, string inFlightReceiptHandle, DateTimeOffset madeAt)
    {
        using var sqs = emulator.CreateSqsClient(GoldenWorkload.AccessKey, GoldenWorkload.Region);
        var queues = (await sqs.ListQueuesAsync(new ListQueuesRequest())).QueueUrls ?? [];
        Assert.That(queues.Select(u => u[(u.LastIndexOf('/') + 1)..]).Order(StringComparer.Ordinal), Is.EqualTo(new[] { Queue, FifoQueue }));

        var url = (await sqs.GetQueueUrlAsync(Queue)).QueueUrl;
        var attributes = (await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = url, AttributeNames = ["All"] })).Attributes;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(attributes["VisibilityTimeout"], Is.EqualTo("45"));
            Assert.That(attributes["MessageRetentionPeriod"], Is.EqualTo("86400"));
            Assert.That(attributes["ApproximateNumberOfMessages"], Is.EqualTo("2"));
            Assert.That(attributes["ApproximateNumberOfMessagesNotVisible"], Is.EqualTo("1"));
            Assert.That(long.Parse(attributes["CreatedTimestamp"], CultureInfo.InvariantCulture), Is.LessThanOrEqualTo(madeAt.ToUnixTimeSeconds()));
        }

        var tags = (await sqs.ListQueueTagsAsync(new ListQueueTagsRequest { QueueUrl = url })).Tags;
        Assert.That(tags, Is.EqualTo(new Dictionary<string, string> { ["env"] = "golden" }));

        // The SDK checks the MD5 of body and attributes of every message it receives.
        var received = (await sqs.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = url,
            MaxNumberOfMessages = 10,
            MessageAttributeNames = ["All"],
            MessageSystemAttributeNames = ["All"],
        })).Messages ?? [];
        Assert.That(received.Select(m => m.Body).Order(StringComparer.Ordinal), Is.EqualTo(new[] { "plain", "with attributes" }), "the in-flight message must stay invisible");
        var withAttributes = received.Single(m => m.Body == "with attributes");
        var expected = Attributes();
        Assert.That(withAttributes.MessageAttributes.Keys.Order(StringComparer.Ordinal), Is.EqualTo(expected.Keys.Order(StringComparer.Ordinal)));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(withAttributes.MessageAttributes["color"].StringValue, Is.EqualTo("blue"));
            Assert.That(withAttributes.MessageAttributes["count"].DataType, Is.EqualTo("Number"));
            Assert.That(withAttributes.MessageAttributes["count"].StringValue, Is.EqualTo("42"));
            Assert.That(withAttributes.MessageAttributes["blob"].BinaryValue.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 254 }));
            Assert.That(received.Select(m => m.Attributes["ApproximateReceiveCount"]), Is.All.EqualTo("1"));
            Assert.That(received.Select(m => long.Parse(m.Attributes["SentTimestamp"], CultureInfo.InvariantCulture)), Is.All.LessThanOrEqualTo(madeAt.ToUnixTimeMilliseconds()));
        }

        // The in-flight message kept its receipt handle: it deletes the message.
        await sqs.DeleteMessageAsync(url, inFlightReceiptHandle);
        attributes = (await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = url, AttributeNames = ["ApproximateNumberOfMessagesNotVisible"] })).Attributes;
        Assert.That(attributes["ApproximateNumberOfMessagesNotVisible"], Is.EqualTo("2"), "the two just received remain; the golden in-flight one is deleted");

        await VerifyFifoAsync(sqs);
    }

    private static async Task VerifyFifoAsync(Amazon.SQS.AmazonSQSClient sqs)
    {
        var url = (await sqs.GetQueueUrlAsync(FifoQueue)).QueueUrl;
        var attributes = (await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = url, AttributeNames = ["All"] })).Attributes;
        Assert.That(attributes["ContentBasedDeduplication"], Is.EqualTo("true"));

        var messages = new List<Message>();
        for (var attempt = 0; attempt < 3 && messages.Count < FifoMessages.Count; attempt++)
        {
            messages.AddRange((await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = url, MaxNumberOfMessages = 10, MessageSystemAttributeNames = ["All"] })).Messages ?? []);
        }

        Assert.That(messages.Select(m => m.Body).Order(StringComparer.Ordinal), Is.EqualTo(FifoMessages.Select(m => m.Body)));
        foreach (var group in FifoMessages.GroupBy(m => m.Group))
        {
            var inGroup = messages.Where(m => m.Attributes["MessageGroupId"] == group.Key).ToList();
            Assert.That(inGroup.Select(m => m.Body), Is.EqualTo(group.Select(m => m.Body)), $"order of group {group.Key}");
        }

        var sequence = messages.OrderBy(m => m.Body, StringComparer.Ordinal).Select(m => decimal.Parse(m.Attributes["SequenceNumber"], CultureInfo.InvariantCulture)).ToList();
        Assert.That(sequence, Is.Ordered.Ascending.And.Unique);
        Assert.That(messages.Single(m => m.Body == "fifo-3").Attributes["MessageDeduplicationId"], Is.EqualTo("explicit-dedup"));

        // Deduplication records survived: the same content within 5 minutes of the golden run would be dropped, but
        // the emulator's clock is GoldenStateTests.LoadedAfter (10 minutes) past the golden run, so a resend is accepted
        // with a new, higher sequence number.
        var resent = await sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = url, MessageBody = "fifo-4", MessageGroupId = "g1" });
        Assert.That(decimal.Parse(resent.SequenceNumber, CultureInfo.InvariantCulture), Is.GreaterThan(sequence.Max()), "the sequence counter was restored");
    }
}
