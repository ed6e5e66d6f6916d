using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SQS;
using Amazon.SQS.Model;
using LocalStack.Persistence.AspNetCore.Aws;
using LocalStack.Persistence.AspNetCore.Tests.Support;

namespace LocalStack.Persistence.AspNetCore.Tests.Aws;

/// <summary>
/// The resolver, table-tested with requests produced and signed by the AWS SDK itself: real S3, SQS and DynamoDB
/// clients talk to a capture server that runs the resolver on what arrives.
/// </summary>
public sealed class SdkSignedRequestResolverTests : IDisposable
{
    private const string Region = "eu-west-2";
    private const string Account = "123456789012";
    private CaptureServer _server = null!;
    private SdkClients _clients = null!;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        _server = await CaptureServer.StartAsync(new AwsServiceRequestResolver("s3"));
        _clients = new SdkClients(_server.Address, Account);
    }

    [OneTimeTearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    public void Dispose() => _clients?.Dispose();

    public static IEnumerable<TestCaseData> SignedCalls()
    {
        // S3: REST, the operation is the method: GET and HEAD read.
        yield return Case("S3 ListBuckets", "s3", false, c => c.S3.ListBucketsAsync());
        yield return Case("S3 PutBucket", "s3", true, c => c.S3.PutBucketAsync("photos"));
        yield return Case("S3 PutObject", "s3", true, c => c.S3.PutObjectAsync(new PutObjectRequest { BucketName = "photos", Key = "a.txt", ContentBody = "hello" }));
        yield return Case("S3 GetObject", "s3", false, c => c.S3.GetObjectAsync("photos", "a.txt"));
        yield return Case("S3 HeadObject", "s3", false, c => c.S3.GetObjectMetadataAsync("photos", "a.txt"));
        yield return Case("S3 ListObjectsV2", "s3", false, c => c.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "photos" }));
        yield return Case("S3 DeleteObject", "s3", true, c => c.S3.DeleteObjectAsync("photos", "a.txt"));
        yield return Case("S3 DeleteObjects (POST ?delete)", "s3", true, c => c.S3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = "photos", Objects = [new KeyVersion { Key = "a.txt" }] }));

        // SQS (JSON protocol, X-Amz-Target AmazonSQS.*): ReceiveMessage changes visibility and receive counts.
        yield return Case("SQS CreateQueue", "sqs", true, c => c.Sqs.CreateQueueAsync("orders"));
        yield return Case("SQS SendMessage", "sqs", true, c => c.Sqs.SendMessageAsync(c.QueueUrl, "hello"));
        yield return Case("SQS ReceiveMessage", "sqs", true, c => c.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = c.QueueUrl }));
        yield return Case("SQS DeleteMessage", "sqs", true, c => c.Sqs.DeleteMessageAsync(c.QueueUrl, "receipt"));
        yield return Case("SQS ListQueues", "sqs", false, c => c.Sqs.ListQueuesAsync(new ListQueuesRequest()));
        yield return Case("SQS GetQueueUrl", "sqs", false, c => c.Sqs.GetQueueUrlAsync("orders"));
        yield return Case("SQS GetQueueAttributes", "sqs", false, c => c.Sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = c.QueueUrl, AttributeNames = ["All"] }));

        // DynamoDB (X-Amz-Target DynamoDB_20120810.*).
        yield return Case("DynamoDB PutItem", "dynamodb", true, c => c.Dynamo.PutItemAsync(new PutItemRequest { TableName = "users", Item = Key("1") }));
        yield return Case("DynamoDB UpdateItem", "dynamodb", true, c => c.Dynamo.UpdateItemAsync(new UpdateItemRequest { TableName = "users", Key = Key("1"), UpdateExpression = "SET n = :n", ExpressionAttributeValues = new() { [":n"] = new AttributeValue { S = "x" } } }));
        yield return Case("DynamoDB DeleteItem", "dynamodb", true, c => c.Dynamo.DeleteItemAsync(new DeleteItemRequest { TableName = "users", Key = Key("1") }));
        yield return Case("DynamoDB BatchWriteItem", "dynamodb", true, c => c.Dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = new() { ["users"] = [new WriteRequest { PutRequest = new PutRequest { Item = Key("2") } }] } }));
        yield return Case("DynamoDB CreateTable", "dynamodb", true, c => c.Dynamo.CreateTableAsync(new CreateTableRequest
        {
            TableName = "users",
            KeySchema = [new KeySchemaElement("id", KeyType.HASH)],
            AttributeDefinitions = [new AttributeDefinition("id", ScalarAttributeType.S)],
            BillingMode = BillingMode.PAY_PER_REQUEST,
        }));
        yield return Case("DynamoDB GetItem", "dynamodb", false, c => c.Dynamo.GetItemAsync(new GetItemRequest { TableName = "users", Key = Key("1") }));
        yield return Case("DynamoDB Query", "dynamodb", false, c => c.Dynamo.QueryAsync(new QueryRequest { TableName = "users", KeyConditionExpression = "id = :id", ExpressionAttributeValues = new() { [":id"] = new AttributeValue { S = "1" } } }));
        yield return Case("DynamoDB Scan", "dynamodb", false, c => c.Dynamo.ScanAsync(new ScanRequest { TableName = "users" }));
        yield return Case("DynamoDB BatchGetItem", "dynamodb", false, c => c.Dynamo.BatchGetItemAsync(new BatchGetItemRequest { RequestItems = new() { ["users"] = new KeysAndAttributes { Keys = [Key("1")] } } }));
        yield return Case("DynamoDB DescribeTable", "dynamodb", false, c => c.Dynamo.DescribeTableAsync("users"));
        yield return Case("DynamoDB ListTables", "dynamodb", false, c => c.Dynamo.ListTablesAsync(new ListTablesRequest()));
    }

    [TestCaseSource(nameof(SignedCalls))]
    public async Task A_signed_sdk_request_resolves_to_its_service_and_kind(Func<SdkClients, Task> call, string service, bool mutating)
    {
        var captured = await _server.CaptureAsync(() => call(_clients));

        Assert.That(captured.Resolved, Is.Not.Null, $"{captured.Method} {captured.PathAndQuery} resolved to no service");
        Assert.That(captured.Resolved!.Value.ServiceName, Is.EqualTo(service));
        Assert.That(captured.Resolved.Value.Mutating, Is.EqualTo(mutating), $"{captured.Method} {captured.PathAndQuery} target={captured.Target}");
        Assert.That(captured.Scope, Is.Not.Null);
        Assert.That(captured.Scope!.Service, Is.EqualTo(service));
        Assert.That(captured.Scope.Region, Is.EqualTo(Region));
        Assert.That(captured.Scope.AccountId, Is.EqualTo(Account));
    }

    [TestCase("GET", false)]
    [TestCase("PUT", true)]
    [TestCase("DELETE", true)]
    public async Task An_s3_presigned_url_resolves_from_its_query_credential(string verb, bool mutating)
    {
        var url = await _clients.S3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = "photos",
            Key = "a.txt",
            Verb = Enum.Parse<HttpVerb>(verb),
            Protocol = Protocol.HTTP,
            // The SDK writes X-Amz-Expires as Expires minus its own clock, so the expiry is counted from that clock;
            // the server under test never checks it (any date works, as long as the SDK accepts it).
            Expires = Amazon.Util.AWSSDKUtils.CorrectedUtcNow.AddMinutes(5),
        });
        using var http = new HttpClient();

        var captured = await _server.CaptureAsync(() => http.SendAsync(new HttpRequestMessage(new HttpMethod(verb), url)));

        Assert.That(captured.PathAndQuery, Does.Contain("X-Amz-Credential="));
        Assert.That(captured.Resolved, Is.EqualTo(new ServiceRequest("s3", mutating)));
        Assert.That(captured.Scope, Is.Not.Null);
        Assert.That(captured.Scope!.AccessKeyId, Is.EqualTo(Account));
        Assert.That(captured.Scope.Region, Is.EqualTo(Region));
    }

    [Test]
    public async Task An_access_key_that_is_not_12_digits_maps_to_the_default_account()
    {
        using var clients = new SdkClients(_server.Address, "AKIAIOSFODNN7EXAMPLE");

        var captured = await _server.CaptureAsync(() => clients.Dynamo.ListTablesAsync(new ListTablesRequest()));

        Assert.That(captured.Scope!.AccessKeyId, Is.EqualTo("AKIAIOSFODNN7EXAMPLE"));
        Assert.That(captured.Scope.AccountId, Is.EqualTo(AwsCredentialScope.DefaultAccountId));
    }

    [Test]
    public async Task The_body_of_a_signed_request_is_still_readable_after_resolution()
    {
        var captured = await _server.CaptureAsync(() => _clients.Dynamo.PutItemAsync(new PutItemRequest { TableName = "users", Item = Key("42") }));

        Assert.That(captured.Target, Is.EqualTo("DynamoDB_20120810.PutItem"));
        Assert.That(captured.BodyReadAfterwards, Does.Contain("\"TableName\":\"users\"").And.Contain("42"));
    }

    private static TestCaseData Case(string name, string service, bool mutating, Func<SdkClients, Task> call)
        => new TestCaseData(call, service, mutating).SetArgDisplayNames(name, service, mutating ? "mutating" : "read");

    private static Dictionary<string, AttributeValue> Key(string id) => new() { ["id"] = new AttributeValue { S = id } };

    /// <summary>Real SDK clients pointed at the capture server, retries off.</summary>
    public sealed class SdkClients : IDisposable
    {
        internal SdkClients(Uri address, string accessKeyId)
        {
            var credentials = new BasicAWSCredentials(accessKeyId, "secret");
            var url = address.ToString();
            QueueUrl = url + Account + "/orders";
            S3 = new AmazonS3Client(credentials, new AmazonS3Config { ServiceURL = url, AuthenticationRegion = Region, ForcePathStyle = true, MaxErrorRetry = 0 });
            Sqs = new AmazonSQSClient(credentials, new AmazonSQSConfig { ServiceURL = url, AuthenticationRegion = Region, MaxErrorRetry = 0 });
            Dynamo = new AmazonDynamoDBClient(credentials, new AmazonDynamoDBConfig { ServiceURL = url, AuthenticationRegion = Region, MaxErrorRetry = 0 });
        }

        internal AmazonS3Client S3 { get; }

        internal AmazonSQSClient Sqs { get; }

        internal AmazonDynamoDBClient Dynamo { get; }

        internal string QueueUrl { get; }

        public void Dispose()
        {
            S3.Dispose();
            Sqs.Dispose();
            Dynamo.Dispose();
        }
    }
}
