using Amazon.SQS;
using Amazon.SQS.Model;

namespace LocalStack.Persistence.SampleEmulator.Tests.Sqs;

public sealed partial class SqsOperationsTests
{
    [Test]
    public async Task A_fifo_queue_needs_the_fifo_suffix_and_the_FifoQueue_attribute()
    {
        var withoutAttribute = await Assert.ThrowsAsync<AmazonSQSException>(() => _sqs.CreateQueueAsync(UniqueName("f") + ".fifo"));
        var withoutSuffix = await Assert.ThrowsAsync<AmazonSQSException>(() => _sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = UniqueName("f"), Attributes = new() { ["FifoQueue"] = "true" } }));
        Assert.That(withoutAttribute!.ErrorCode, Is.EqualTo("InvalidParameterValue"));
        Assert.That(withoutSuffix!.ErrorCode, Is.EqualTo("InvalidParameterValue"));
    }

    [Test]
    public async Task A_fifo_queue_delivers_each_group_in_order_with_one_group_in_flight_at_a_time()
    {
        var url = await CreateQueueAsync("order", fifo: true);
        var sequence = new List<string>();
        foreach (var (group, body) in new[] { ("g1", "g1-1"), ("g1", "g1-2"), ("g2", "g2-1"), ("g1", "g1-3") })
        {
            var sent = await _sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = url, MessageBody = body, MessageGroupId = group, MessageDeduplicationId = body });
            sequence.Add(sent.SequenceNumber);
        }

        var first = (await ReceiveAsync(url, max: 1, visibilityTimeout: 60)).Single();
        // g1 has a message in flight, so only g2 is receivable.
        var second = await ReceiveAsync(url, max: 10, visibilityTimeout: 60);
        await _sqs.DeleteMessageAsync(url, first.ReceiptHandle);
        var rest = await ReceiveAsync(url, max: 10, visibilityTimeout: 60);

        Assert.Multiple(() =>
        {
            Assert.That(sequence, Is.Ordered.Using<string>(StringComparer.Ordinal));
            Assert.That(sequence.Distinct().Count(), Is.EqualTo(4));
            Assert.That(first.Body, Is.EqualTo("g1-1"));
            Assert.That(first.Attributes["MessageGroupId"], Is.EqualTo("g1"));
            Assert.That(first.Attributes["SequenceNumber"], Is.EqualTo(sequence[0]));
            Assert.That(second.Select(m => m.Body), Is.EqualTo(new[] { "g2-1" }));
            Assert.That(rest.Select(m => m.Body), Is.EqualTo(new[] { "g1-2", "g1-3" }));
        });
    }

    [Test]
    public async Task A_fifo_queue_drops_duplicates_by_deduplication_id_and_by_content()
    {
        var url = await CreateQueueAsync("dedup", new() { ["ContentBasedDeduplication"] = "true" }, fifo: true);
        var a = await _sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = url, MessageBody = "one", MessageGroupId = "g", MessageDeduplicationId = "d1" });
        var aAgain = await _sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = url, MessageBody = "one, different body", MessageGroupId = "g", MessageDeduplicationId = "d1" });
        var b = await _sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = url, MessageBody = "same content", MessageGroupId = "g" });
        var bAgain = await _sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = url, MessageBody = "same content", MessageGroupId = "g" });

        var messages = await ReceiveAsync(url, max: 10);

        Assert.Multiple(() =>
        {
            Assert.That(aAgain.MessageId, Is.EqualTo(a.MessageId));
            Assert.That(aAgain.SequenceNumber, Is.EqualTo(a.SequenceNumber));
            Assert.That(bAgain.MessageId, Is.EqualTo(b.MessageId));
            Assert.That(messages.Select(m => m.Body), Is.EqualTo(new[] { "one", "same content" }));
            Assert.That(messages[0].Attributes["MessageDeduplicationId"], Is.EqualTo("d1"));
        });
    }

    [Test]
    public async Task A_fifo_queue_without_content_deduplication_needs_a_deduplication_id_and_every_message_a_group()
    {
        var url = await CreateQueueAsync("needs", fifo: true);
        var noDedup = await Assert.ThrowsAsync<AmazonSQSException>(() => _sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = url, MessageBody = "x", MessageGroupId = "g" }));
        var noGroup = await Assert.ThrowsAsync<AmazonSQSException>(() => _sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = url, MessageBody = "x", MessageDeduplicationId = "d" }));
        Assert.That(noDedup!.ErrorCode, Is.EqualTo("InvalidParameterValue"));
        Assert.That(noGroup!.ErrorCode, Is.EqualTo("MissingParameter"));
    }
}
