using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace LocalStack.Persistence.SampleEmulator.Tests.Sqs;

public sealed partial class SqsOperationsTests
{
    [Test]
    public async Task Messages_carry_String_Number_and_Binary_attributes_with_the_digests_the_SDK_verifies()
    {
        var url = await CreateQueueAsync("attrs-msg");
        var binary = new byte[] { 0, 1, 2, 250, 255 };
        var attributes = new Dictionary<string, MessageAttributeValue>
        {
            ["name"] = new() { DataType = "String", StringValue = "ünïcode ✓" },
            ["count"] = new() { DataType = "Number", StringValue = "42.5" },
            ["blob"] = new() { DataType = "Binary", BinaryValue = new MemoryStream(binary) },
            ["custom"] = new() { DataType = "String.uuid", StringValue = "abc" },
        };

        var sent = await _sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = url, MessageBody = "hello ✓", MessageAttributes = attributes });
        var received = (await ReceiveAsync(url)).Single();

        Assert.Multiple(() =>
        {
#pragma warning disable CA5351 // SQS's digest is MD5.
            Assert.That(sent.MD5OfMessageBody, Is.EqualTo(Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes("hello ✓")))));
#pragma warning restore CA5351
            Assert.That(sent.MD5OfMessageAttributes, Is.Not.Null.And.Length.EqualTo(32));
            Assert.That(received.MessageId, Is.EqualTo(sent.MessageId));
            Assert.That(received.Body, Is.EqualTo("hello ✓"));
            Assert.That(received.MD5OfMessageAttributes, Is.EqualTo(sent.MD5OfMessageAttributes));
            Assert.That(received.MessageAttributes["name"].StringValue, Is.EqualTo("ünïcode ✓"));
            Assert.That(received.MessageAttributes["count"].DataType, Is.EqualTo("Number"));
            Assert.That(received.MessageAttributes["count"].StringValue, Is.EqualTo("42.5"));
            Assert.That(received.MessageAttributes["blob"].BinaryValue.ToArray(), Is.EqualTo(binary));
            Assert.That(received.MessageAttributes["custom"].DataType, Is.EqualTo("String.uuid"));
            Assert.That(received.Attributes["SenderId"], Is.EqualTo("000000000000"));
        });
    }

    [Test]
    public async Task ReceiveMessage_returns_only_the_requested_message_attributes_with_their_digest()
    {
        var url = await CreateQueueAsync("attr-filter");
        await _sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = url,
            MessageBody = "b",
            MessageAttributes = new()
            {
                ["app.user"] = new() { DataType = "String", StringValue = "u" },
                ["app.role"] = new() { DataType = "String", StringValue = "r" },
                ["other"] = new() { DataType = "Number", StringValue = "1" },
            },
        });

        // The SDK recomputes MD5OfMessageAttributes over the returned subset and fails the call on a mismatch.
        var response = await _sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = url, MessageAttributeNames = ["app.*"], VisibilityTimeout = 0 });
        var none = await _sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = url });

        Assert.That(response.Messages.Single().MessageAttributes.Keys, Is.EquivalentTo(new[] { "app.user", "app.role" }));
        Assert.That(none.Messages.Single().MessageAttributes, Is.Null.Or.Empty);
        Assert.That(none.Messages.Single().MD5OfMessageAttributes, Is.Null);
    }

    [Test]
    public async Task Invalid_messages_are_refused()
    {
        var url = await CreateQueueAsync("invalid");
        var badType = await Assert.ThrowsAsync<AmazonSQSException>(() => _sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = url,
            MessageBody = "b",
            MessageAttributes = new() { ["n"] = new() { DataType = "Number", StringValue = "not a number" } },
        }));
        var badChars = await Assert.ThrowsAsync<InvalidMessageContentsException>(() => _sqs.SendMessageAsync(url, "bad \u0001 char"));
        var badDelay = await Assert.ThrowsAsync<AmazonSQSException>(() => _sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = url, MessageBody = "b", DelaySeconds = 901 }));

        Assert.That(badType!.ErrorCode, Is.EqualTo("InvalidParameterValue"));
        Assert.That(badChars!.ErrorCode, Is.EqualTo("InvalidMessageContents"));
        Assert.That(badDelay!.ErrorCode, Is.EqualTo("InvalidParameterValue"));
    }

    [Test]
    public async Task Batches_send_delete_and_change_visibility_and_report_failed_entries()
    {
        var url = await CreateQueueAsync("batch");
        var sent = await _sqs.SendMessageBatchAsync(new SendMessageBatchRequest
        {
            QueueUrl = url,
            Entries =
            [
                new() { Id = "a", MessageBody = "A", MessageAttributes = new() { ["k"] = new() { DataType = "String", StringValue = "v" } } },
                new() { Id = "b", MessageBody = "B" },
                new() { Id = "c", MessageBody = "C" },
                new() { Id = "bad", MessageBody = "D", DelaySeconds = 1000 },
            ],
        });

        Assert.That(sent.Successful.Select(s => s.Id), Is.EquivalentTo(new[] { "a", "b", "c" }));
        Assert.That(sent.Failed.Single().Id, Is.EqualTo("bad"));
        Assert.That(sent.Failed.Single().Code, Is.EqualTo("InvalidParameterValue"));
        Assert.That(sent.Failed.Single().SenderFault, Is.True);

        var received = await ReceiveAsync(url, visibilityTimeout: 60);
        Assert.That(received.Select(m => m.Body), Is.EquivalentTo(new[] { "A", "B", "C" }));

        var deleted = await _sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest
        {
            QueueUrl = url,
            Entries =
            [
                .. received.Where(m => m.Body != "C").Select(m => new DeleteMessageBatchRequestEntry { Id = m.Body, ReceiptHandle = m.ReceiptHandle }),
                new() { Id = "garbage", ReceiptHandle = "not-a-handle" },
            ],
        });
        Assert.That(deleted.Successful.Select(s => s.Id), Is.EquivalentTo(new[] { "A", "B" }));
        Assert.That(deleted.Failed.Single().Code, Is.EqualTo("ReceiptHandleIsInvalid"));

        var c = received.Single(m => m.Body == "C");
        var changed = await _sqs.ChangeMessageVisibilityBatchAsync(new ChangeMessageVisibilityBatchRequest
        {
            QueueUrl = url,
            Entries = [new() { Id = "c", ReceiptHandle = c.ReceiptHandle, VisibilityTimeout = 0 }],
        });
        Assert.That(changed.Successful.Single().Id, Is.EqualTo("c"));
        Assert.That((await ReceiveAsync(url)).Single().Body, Is.EqualTo("C"));

        await Assert.ThrowsAsync<BatchEntryIdsNotDistinctException>(() => _sqs.SendMessageBatchAsync(new SendMessageBatchRequest
        {
            QueueUrl = url,
            Entries = [new() { Id = "x", MessageBody = "1" }, new() { Id = "x", MessageBody = "2" }],
        }));
        await Assert.ThrowsAsync<TooManyEntriesInBatchRequestException>(() => _sqs.SendMessageBatchAsync(new SendMessageBatchRequest
        {
            QueueUrl = url,
            Entries = [.. Enumerable.Range(0, 11).Select(i => new SendMessageBatchRequestEntry { Id = "e" + i, MessageBody = "m" })],
        }));
    }

    [Test]
    public async Task An_expired_visibility_timeout_makes_the_message_receivable_again_with_a_higher_receive_count()
    {
        var url = await CreateQueueAsync("visibility");
        await _sqs.SendMessageAsync(url, "again");

        var first = (await ReceiveAsync(url, visibilityTimeout: 1)).Single();
        var hidden = await ReceiveAsync(url);
        var clock = Stopwatch.StartNew();
        var second = (await ReceiveAsync(url, visibilityTimeout: 30, waitTimeSeconds: 2)).Single();

        Assert.Multiple(() =>
        {
            Assert.That(hidden, Is.Empty);
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1.9)), "the long poll should end when the message becomes visible");
            Assert.That(first.Attributes["ApproximateReceiveCount"], Is.EqualTo("1"));
            Assert.That(second.Attributes["ApproximateReceiveCount"], Is.EqualTo("2"));
            Assert.That(second.Attributes["ApproximateFirstReceiveTimestamp"], Is.EqualTo(first.Attributes["ApproximateFirstReceiveTimestamp"]));
            Assert.That(second.ReceiptHandle, Is.Not.EqualTo(first.ReceiptHandle));
            Assert.That(long.Parse(first.Attributes["SentTimestamp"], CultureInfo.InvariantCulture), Is.LessThanOrEqualTo(long.Parse(first.Attributes["ApproximateFirstReceiveTimestamp"], CultureInfo.InvariantCulture)));
        });

        // Only the latest receipt handle deletes; an older one succeeds without deleting (as in AWS).
        await _sqs.DeleteMessageAsync(url, first.ReceiptHandle);
        Assert.That((await AttributesAsync(url, "ApproximateNumberOfMessagesNotVisible"))["ApproximateNumberOfMessagesNotVisible"], Is.EqualTo("1"));
        await _sqs.DeleteMessageAsync(url, second.ReceiptHandle);
        Assert.That((await AttributesAsync(url, "ApproximateNumberOfMessagesNotVisible"))["ApproximateNumberOfMessagesNotVisible"], Is.EqualTo("0"));
    }

    [Test]
    public async Task ChangeMessageVisibility_hides_or_releases_a_message_and_refuses_messages_not_in_flight()
    {
        var url = await CreateQueueAsync("change");
        await _sqs.SendMessageAsync(url, "m");
        var message = (await ReceiveAsync(url, visibilityTimeout: 60)).Single();

        await _sqs.ChangeMessageVisibilityAsync(url, message.ReceiptHandle, 0);
        var again = (await ReceiveAsync(url, visibilityTimeout: 0)).Single();

        Assert.That(again.MessageId, Is.EqualTo(message.MessageId));
        await Assert.ThrowsAsync<MessageNotInflightException>(() => _sqs.ChangeMessageVisibilityAsync(url, again.ReceiptHandle, 10));
        await Assert.ThrowsAsync<ReceiptHandleIsInvalidException>(() => _sqs.ChangeMessageVisibilityAsync(url, "garbage", 10));
        await Assert.ThrowsAsync<ReceiptHandleIsInvalidException>(() => _sqs.DeleteMessageAsync(url, "garbage"));
    }

    [Test]
    public async Task DelaySeconds_hides_a_message_until_the_delay_has_passed()
    {
        var url = await CreateQueueAsync("delay");
        var clock = Stopwatch.StartNew();
        await _sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = url, MessageBody = "late", DelaySeconds = 1 });

        var early = await ReceiveAsync(url);
        var delayed = (await AttributesAsync(url, "ApproximateNumberOfMessagesDelayed"))["ApproximateNumberOfMessagesDelayed"];
        var late = await ReceiveAsync(url, waitTimeSeconds: 2);

        Assert.That(early, Is.Empty);
        Assert.That(delayed, Is.EqualTo("1"));
        Assert.That(late.Single().Body, Is.EqualTo("late"));
        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(0.9)));
    }

    [Test]
    public async Task A_redrive_policy_moves_a_message_received_too_often_to_the_dead_letter_queue()
    {
        var dlq = await CreateQueueAsync("dlq");
        var dlqArn = (await AttributesAsync(dlq, "QueueArn"))["QueueArn"];
        var url = await CreateQueueAsync("redrive", new() { ["RedrivePolicy"] = $$"""{"deadLetterTargetArn":"{{dlqArn}}","maxReceiveCount":"2"}""" });
        var sourceArn = (await AttributesAsync(url, "QueueArn"))["QueueArn"];
        await _sqs.SendMessageAsync(url, "poison");

        Assert.That(await ReceiveAsync(url, visibilityTimeout: 0), Has.Count.EqualTo(1));
        Assert.That(await ReceiveAsync(url, visibilityTimeout: 0), Has.Count.EqualTo(1));
        Assert.That(await ReceiveAsync(url, visibilityTimeout: 0), Is.Empty);

        var dead = (await ReceiveAsync(dlq)).Single();
        Assert.That(dead.Body, Is.EqualTo("poison"));
        Assert.That(dead.Attributes["DeadLetterQueueSourceArn"], Is.EqualTo(sourceArn));
        var sources = await _sqs.ListDeadLetterSourceQueuesAsync(new ListDeadLetterSourceQueuesRequest { QueueUrl = dlq });
        Assert.That(sources.QueueUrls, Is.EqualTo(new[] { url }));
    }
}
