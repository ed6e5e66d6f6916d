using System.Text;
using LocalStack.Persistence.SampleEmulator.Aws;
using LocalStack.Persistence.SampleEmulator.DynamoDb;
using LocalStack.Persistence.SampleEmulator.S3;
using LocalStack.Persistence.SampleEmulator.Sqs;
using Microsoft.AspNetCore.Http;

namespace LocalStack.Persistence.SampleEmulator.Tests.Kit;

/// <summary>
/// State put into the sample's live stores the way requests put it there, never through a provider's restore (a flaw of
/// restore would otherwise be in the state before the check starts): SQS and DynamoDB through their real handlers (an
/// in-memory HTTP context, no server), S3 through the store API its handlers call.
/// </summary>
internal static class SampleWorkload
{
    public const string AccountId = "111122223333";
    public const string Region = "us-east-1";

    public static void PutS3(S3Store store, DateTimeOffset now)
    {
        lock (store.Sync)
        {
            var bucket = new S3Bucket("kit-bucket", Region, now);
            store.TryAddBucket(AccountId, bucket);
            foreach (var (key, content) in new[] { ("a.txt", "alpha"), ("dir/b.bin", "bravo bytes"), ("empty", "") })
            {
                var file = WriteFile(store, content);
                var attributes = new ObjectAttributes("text/plain", new Dictionary<string, string> { ["origin"] = "kit" }, new Dictionary<string, string> { ["cache-control"] = "no-cache" }, null);
                store.PutObject(AccountId, bucket, new S3Object(key, file, content.Length, $"\"{Md5(content)}\"", now, attributes, null, null));
            }

            var upload = new MultipartUpload("kit-upload", "big.bin", now, new ObjectAttributes(null, [], [], null));
            var part = WriteFile(store, "part one");
            store.AddUpload(AccountId, bucket, upload);
            store.PutPart(AccountId, bucket.Name, upload, new S3Part(1, part, 8, Md5("part one"), now, null, null));
        }
    }

    public static async Task PutSqsAsync(SqsBackend backend)
    {
        var handler = new SqsHandler(backend);
        const string prefix = "AmazonSQS.";
        await CallAsync(handler, prefix + "CreateQueue", """{"QueueName":"kit-queue","Attributes":{"VisibilityTimeout":"45"},"tags":{"team":"kit"}}""");
        await CallAsync(handler, prefix + "CreateQueue", """{"QueueName":"kit-queue.fifo","Attributes":{"FifoQueue":"true","ContentBasedDeduplication":"true"}}""");
        var url = $"http://localhost:4566/{AccountId}/kit-queue";
        await CallAsync(handler, prefix + "SendMessage", $$"""{"QueueUrl":"{{url}}","MessageBody":"first","MessageAttributes":{"kind":{"DataType":"String","StringValue":"note"},"size":{"DataType":"Number","StringValue":"3"} } }""");
        await CallAsync(handler, prefix + "SendMessage", $$"""{"QueueUrl":"{{url}}","MessageBody":"second","DelaySeconds":30}""");
        await CallAsync(handler, prefix + "SendMessage", $$"""{"QueueUrl":"{{url}}","MessageBody":"in flight"}""");
        await CallAsync(handler, prefix + "ReceiveMessage", $$"""{"QueueUrl":"{{url}}","MaxNumberOfMessages":1,"VisibilityTimeout":600}""");
        await CallAsync(handler, prefix + "SendMessage", $$"""{"QueueUrl":"{{url}}.fifo","MessageBody":"ordered","MessageGroupId":"g1"}""");
    }

    public static async Task PutDynamoDbAsync(DynamoDbStorage storage, TimeProvider time)
    {
        var handler = new DynamoDbHandler(storage, time);
        const string prefix = "DynamoDB_20120810.";
        await CallAsync(handler, prefix + "CreateTable", """{"TableName":"kit-table","BillingMode":"PAY_PER_REQUEST","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}]}""");
        await CallAsync(handler, prefix + "PutItem", """{"TableName":"kit-table","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"name":{"S":"alpha"},"tags":{"SS":["x","y"]},"blob":{"B":"AAEC"},"ok":{"BOOL":true}}}""");
        await CallAsync(handler, prefix + "PutItem", """{"TableName":"kit-table","Item":{"pk":{"S":"a"},"sk":{"N":"2"},"nested":{"M":{"list":{"L":[{"N":"1"},{"NULL":true}]}}}}}""");
        await CallAsync(handler, prefix + "PutItem", """{"TableName":"kit-table","Item":{"pk":{"S":"b"},"sk":{"N":"-3.5"}}}""");
    }

    private static string WriteFile(S3Store store, string content)
    {
        var (file, path) = store.NewFile();
        File.WriteAllText(path, content);
        return file;
    }

    // S3's ETag is an MD5 by definition, not a security measure.
#pragma warning disable CA5351
    private static string Md5(string content) => Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(Encoding.UTF8.GetBytes(content)));
#pragma warning restore CA5351

    /// <summary>One JSON-protocol request through a handler; anything but a 200 fails.</summary>
    internal static async Task CallAsync(IAwsServiceHandler handler, string target, string json)
    {
        var http = new DefaultHttpContext();
        var body = Encoding.UTF8.GetBytes(json);
        http.Request.Method = "POST";
        http.Request.Path = "/";
        http.Request.ContentType = "application/x-amz-json-1.0";
        http.Request.Headers["X-Amz-Target"] = target;
        http.Request.Body = new MemoryStream(body);
        http.Request.ContentLength = body.Length;
        var response = new MemoryStream();
        http.Response.Body = response;
        await handler.HandleAsync(new AwsRequestContext(http, AccountId, Region));
        if (http.Response.StatusCode != StatusCodes.Status200OK)
        {
            throw new InvalidOperationException($"{target} answered {http.Response.StatusCode}: {Encoding.UTF8.GetString(response.ToArray())}");
        }
    }
}
