using System.Net;
using Amazon.S3.Model;
using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.Persistence;

/// <summary>The sample's state endpoints refuse a web page of another site while curl-style requests and the AWS SDKs work.</summary>
public sealed class StateEndpointSameOriginTests
{
    [Test]
    public async Task Sdk_and_curl_style_requests_are_served_and_a_foreign_page_is_refused_without_touching_anything()
    {
        using var volume = new TempDirectory();
        await using var emulator = await EmulatorProcess.StartAsync(volume.Path);
        using var s3 = emulator.CreateS3Client();
        using var sqs = emulator.CreateSqsClient();
        await s3.PutBucketAsync("kept");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "kept", Key = "a.txt", ContentBody = "hello" });
        await sqs.CreateQueueAsync("kept-queue");

        // curl -X POST localhost:4566/_localstack/state/save: no Origin, no Sec-Fetch-Site.
        var (saved, savedBody) = await emulator.PostAsync("/_localstack/state/save");
        Assert.That(saved, Is.EqualTo(HttpStatusCode.OK), savedBody);
        var stateFiles = Directory.EnumerateFiles(Path.Combine(volume.Path, "state"), "*", SearchOption.AllDirectories)
            .Where(path => !path.EndsWith(".lock", StringComparison.Ordinal))
            .ToDictionary(path => path, File.ReadAllBytes);

        using var http = new HttpClient { BaseAddress = new Uri(emulator.ServiceUrl) };
        foreach (var (name, value) in new[] { ("Origin", "https://evil.example"), ("Sec-Fetch-Site", "cross-site"), ("Host", $"evil.example:{emulator.Port}") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/_localstack/state/reset");
            if (name == "Host")
            {
                request.Headers.Host = value;
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            using var response = await http.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), $"{name}: {value}: {await response.Content.ReadAsStringAsync()}");
            Assert.That(await response.Content.ReadAsStringAsync(), Does.StartWith("""{"status":"error","message":"""), $"{name}: {value}");
        }

        // Nothing was reset: the SDK still sees the bucket, its object and the queue, and the snapshots are unchanged.
        var objects = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "kept" });
        Assert.That(objects.S3Objects?.Select(o => o.Key), Is.EqualTo(new[] { "a.txt" }));
        Assert.That((await sqs.ListQueuesAsync("kept")).QueueUrls, Has.Count.EqualTo(1));
        foreach (var (path, bytes) in stateFiles)
        {
            Assert.That(File.ReadAllBytes(path), Is.EqualTo(bytes), path);
        }

        Assert.That(await emulator.StopAsync(), Is.Zero, emulator.Output);
    }
}
