using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Amazon.S3.Model;
using Amazon.SQS.Model;
using LocalStack.Persistence.SampleEmulator.Tests.Golden;
using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.PayloadFuzz;

/// <summary>
/// Requests that touch everything a loaded state holds (lists, reads of every bucket, object, queue, message and table,
/// and writes), through the real SDK clients. A service that accepted a payload must answer all of them as AWS would:
/// a client error is fine, a 5xx, a dropped connection, a hang or a response the SDK cannot read is a broken service.
/// </summary>
internal sealed class ServiceProbes(EmulatorProcess emulator)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);
    private readonly List<string> _problems = [];

    public IReadOnlyList<string> Problems => _problems;

    public Task RunAsync(string service) => service switch
    {
        "s3" => S3Async(),
        "sqs" => SqsAsync(),
        "dynamodb" => DynamoDbAsync(),
        _ => throw new ArgumentOutOfRangeException(nameof(service)),
    };

    private async Task S3Async()
    {
        using var s3 = emulator.CreateS3Client(GoldenWorkload.AccessKey, GoldenWorkload.Region);
        var buckets = await Call("s3 ListBuckets", ct => s3.ListBucketsAsync(ct));
        foreach (var bucket in (buckets?.Buckets ?? []).Take(3))
        {
            var name = bucket.BucketName;
            var objects = await Call($"s3 ListObjectsV2 {name}", ct => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = name }, ct));
            foreach (var item in (objects?.S3Objects ?? []).Take(4))
            {
                await Call($"s3 HeadObject {name}/{item.Key}", ct => s3.GetObjectMetadataAsync(name, item.Key, ct));
                await Call($"s3 GetObject {name}/{item.Key}", async ct =>
                {
                    using var get = await s3.GetObjectAsync(name, item.Key, ct);
                    await get.ResponseStream.CopyToAsync(Stream.Null, ct);
                    return get;
                });
            }

            var uploads = await Call($"s3 ListMultipartUploads {name}", ct => s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = name }, ct));
            foreach (var upload in (uploads?.MultipartUploads ?? []).Take(2))
            {
                await Call($"s3 ListParts {name}/{upload.Key}", ct => s3.ListPartsAsync(new ListPartsRequest { BucketName = name, Key = upload.Key, UploadId = upload.UploadId }, ct));
            }

            await Call($"s3 PutObject {name}/probe", ct => s3.PutObjectAsync(new PutObjectRequest { BucketName = name, Key = "probe", ContentBody = "probe" }, ct));
        }

        await Call("s3 PutBucket probe-bucket", ct => s3.PutBucketAsync(new PutBucketRequest { BucketName = "probe-bucket" }, ct));
        await Call("s3 PutObject probe-bucket/probe", ct => s3.PutObjectAsync(new PutObjectRequest { BucketName = "probe-bucket", Key = "probe", ContentBody = "probe" }, ct));
    }

    private async Task SqsAsync()
    {
        using var sqs = emulator.CreateSqsClient(GoldenWorkload.AccessKey, GoldenWorkload.Region);
        var queues = await Call("sqs ListQueues", ct => sqs.ListQueuesAsync(new ListQueuesRequest(), ct));
        foreach (var url in (queues?.QueueUrls ?? []).Take(3))
        {
            await Call($"sqs GetQueueAttributes {url}", ct => sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = url, AttributeNames = ["All"] }, ct));
            await Call($"sqs ListQueueTags {url}", ct => sqs.ListQueueTagsAsync(new ListQueueTagsRequest { QueueUrl = url }, ct));
            await Call($"sqs ReceiveMessage {url}", ct => sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = url, MaxNumberOfMessages = 10, MessageAttributeNames = ["All"], MessageSystemAttributeNames = ["All"], VisibilityTimeout = 0 }, ct));
            var fifo = url.EndsWith(".fifo", StringComparison.Ordinal);
            await Call($"sqs SendMessage {url}", ct => sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = url, MessageBody = "probe", MessageGroupId = fifo ? "probe" : null, MessageDeduplicationId = fifo ? Guid.NewGuid().ToString("N") : null }, ct));
            await Call($"sqs ReceiveMessage again {url}", ct => sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = url, MaxNumberOfMessages = 10 }, ct));
        }

        await Call("sqs CreateQueue probe-queue", ct => sqs.CreateQueueAsync("probe-queue", ct));
    }

    private async Task DynamoDbAsync()
    {
        using var dynamo = emulator.CreateDynamoDbClient(GoldenWorkload.AccessKey, GoldenWorkload.Region);
        var tables = await Call("dynamodb ListTables", ct => dynamo.ListTablesAsync(new ListTablesRequest(), ct));
        foreach (var table in (tables?.TableNames ?? []).Take(3))
        {
            var description = await Call($"dynamodb DescribeTable {table}", ct => dynamo.DescribeTableAsync(table, ct));
            await Call($"dynamodb Scan {table}", ct => dynamo.ScanAsync(new ScanRequest { TableName = table }, ct));
            if (description?.Table?.KeySchema is { } keys && description.Table.AttributeDefinitions is { } definitions)
            {
                var item = keys.ToDictionary(k => k.AttributeName, k => ProbeValue(definitions.FirstOrDefault(d => d.AttributeName == k.AttributeName)?.AttributeType));
                await Call($"dynamodb PutItem {table}", ct => dynamo.PutItemAsync(table, item, ct));
                await Call($"dynamodb GetItem {table}", ct => dynamo.GetItemAsync(table, item, ct));
            }
        }

        await Call("dynamodb CreateTable probe-table", ct => dynamo.CreateTableAsync(new CreateTableRequest
        {
            TableName = "probe-table",
            BillingMode = BillingMode.PAY_PER_REQUEST,
            AttributeDefinitions = [new("id", ScalarAttributeType.S)],
            KeySchema = [new("id", KeyType.HASH)],
        }, ct));
    }

    private static AttributeValue ProbeValue(ScalarAttributeType? type)
        => type == ScalarAttributeType.N ? new AttributeValue { N = "1" } : type == ScalarAttributeType.B ? new AttributeValue { B = new MemoryStream([1]) } : new AttributeValue { S = "probe" };

    private async Task<T?> Call<T>(string what, Func<CancellationToken, Task<T>> call)
        where T : class
    {
        using var timeout = new CancellationTokenSource(CallTimeout);
        try
        {
            return await call(timeout.Token);
        }
        catch (AmazonUnmarshallingException e)
        {
            _problems.Add($"{what}: unreadable response: {e.Message}");
        }
        catch (AmazonServiceException e) when ((int)e.StatusCode >= 500 || e.StatusCode == 0)
        {
            _problems.Add($"{what}: HTTP {(int)e.StatusCode} {e.ErrorCode} {e.Message}");
        }
        catch (AmazonServiceException)
        {
            // A client error, as AWS would answer it.
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            _problems.Add($"{what}: no answer within {CallTimeout.TotalSeconds} s");
        }
        catch (Exception e) when (e is HttpRequestException or IOException || e.InnerException is HttpRequestException or IOException)
        {
            _problems.Add($"{what}: connection failed: {e.Message}");
        }
        catch (AmazonClientException)
        {
            // The SDK refused to send the request (an invalid key or name from the payload) or a digest check failed: not the server's fault.
        }
        catch (ArgumentException)
        {
            // Same: the SDK validates what it is asked to send.
        }

        if (emulator.HasExited)
        {
            _problems.Add($"{what}: the emulator process exited");
        }

        return null;
    }

    /// <summary>One raw request per service, unsigned, so that the middleware's own answer is seen as it is.</summary>
    public static HttpRequestMessage RawRequest(string service)
    {
        var request = service switch
        {
            "s3" => new HttpRequestMessage(HttpMethod.Get, "/"),
            "sqs" => new HttpRequestMessage(HttpMethod.Post, "/") { Content = Json("{}", "application/x-amz-json-1.0") },
            "dynamodb" => new HttpRequestMessage(HttpMethod.Post, "/") { Content = Json("{}", "application/x-amz-json-1.0") },
            _ => throw new ArgumentOutOfRangeException(nameof(service)),
        };
        if (service != "s3")
        {
            request.Headers.Add("X-Amz-Target", service == "sqs" ? "AmazonSQS.ListQueues" : "DynamoDB_20120810.ListTables");
        }

        request.Headers.TryAddWithoutValidation("Authorization", $"AWS4-HMAC-SHA256 Credential={GoldenWorkload.AccessKey}/20260101/{GoldenWorkload.Region}/{service}/aws4_request, SignedHeaders=host, Signature=00");
        return request;
    }

    private static StringContent Json(string body, string mediaType)
    {
        var content = new StringContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(mediaType);
        return content;
    }
}
