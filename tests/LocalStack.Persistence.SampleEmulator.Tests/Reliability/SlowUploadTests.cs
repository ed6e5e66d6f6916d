using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using LocalStack.Persistence.AspNetCore.Tests.Reliability;
using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.Reliability;

/// <summary>
/// Issue 12, "no request may wait behind another client's slow upload": the real emulator under ON_REQUEST, with
/// clients that send half a body and then stall (raw sockets under the test's control). While they stall, saves and
/// every other request of the same services complete; released, the uploads finish whole; a client that goes away
/// leaves no object and no staged file.
/// </summary>
[NonParallelizable]
public sealed class SlowUploadTests
{
    /// <summary>Only the failure detector: with the fix every request here completes in milliseconds.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);

    private string _volume = null!;
    private EmulatorProcess? _emulator;
    private readonly List<StalledRequest> _stalled = [];

    private EmulatorProcess Emulator => _emulator!;

    private string ObjectsDirectory => Path.Combine(_volume, "state", "s3", "working", "objects");

    [SetUp]
    public async Task StartAsync()
    {
        _volume = Directory.CreateTempSubdirectory("lsp-slow-").FullName;
        _emulator = await EmulatorProcess.StartAsync(_volume, new Dictionary<string, string?> { ["SNAPSHOT_SAVE_STRATEGY"] = "ON_REQUEST" });
    }

    [TearDown]
    public async Task StopAsync()
    {
        foreach (var stalled in _stalled)
        {
            await stalled.DisposeAsync();
        }

        _stalled.Clear();

        if (_emulator is not null)
        {
            await _emulator.DisposeAsync();
        }

        Directory.Delete(_volume, recursive: true);
    }

    [Test]
    public async Task Saves_and_other_requests_complete_while_ten_uploads_and_two_json_bodies_stall_mid_body()
    {
        using var cts = new CancellationTokenSource(Patience * 2);
        var ct = cts.Token;
        using var s3 = Emulator.CreateS3Client();
        using var sqs = Emulator.CreateSqsClient();
        using var dynamo = Emulator.CreateDynamoDbClient();
        await s3.PutBucketAsync("slow", ct);
        await s3.PutBucketAsync("other", ct);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "other", Key = "seen", ContentBody = "seen" }, ct);
        var queue = (await sqs.CreateQueueAsync("jobs", ct)).QueueUrl;
        await dynamo.CreateTableAsync(UsersTable(), ct);

        // Five PutObject and five UploadPart bodies, each stalled half way, after the server began reading it.
        var objects = Enumerable.Range(0, 10).ToDictionary(i => $"object-{i}", i => RandomBytes(64 * 1024, seed: i));
        var uploads = new Dictionary<string, string>();
        foreach (var key in objects.Keys.Where((_, i) => i % 2 == 1))
        {
            uploads[key] = (await s3.InitiateMultipartUploadAsync("slow", key, ct)).UploadId;
        }

        foreach (var (key, body) in objects)
        {
            var target = uploads.TryGetValue(key, out var uploadId) ? $"/slow/{key}?partNumber=1&uploadId={uploadId}" : "/slow/" + key;
            _stalled.Add(await StalledRequest.StartAsync(Emulator, "PUT", target, [], body, ct));
        }

        // And one JSON body each for SQS and DynamoDB (read by the persistence middleware, not by an S3 receiver). Every
        // stalled body's first half is 32 KiB: at Kestrel's minimum data rate (240 B/s) none is ended with 408 meanwhile.
        var padding = new string('p', 64 * 1024);
        var message = Encoding.UTF8.GetBytes($$"""{"QueueUrl":"{{queue}}","MessageBody":"stalled message {{padding}}"}""");
        _stalled.Add(await StalledRequest.StartAsync(Emulator, "POST", "/", JsonHeaders("AmazonSQS.SendMessage"), message, ct));
        var item = Encoding.UTF8.GetBytes("{\"TableName\":\"users\",\"Item\":{\"id\":{\"S\":\"stalled\"},\"padding\":{\"S\":\"" + padding + "\"}}}");
        _stalled.Add(await StalledRequest.StartAsync(Emulator, "POST", "/", JsonHeaders("DynamoDB_20120810.PutItem"), item, ct));

        // While all twelve stall: saves of the three services, and other requests to each of them.
        var others = new Dictionary<string, Task>
        {
            ["save s3"] = ExpectSavedAsync("s3", ct),
            ["save sqs"] = ExpectSavedAsync("sqs", ct),
            ["save dynamodb"] = ExpectSavedAsync("dynamodb", ct),
            ["PUT other/small (an ON_REQUEST save)"] = s3.PutObjectAsync(new PutObjectRequest { BucketName = "other", Key = "small", ContentBody = "small" }, ct),
            ["GET other/seen"] = s3.GetObjectAsync("other", "seen", ct),
            ["ListObjectsV2 other"] = s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "other" }, ct),
            ["SQS SendMessage"] = sqs.SendMessageAsync(queue, "quick message", ct),
            ["DynamoDB PutItem"] = dynamo.PutItemAsync("users", new Dictionary<string, AttributeValue> { ["id"] = new("quick") }, ct),
            ["DynamoDB GetItem"] = dynamo.GetItemAsync("users", new Dictionary<string, AttributeValue> { ["id"] = new("none") }, ct),
        };
        await AssertAllCompleteAsync(others);

        // Released, the stalled requests finish, and what they carried is there, whole.
        var answers = new List<RawResponse>();
        foreach (var stalled in _stalled)
        {
            answers.Add(await stalled.FinishAsync(ct));
        }

        Assert.That(answers.Select(a => a.Status), Is.All.EqualTo(200), string.Join("\n", answers.Select(a => a.Body)));
        for (var i = 0; i < 10; i++)
        {
            var key = $"object-{i}";
            var etag = answers[i].Headers["etag"];
            Assert.That(etag, Is.EqualTo(QuotedMd5(objects[key])), key);
            if (uploads.TryGetValue(key, out var uploadId))
            {
                await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = "slow", Key = key, UploadId = uploadId, PartETags = [new PartETag(1, etag)] }, ct);
            }

            using var stored = await s3.GetObjectAsync("slow", key, ct);
            using var bytes = new MemoryStream();
            await stored.ResponseStream.CopyToAsync(bytes, ct);
            Assert.That(SHA256.HashData(bytes.ToArray()), Is.EqualTo(SHA256.HashData(objects[key])), key);
        }

        var received = await sqs.ReceiveMessageAsync(new Amazon.SQS.Model.ReceiveMessageRequest { QueueUrl = queue, MaxNumberOfMessages = 10 }, ct);
        Assert.That(received.Messages.Select(m => m.Body), Is.EquivalentTo(new[] { "quick message", "stalled message " + padding }));
        var stalledItem = await dynamo.GetItemAsync("users", new Dictionary<string, AttributeValue> { ["id"] = new("stalled") }, ct);
        Assert.That(stalledItem.IsItemSet, Is.True);
        await WaitUntilAsync(() => StagedFiles().Length == 10 + 2, "the object folder holds the ten objects, other/seen and other/small (parts went with their completion)");
    }

    [Test]
    public async Task An_upload_whose_client_disconnects_mid_body_leaves_no_object_and_no_staged_file()
    {
        using var cts = new CancellationTokenSource(Patience);
        var ct = cts.Token;
        using var s3 = Emulator.CreateS3Client();
        await s3.PutBucketAsync("slow", ct);
        var uploadId = (await s3.InitiateMultipartUploadAsync("slow", "parted", ct)).UploadId;

        var put = await StalledRequest.StartAsync(Emulator, "PUT", "/slow/cut", [], RandomBytes(64 * 1024, seed: 1), ct);
        var part = await StalledRequest.StartAsync(Emulator, "PUT", $"/slow/parted?partNumber=1&uploadId={uploadId}", [], RandomBytes(64 * 1024, seed: 2), ct);
        Assert.That(StagedFiles(), Has.Length.EqualTo(2), "each half-received body is staged in a file of its own");

        await put.DisposeAsync(); // the clients go away mid-body
        await part.DisposeAsync();

        await WaitUntilAsync(() => StagedFiles().Length == 0, "the server removed the staged files of both cut uploads");
        var missing = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync("slow", "cut", ct));
        Assert.That(missing!.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var parts = await s3.ListPartsAsync("slow", "parted", uploadId, ct);
        Assert.That(parts.Parts ?? [], Is.Empty);
        Assert.That(await SaveAsync("s3", ct), Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task A_reset_while_an_upload_stalls_answers_NoSuchBucket_and_removes_the_staged_file()
    {
        using var cts = new CancellationTokenSource(Patience * 2);
        var ct = cts.Token;
        using var s3 = Emulator.CreateS3Client();
        await s3.PutBucketAsync("slow", ct);
        var stalled = await StalledRequest.StartAsync(Emulator, "PUT", "/slow/late", [], RandomBytes(64 * 1024, seed: 3), ct);
        _stalled.Add(stalled);

        // The reset needs the S3 gate exclusively: it must not wait for the stalled body.
        var reset = await Emulator.PostAsync("/_localstack/state/s3/reset", ct).WaitAsync(Patience, ct);
        Assert.That(reset.Status, Is.EqualTo(HttpStatusCode.OK), reset.Body);
        Assert.That(StagedFiles(), Has.Length.EqualTo(1), "the reset leaves the staged body of the upload in flight alone");

        var answer = await stalled.FinishAsync(ct);

        Assert.That(answer.Status, Is.EqualTo(404), answer.Body);
        Assert.That(answer.Body, Does.Contain("<Code>NoSuchBucket</Code>"));
        await WaitUntilAsync(() => StagedFiles().Length == 0, "the server removed the staged file of the upload whose bucket went away");
    }

    [Test]
    public async Task A_load_while_an_upload_stalls_lets_it_land_in_the_loaded_bucket()
    {
        using var cts = new CancellationTokenSource(Patience * 2);
        var ct = cts.Token;
        using var s3 = Emulator.CreateS3Client();
        await s3.PutBucketAsync("slow", ct); // saved (ON_REQUEST): the load brings the bucket back
        var body = RandomBytes(64 * 1024, seed: 4);
        var stalled = await StalledRequest.StartAsync(Emulator, "PUT", "/slow/landed", [], body, ct);
        _stalled.Add(stalled);

        var load = await Emulator.PostAsync("/_localstack/state/s3/load", ct).WaitAsync(Patience, ct);
        Assert.That(load.Status, Is.EqualTo(HttpStatusCode.OK), load.Body);

        var answer = await stalled.FinishAsync(ct);

        Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
        using var stored = await s3.GetObjectAsync("slow", "landed", ct);
        using var bytes = new MemoryStream();
        await stored.ResponseStream.CopyToAsync(bytes, ct);
        Assert.That(bytes.ToArray(), Is.EqualTo(body));
    }

    private static async Task AssertAllCompleteAsync(Dictionary<string, Task> requests)
    {
        try
        {
            await Task.WhenAll(requests.Values).WaitAsync(Patience);
        }
        catch (TimeoutException)
        {
            var waiting = requests.Where(r => !r.Value.IsCompleted).Select(r => r.Key);
            Assert.Fail($"While other clients' bodies stalled, these never completed: {string.Join("; ", waiting)}.");
        }
    }

    private async Task ExpectSavedAsync(string service, CancellationToken ct)
        => Assert.That(await SaveAsync(service, ct), Is.EqualTo(HttpStatusCode.OK), $"save of {service}");

    private async Task<HttpStatusCode> SaveAsync(string service, CancellationToken ct)
        => (await Emulator.PostAsync($"/_localstack/state/{service}/save", ct)).Status;

    private string[] StagedFiles() => Directory.Exists(ObjectsDirectory) ? Directory.GetFiles(ObjectsDirectory) : [];

    /// <summary>Waits for a state the emulator reaches on its own after a client went away (nothing else signals it).</summary>
    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > Patience)
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }

            await Task.Delay(10);
        }
    }

    private static CreateTableRequest UsersTable() => new()
    {
        TableName = "users",
        KeySchema = [new KeySchemaElement("id", KeyType.HASH)],
        AttributeDefinitions = [new AttributeDefinition("id", ScalarAttributeType.S)],
        BillingMode = BillingMode.PAY_PER_REQUEST,
    };

    private static string[] JsonHeaders(string target) => ["Content-Type: application/x-amz-json-1.0", "X-Amz-Target: " + target];

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static string QuotedMd5(byte[] data)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5); // S3 defines ETags with MD5
        md5.AppendData(data);
        return "\"" + Convert.ToHexStringLower(md5.GetHashAndReset()) + "\"";
    }

    /// <summary>A request whose head and first half of body are sent once the server has begun reading (100 Continue); the rest waits for <see cref="FinishAsync"/>.</summary>
    private sealed class StalledRequest : IAsyncDisposable
    {
        private readonly RawHttp _http;
        private readonly byte[] _body;

        private StalledRequest(RawHttp http, byte[] body)
        {
            _http = http;
            _body = body;
        }

        public static async Task<StalledRequest> StartAsync(EmulatorProcess emulator, string method, string target, string[] headers, byte[] body, CancellationToken ct)
        {
            var http = await RawHttp.ConnectAsync(new Uri(emulator.ServiceUrl), ct);
            try
            {
                await http.SendHeadAsync(method, target, [$"Content-Length: {body.Length}", "Expect: 100-continue", .. headers], ct);

                // Kestrel answers 100 Continue when the application first reads the body: the request is in its handler.
                var interim = await http.ReadResponseAsync(ct).WaitAsync(Patience, ct);
                Assert.That(interim.Status, Is.EqualTo(100), $"{method} {target}: {interim.Body}");
                await http.SendAsync(body.AsMemory(0, body.Length / 2), ct);
                return new StalledRequest(http, body);
            }
            catch
            {
                await http.DisposeAsync();
                throw;
            }
        }

        public async Task<RawResponse> FinishAsync(CancellationToken ct)
        {
            await _http.SendAsync(_body.AsMemory(_body.Length / 2), ct);
            return await _http.ReadResponseAsync(ct).WaitAsync(Patience, ct);
        }

        public ValueTask DisposeAsync() => _http.DisposeAsync();
    }
}
