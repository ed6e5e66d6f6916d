using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using LocalStack.Persistence.SampleEmulator.S3;

namespace LocalStack.Persistence.SampleEmulator.Tests.S3;

/// <summary>PutObject as AWSSDK.S3 4 sends it: aws-chunked bodies, trailing checksums, signed and unsigned streaming.</summary>
public sealed class S3UploadTests : S3TestBase
{
    [Test]
    public async Task A_default_PutObject_is_aws_chunked_with_a_CRC32_trailer_and_stores_exactly_the_payload()
    {
        var bucket = await NewBucketAsync();
        var data = RandomBytes(100_000);
        var put = await S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "default.bin", InputStream = new MemoryStream(data) });

        var sent = Recorder.Last(HttpMethod.Put, "/default.bin");
        Assert.Multiple(() =>
        {
            // Over plain HTTP the SDK signs the chunks; STREAMING-UNSIGNED-PAYLOAD-TRAILER (HTTPS only in the SDK) is sent by hand below.
            Assert.That(sent.Header("x-amz-content-sha256"), Is.EqualTo("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"));
            Assert.That(sent.Header("Content-Encoding"), Does.Contain("aws-chunked"));
            Assert.That(sent.Header("x-amz-trailer"), Is.EqualTo("x-amz-checksum-crc32"));
            Assert.That(put.ETag, Is.EqualTo(QuotedMd5(data)));
            Assert.That(put.ChecksumCRC32, Is.EqualTo(Convert.ToBase64String(S3Checksum.Compute("CRC32", data))));
        });

        Assert.That(await GetBytesAsync(bucket, "default.bin"), Is.EqualTo(data), "GetObject returns the payload, not the framing");
    }

    [TestCase("CRC32C")]
    [TestCase("CRC64NVME")]
    [TestCase("SHA256")]
    [TestCase("SHA1")]
    public async Task PutObject_with_a_chosen_checksum_algorithm_is_verified_and_answered(string algorithm)
    {
        var bucket = await NewBucketAsync();
        var data = RandomBytes(33_333, seed: algorithm.Length);
        var put = await S3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = "k",
            InputStream = new MemoryStream(data),
            ChecksumAlgorithm = new ChecksumAlgorithm(algorithm),
        });

        var expected = Convert.ToBase64String(S3Checksum.Compute(algorithm, data));
        Assert.That(Recorder.Last(HttpMethod.Put, "/k").Header("x-amz-trailer"), Is.EqualTo("x-amz-checksum-" + algorithm.ToLowerInvariant()));
        Assert.That(PutChecksum(put, algorithm), Is.EqualTo(expected));

        using var get = await S3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", ChecksumMode = ChecksumMode.ENABLED });
        using var body = new MemoryStream();
        await get.ResponseStream.CopyToAsync(body); // the SDK validates the checksum header while reading
        Assert.Multiple(() =>
        {
            Assert.That(body.ToArray(), Is.EqualTo(data));
            Assert.That(GetChecksum(get, algorithm), Is.EqualTo(expected));
        });
    }

    [Test]
    public async Task A_signed_streaming_payload_without_trailer_is_decoded()
    {
        using var client = CreateClient(c => c.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED);
        var bucket = await NewBucketAsync(client);
        var data = RandomBytes(200_000, seed: 7);
        var put = await client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "signed.bin", InputStream = new MemoryStream(data), UseChunkEncoding = true });

        Assert.Multiple(() =>
        {
            Assert.That(Recorder.Last(HttpMethod.Put, "/signed.bin").Header("x-amz-content-sha256"), Is.EqualTo("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"));
            Assert.That(put.ETag, Is.EqualTo(QuotedMd5(data)));
        });
        Assert.That(await GetBytesAsync(bucket, "signed.bin"), Is.EqualTo(data));
    }

    [Test]
    public async Task A_plain_body_with_Content_MD5_is_stored()
    {
        using var client = CreateClient(c => c.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED);
        var bucket = await NewBucketAsync(client);
        var data = RandomBytes(1000, seed: 9);
        await client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = "plain",
            InputStream = new MemoryStream(data),
            UseChunkEncoding = false,
            MD5Digest = Convert.ToBase64String(Md5(data)),
        });

        Assert.That(Recorder.Last(HttpMethod.Put, "/plain").Header("Content-Encoding"), Does.Not.Contain("aws-chunked"));
        Assert.That(await GetBytesAsync(bucket, "plain", client), Is.EqualTo(data));
    }

    [Test]
    public async Task A_corrupted_trailer_checksum_is_BadDigest_and_nothing_is_stored()
    {
        var bucket = await NewBucketAsync();
        var data = RandomBytes(20_000, seed: 10);
        var wrong = Convert.ToBase64String(S3Checksum.Compute("CRC32", [.. data, 1]));
        using var response = await SendChunkedAsync(bucket, "corrupt", data, ("x-amz-checksum-crc32", wrong), data.Length);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(body, Does.Contain("<Code>BadDigest</Code>"));
        });
        var missing = await ThrowsS3Async(() => S3.GetObjectMetadataAsync(bucket, "corrupt"));
        Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task An_unsigned_trailer_body_framed_by_hand_is_accepted_and_a_wrong_decoded_length_is_refused()
    {
        var bucket = await NewBucketAsync();
        var data = RandomBytes(20_000, seed: 11);
        var right = Convert.ToBase64String(S3Checksum.Compute("CRC32C", data));
        using (var ok = await SendChunkedAsync(bucket, "ok", data, ("x-amz-checksum-crc32c", right), data.Length))
        {
            Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.OK), await ok.Content.ReadAsStringAsync());
            Assert.That(ok.Headers.GetValues("x-amz-checksum-crc32c").Single(), Is.EqualTo(right));
        }

        using (var wrongLength = await SendChunkedAsync(bucket, "short", data, ("x-amz-checksum-crc32c", right), data.Length + 1))
        {
            Assert.That(wrongLength.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(await wrongLength.Content.ReadAsStringAsync(), Does.Contain("<Code>IncompleteBody</Code>"));
        }

        Assert.That(await GetBytesAsync(bucket, "ok"), Is.EqualTo(data));
        var missing = await ThrowsS3Async(() => S3.GetObjectMetadataAsync(bucket, "short"));
        Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task A_wrong_Content_MD5_is_BadDigest()
    {
        var bucket = await NewBucketAsync();
        using var http = RawClient();
        using var content = new ByteArrayContent("hello"u8.ToArray());
        content.Headers.ContentMD5 = Md5("hellO"u8);
        using var response = await http.PutAsync(new Uri($"/{bucket}/md5", UriKind.Relative), content);
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("<Code>BadDigest</Code>"));
        });
    }

    private static async Task<HttpResponseMessage> SendChunkedAsync(string bucket, string key, byte[] data, (string Name, string Value) trailer, long decodedLength)
    {
        using var http = RawClient();
        var request = new HttpRequestMessage(HttpMethod.Put, new Uri($"/{bucket}/{key}", UriKind.Relative))
        {
            Content = new ByteArrayContent(AwsChunked.Encode(data, 8192, trailer, signed: false)),
        };
        request.Content.Headers.ContentEncoding.Add("aws-chunked");
        request.Headers.Add("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
        request.Headers.Add("x-amz-trailer", trailer.Name);
        request.Headers.Add("x-amz-decoded-content-length", decodedLength.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return await http.SendAsync(request);
    }

    private static string GetChecksum(GetObjectResponse get, string algorithm) => algorithm switch
    {
        "CRC32C" => get.ChecksumCRC32C,
        "CRC64NVME" => get.ChecksumCRC64NVME,
        "SHA256" => get.ChecksumSHA256,
        "SHA1" => get.ChecksumSHA1,
        _ => get.ChecksumCRC32,
    };

    private static string PutChecksum(PutObjectResponse put, string algorithm) => algorithm switch
    {
        "CRC32C" => put.ChecksumCRC32C,
        "CRC64NVME" => put.ChecksumCRC64NVME,
        "SHA256" => put.ChecksumSHA256,
        "SHA1" => put.ChecksumSHA1,
        _ => put.ChecksumCRC32,
    };
}
