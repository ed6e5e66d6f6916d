using System.Globalization;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace LocalStack.Persistence.Benchmarks.Workload;

/// <summary>
/// One resource of the sample emulator written through a real AWS SDK client: a DynamoDB table, an SQS queue or an S3
/// bucket. <see cref="WriteAsync"/> writes one record (PutItem, SendMessage, PutObject of 4 KiB); <see cref="PopulateAsync"/>
/// writes many, batched where the API allows (BatchWriteItem of 25, SendMessageBatch of 10).
/// </summary>
public abstract class SdkTarget : IDisposable
{
    /// <summary>The services, in the order the scenario measures them.</summary>
    public static readonly string[] Services = ["dynamodb", "sqs", "s3"];

    /// <summary>The operation measured, for the report (e.g. "DynamoDB PutItem").</summary>
    public abstract string Operation { get; }

    /// <summary>What a record is called in the report: items, messages, objects.</summary>
    public abstract string Records { get; }

    /// <summary>
    /// The encoded size of one record written by <see cref="WriteAsync"/>, the "change" of a save: DynamoDB, the item in
    /// DynamoDB JSON as the SDK sends it; SQS, the message body; S3, the object's bytes plus its key.
    /// </summary>
    public abstract int RecordBytes { get; }

    /// <summary>Writes one record; returns its acknowledgement (key, MessageId, ETag).</summary>
    /// <param name="client">The client loop (part of the key).</param>
    /// <param name="seq">A sequence number unique within the run (part of the key).</param>
    public abstract Task<string> WriteAsync(int client, long seq);

    /// <summary>Writes <paramref name="count"/> records with <paramref name="clients"/> concurrent loops.</summary>
    /// <param name="count">Records to write.</param>
    /// <param name="clients">Concurrent requests.</param>
    public async Task PopulateAsync(int count, int clients)
    {
        long next = 0;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var first = Interlocked.Add(ref next, BatchSize) - BatchSize;
                if (first >= count)
                {
                    return;
                }

                await WriteBatchAsync(first, (int)Math.Min(BatchSize, count - first)).ConfigureAwait(false);
            }
        }))).ConfigureAwait(false);
    }

    /// <summary>Creates (or, with <paramref name="create"/> false, finds) the resource <paramref name="name"/> of <paramref name="service"/>.</summary>
    /// <param name="service">dynamodb, sqs or s3.</param>
    /// <param name="host">The emulator.</param>
    /// <param name="name">The table, queue or bucket.</param>
    /// <param name="create">Whether to create it (false: it was restored from a snapshot).</param>
    public static async Task<SdkTarget> OpenAsync(string service, EmulatorHost host, string name, bool create)
    {
        ArgumentNullException.ThrowIfNull(host);
        SdkTarget target = service switch
        {
            "dynamodb" => new DynamoDbTarget(host.CreateDynamoDbClient(), name),
            "sqs" => new SqsTarget(host.CreateSqsClient(), name),
            "s3" => new S3Target(host.CreateS3Client(), name),
            _ => throw new ArgumentOutOfRangeException(nameof(service), service, "dynamodb, sqs or s3"),
        };
        try
        {
            await target.OpenAsync(create).ConfigureAwait(false);
            return target;
        }
        catch
        {
            target.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Records per <see cref="WriteBatchAsync"/>.</summary>
    protected abstract int BatchSize { get; }

    /// <summary>Creates or finds the resource.</summary>
    protected abstract Task OpenAsync(bool create);

    /// <summary>Writes records <paramref name="first"/> .. <paramref name="first"/> + <paramref name="count"/> - 1 in one request where the API allows.</summary>
    protected abstract Task WriteBatchAsync(long first, int count);

    /// <summary>Disposes the SDK client.</summary>
    protected abstract void Dispose(bool disposing);

    private static string Key(long index) => $"p-{index.ToString("D9", CultureInfo.InvariantCulture)}";

    private static string Key(int client, long seq) => $"c{client.ToString("D2", CultureInfo.InvariantCulture)}-{seq.ToString("D9", CultureInfo.InvariantCulture)}";

    /// <summary>A table keyed by <c>pk</c> (string); items of <c>pk</c> and a 100-character <c>data</c> string.</summary>
    private sealed class DynamoDbTarget(AmazonDynamoDBClient dynamo, string table) : SdkTarget
    {
        private static readonly string Data = new('d', 100);

        public override string Operation => "DynamoDB PutItem";

        public override string Records => "items";

        public override int RecordBytes => Encoding.UTF8.GetByteCount($"{{\"pk\":{{\"S\":\"{Key(0, 0)}\"}},\"data\":{{\"S\":\"{Data}\"}}}}");

        protected override int BatchSize => 25;

        public override async Task<string> WriteAsync(int client, long seq)
        {
            var key = Key(client, seq);
            await dynamo.PutItemAsync(new PutItemRequest { TableName = table, Item = Item(key) }).ConfigureAwait(false);
            return key;
        }

        protected override async Task OpenAsync(bool create)
        {
            if (create)
            {
                await dynamo.CreateTableAsync(new CreateTableRequest
                {
                    TableName = table,
                    KeySchema = [new KeySchemaElement("pk", KeyType.HASH)],
                    AttributeDefinitions = [new AttributeDefinition("pk", ScalarAttributeType.S)],
                    BillingMode = BillingMode.PAY_PER_REQUEST,
                }).ConfigureAwait(false);
            }
            else
            {
                await dynamo.DescribeTableAsync(table).ConfigureAwait(false);
            }
        }

        protected override async Task WriteBatchAsync(long first, int count)
        {
            var writes = Enumerable.Range(0, count).Select(i => new WriteRequest(new PutRequest(Item(Key(first + i))))).ToList();
            var response = await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = new() { [table] = writes } }).ConfigureAwait(false);
            if (response.UnprocessedItems is { Count: > 0 })
            {
                throw new InvalidOperationException($"BatchWriteItem left {response.UnprocessedItems.Sum(u => u.Value.Count)} items unprocessed.");
            }
        }

        protected override void Dispose(bool disposing) => dynamo.Dispose();

        private static Dictionary<string, AttributeValue> Item(string key) => new()
        {
            ["pk"] = new AttributeValue { S = key },
            ["data"] = new AttributeValue { S = Data },
        };
    }

    /// <summary>A standard queue; messages of about 128 characters.</summary>
    private sealed class SqsTarget(AmazonSQSClient sqs, string queue) : SdkTarget
    {
        private static readonly string Padding = new('x', 96);
        private string _url = "";

        public override string Operation => "SQS SendMessage";

        public override string Records => "messages";

        public override int RecordBytes => Encoding.UTF8.GetByteCount(Body(Key(0, 0)));

        protected override int BatchSize => 10;

        public override async Task<string> WriteAsync(int client, long seq)
            => (await sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = _url, MessageBody = Body(Key(client, seq)) }).ConfigureAwait(false)).MessageId;

        protected override async Task OpenAsync(bool create)
            => _url = create
                ? (await sqs.CreateQueueAsync(queue).ConfigureAwait(false)).QueueUrl
                : (await sqs.GetQueueUrlAsync(queue).ConfigureAwait(false)).QueueUrl;

        protected override async Task WriteBatchAsync(long first, int count)
        {
            var entries = Enumerable.Range(0, count).Select(i => new SendMessageBatchRequestEntry($"e{i}", Body(Key(first + i)))).ToList();
            var response = await sqs.SendMessageBatchAsync(new SendMessageBatchRequest { QueueUrl = _url, Entries = entries }).ConfigureAwait(false);
            if (response.Failed is { Count: > 0 } failed)
            {
                throw new InvalidOperationException($"SendMessageBatch failed {failed.Count} entries: {failed[0].Message}");
            }
        }

        protected override void Dispose(bool disposing) => sqs.Dispose();

        private static string Body(string key) => $"{key} {Padding}";
    }

    /// <summary>A bucket; objects of 4 KiB (the same random bytes each time) under <c>obj/&lt;key&gt;</c>.</summary>
    private sealed class S3Target(AmazonS3Client s3, string bucket) : SdkTarget
    {
        private static readonly byte[] Body = RandomBytes(4096);

        public override string Operation => "S3 PutObject 4 KiB";

        public override string Records => "objects";

        public override int RecordBytes => Body.Length + Encoding.UTF8.GetByteCount(ObjectKey(Key(0, 0)));

        protected override int BatchSize => 1;

        public override async Task<string> WriteAsync(int client, long seq) => await PutAsync(Key(client, seq)).ConfigureAwait(false);

        protected override async Task OpenAsync(bool create)
        {
            if (create)
            {
                await s3.PutBucketAsync(bucket).ConfigureAwait(false);
            }
            else
            {
                await s3.GetBucketLocationAsync(bucket).ConfigureAwait(false);
            }
        }

        protected override Task WriteBatchAsync(long first, int count) => PutAsync(Key(first));

        protected override void Dispose(bool disposing) => s3.Dispose();

        private static string ObjectKey(string key) => "obj/" + key;

        private static byte[] RandomBytes(int length)
        {
            var bytes = new byte[length];
            new Random(14).NextBytes(bytes);
            return bytes;
        }

        private async Task<string> PutAsync(string key)
        {
            using var body = new MemoryStream(Body, writable: false);
            var response = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = ObjectKey(key), InputStream = body, ContentType = "application/octet-stream" }).ConfigureAwait(false);
            return response.ETag;
        }
    }
}
