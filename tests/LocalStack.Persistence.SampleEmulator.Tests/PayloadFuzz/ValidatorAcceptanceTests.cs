using System.Net;
using Amazon.SQS.Model;
using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.PayloadFuzz;

/// <summary>
/// The sample's restore checks (S3StateValidator, SqsStateValidator, DynamoDB's database names) must refuse nothing the
/// emulator itself writes. The golden tests cover the common shapes; this covers the SQS shapes they do not: a message
/// moved to a dead-letter queue (received, but with no receipt handle), a trace header, a delayed message.
/// </summary>
[NonParallelizable]
public sealed class ValidatorAcceptanceTests
{
    [Test]
    public async Task A_saved_dead_letter_queue_with_traced_and_delayed_messages_loads_again()
    {
        using var volume = new TempDirectory();
        await using var emulator = await EmulatorProcess.StartAsync(volume.Path, new Dictionary<string, string?> { ["SNAPSHOT_SAVE_STRATEGY"] = "MANUAL" });
        using var sqs = emulator.CreateSqsClient("111122223333");
        var dlqUrl = (await sqs.CreateQueueAsync("validator-dlq")).QueueUrl;
        var dlqArn = (await sqs.GetQueueAttributesAsync(dlqUrl, ["QueueArn"])).Attributes["QueueArn"];
        var url = (await sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = "validator-source",
            Attributes = new() { ["RedrivePolicy"] = $"{{\"deadLetterTargetArn\":\"{dlqArn}\",\"maxReceiveCount\":\"1\"}}" },
        })).QueueUrl;
        await sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = url,
            MessageBody = "to the dead-letter queue",
            MessageSystemAttributes = new() { ["AWSTraceHeader"] = new MessageSystemAttributeValue { DataType = "String", StringValue = "Root=1-5759e988-bd862e3fe1be46a994272793" } },
        });
        await sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = url, MessageBody = "delayed", DelaySeconds = 900 });

        // The first receive counts 1; the next one moves the message (receive count above 1) to the dead-letter queue.
        var first = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = url, VisibilityTimeout = 0 });
        Assert.That(first.Messages?.Select(m => m.Body), Is.EqualTo(new[] { "to the dead-letter queue" }));
        var second = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = url, VisibilityTimeout = 0 });
        Assert.That(second.Messages ?? [], Is.Empty, "the message should have moved to the dead-letter queue");

        var (saved, savedBody) = await emulator.PostAsync("/_localstack/state/sqs/save");
        Assert.That(saved, Is.EqualTo(HttpStatusCode.OK), savedBody);
        var (loaded, loadedBody) = await emulator.PostAsync("/_localstack/state/sqs/load");
        Assert.That(loaded, Is.EqualTo(HttpStatusCode.OK), loadedBody + "\n" + emulator.Output);

        var moved = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = dlqUrl, MessageSystemAttributeNames = ["All"] });
        Assert.That(moved.Messages?.Select(m => m.Body), Is.EqualTo(new[] { "to the dead-letter queue" }));
        Assert.That(moved.Messages![0].Attributes["AWSTraceHeader"], Does.StartWith("Root=1-5759e988"));
        var attributes = (await sqs.GetQueueAttributesAsync(url, ["ApproximateNumberOfMessagesDelayed"])).Attributes;
        Assert.That(attributes["ApproximateNumberOfMessagesDelayed"], Is.EqualTo("1"));
    }
}
