using System.Globalization;
using System.Security.Cryptography;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3.Model;
using Amazon.SQS.Model;
using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.Persistence;

/// <summary>
/// State in all three services, made through the real AWS SDK clients, and the checks that it came back whole after a
/// restart: every bucket, object byte, metadata and ETag; every queue, visible and in-flight message and receive count;
/// every DynamoDB item. Includes a 5.5 MB multipart object and 10,000 items.
/// </summary>
internal sealed class PersistenceWorkload
{
    public const string Bucket = "persisted-bucket";
    public const string Queue = "persisted-queue";
    public const string FifoQueue = "persisted-queue.fifo";
    public const string Table = "persisted-table";
    public const int ItemCount = 10_000;
    public const string AccountAccessKey = "123456789012";

    private readonly Dictionary<string, (byte[] Sha256, long Length, string ETag)> _objects = new(StringComparer.Ordinal);
    private readonly List<string> _visibleBodies = [];
    private readonly List<string> _fifoBodies = [];
    private int _inFlight;

    /// <summary>Creates the state. Returns when every write was acknowledged.</summary>
    public async Task CreateAsync(EmulatorProcess emulator)
    {
        await CreateS3Async(emulator);
        await CreateSqsAsync(emulator);
        await CreateDynamoDbAsync(emulator);
    }

    /// <summary>Changes made after the last save (under Manual they must be gone after a restart).</summary>
    public static async Task ChangeAfterSaveAsync(EmulatorProcess emulator)
    {
        using var s3 = emulator.CreateS3Client(AccountAccessKey);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = "after-save.txt", ContentBody = "unsaved" });
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = "after-save-bucket" });

        using var sqs = emulator.CreateSqsClient(AccountAccessKey);
        var url = (await sqs.GetQueueUrlAsync(Queue)).QueueUrl;
        await sqs.SendMessageAsync(url, "unsaved message");

        using var dynamo = emulator.CreateDynamoDbClient(AccountAccessKey);
        await dynamo.PutItemAsync(Table, new Dictionary<string, AttributeValue> { ["pk"] = new() { S = "after-save" }, ["sk"] = new() { N = "1" } });
    }

    public static async Task VerifyChangesAfterSaveAbsentAsync(EmulatorProcess emulator)
    {
        using var s3 = emulator.CreateS3Client(AccountAccessKey);
        var buckets = (await s3.ListBucketsAsync()).Buckets ?? [];
        Assert.That(buckets.Select(b => b.BucketName), Has.No.Member("after-save-bucket"));
        var keys = (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket })).S3Objects ?? [];
        Assert.That(keys.Select(o => o.Key), Has.No.Member("after-save.txt"));

        using var dynamo = emulator.CreateDynamoDbClient(AccountAccessKey);
        var item = await dynamo.GetItemAsync(Table, new Dictionary<string, AttributeValue> { ["pk"] = new() { S = "after-save" }, ["sk"] = new() { N = "1" } });
        Assert.That(item.Item is null || item.Item.Count == 0, Is.True, "an item put after the last save came back");
    }

    /// <summary>Checks everything <see cref="CreateAsync"/> made. Reads S3 and DynamoDB; receives from the queues last.</summary>
    public async Task VerifyAsync(EmulatorProcess emulator)
    {
        await VerifyS3Async(emulator);
        await VerifyDynamoDbAsync(emulator);
        await VerifySqsAsync(emulator);
    }

    /// <summary>Checks that the services are empty (before a manual load).</summary>
    public static async Task VerifyEmptyAsync(EmulatorProcess emulator)
    {
        using var s3 = emulator.CreateS3Client(AccountAccessKey);
        Assert.That((await s3.ListBucketsAsync()).Buckets ?? [], Is.Empty);
        using var dynamo = emulator.CreateDynamoDbClient(AccountAccessKey);
        Assert.That((await dynamo.ListTablesAsync()).TableNames ?? [], Is.Empty);
        using var sqs = emulator.CreateSqsClient(AccountAccessKey);
        Assert.That((await sqs.ListQueuesAsync(new ListQueuesRequest())).QueueUrls ?? [], Is.Empty);
    }

    private async Task CreateS3Async(EmulatorProcess emulator)
    {
        using var s3 = emulator.CreateS3Client(AccountAccessKey);
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = Bucket });

        var small = new PutObjectRequest { BucketName = Bucket, Key = "docs/readme.txt", ContentBody = "hello, persisted world", ContentType = "text/plain" };
        small.Metadata.Add("owner", "tests");
        Remember("docs/readme.txt", "hello, persisted world"u8.ToArray(), (await s3.PutObjectAsync(small)).ETag);

        var random = RandomBytes(256 * 1024, seed: 1);
        using (var stream = new MemoryStream(random))
        {
            Remember("blobs/random.bin", random, (await s3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = "blobs/random.bin", InputStream = stream })).ETag);
        }

        // 5 MiB + 512 KiB in two parts: S3's minimum part size is 5 MiB except for the last part.
        var large = RandomBytes((5 * 1024 * 1024) + (512 * 1024), seed: 2);
        var upload = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = Bucket, Key = "large/multipart.bin" });
        var parts = new List<PartETag>();
        var partSizes = new[] { 5 * 1024 * 1024, 512 * 1024 };
        var offset = 0;
        for (var i = 0; i < partSizes.Length; i++)
        {
            using var part = new MemoryStream(large, offset, partSizes[i]);
            var response = await s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = Bucket,
                Key = "large/multipart.bin",
                UploadId = upload.UploadId,
                PartNumber = i + 1,
                InputStream = part,
                PartSize = partSizes[i],
            });
            parts.Add(new PartETag(i + 1, response.ETag));
            offset += partSizes[i];
        }

        var completed = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = Bucket,
            Key = "large/multipart.bin",
            UploadId = upload.UploadId,
            PartETags = parts,
        });
        Remember("large/multipart.bin", large, completed.ETag);
    }

    private async Task CreateSqsAsync(EmulatorProcess emulator)
    {
        using var sqs = emulator.CreateSqsClient(AccountAccessKey);
        var url = (await sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = Queue })).QueueUrl;
        for (var i = 0; i < 5; i++)
        {
            var body = $"message {i}";
            await sqs.SendMessageAsync(new SendMessageRequest
            {
                QueueUrl = url,
                MessageBody = body,
                MessageAttributes = new Dictionary<string, MessageAttributeValue>
                {
                    ["index"] = new() { DataType = "Number", StringValue = i.ToString(CultureInfo.InvariantCulture) },
                },
            });
        }

        // Two messages in flight for an hour: after a restart they must still be invisible, with their receive count.
        var received = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = url, MaxNumberOfMessages = 2, VisibilityTimeout = 3600 });
        Assert.That(received.Messages, Has.Count.EqualTo(2));
        _inFlight = received.Messages.Count;
        var inFlightBodies = received.Messages.Select(m => m.Body).ToHashSet(StringComparer.Ordinal);
        _visibleBodies.AddRange(Enumerable.Range(0, 5).Select(i => $"message {i}").Where(b => !inFlightBodies.Contains(b)));

        var fifoUrl = (await sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = FifoQueue,
            Attributes = new Dictionary<string, string> { ["FifoQueue"] = "true", ["ContentBasedDeduplication"] = "true" },
        })).QueueUrl;
        for (var i = 0; i < 3; i++)
        {
            var body = $"fifo {i}";
            await sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = fifoUrl, MessageBody = body, MessageGroupId = "group" });
            _fifoBodies.Add(body);
        }
    }

    private static async Task CreateDynamoDbAsync(EmulatorProcess emulator)
    {
        using var dynamo = emulator.CreateDynamoDbClient(AccountAccessKey);
        await dynamo.CreateTableAsync(new CreateTableRequest
        {
            TableName = Table,
            KeySchema = [new KeySchemaElement("pk", KeyType.HASH), new KeySchemaElement("sk", KeyType.RANGE)],
            AttributeDefinitions = [new AttributeDefinition("pk", ScalarAttributeType.S), new AttributeDefinition("sk", ScalarAttributeType.N)],
            BillingMode = BillingMode.PAY_PER_REQUEST,
        });

        for (var start = 0; start < ItemCount; start += 25)
        {
            var writes = Enumerable.Range(start, Math.Min(25, ItemCount - start))
                .Select(i => new WriteRequest { PutRequest = new PutRequest { Item = Item(i) } })
                .ToList();
            var pending = new Dictionary<string, List<WriteRequest>> { [Table] = writes };
            while (pending.Count > 0)
            {
                var response = await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = pending });
                pending = response.UnprocessedItems ?? [];
            }
        }
    }

    private async Task VerifyS3Async(EmulatorProcess emulator)
    {
        using var s3 = emulator.CreateS3Client(AccountAccessKey);
        var buckets = (await s3.ListBucketsAsync()).Buckets ?? [];
        Assert.That(buckets.Select(b => b.BucketName), Does.Contain(Bucket));

        var listed = (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket })).S3Objects ?? [];
        Assert.That(listed.Select(o => o.Key), Is.SupersetOf(_objects.Keys));
        foreach (var (key, expected) in _objects)
        {
            using var response = await s3.GetObjectAsync(Bucket, key);
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[81920];
            long length = 0;
            int read;
            while ((read = await response.ResponseStream.ReadAsync(buffer)) > 0)
            {
                sha.AppendData(buffer, 0, read);
                length += read;
            }

            Assert.Multiple(() =>
            {
                Assert.That(length, Is.EqualTo(expected.Length), key);
                Assert.That(sha.GetHashAndReset(), Is.EqualTo(expected.Sha256), $"bytes of {key}");
                Assert.That(response.ETag, Is.EqualTo(expected.ETag), $"ETag of {key}");
            });
        }

        var head = await s3.GetObjectMetadataAsync(Bucket, "docs/readme.txt");
        Assert.Multiple(() =>
        {
            Assert.That(head.Metadata["owner"], Is.EqualTo("tests"));
            Assert.That(head.Headers.ContentType, Is.EqualTo("text/plain"));
        });
    }

    private static async Task VerifyDynamoDbAsync(EmulatorProcess emulator)
    {
        using var dynamo = emulator.CreateDynamoDbClient(AccountAccessKey);
        var seen = new HashSet<int>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.ScanAsync(new ScanRequest { TableName = Table, ExclusiveStartKey = start });
            foreach (var item in page.Items ?? [])
            {
                var index = int.Parse(item["sk"].N, CultureInfo.InvariantCulture);
                Assert.That(item["payload"].S, Is.EqualTo(Payload(index)), $"item {index}");
                Assert.That(seen.Add(index), Is.True, $"item {index} returned twice");
            }

            start = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);

        Assert.That(seen, Has.Count.EqualTo(ItemCount));
        var one = await dynamo.GetItemAsync(Table, new Dictionary<string, AttributeValue> { ["pk"] = new() { S = PartitionKey(4242) }, ["sk"] = new() { N = "4242" } });
        Assert.That(one.Item["payload"].S, Is.EqualTo(Payload(4242)));
    }

    private async Task VerifySqsAsync(EmulatorProcess emulator)
    {
        using var sqs = emulator.CreateSqsClient(AccountAccessKey);
        var url = (await sqs.GetQueueUrlAsync(Queue)).QueueUrl;
        var attributes = await sqs.GetQueueAttributesAsync(url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]);
        Assert.Multiple(() =>
        {
            Assert.That(attributes.ApproximateNumberOfMessages, Is.EqualTo(_visibleBodies.Count), "visible messages");
            Assert.That(attributes.ApproximateNumberOfMessagesNotVisible, Is.EqualTo(_inFlight), "in-flight messages");
        });

        var bodies = new List<string>();
        var receiveCounts = new List<string>();
        for (var attempt = 0; attempt < 10 && bodies.Count < _visibleBodies.Count; attempt++)
        {
            var received = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest
            {
                QueueUrl = url,
                MaxNumberOfMessages = 10,
                VisibilityTimeout = 60,
                MessageSystemAttributeNames = ["ApproximateReceiveCount"],
                MessageAttributeNames = ["All"],
            });
            foreach (var message in received.Messages ?? [])
            {
                bodies.Add(message.Body);
                receiveCounts.Add(message.Attributes["ApproximateReceiveCount"]);
                Assert.That(message.MessageAttributes["index"].StringValue, Is.EqualTo(message.Body["message ".Length..]));
            }
        }

        Assert.That(bodies, Is.EquivalentTo(_visibleBodies));
        Assert.That(receiveCounts, Is.All.EqualTo("1"), "messages never received before are received for the first time");

        var fifoUrl = (await sqs.GetQueueUrlAsync(FifoQueue)).QueueUrl;
        var fifo = new List<string>();
        for (var attempt = 0; attempt < 10 && fifo.Count < _fifoBodies.Count; attempt++)
        {
            var received = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = fifoUrl, MaxNumberOfMessages = 10 });
            foreach (var message in received.Messages ?? [])
            {
                fifo.Add(message.Body);
                await sqs.DeleteMessageAsync(fifoUrl, message.ReceiptHandle);
            }
        }

        Assert.That(fifo, Is.EqualTo(_fifoBodies), "FIFO order");
    }

    private void Remember(string key, byte[] bytes, string etag) => _objects[key] = (SHA256.HashData(bytes), bytes.Length, etag);

    private static Dictionary<string, AttributeValue> Item(int index) => new()
    {
        ["pk"] = new() { S = PartitionKey(index) },
        ["sk"] = new() { N = index.ToString(CultureInfo.InvariantCulture) },
        ["payload"] = new() { S = Payload(index) },
    };

    private static string PartitionKey(int index) => $"customer-{index % 100:D3}";

    private static string Payload(int index) => $"payload of item {index} " + new string((char)('a' + (index % 26)), 40);

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
