using System.Net;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.Persistence;

/// <summary>
/// The reproduction of issue 12 through the sample: a bucket of many objects is saved, then <c>POST
/// /_localstack/state/s3/load</c> is sent by clients that give up after a few milliseconds (as <c>curl -m 0.3</c> did
/// with 20,000 objects). Whenever the client gives up, the load either never started or runs to its end: the bucket is
/// whole, the status healthy, and a later change and save keep every object.
/// </summary>
public sealed class CutShortLoadTests
{
    private const int ObjectCount = 2_000;

    [Test]
    public async Task A_load_whose_client_disconnects_never_leaves_a_partial_bucket_that_looks_healthy()
    {
        using var volume = new TempDirectory();
        await using var emulator = await EmulatorProcess.StartAsync(volume.Path, new Dictionary<string, string?> { ["SNAPSHOT_SAVE_STRATEGY"] = "MANUAL" });
        using var s3 = emulator.CreateS3Client();
        await s3.PutBucketAsync("many");
        using (var throttle = new SemaphoreSlim(16))
        {
            await Task.WhenAll(Enumerable.Range(0, ObjectCount).Select(async i =>
            {
                await throttle.WaitAsync();
                try
                {
                    await s3.PutObjectAsync(new PutObjectRequest { BucketName = "many", Key = $"k/{i:D5}", ContentBody = $"object {i}" });
                }
                finally
                {
                    throttle.Release();
                }
            }));
        }

        var (saved, savedBody) = await emulator.PostAsync("/_localstack/state/s3/save");
        Assert.That(saved, Is.EqualTo(HttpStatusCode.OK), savedBody);

        using var http = new HttpClient { BaseAddress = new Uri(emulator.ServiceUrl) };
        foreach (var giveUpAfter in new[] { 1, 3, 10, 30, 100, 300 })
        {
            using (var client = new CancellationTokenSource(TimeSpan.FromMilliseconds(giveUpAfter)))
            {
                try
                {
                    using var response = await http.PostAsync(new Uri("/_localstack/state/s3/load", UriKind.Relative), null, client.Token);
                }
                catch (OperationCanceledException)
                {
                    // The client gave up; the server goes on or never started.
                }
            }

            // Requests wait for the gate, so this sees the state after the load, whether it ran or not.
            Assert.That(await CountAsync(s3, "many"), Is.EqualTo(ObjectCount), $"client gave up after {giveUpAfter} ms");
            var line = await StatusOfAsync(http, "s3");
            Assert.That((line.GetProperty("loaded").GetBoolean(), line.GetProperty("faulted").GetBoolean()), Is.EqualTo((true, false)), line.ToString());
        }

        // The loss: one more change and a save must keep the 2,000 objects (before, the bucket was gone).
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "many", Key = "after", ContentBody = "after" });
        Assert.That((await emulator.PostAsync("/_localstack/state/s3/save")).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await emulator.PostAsync("/_localstack/state/s3/load")).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await CountAsync(s3, "many"), Is.EqualTo(ObjectCount + 1));
    }

    private static async Task<int> CountAsync(AmazonS3Client s3, string bucket)
    {
        var count = 0;
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, ContinuationToken = token });
            count += page.S3Objects?.Count ?? 0;
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
        return count;
    }

    private static async Task<JsonElement> StatusOfAsync(HttpClient http, string service)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri("/_localstack/state", UriKind.Relative)));
        return document.RootElement.GetProperty("services").EnumerateArray().Single(s => s.GetProperty("service").GetString() == service).Clone();
    }
}
