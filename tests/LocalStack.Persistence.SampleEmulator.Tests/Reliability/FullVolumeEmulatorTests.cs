using System.Net;
using System.Text.Json.Nodes;
using Amazon.S3;
using Amazon.S3.Model;
using LocalStack.Persistence.SampleEmulator.Tests.Support;
using LocalStack.Persistence.Tests.Reliability;

namespace LocalStack.Persistence.SampleEmulator.Tests.Reliability;

/// <summary>
/// The real emulator process with LOCALSTACK_VOLUME_DIR on a 2 MiB tmpfs that fills up: saves fail with the kernel's
/// ENOSPC message and the emulator keeps serving; under ON_REQUEST a write whose save fails is answered 500, never
/// "done"; once space is back saves succeed, and after SIGKILL the last good save is what loads.
/// </summary>
[NonParallelizable]
public sealed class FullVolumeEmulatorTests
{
    private const string NoSpace = "No space left on device";

    private Tmpfs _tmpfs = null!; // stays null when the mount is refused: the teardown must not turn the ignore into a failure
    private EmulatorProcess? _emulator;

    private string Volume => Path.Combine(_tmpfs.Path, "volume");

    [SetUp]
    public void Mount() => _tmpfs = Tmpfs.MountOrIgnore(2 * 1024 * 1024);

    [TearDown]
    public async Task Unmount()
    {
        if (_emulator is not null)
        {
            await _emulator.DisposeAsync();
            _emulator = null;
        }

        _tmpfs?.Dispose();
    }

    [Test]
    public async Task Under_manual_a_save_on_a_full_volume_fails_with_ENOSPC_the_emulator_keeps_serving_and_the_last_good_save_survives_SIGKILL()
    {
        await StartAsync("MANUAL");
        using (var s3 = _emulator!.CreateS3Client())
        {
            await s3.PutBucketAsync("full");
            var kept = Random(64 * 1024, seed: 1);
            await PutAsync(s3, "full", "kept", kept);
            await AssertSaveAsync(HttpStatusCode.OK, "ok");

            // Objects fill the volume (their bytes live in the store's working folder) until a put fails.
            var stored = new List<string> { "kept" };
            AmazonS3Exception? putError = null;
            for (var i = 0; i < 20 && putError is null; i++)
            {
                try
                {
                    await PutAsync(s3, "full", $"filling-{i}", Random(256 * 1024, seed: 10 + i));
                    stored.Add($"filling-{i}");
                }
                catch (AmazonS3Exception e)
                {
                    TestContext.Out.WriteLine($"put {i} failed once the volume was full: {(int)e.StatusCode} {e.ErrorCode} {e.Message}");
                    putError = e;
                }
            }

            Assert.That(stored, Has.Count.InRange(2, 20), "some objects fit, then a put failed");
            Assert.That(putError!.ErrorCode, Is.EqualTo("InternalError"), "an S3 error document, not an empty 500");
            Assert.That(putError.Message, Does.Contain("No space left on device"), "the client hears the cause");

            // A failed put gives its partial file back; the filler takes the rest, so the save has no byte left.
            _tmpfs.Fill();
            var (status, body) = await _emulator.PostAsync("/_localstack/state/s3/save");
            Assert.That(status, Is.EqualTo(HttpStatusCode.InternalServerError), body);
            Assert.That(body, Does.Contain(NoSpace));
            Assert.That(await S3LastErrorAsync(), Does.Contain(NoSpace));

            // Still serving reads and the other endpoints on a full volume.
            using (var get = await s3.GetObjectAsync("full", "kept"))
            {
                Assert.That(await ReadAllAsync(get.ResponseStream), Is.EqualTo(kept));
            }

            Assert.That(await KeysAsync(s3, "full"), Is.EqualTo(stored.Order(StringComparer.Ordinal)));
            Assert.That(_emulator.HasExited, Is.False);

            File.Delete(_tmpfs.FillerPath);
            await AssertSaveAsync(HttpStatusCode.OK, "ok");
            Assert.That(await S3LastErrorAsync(), Is.Null);
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "full", Key = "after-the-save", ContentBody = "lost in the crash" });

            await _emulator.KillAsync();
            await _emulator.DisposeAsync();
            _emulator = null;
            await StartAsync("MANUAL");
            using var restarted = _emulator!.CreateS3Client();
            Assert.That(await KeysAsync(restarted, "full"), Is.EqualTo(stored.Order(StringComparer.Ordinal)), "exactly the last good save");
            using var reloaded = await restarted.GetObjectAsync("full", "kept");
            Assert.That(await ReadAllAsync(reloaded.ResponseStream), Is.EqualTo(kept));
        }
    }

    [Test]
    public async Task Under_on_request_a_put_on_a_full_volume_is_answered_500_not_done_and_the_emulator_recovers_once_space_is_back()
    {
        await StartAsync("ON_REQUEST");
        using (var s3 = _emulator!.CreateS3Client())
        {
            await s3.PutBucketAsync("on-request");
            await PutAsync(s3, "on-request", "durable", Random(1024, seed: 1));
            _tmpfs.Fill();

            // An empty object needs no data block, only the snapshot does: the put itself works, its save cannot.
            var refused = await Assert.ThrowsAsync<AmazonS3Exception>(async () => await PutAsync(s3, "on-request", "while-full", []));
            Assert.That(refused!.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError), refused.Message);
            Assert.That(await S3LastErrorAsync(), Does.Contain(NoSpace));

            // The SDK cannot show the middleware's JSON error line; a plain (unsigned, as curl) put shows its message.
            using (var http = new HttpClient { BaseAddress = new Uri(_emulator.ServiceUrl) })
            using (var plain = await http.PutAsync(new Uri("/on-request/plain-while-full", UriKind.Relative), new ByteArrayContent([])))
            {
                var body = await plain.Content.ReadAsStringAsync();
                Assert.That(plain.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError), body);
                Assert.That(body, Does.Contain("\"service\":\"s3\"").And.Contain(NoSpace));
            }

            using (var get = await s3.GetObjectAsync("on-request", "durable"))
            {
                Assert.That(get.HttpStatusCode, Is.EqualTo(HttpStatusCode.OK), "reads still served on a full volume");
            }

            File.Delete(_tmpfs.FillerPath);
            var recovered = await PutAsync(s3, "on-request", "after-recovery", Random(1024, seed: 2));
            Assert.That(recovered.HttpStatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await S3LastErrorAsync(), Is.Null);

            await _emulator.KillAsync();
            await _emulator.DisposeAsync();
            _emulator = null;
            await StartAsync("ON_REQUEST");
            using var restarted = _emulator!.CreateS3Client();
            var keys = await KeysAsync(restarted, "on-request");
            TestContext.Out.WriteLine($"after SIGKILL: {string.Join(", ", keys)}");

            // The refused put was applied in memory (only its durability failed), so the next good save carried it:
            // a 500 means "not known to be durable", not "not applied".
            Assert.That(keys, Is.EqualTo(new[] { "after-recovery", "durable", "plain-while-full", "while-full" }));
        }
    }

    private async Task StartAsync(string saveStrategy)
        => _emulator = await EmulatorProcess.StartAsync(Volume, new Dictionary<string, string?> { ["SNAPSHOT_SAVE_STRATEGY"] = saveStrategy });

    private async Task AssertSaveAsync(HttpStatusCode expected, string status)
    {
        var (code, body) = await _emulator!.PostAsync("/_localstack/state/s3/save");
        Assert.That(code, Is.EqualTo(expected), body);
        Assert.That(body, Does.Contain($"\"status\":\"{status}\""));
    }

    private async Task<string?> S3LastErrorAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri(_emulator!.ServiceUrl) };
        var status = JsonNode.Parse(await http.GetStringAsync(new Uri("/_localstack/state", UriKind.Relative)))!;
        return (string?)status["services"]!.AsArray().Single(s => (string?)s!["service"] == "s3")!["lastError"];
    }

    private static Task<PutObjectResponse> PutAsync(AmazonS3Client s3, string bucket, string key, byte[] bytes)
        => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(bytes) });

    private static async Task<string[]> KeysAsync(AmazonS3Client s3, string bucket)
        => [.. (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects?.Select(o => o.Key) ?? []];

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private static byte[] Random(int bytes, int seed)
    {
        var data = new byte[bytes];
        new Random(seed).NextBytes(data);
        return data;
    }
}
