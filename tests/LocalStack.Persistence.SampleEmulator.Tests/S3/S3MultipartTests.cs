using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;
using LocalStack.Persistence.SampleEmulator.S3;

namespace LocalStack.Persistence.SampleEmulator.Tests.S3;

/// <summary>Multipart uploads: parts (aws-chunked like PutObject), completion and its validation, abort, ListParts.</summary>
public sealed class S3MultipartTests : S3TestBase
{
    private const int MiB = 1024 * 1024;

    [Test]
    public async Task A_5_MiB_plus_1_MiB_upload_completes_with_the_multipart_ETag()
    {
        var bucket = await NewBucketAsync();
        var part1 = RandomBytes(5 * MiB, seed: 1);
        var part2 = RandomBytes(1 * MiB, seed: 2);
        var init = await S3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "big.bin", ContentType = "application/x-big" });
        var etag1 = await UploadPartAsync(bucket, "big.bin", init.UploadId, 1, part1);
        var etag2 = await UploadPartAsync(bucket, "big.bin", init.UploadId, 2, part2);

        var parts = await S3.ListPartsAsync(new ListPartsRequest { BucketName = bucket, Key = "big.bin", UploadId = init.UploadId });
        Assert.That(parts.Parts.Select(p => (p.PartNumber, p.ETag, p.Size)), Is.EqualTo(new[] { ((int?)1, etag1, (long?)part1.Length), (2, etag2, part2.Length) }));

        var complete = await S3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket,
            Key = "big.bin",
            UploadId = init.UploadId,
            PartETags = [new PartETag(1, etag1), new PartETag(2, etag2)],
        });

        var expected = "\"" + Convert.ToHexStringLower(Md5([.. Md5(part1), .. Md5(part2)])) + "-2\"";
        var head = await S3.GetObjectMetadataAsync(bucket, "big.bin");
        Assert.Multiple(async () =>
        {
            Assert.That(etag1, Is.EqualTo(QuotedMd5(part1)));
            Assert.That(complete.ETag, Is.EqualTo(expected));
            Assert.That(head.ETag, Is.EqualTo(expected));
            Assert.That(head.ContentLength, Is.EqualTo(6 * MiB));
            Assert.That(head.Headers.ContentType, Is.EqualTo("application/x-big"));
            Assert.That(Digest(await GetBytesAsync(bucket, "big.bin")), Is.EqualTo(Digest([.. part1, .. part2])));
        });

        var gone = await ThrowsS3Async(() => S3.ListPartsAsync(new ListPartsRequest { BucketName = bucket, Key = "big.bin", UploadId = init.UploadId }));
        Assert.That(gone.ErrorCode, Is.EqualTo("NoSuchUpload"));
    }

    [Test]
    public async Task A_CRC32_upload_gets_a_composite_checksum()
    {
        var bucket = await NewBucketAsync();
        var part1 = RandomBytes(5 * MiB, seed: 3);
        var part2 = RandomBytes(1000, seed: 4);
        var init = await S3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "crc", ChecksumAlgorithm = ChecksumAlgorithm.CRC32 });
        var r1 = await S3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "crc", UploadId = init.UploadId, PartNumber = 1, InputStream = new MemoryStream(part1), ChecksumAlgorithm = ChecksumAlgorithm.CRC32 });
        var r2 = await S3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "crc", UploadId = init.UploadId, PartNumber = 2, InputStream = new MemoryStream(part2), ChecksumAlgorithm = ChecksumAlgorithm.CRC32 });
        var complete = await S3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket,
            Key = "crc",
            UploadId = init.UploadId,
            PartETags = [new PartETag { PartNumber = 1, ETag = r1.ETag, ChecksumCRC32 = r1.ChecksumCRC32 }, new PartETag { PartNumber = 2, ETag = r2.ETag, ChecksumCRC32 = r2.ChecksumCRC32 }],
        });

        var composite = Convert.ToBase64String(S3Checksum.Compute("CRC32", [.. S3Checksum.Compute("CRC32", part1), .. S3Checksum.Compute("CRC32", part2)])) + "-2";
        Assert.Multiple(async () =>
        {
            Assert.That(r1.ChecksumCRC32, Is.EqualTo(Convert.ToBase64String(S3Checksum.Compute("CRC32", part1))));
            Assert.That(complete.ChecksumCRC32, Is.EqualTo(composite));
            Assert.That(Digest(await GetBytesAsync(bucket, "crc")), Is.EqualTo(Digest([.. part1, .. part2])));
        });
    }

    [Test]
    public async Task A_FULL_OBJECT_CRC32C_upload_gets_the_checksum_of_the_whole_object()
    {
        var bucket = await NewBucketAsync();
        var part1 = RandomBytes(5 * MiB, seed: 6);
        var part2 = RandomBytes(3000, seed: 7);
        var init = await S3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "full", ChecksumAlgorithm = ChecksumAlgorithm.CRC32C, ChecksumType = ChecksumType.FULL_OBJECT });
        var r1 = await S3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "full", UploadId = init.UploadId, PartNumber = 1, InputStream = new MemoryStream(part1), ChecksumAlgorithm = ChecksumAlgorithm.CRC32C });
        var r2 = await S3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "full", UploadId = init.UploadId, PartNumber = 2, InputStream = new MemoryStream(part2), ChecksumAlgorithm = ChecksumAlgorithm.CRC32C });
        var complete = await S3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket,
            Key = "full",
            UploadId = init.UploadId,
            PartETags = [new PartETag { PartNumber = 1, ETag = r1.ETag, ChecksumCRC32C = r1.ChecksumCRC32C }, new PartETag { PartNumber = 2, ETag = r2.ETag, ChecksumCRC32C = r2.ChecksumCRC32C }],
        });

        var whole = Convert.ToBase64String(S3Checksum.Compute("CRC32C", [.. part1, .. part2]));
        using var get = await S3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "full", ChecksumMode = ChecksumMode.ENABLED });
        using var body = new MemoryStream();
        await get.ResponseStream.CopyToAsync(body); // the SDK validates a full-object checksum while reading
        Assert.Multiple(() =>
        {
            Assert.That(init.ChecksumType, Is.EqualTo(ChecksumType.FULL_OBJECT));
            Assert.That(complete.ChecksumCRC32C, Is.EqualTo(whole));
            Assert.That(complete.ChecksumType, Is.EqualTo(ChecksumType.FULL_OBJECT));
            Assert.That(get.ChecksumCRC32C, Is.EqualTo(whole));
            Assert.That(Digest(body.ToArray()), Is.EqualTo(Digest([.. part1, .. part2])));
        });
    }

    [Test]
    public async Task Completion_validates_the_part_list()
    {
        var bucket = await NewBucketAsync();
        var init = await S3.InitiateMultipartUploadAsync(bucket, "v");
        var small = await UploadPartAsync(bucket, "v", init.UploadId, 1, RandomBytes(1000));
        var last = await UploadPartAsync(bucket, "v", init.UploadId, 2, RandomBytes(1000, seed: 2));

        Task Complete(params PartETag[] parts) => S3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "v", UploadId = init.UploadId, PartETags = [.. parts] });
        var wrongETag = await ThrowsS3Async(() => Complete(new PartETag(1, "\"0123456789abcdef0123456789abcdef\"")));
        var unknownPart = await ThrowsS3Async(() => Complete(new PartETag(3, small)));
        // The SDK sorts the part list, so the out-of-order document is sent by hand.
        using var http = RawClient();
        using var orderResponse = await http.PostAsync(
            new Uri($"/{bucket}/v?uploadId={init.UploadId}", UriKind.Relative),
            new StringContent($"<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>{last}</ETag></Part><Part><PartNumber>1</PartNumber><ETag>{small}</ETag></Part></CompleteMultipartUpload>"));
        var order = await orderResponse.Content.ReadAsStringAsync();
        var tooSmall = await ThrowsS3Async(() => Complete(new PartETag(1, small), new PartETag(2, last)));
        Assert.Multiple(() =>
        {
            Assert.That(wrongETag.ErrorCode, Is.EqualTo("InvalidPart"));
            Assert.That(wrongETag.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(unknownPart.ErrorCode, Is.EqualTo("InvalidPart"));
            Assert.That(orderResponse.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(order, Does.Contain("<Code>InvalidPartOrder</Code>"));
            Assert.That(tooSmall.ErrorCode, Is.EqualTo("EntityTooSmall"));
        });

        // A single small part is a valid upload: only parts before the last have a minimum size.
        await Complete(new PartETag(2, last));
        Assert.That(await GetBytesAsync(bucket, "v"), Is.EqualTo(RandomBytes(1000, seed: 2)));
    }

    [Test]
    public async Task An_aborted_upload_is_gone()
    {
        var bucket = await NewBucketAsync();
        var init = await S3.InitiateMultipartUploadAsync(bucket, "a");
        var etag = await UploadPartAsync(bucket, "a", init.UploadId, 1, RandomBytes(100));
        var uploads = await S3.ListMultipartUploadsAsync(bucket);
        Assert.That(uploads.MultipartUploads.Select(u => u.UploadId), Is.EqualTo(new[] { init.UploadId }));

        await S3.AbortMultipartUploadAsync(bucket, "a", init.UploadId);
        var part = await ThrowsS3Async(() => UploadPartAsync(bucket, "a", init.UploadId, 2, RandomBytes(10)));
        var complete = await ThrowsS3Async(() => S3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "a", UploadId = init.UploadId, PartETags = [new PartETag(1, etag)] }));
        var abort = await ThrowsS3Async(() => S3.AbortMultipartUploadAsync(bucket, "a", init.UploadId));
        Assert.Multiple(() =>
        {
            Assert.That(part.ErrorCode, Is.EqualTo("NoSuchUpload"));
            Assert.That(complete.ErrorCode, Is.EqualTo("NoSuchUpload"));
            Assert.That(complete.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(abort.ErrorCode, Is.EqualTo("NoSuchUpload"));
        });
    }

    [Test]
    public async Task TransferUtility_uploads_in_parallel_parts()
    {
        var bucket = await NewBucketAsync();
        var data = RandomBytes(17 * MiB, seed: 5); // above TransferUtility's 16 MiB multipart threshold
        using var transfer = new TransferUtility(S3);
        await transfer.UploadAsync(new TransferUtilityUploadRequest { BucketName = bucket, Key = "tu.bin", InputStream = new MemoryStream(data), PartSize = 5 * MiB });
        var head = await S3.GetObjectMetadataAsync(bucket, "tu.bin");
        Assert.Multiple(async () =>
        {
            Assert.That(head.ETag, Does.EndWith("-4\""));
            Assert.That(Digest(await GetBytesAsync(bucket, "tu.bin")), Is.EqualTo(Digest(data)));
        });
    }

    private async Task<string> UploadPartAsync(string bucket, string key, string uploadId, int number, byte[] data)
    {
        var response = await S3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = key, UploadId = uploadId, PartNumber = number, InputStream = new MemoryStream(data) });
        return response.ETag;
    }
}
