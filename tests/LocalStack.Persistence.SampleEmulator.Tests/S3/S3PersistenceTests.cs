using System.Net;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.S3;

/// <summary>
/// S3 state across a crash: metadata from the snapshot, object and part bytes from the hard-linked content-addressed blobs;
/// what changed after the save is gone; an in-progress upload can be finished after the restart.
/// </summary>
public sealed class S3PersistenceTests
{
    private const int MiB = 1024 * 1024;

    [Test]
    public async Task Saved_buckets_objects_and_uploads_survive_SIGKILL_and_reset_empties_them()
    {
        using var volume = new TempDirectory();
        var small = Encoding.UTF8.GetBytes("persisted bytes");
        var large = RandomBytes(300_000, 1);
        var part1 = RandomBytes(5 * MiB, 2);
        var part2 = RandomBytes(1000, 3);
        var pending1 = RandomBytes(5 * MiB, 4);
        var pending2 = RandomBytes(2000, 5);
        string multipartETag, uploadId, smallETag;

        await using (var first = await EmulatorProcess.StartAsync(volume.Path))
        {
            using var s3 = first.CreateS3Client();
            await s3.PutBucketAsync("keep");
            await s3.PutBucketAsync("other");
            var put = new PutObjectRequest { BucketName = "keep", Key = "docs/small.txt", InputStream = new MemoryStream(small), ContentType = "text/plain", ChecksumAlgorithm = ChecksumAlgorithm.SHA256 };
            put.Metadata.Add("owner", "alice");
            smallETag = (await s3.PutObjectAsync(put)).ETag;
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "keep", Key = "large.bin", InputStream = new MemoryStream(large) });
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "other", Key = "overwritten", ContentBody = "saved version" });
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "other", Key = "deleted-after-save", ContentBody = "still here" });
            multipartETag = await MultipartAsync(s3, "keep", "multi.bin", part1, part2);

            var pending = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = "keep", Key = "pending.bin", ContentType = "application/x-pending" });
            uploadId = pending.UploadId;
            await s3.UploadPartAsync(new UploadPartRequest { BucketName = "keep", Key = "pending.bin", UploadId = uploadId, PartNumber = 1, InputStream = new MemoryStream(pending1) });

            var (status, body) = await first.PostAsync("/_localstack/state/s3/save");
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);

            // Changes after the save: lost by the crash. The overwrite also proves the snapshot's hard links are not
            // the live files (the live file of "overwritten" is deleted and replaced).
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "other", Key = "overwritten", ContentBody = "unsaved version" });
            await s3.DeleteObjectAsync("other", "deleted-after-save");
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "keep", Key = "unsaved", ContentBody = "lost" });
            await s3.PutBucketAsync("unsaved-bucket");
            await first.KillAsync();
        }

        await using (var second = await EmulatorProcess.StartAsync(volume.Path))
        {
            using var s3 = second.CreateS3Client();
            var buckets = await s3.ListBucketsAsync();
            var keep = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "keep" });
            var head = await s3.GetObjectMetadataAsync("keep", "docs/small.txt");
            var multiHead = await s3.GetObjectMetadataAsync("keep", "multi.bin");
            var parts = await s3.ListPartsAsync(new ListPartsRequest { BucketName = "keep", Key = "pending.bin", UploadId = uploadId });
            await Assert.MultipleAsync(async () =>
            {
                Assert.That(buckets.Buckets.Select(b => b.BucketName), Is.EquivalentTo(new[] { "keep", "other" }));
                Assert.That(keep.S3Objects.Select(o => o.Key), Is.EqualTo(new[] { "docs/small.txt", "large.bin", "multi.bin" }));
                Assert.That(await GetAsync(s3, "keep", "docs/small.txt"), Is.EqualTo(small));
                Assert.That(head.ETag, Is.EqualTo(smallETag));
                Assert.That(head.Headers.ContentType, Is.EqualTo("text/plain"));
                Assert.That(head.Metadata["x-amz-meta-owner"], Is.EqualTo("alice"));
                Assert.That(S3TestBase.Digest(await GetAsync(s3, "keep", "large.bin")), Is.EqualTo(S3TestBase.Digest(large)));
                Assert.That(multiHead.ETag, Is.EqualTo(multipartETag));
                Assert.That(S3TestBase.Digest(await GetAsync(s3, "keep", "multi.bin")), Is.EqualTo(S3TestBase.Digest([.. part1, .. part2])));
                Assert.That(Encoding.UTF8.GetString(await GetAsync(s3, "other", "overwritten")), Is.EqualTo("saved version"));
                Assert.That(Encoding.UTF8.GetString(await GetAsync(s3, "other", "deleted-after-save")), Is.EqualTo("still here"));
                Assert.That(parts.Parts.Select(p => (p.PartNumber, p.Size)), Is.EqualTo(new[] { ((int?)1, (long?)pending1.Length) }));
            });

            // The restored upload can be finished.
            var etag1 = parts.Parts[0].ETag;
            var etag2 = (await s3.UploadPartAsync(new UploadPartRequest { BucketName = "keep", Key = "pending.bin", UploadId = uploadId, PartNumber = 2, InputStream = new MemoryStream(pending2) })).ETag;
            await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = "keep", Key = "pending.bin", UploadId = uploadId, PartETags = [new PartETag(1, etag1), new PartETag(2, etag2)] });
            var pendingHead = await s3.GetObjectMetadataAsync("keep", "pending.bin");
            await Assert.MultipleAsync(async () =>
            {
                Assert.That(S3TestBase.Digest(await GetAsync(s3, "keep", "pending.bin")), Is.EqualTo(S3TestBase.Digest([.. pending1, .. pending2])));
                Assert.That(pendingHead.Headers.ContentType, Is.EqualTo("application/x-pending"));
            });

            // A second save after a restore stages the restored files again; then a crash and a restart once more.
            await s3.DeleteObjectAsync("keep", "large.bin");
            var (status, body) = await second.PostAsync("/_localstack/state/s3/save");
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
            await second.KillAsync();
        }

        await using var third = await EmulatorProcess.StartAsync(volume.Path);
        using (var s3 = third.CreateS3Client())
        {
            var keep = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "keep" });
            await Assert.MultipleAsync(async () =>
            {
                Assert.That(keep.S3Objects.Select(o => o.Key), Is.EqualTo(new[] { "docs/small.txt", "multi.bin", "pending.bin" }));
                Assert.That(S3TestBase.Digest(await GetAsync(s3, "keep", "pending.bin")), Is.EqualTo(S3TestBase.Digest([.. pending1, .. pending2])));
                Assert.That(await GetAsync(s3, "keep", "docs/small.txt"), Is.EqualTo(small));
                Assert.That(ObjectFiles(volume.Path), Has.Length.EqualTo(5), "one live file for each of the 5 objects and none left over from overwrites, deletes, parts or the crash");
            });

            var (status, body) = await third.PostAsync("/_localstack/state/s3/reset");
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
            var buckets = await s3.ListBucketsAsync();
            var gone = await S3TestBase.ThrowsS3Async(() => s3.GetObjectMetadataAsync("keep", "docs/small.txt"));
            Assert.Multiple(() =>
            {
                Assert.That(buckets.Buckets ?? [], Is.Empty);
                Assert.That(gone.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
                Assert.That(ObjectFiles(volume.Path), Is.Empty, "reset deletes the object files");
            });
        }
    }

    [Test]
    public async Task An_object_blob_of_the_committed_snapshot_replaced_by_a_symbolic_link_is_never_served_and_s3_answers_503_naming_it()
    {
        using var volume = new TempDirectory();
        using var outside = new TempDirectory();
        var secret = Path.Combine(outside.Path, "hostname");
        // The object's size is the link's own size (the length of the path it holds) and the target holds at least as
        // many bytes, so that no size check can stand in for the link check.
        await File.WriteAllTextAsync(secret, "secret-host-name".PadRight(secret.Length, 's'));
        var saved = new string('x', secret.Length);

        await using (var first = await EmulatorProcess.StartAsync(volume.Path))
        {
            using var s3 = first.CreateS3Client();
            await s3.PutBucketAsync("linked");
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "linked", Key = "k", ContentBody = saved });
            var (status, body) = await first.PostAsync("/_localstack/state/s3/save");
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
            await first.KillAsync();
        }

        // The object's bytes are a content-addressed blob of the service.
        var objectFile = Directory.GetFiles(Path.Combine(volume.Path, "state", "s3", "blobs"), "*", SearchOption.AllDirectories).Single();
        File.Delete(objectFile);
        File.CreateSymbolicLink(objectFile, secret);

        await using var second = await EmulatorProcess.StartAsync(volume.Path);
        using var http = new HttpClient { BaseAddress = new Uri(second.ServiceUrl) };
        using var response = await http.GetAsync(new Uri("/linked/k", UriKind.Relative));
        var answer = await response.Content.ReadAsStringAsync();
        using var state = JsonDocument.Parse(await http.GetStringAsync(new Uri("/_localstack/state", UriKind.Relative)));
        var s3Line = state.RootElement.GetProperty("services").EnumerateArray().Single(l => l.GetProperty("service").GetString() == "s3");

        Assert.Multiple(() =>
        {
            Assert.That(answer, Does.Not.Contain("secret-host-name"));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), answer);
            Assert.That(answer, Does.Contain(objectFile).And.Contain("symbolic link"));
            Assert.That(s3Line.GetProperty("faulted").GetBoolean(), Is.True, "s3 is faulted in the status");
        });
    }

    private static string[] ObjectFiles(string volume)
        => Directory.GetFiles(Path.Combine(volume, "state", "s3", "working", "objects"));

    private static async Task<string> MultipartAsync(AmazonS3Client s3, string bucket, string key, byte[] part1, byte[] part2)
    {
        var init = await s3.InitiateMultipartUploadAsync(bucket, key);
        var e1 = (await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = key, UploadId = init.UploadId, PartNumber = 1, InputStream = new MemoryStream(part1) })).ETag;
        var e2 = (await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = key, UploadId = init.UploadId, PartNumber = 2, InputStream = new MemoryStream(part2) })).ETag;
        var complete = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = init.UploadId, PartETags = [new PartETag(1, e1), new PartETag(2, e2)] });
        return complete.ETag;
    }

    private static async Task<byte[]> GetAsync(AmazonS3Client s3, string bucket, string key)
    {
        using var response = await s3.GetObjectAsync(bucket, key);
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
