using Amazon.SQS;
using Amazon.SQS.Model;
using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.Sqs;

/// <summary>
/// SQS operations through the real AWS SDK against one emulator process (each test uses its own queues). The SDK
/// verifies MD5OfMessageBody and MD5OfMessageAttributes on every send and receive, so a wrong digest fails the call.
/// The emulator's clock starts at <see cref="EmulatorProcess.PastYear2038"/>: timestamps are checked against it, not
/// against the machine's date.
/// </summary>
[Parallelizable(ParallelScope.None)]
public sealed partial class SqsOperationsTests : IDisposable
{
    private TempDirectory _volume = null!;
    private EmulatorProcess _emulator = null!;
    private AmazonSQSClient _sqs = null!;

    [OneTimeSetUp]
    public async Task StartEmulator()
    {
        _volume = new TempDirectory();
        _emulator = await EmulatorProcess.StartAsync(_volume.Path, EmulatorProcess.PastYear2038, new Dictionary<string, string?> { ["SNAPSHOT_SAVE_STRATEGY"] = "MANUAL" });
        _sqs = _emulator.CreateSqsClient();
    }

    [OneTimeTearDown]
    public async Task StopEmulator()
    {
        _sqs.Dispose();
        await _emulator.DisposeAsync();
    }

    public void Dispose() => _volume.Dispose();

    private static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 75)];

    private async Task<string> CreateQueueAsync(string prefix, Dictionary<string, string>? attributes = null, bool fifo = false)
    {
        var name = UniqueName(prefix) + (fifo ? ".fifo" : "");
        if (fifo)
        {
            attributes = new Dictionary<string, string>(attributes ?? []) { ["FifoQueue"] = "true" };
        }

        var created = await _sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = name, Attributes = attributes });
        return created.QueueUrl;
    }

    private async Task<Dictionary<string, string>> AttributesAsync(string queueUrl, params string[] names)
    {
        var response = await _sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = queueUrl, AttributeNames = names.Length == 0 ? ["All"] : [.. names] });
        return response.Attributes ?? [];
    }

    private async Task<List<Message>> ReceiveAsync(string queueUrl, int max = 10, int? visibilityTimeout = null, int waitTimeSeconds = 0)
    {
        var response = await _sqs.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = queueUrl,
            MaxNumberOfMessages = max,
            VisibilityTimeout = visibilityTimeout,
            WaitTimeSeconds = waitTimeSeconds,
            MessageSystemAttributeNames = ["All"],
            MessageAttributeNames = ["All"],
        });
        return response.Messages ?? [];
    }
}
