using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Time.Testing;

namespace LocalStack.Persistence.SampleEmulator.Tests.Sqs.Keyed;

/// <summary>
/// The central check of the keyed SQS provider: a save writes only the records the handlers marked, so a change a
/// handler forgets to mark is silently lost. A long random sequence of SQS operations through the real AWS SDK (queues
/// created, changed, tagged, deleted and created again; messages sent, received, redriven, deleted, made visible,
/// purged and expired; FIFO deduplication) is saved after random steps, and after each save the live state's whole
/// document must equal the document of the state a new provider loads from the files (base plus deltas).
/// </summary>
public sealed class SqsKeyedPropertyTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    private static readonly (string AccessKey, string Region)[] Callers = [("test", "us-east-1"), ("111122223333", "us-east-1"), ("test", "eu-west-1")];

    private static readonly string[] QueueNames = ["q0", "q1", "dlq", "f0.fifo", "fdlq.fifo"];

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public async Task After_every_save_a_fresh_load_of_the_files_equals_the_live_state(int seed)
    {
        using var volume = new TempDirectory();
        var clock = new FakeTimeProvider(Start);
        var random = new Random(seed);
        var handles = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var saves = 0;
        var (redriven, deduplicated) = (false, false);
        var done = new SortedDictionary<string, int>(StringComparer.Ordinal);
        string live;
        await using (var emulator = await InProcessSqs.StartAsync(volume.Path, clock))
        {
            var clients = Callers.Select(c => emulator.CreateClient(c.AccessKey, c.Region)).ToArray();
            var accounts = Callers.Select(c => c.AccessKey.Length == 12 ? c.AccessKey : "000000000000").ToArray();
            try
            {
                for (var step = 0; step < 1500; step++)
                {
                    var caller = random.Next(10) < 7 ? 0 : random.Next(clients.Length);
                    var name = QueueNames[random.Next(QueueNames.Length)];
                    var url = $"{emulator.ServiceUrl}/{accounts[caller]}/{name}";
                    try
                    {
                        var operation = await StepAsync(random, clock, clients[caller], $"arn:aws:sqs:{Callers[caller].Region}:{accounts[caller]}:", name, url, handles);
                        done[operation] = done.GetValueOrDefault(operation) + 1;
                    }
                    catch (AmazonSQSException)
                    {
                        // Queues that do not exist, stale receipt handles, purges too soon: the state must still match.
                    }

                    if (random.Next(25) == 0)
                    {
                        await emulator.SaveAsync();
                        saves++;
                        var compared = await AssertLoadEqualsLiveAsync(emulator, $"seed {seed}, save {saves} after step {step}");
                        redriven |= compared.Contains("deadLetterQueueSourceArn", StringComparison.Ordinal);
                        deduplicated |= compared.Contains("expiresAt", StringComparison.Ordinal);
                    }
                }

                await emulator.SaveAsync();
                await AssertLoadEqualsLiveAsync(emulator, $"seed {seed}, final save");
            }
            finally
            {
                foreach (var client in clients)
                {
                    client.Dispose();
                }
            }

            TestContext.Out.WriteLine($"seed {seed}: {saves} saves; operations that succeeded: {string.Join(", ", done.Select(d => $"{d.Key} {d.Value}"))}");
            Assert.That(done.Keys, Is.SupersetOf(new[] { "CreateQueue", "DeleteQueue", "SetQueueAttributes", "TagQueue", "UntagQueue", "SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility", "PurgeQueue", "Advance" }), "the workload reaches every kind of change");
            Assert.That((redriven, deduplicated), Is.EqualTo((true, true)), "some saves compared a redriven message and FIFO deduplication records");
            Assert.That(Directory.GetFiles(Path.Combine(volume.Path, "state", "api_states", "sqs"), "store.delta.*"), Is.Not.Empty, "the saves after the first one wrote deltas");
            live = emulator.LiveDocument();
        }

        // A restarted emulator on the same volume loads the chain at start-up to the same state.
        await using var restarted = await InProcessSqs.StartAsync(volume.Path, clock);
        Assert.That(restarted.LiveDocument(), Is.EqualTo(live));
    }

    /// <returns>The document compared.</returns>
    private static async Task<string> AssertLoadEqualsLiveAsync(InProcessSqs emulator, string when)
    {
        var live = emulator.LiveDocument();
        var loaded = InProcessSqs.Canonical(await InProcessSqs.LoadCopyAsync(emulator.Volume));
        if (loaded != live)
        {
            Assert.Fail($"{when}: the loaded state differs from the live one.\n{FirstDifference(live, loaded)}");
        }

        return live;
    }

    private static string FirstDifference(string live, string loaded)
    {
        var a = live.Split('\n');
        var b = loaded.Split('\n');
        for (var i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            if (i >= a.Length || i >= b.Length || a[i] != b[i])
            {
                var from = Math.Max(0, i - 12);
                return $"live (line {i}):\n{string.Join('\n', a.Skip(from).Take(24))}\n\nloaded:\n{string.Join('\n', b.Skip(from).Take(24))}";
            }
        }

        return "";
    }

    /// <returns>The operation that succeeded.</returns>
    private static async Task<string> StepAsync(Random random, FakeTimeProvider clock, AmazonSQSClient client, string arnPrefix, string name, string url, Dictionary<string, List<string>> handles)
    {
        var fifo = name.EndsWith(".fifo", StringComparison.Ordinal);
        var received = handles.TryGetValue(arnPrefix + name, out var list) ? list : handles[arnPrefix + name] = [];
        switch (random.Next(1000))
        {
            case < 80:
                var attributes = new Dictionary<string, string>
                {
                    ["VisibilityTimeout"] = Invariant(random.Next(0, 40)),
                    ["MessageRetentionPeriod"] = Invariant(random.Next(60, 400)),
                };
                if (fifo)
                {
                    attributes["FifoQueue"] = "true";
                    attributes["ContentBasedDeduplication"] = random.Next(2) == 0 ? "true" : "false";
                }

                await client.CreateQueueAsync(new CreateQueueRequest { QueueName = name, Attributes = attributes, Tags = new() { ["t"] = Invariant(random.Next(3)) } });
                return "CreateQueue";
            case < 95:
                await client.DeleteQueueAsync(url);
                received.Clear();
                return "DeleteQueue";
            case < 145:
                await client.SetQueueAttributesAsync(url, RandomAttributes(random, arnPrefix, fifo));
                return "SetQueueAttributes";
            case < 165:
                await client.TagQueueAsync(new TagQueueRequest { QueueUrl = url, Tags = new() { [$"k{random.Next(3)}"] = Invariant(random.Next(100)) } });
                return "TagQueue";
            case < 185:
                await client.UntagQueueAsync(new UntagQueueRequest { QueueUrl = url, TagKeys = [$"k{random.Next(3)}", "t"] });
                return "UntagQueue";
            case < 365:
                await client.SendMessageAsync(NewMessage(random, url, fifo));
                return "SendMessage";
            case < 445:
                await client.SendMessageBatchAsync(new SendMessageBatchRequest
                {
                    QueueUrl = url,
                    Entries = [.. Enumerable.Range(0, random.Next(1, 6)).Select(i =>
                    {
                        var m = NewMessage(random, url, fifo);
                        return new SendMessageBatchRequestEntry($"e{i}", m.MessageBody)
                        {
                            DelaySeconds = m.DelaySeconds,
                            MessageGroupId = m.MessageGroupId,
                            MessageDeduplicationId = m.MessageDeduplicationId,
                            MessageAttributes = m.MessageAttributes,
                        };
                    })],
                });
                return "SendMessageBatch";
            case < 645:
                var response = await client.ReceiveMessageAsync(new ReceiveMessageRequest
                {
                    QueueUrl = url,
                    MaxNumberOfMessages = random.Next(1, 11),
                    VisibilityTimeout = random.Next(4) switch { 0 => null, 1 => 0, _ => random.Next(5, 30) },
                    WaitTimeSeconds = 0,
                    MessageSystemAttributeNames = ["All"],
                });
                received.AddRange((response.Messages ?? []).Select(m => m.ReceiptHandle));
                return (response.Messages ?? []).Any(m => m.Attributes?.ContainsKey("DeadLetterQueueSourceArn") == true) ? "ReceiveMessage (a redriven one)" : "ReceiveMessage";
            case < 725 when received.Count > 0:
                await client.DeleteMessageAsync(url, Take(random, received));
                return "DeleteMessage";
            case < 755 when received.Count > 0:
                await client.DeleteMessageBatchAsync(url, [.. Enumerable.Range(0, Math.Min(received.Count, random.Next(1, 4))).Select(i => new DeleteMessageBatchRequestEntry($"d{i}", Take(random, received)))]);
                return "DeleteMessageBatch";
            case < 815 when received.Count > 0:
                await client.ChangeMessageVisibilityAsync(url, received[random.Next(received.Count)], random.Next(0, 60));
                return "ChangeMessageVisibility";
            case < 835 when received.Count > 0:
                await client.ChangeMessageVisibilityBatchAsync(url, [.. received.Distinct().Take(3).Select((h, i) => new ChangeMessageVisibilityBatchRequestEntry($"c{i}", h) { VisibilityTimeout = random.Next(0, 60) })]);
                return "ChangeMessageVisibilityBatch";
            case < 835:
                await client.GetQueueAttributesAsync(url, ["ApproximateNumberOfMessages"]);
                return "GetQueueAttributes";
            case < 850:
                await client.PurgeQueueAsync(url);
                received.Clear();
                return "PurgeQueue";
            case < 900:
                await client.GetQueueAttributesAsync(url, ["All"]);
                return "GetQueueAttributes";
            default:
                // Time passes: visibility timeouts end, messages and deduplication records expire.
                clock.Advance(TimeSpan.FromSeconds(random.Next(1, 60)));
                return "Advance";
        }
    }

    private static Dictionary<string, string> RandomAttributes(Random random, string arnPrefix, bool fifo)
    {
        return random.Next(4) switch
        {
            0 => new() { ["VisibilityTimeout"] = Invariant(random.Next(0, 40)) },
            1 => new() { ["MessageRetentionPeriod"] = Invariant(random.Next(60, 400)) },
            2 when random.Next(3) == 0 => new() { ["RedrivePolicy"] = "" },
            _ => new() { ["RedrivePolicy"] = $$"""{"deadLetterTargetArn":"{{arnPrefix}}{{(fifo ? "fdlq.fifo" : "dlq")}}","maxReceiveCount":"{{random.Next(1, 3)}}"}""" },
        };
    }

    private static SendMessageRequest NewMessage(Random random, string url, bool fifo)
    {
        var request = new SendMessageRequest { QueueUrl = url, MessageBody = $"body {random.Next(1000)}" };
        if (fifo)
        {
            request.MessageGroupId = $"g{random.Next(3)}";
            request.MessageDeduplicationId = random.Next(2) == 0 ? $"d{random.Next(20)}" : null;
        }
        else if (random.Next(4) == 0)
        {
            request.DelaySeconds = random.Next(0, 30);
        }

        if (random.Next(4) == 0)
        {
            request.MessageAttributes = new() { ["n"] = new MessageAttributeValue { DataType = "Number", StringValue = Invariant(random.Next(100)) } };
        }

        return request;
    }

    private static string Take(Random random, List<string> handles)
    {
        var i = random.Next(handles.Count);
        var handle = handles[i];
        handles.RemoveAt(i);
        return handle;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
