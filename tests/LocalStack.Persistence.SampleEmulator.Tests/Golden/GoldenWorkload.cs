using System.Security.Cryptography;
using System.Text;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using LocalStack.Persistence.SampleEmulator.S3;
using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.Golden;

/// <summary>
/// The fixed S3 workload of the golden sets: what <see cref="GoldenSets"/> runs to make a set, and what the golden
/// tests expect to find after loading one. Everything is deterministic except ids the emulator draws (upload id, receipt
/// handle), which the set records in its <c>expected.json</c>.
/// </summary>
internal static class GoldenWorkload
{
    public const string AccessKey = "111122223333";
    public const string Region = "us-east-1";
    public const string Bucket = "golden-bucket";
    public const string UploadKey = "uploads/in-progress.bin";

    /// <summary>The objects: key, bytes, content type, user metadata, Cache-Control.</summary>
    public static IReadOnlyList<GoldenObject> Objects { get; } =
    [
        new("hello.txt", Encoding.UTF8.GetBytes("Hello, golden world!\n"), "text/plain", new() { ["owner"] = "golden", ["purpose"] = "schema snapshot" }, null),
        new("nested/path/data.bin", [.. Enumerable.Range(0, 1000).Select(i => (byte)(i % 251))], "application/octet-stream", [], "max-age=60"),
        new("empty", [], "application/x-empty", new() { ["note"] = "zero bytes" }, null),
    ];

    /// <summary>The parts of the multipart upload left in progress.</summary>
    public static IReadOnlyList<byte[]> UploadParts { get; } =
    [
        [.. Enumerable.Range(0, 300).Select(i => (byte)(i * 7))],
        [.. Enumerable.Range(0, 200).Select(i => (byte)(255 - i))],
    ];

    public static async Task<string> CreateS3Async(EmulatorProcess emulator)
    {
        using var s3 = emulator.CreateS3Client(AccessKey, Region);
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = Bucket });
        foreach (var item in Objects)
        {
            var request = new PutObjectRequest
            {
                BucketName = Bucket,
                Key = item.Key,
                InputStream = new MemoryStream(item.Bytes),
                ContentType = item.ContentType,
                ChecksumAlgorithm = ChecksumAlgorithm.CRC32,
            };
            foreach (var (name, value) in item.Metadata)
            {
                request.Metadata.Add(name, value);
            }

            if (item.CacheControl is not null)
            {
                request.Headers.CacheControl = item.CacheControl;
            }

            await s3.PutObjectAsync(request);
        }

        var upload = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = Bucket, Key = UploadKey, ContentType = "application/x-golden" });
        for (var i = 0; i < UploadParts.Count; i++)
        {
            await s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = Bucket,
                Key = UploadKey,
                UploadId = upload.UploadId,
                PartNumber = i + 1,
                InputStream = new MemoryStream(UploadParts[i]),
            });
        }

        return upload.UploadId;
    }

    /// <summary>S3's ETag of a single-part object or a part is the hex MD5 of its bytes.</summary>
#pragma warning disable CA5351 // S3's ETag is MD5.
    public static string ETagOf(byte[] bytes) => $"\"{Convert.ToHexStringLower(MD5.HashData(bytes))}\"";
#pragma warning restore CA5351

    /// <param name="madeAt">When the set was made (<see cref="GoldenSets.MadeAtAsync"/>); the emulator's clock is later.</param>
    public static async Task VerifyS3Async(EmulatorProcess emulator, string uploadId, DateTimeOffset madeAt)
    {
        using var s3 = emulator.CreateS3Client(AccessKey, Region);
        var buckets = (await s3.ListBucketsAsync()).Buckets ?? [];
        Assert.That(buckets.Select(b => b.BucketName), Is.EqualTo(new[] { Bucket }));

        var listed = (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket })).S3Objects ?? [];
        Assert.That(listed.Select(o => (o.Key, o.Size ?? -1)), Is.EqualTo(Objects.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => (o.Key, (long)o.Bytes.Length))));

        foreach (var item in Objects)
        {
            using var get = await s3.GetObjectAsync(new GetObjectRequest { BucketName = Bucket, Key = item.Key, ChecksumMode = ChecksumMode.ENABLED });
            using var body = new MemoryStream();
            await get.ResponseStream.CopyToAsync(body);
            using (Assert.EnterMultipleScope())
            {
                Assert.That(body.ToArray(), Is.EqualTo(item.Bytes), item.Key);
                Assert.That(get.ETag, Is.EqualTo(ETagOf(item.Bytes)), item.Key);
                Assert.That(get.Headers.ContentType, Is.EqualTo(item.ContentType ?? "binary/octet-stream"), item.Key);
                Assert.That(get.Headers.CacheControl, Is.EqualTo(item.CacheControl), item.Key);
                Assert.That(get.Metadata.Keys.Select(k => k.Replace("x-amz-meta-", "", StringComparison.Ordinal)).Order(StringComparer.Ordinal), Is.EqualTo(item.Metadata.Keys.Order(StringComparer.Ordinal)), item.Key);
                foreach (var (name, value) in item.Metadata)
                {
                    Assert.That(get.Metadata[name], Is.EqualTo(value), $"{item.Key} metadata {name}");
                }

                Assert.That(get.ChecksumCRC32, Is.EqualTo(Convert.ToBase64String(S3Checksum.Compute("CRC32", item.Bytes))), item.Key);

                // Restored, not re-made: the timestamp is the golden run's.
                Assert.That(get.LastModified, Is.LessThanOrEqualTo(madeAt.UtcDateTime), item.Key);
            }
        }

        var uploads = (await s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Bucket })).MultipartUploads ?? [];
        Assert.That(uploads.Select(u => (u.Key, u.UploadId)), Is.EqualTo(new[] { (UploadKey, uploadId) }));
        Assert.That(uploads[0].Initiated, Is.LessThanOrEqualTo(madeAt.UtcDateTime));
        var parts = (await s3.ListPartsAsync(new ListPartsRequest { BucketName = Bucket, Key = UploadKey, UploadId = uploadId })).Parts ?? [];
        Assert.That(
            parts.Select(p => (p.PartNumber ?? -1, p.Size ?? -1, p.ETag)),
            Is.EqualTo(UploadParts.Select((bytes, i) => (i + 1, (long)bytes.Length, ETagOf(bytes)))));
    }
}

internal sealed record GoldenObject(string Key, byte[] Bytes, string? ContentType, Dictionary<string, string> Metadata, string? CacheControl);

/// <summary>A DynamoDB attribute value as one comparable string (the SDK's type has no value equality).</summary>
internal static class AttributeText
{
    public static string Of(Dictionary<string, AttributeValue> item)
        => "{" + string.Join(",", item.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}:{Of(p.Value)}")) + "}";

    public static string Of(AttributeValue value) => value switch
    {
        { S: { } s } => "S:" + s,
        { N: { } n } => "N:" + n,
        { B: { } b } => "B:" + Convert.ToHexString(b.ToArray()),
        { SS: { Count: > 0 } ss } => "SS:[" + string.Join(",", ss.Order(StringComparer.Ordinal)) + "]",
        { NS: { Count: > 0 } ns } => "NS:[" + string.Join(",", ns.Order(StringComparer.Ordinal)) + "]",
        { BS: { Count: > 0 } bs } => "BS:[" + string.Join(",", bs.Select(b => Convert.ToHexString(b.ToArray())).Order(StringComparer.Ordinal)) + "]",
        { BOOL: { } flag } => "BOOL:" + flag,
        { NULL: true } => "NULL",
        { M: { } m } => "M:" + Of(m),
        { L: { } l } => "L:[" + string.Join(",", l.Select(Of)) + "]",
        _ => "?",
    };
}
