using System.Globalization;
using System.Security.Cryptography;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3.Model;
using Amazon.SQS.Model;
using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.Persistence;

/// <summary>
/// Concurrent writers through the real AWS SDK clients (S3 PutObject, SQS SendMessage, DynamoDB PutItem) that run until
/// the emulator is killed. Each write is put in the ledger before it is sent and acknowledged only after its SDK call
/// returned success. Writers are seeded from the round's seed, so a round's sizes and bytes repeat with its seed.
/// </summary>
internal sealed class LoadGenerator
{
    public const string Table = "kill-items";
    public const int WritersPerService = 2;
    private const int SmallObjectMax = 256 * 1024;
    private const int LargeObjectMax = 2 * 1024 * 1024;

    private readonly EmulatorProcess _emulator;
    private readonly AcknowledgedWrites _ledger;
    private readonly int _round;
    private readonly int _seed;
    private readonly TimeSpan _pace;
    private readonly int _sizeDivisor;
    private volatile bool _killing;

    /// <param name="pace">A pause after each write: keeps a fast strategy (no save per write) from writing gigabytes.</param>
    /// <param name="sizeDivisor">Divides the object sizes (1: 0 B – 256 KiB, one in 16 up to 2 MiB).</param>
    public LoadGenerator(EmulatorProcess emulator, AcknowledgedWrites ledger, int round, int seed, TimeSpan pace = default, int sizeDivisor = 1)
    {
        _emulator = emulator;
        _ledger = ledger;
        _round = round;
        _seed = seed;
        _pace = pace;
        _sizeDivisor = sizeDivisor;
    }

    public static string Bucket(int round) => string.Create(CultureInfo.InvariantCulture, $"kill-r{round:D3}");

    public static string QueueName(int round) => string.Create(CultureInfo.InvariantCulture, $"kill-r{round:D3}");

    public static string PartitionKey(int round) => string.Create(CultureInfo.InvariantCulture, $"r{round:D3}");

    /// <summary>The round's bucket and queue, and the shared table (first round): acknowledged before any load starts.</summary>
    /// <returns>The round's queue URL.</returns>
    public async Task<string> CreateResourcesAsync(CancellationToken cancellationToken)
    {
        using var s3 = _emulator.CreateS3Client();
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = Bucket(_round) }, cancellationToken);
        using var sqs = _emulator.CreateSqsClient();
        var url = (await sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = QueueName(_round) }, cancellationToken)).QueueUrl;
        using var dynamo = _emulator.CreateDynamoDbClient();
        try
        {
            await dynamo.CreateTableAsync(
                new CreateTableRequest
                {
                    TableName = Table,
                    KeySchema = [new KeySchemaElement("pk", KeyType.HASH), new KeySchemaElement("sk", KeyType.RANGE)],
                    AttributeDefinitions = [new AttributeDefinition("pk", ScalarAttributeType.S), new AttributeDefinition("sk", ScalarAttributeType.S)],
                    BillingMode = BillingMode.PAY_PER_REQUEST,
                },
                cancellationToken);
        }
        catch (ResourceInUseException)
        {
            // Created in an earlier round.
        }

        return url;
    }

    /// <summary>Starts the writers; they run until <see cref="MarkKilling"/> is called and their next request fails.</summary>
    public Task RunAsync(string queueUrl)
    {
        var writers = new List<Task>();
        for (var w = 0; w < WritersPerService; w++)
        {
            var writer = w; // a for variable is shared by the closures
            writers.Add(Task.Run(() => RunS3Async(writer)));
            writers.Add(Task.Run(() => RunSqsAsync(writer, queueUrl)));
            writers.Add(Task.Run(() => RunDynamoAsync(writer)));
        }

        return Task.WhenAll(writers);
    }

    /// <summary>Called right before the kill: from now on a failed write is expected (unacknowledged), not an error.</summary>
    public void MarkKilling() => _killing = true;

    // Not HashCode.Combine: it is randomized per process, and a seed must repeat a round.
    private Random WriterRandom(int service, int writer) => new(unchecked((_seed * 1_000_003) + (service * 101) + writer));

    private async Task RunS3Async(int writer)
    {
        var random = WriterRandom(1, writer);
        using var s3 = _emulator.CreateS3Client();
        for (var i = 0; !_killing; i++)
        {
            // One object in 16 is large (256 KiB – 2 MiB), the rest 0 B – 256 KiB.
            var size = (random.Next(16) == 0 ? random.Next(SmallObjectMax, LargeObjectMax + 1) : random.Next(SmallObjectMax + 1)) / _sizeDivisor;
            var bytes = new byte[size];
            random.NextBytes(bytes);
            var key = string.Create(CultureInfo.InvariantCulture, $"w{writer}/{i:D5}");
            var write = _ledger.Attempt(new S3Write(_round, Bucket(_round), key, SHA256.HashData(bytes), size));
            await WriteAsync(write, async () =>
            {
                using var body = new MemoryStream(bytes, writable: false);
                var response = await s3.PutObjectAsync(new PutObjectRequest { BucketName = write.Bucket, Key = key, InputStream = body });
                write.ETag = response.ETag;
            });
        }
    }

    private async Task RunSqsAsync(int writer, string queueUrl)
    {
        var random = WriterRandom(2, writer);
        using var sqs = _emulator.CreateSqsClient();
        for (var i = 0; !_killing; i++)
        {
            var padding = Convert.ToHexString(RandomBytes(random, random.Next(0, 512)));
            var body = string.Create(CultureInfo.InvariantCulture, $"r{_round:D3}-w{writer}-{i:D5}-{padding}");
            var write = _ledger.Attempt(new SqsWrite(_round, queueUrl, body));
            await WriteAsync(write, async () =>
            {
                var response = await sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = queueUrl, MessageBody = body });
                write.MessageId = response.MessageId;
            });
        }
    }

    private async Task RunDynamoAsync(int writer)
    {
        var random = WriterRandom(3, writer);
        using var dynamo = _emulator.CreateDynamoDbClient();
        for (var i = 0; !_killing; i++)
        {
            var key = string.Create(CultureInfo.InvariantCulture, $"w{writer}-{i:D5}");
            var write = _ledger.Attempt(new DynamoWrite(_round, Table, key, random.NextInt64(), RandomBytes(random, random.Next(0, 2048))));
            await WriteAsync(write, () => dynamo.PutItemAsync(Table, Item(write)));
        }
    }

    public static Dictionary<string, AttributeValue> Item(DynamoWrite write) => new()
    {
        ["pk"] = new AttributeValue { S = PartitionKey(write.Round) },
        ["sk"] = new AttributeValue { S = write.Key },
        ["n"] = new AttributeValue { N = write.Number.ToString(CultureInfo.InvariantCulture) },
        ["data"] = new AttributeValue { B = new MemoryStream(write.Data, writable: false) },
    };

    private async Task WriteAsync(AttemptedWrite write, Func<Task> send)
    {
        try
        {
            await send();
        }
        catch (Exception) when (_killing)
        {
            // Killed with the write in flight: never acknowledged, it may or may not be present after the restart.
            return;
        }
        catch (Exception e)
        {
            _ledger.UnexpectedError($"round {_round}, seed {_seed}: {write.GetType().Name} '{write.Key}' failed before the kill: {e.GetType().Name}: {e.Message}");
            return;
        }

        _ledger.Acknowledge(write);
        if (_pace > TimeSpan.Zero && !_killing)
        {
            await Task.Delay(_pace); // pacing of the load, not synchronisation
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
