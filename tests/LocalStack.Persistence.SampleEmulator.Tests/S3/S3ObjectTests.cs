using System.Net;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace LocalStack.Persistence.SampleEmulator.Tests.S3;

/// <summary>Buckets, objects, ranges, copies, deletes and S3's error documents, through the real SDK and raw HTTP.</summary>
public sealed class S3ObjectTests : S3TestBase
{
    [Test]
    public async Task Bucket_lifecycle_and_its_errors()
    {
        var bucket = await NewBucketAsync();
        var listed = await S3.ListBucketsAsync();
        Assert.That(listed.Buckets?.Select(b => b.BucketName), Does.Contain(bucket));
        await S3.HeadBucketAsync(new HeadBucketRequest { BucketName = bucket });

        var again = await ThrowsS3Async(() => S3.PutBucketAsync(bucket));
        Assert.Multiple(() =>
        {
            Assert.That(again.ErrorCode, Is.EqualTo("BucketAlreadyOwnedByYou"));
            Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        });

        await S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "x", ContentBody = "x" });
        var notEmpty = await ThrowsS3Async(() => S3.DeleteBucketAsync(bucket));
        Assert.Multiple(() =>
        {
            Assert.That(notEmpty.ErrorCode, Is.EqualTo("BucketNotEmpty"));
            Assert.That(notEmpty.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        });

        await S3.DeleteObjectAsync(bucket, "x");
        await S3.DeleteBucketAsync(bucket);
        var head = await ThrowsS3Async(() => S3.HeadBucketAsync(new HeadBucketRequest { BucketName = bucket }));
        Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var missing = await ThrowsS3Async(() => S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }));
        Assert.Multiple(() =>
        {
            Assert.That(missing.ErrorCode, Is.EqualTo("NoSuchBucket"));
            Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    [Test]
    public async Task Buckets_belong_to_the_account_of_the_access_key()
    {
        using var other = CreateClient(accessKeyId: "111122223333");
        var bucket = await NewBucketAsync(other);
        var mine = await S3.ListBucketsAsync();
        var theirs = await other.ListBucketsAsync();
        Assert.Multiple(() =>
        {
            Assert.That(mine.Buckets?.Select(b => b.BucketName) ?? [], Does.Not.Contain(bucket));
            Assert.That(theirs.Buckets?.Select(b => b.BucketName), Does.Contain(bucket));
        });
    }

    [Test]
    public async Task An_invalid_bucket_name_is_refused()
    {
        var error = await ThrowsS3Async(() => S3.PutBucketAsync("Not_Valid"));
        Assert.That(error.ErrorCode, Is.EqualTo("InvalidBucketName"));
    }

    [Test]
    public async Task Metadata_content_type_and_headers_round_trip_through_Get_and_Head()
    {
        var bucket = await NewBucketAsync();
        var request = new PutObjectRequest { BucketName = bucket, Key = "dir/file name+ü.txt", ContentBody = "hello world", ContentType = "text/plain" };
        request.Metadata.Add("color", "blue");
        request.Headers.ContentDisposition = "attachment";
        var put = await S3.PutObjectAsync(request);

        using var get = await S3.GetObjectAsync(bucket, "dir/file name+ü.txt");
        var head = await S3.GetObjectMetadataAsync(bucket, "dir/file name+ü.txt");
        using var reader = new StreamReader(get.ResponseStream);
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(await reader.ReadToEndAsync(), Is.EqualTo("hello world"));
            Assert.That(put.ETag, Is.EqualTo(QuotedMd5(Encoding.UTF8.GetBytes("hello world"))));
            Assert.That(get.ETag, Is.EqualTo(put.ETag));
            Assert.That(get.Headers.ContentType, Is.EqualTo("text/plain"));
            Assert.That(get.Metadata["x-amz-meta-color"], Is.EqualTo("blue"));
            Assert.That(get.Headers.ContentDisposition, Is.EqualTo("attachment"));
            Assert.That(head.ETag, Is.EqualTo(put.ETag));
            Assert.That(head.ContentLength, Is.EqualTo(11));
            Assert.That(head.Metadata["x-amz-meta-color"], Is.EqualTo("blue"));
            Assert.That(head.Headers.ContentType, Is.EqualTo("text/plain"));
        });
    }

    [Test]
    public async Task Overwriting_an_object_replaces_its_bytes()
    {
        var bucket = await NewBucketAsync();
        await S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "first version" });
        await S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "second" });
        Assert.That(Encoding.UTF8.GetString(await GetBytesAsync(bucket, "k")), Is.EqualTo("second"));
    }

    [TestCase(0L, 9L, 0, 10)]
    [TestCase(990L, 5000L, 990, 10)]
    public async Task Range_reads_answer_206_with_Content_Range(long start, long end, int expectedStart, int expectedLength)
    {
        var bucket = await NewBucketAsync();
        var data = RandomBytes(1000);
        await S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "r", InputStream = new MemoryStream(data) });
        using var get = await S3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "r", ByteRange = new ByteRange(start, end) });
        using var body = new MemoryStream();
        await get.ResponseStream.CopyToAsync(body);
        Assert.Multiple(() =>
        {
            Assert.That(get.HttpStatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
            Assert.That(get.ContentRange, Is.EqualTo($"bytes {expectedStart}-{expectedStart + expectedLength - 1}/1000"));
            Assert.That(body.ToArray(), Is.EqualTo(data.AsSpan(expectedStart, expectedLength).ToArray()));
        });
    }

    [Test]
    public async Task Open_ended_and_suffix_ranges_and_an_unsatisfiable_range()
    {
        var bucket = await NewBucketAsync();
        var data = RandomBytes(100, seed: 3);
        await S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "r", InputStream = new MemoryStream(data) });
        using var http = RawClient();

        async Task<(HttpStatusCode Status, byte[] Body, string? ContentRange)> GetRange(string range)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/{bucket}/r", UriKind.Relative));
            request.Headers.TryAddWithoutValidation("Range", range);
            using var response = await http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(), response.Content.Headers.ContentRange?.ToString());
        }

        var openEnded = await GetRange("bytes=90-");
        var suffix = await GetRange("bytes=-5");
        var beyond = await GetRange("bytes=100-200");
        Assert.Multiple(() =>
        {
            Assert.That(openEnded.Status, Is.EqualTo(HttpStatusCode.PartialContent));
            Assert.That(openEnded.Body, Is.EqualTo(data[90..]));
            Assert.That(openEnded.ContentRange, Is.EqualTo("bytes 90-99/100"));
            Assert.That(suffix.Body, Is.EqualTo(data[95..]));
            Assert.That(suffix.ContentRange, Is.EqualTo("bytes 95-99/100"));
            Assert.That(beyond.Status, Is.EqualTo(HttpStatusCode.RequestedRangeNotSatisfiable));
            Assert.That(Encoding.UTF8.GetString(beyond.Body), Does.Contain("<Code>InvalidRange</Code>"));
        });
    }

    [Test]
    public async Task Missing_keys_and_buckets_are_S3_errors_and_HEAD_errors_have_no_body()
    {
        var bucket = await NewBucketAsync();
        var noKey = await ThrowsS3Async(() => S3.GetObjectAsync(bucket, "nope"));
        Assert.Multiple(() =>
        {
            Assert.That(noKey.ErrorCode, Is.EqualTo("NoSuchKey"));
            Assert.That(noKey.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        });

        using var http = RawClient();
        using var get = await http.GetAsync(new Uri("/no-such-bucket-here/key", UriKind.Relative));
        var xml = await get.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(get.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(get.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/xml"));
            Assert.That(xml, Does.Contain("<Error><Code>NoSuchBucket</Code><Message>"));
            Assert.That(xml, Does.Contain("<BucketName>no-such-bucket-here</BucketName>"));
            Assert.That(xml, Does.Match("<RequestId>[0-9A-F]{16}</RequestId>"));
        });

        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri($"/{bucket}/nope", UriKind.Relative)));
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(await head.Content.ReadAsByteArrayAsync(), Is.Empty);
        });

        using var post = await http.PostAsync(new Uri($"/{bucket}/nope", UriKind.Relative), new ByteArrayContent([]));
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
            Assert.That(await post.Content.ReadAsStringAsync(), Does.Contain("<Code>MethodNotAllowed</Code>"));
        });
    }

    [Test]
    public async Task DeleteObject_and_DeleteObjects_in_verbose_and_quiet_mode()
    {
        var bucket = await NewBucketAsync();
        foreach (var key in new[] { "a", "b", "c", "d" })
        {
            await S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = key });
        }

        var deleteOne = await S3.DeleteObjectAsync(bucket, "a");
        var verbose = await S3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = bucket, Objects = [new KeyVersion { Key = "b" }, new KeyVersion { Key = "missing" }] });
        var quiet = await S3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = bucket, Quiet = true, Objects = [new KeyVersion { Key = "c" }] });
        var left = await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Multiple(() =>
        {
            Assert.That(deleteOne.HttpStatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(verbose.DeletedObjects.Select(d => d.Key), Is.EquivalentTo(new[] { "b", "missing" }));
            Assert.That(quiet.DeletedObjects ?? [], Is.Empty);
            Assert.That(left.S3Objects.Select(o => o.Key), Is.EqualTo(new[] { "d" }));
        });
    }

    [Test]
    public async Task CopyObject_copies_bytes_and_metadata_or_replaces_metadata()
    {
        var bucket = await NewBucketAsync();
        var target = await NewBucketAsync();
        var data = RandomBytes(5000, seed: 4);
        var put = new PutObjectRequest { BucketName = bucket, Key = "src dir/ä b.bin", InputStream = new MemoryStream(data), ContentType = "application/x-test" };
        put.Metadata.Add("origin", "source");
        await S3.PutObjectAsync(put);

        var copied = await S3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "src dir/ä b.bin", DestinationBucket = target, DestinationKey = "copy.bin" });
        var replace = new CopyObjectRequest
        {
            SourceBucket = bucket,
            SourceKey = "src dir/ä b.bin",
            DestinationBucket = bucket,
            DestinationKey = "src dir/ä b.bin",
            MetadataDirective = S3MetadataDirective.REPLACE,
            ContentType = "text/replaced",
        };
        replace.Metadata.Add("origin", "replaced");
        await S3.CopyObjectAsync(replace);

        var copy = await S3.GetObjectMetadataAsync(target, "copy.bin");
        var replaced = await S3.GetObjectMetadataAsync(bucket, "src dir/ä b.bin");
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(copied.ETag, Is.EqualTo(QuotedMd5(data)));
            Assert.That(await GetBytesAsync(target, "copy.bin"), Is.EqualTo(data));
            Assert.That(copy.Metadata["x-amz-meta-origin"], Is.EqualTo("source"));
            Assert.That(copy.Headers.ContentType, Is.EqualTo("application/x-test"));
            Assert.That(replaced.Metadata["x-amz-meta-origin"], Is.EqualTo("replaced"));
            Assert.That(replaced.Headers.ContentType, Is.EqualTo("text/replaced"));
            Assert.That(await GetBytesAsync(bucket, "src dir/ä b.bin"), Is.EqualTo(data));
        });

        var toItself = await ThrowsS3Async(() => S3.CopyObjectAsync(bucket, "src dir/ä b.bin", bucket, "src dir/ä b.bin"));
        var noSource = await ThrowsS3Async(() => S3.CopyObjectAsync(bucket, "missing", target, "x"));
        Assert.Multiple(() =>
        {
            Assert.That(toItself.ErrorCode, Is.EqualTo("InvalidRequest"));
            Assert.That(noSource.ErrorCode, Is.EqualTo("NoSuchKey"));
        });
    }

    [Test]
    public async Task Virtual_host_style_addresses_the_bucket_from_the_Host_header()
    {
        var bucket = await NewBucketAsync();
        using var http = RawClient();
        using var put = new HttpRequestMessage(HttpMethod.Put, new Uri("/folder/vhost.txt", UriKind.Relative)) { Content = new StringContent("via host") };
        put.Headers.Host = $"{bucket}.localhost:{Emulator.Port}";
        using var putResponse = await http.SendAsync(put);
        Assert.That(putResponse.StatusCode, Is.EqualTo(HttpStatusCode.OK), await putResponse.Content.ReadAsStringAsync());

        using var list = new HttpRequestMessage(HttpMethod.Get, new Uri("/?list-type=2&prefix=folder/", UriKind.Relative));
        list.Headers.Host = $"{bucket}.localhost";
        using var listResponse = await http.SendAsync(list);
        var listXml = await listResponse.Content.ReadAsStringAsync();

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(Encoding.UTF8.GetString(await GetBytesAsync(bucket, "folder/vhost.txt")), Is.EqualTo("via host"), "path-style sees what virtual-host style wrote");
            Assert.That(listXml, Does.Contain($"<Name>{bucket}</Name>"));
            Assert.That(listXml, Does.Contain("<Key>folder/vhost.txt</Key>"));
        });
    }

    [Test]
    public async Task Concurrent_overwrites_and_reads_of_one_key_only_ever_see_whole_versions()
    {
        var bucket = await NewBucketAsync();
        var versions = Enumerable.Range(1, 12).Select(i => RandomBytes(i * 20_000, seed: i)).ToArray();
        var etags = versions.ToDictionary(QuotedMd5, v => v);
        await S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "hot", InputStream = new MemoryStream(versions[0]) });

        // Both started before either is awaited, so that reads overlap the overwrites.
        var writers = versions.Select(v => S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "hot", InputStream = new MemoryStream(v) })).ToArray();
        var readers = Enumerable.Range(0, 24).Select(async _ =>
        {
            using var get = await S3.GetObjectAsync(bucket, "hot");
            using var body = new MemoryStream();
            await get.ResponseStream.CopyToAsync(body);
            return (get.ETag, Body: body.ToArray());
        }).ToArray();
        await Task.WhenAll(writers);
        var reads = await Task.WhenAll(readers);

        foreach (var (etag, body) in reads)
        {
            Assert.That(etags.ContainsKey(etag), Is.True, $"unknown ETag {etag}");
            Assert.That(QuotedMd5(body), Is.EqualTo(etag), "a read returned a mix of versions or a partial body");
        }

        var final = await GetBytesAsync(bucket, "hot");
        Assert.That(etags.ContainsKey(QuotedMd5(final)), Is.True);
    }

    [Test]
    public async Task Conditional_gets_answer_304_and_412()
    {
        var bucket = await NewBucketAsync();
        var put = await S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "c", ContentBody = "conditional" });
        using var http = RawClient();
        using var notModified = new HttpRequestMessage(HttpMethod.Get, new Uri($"/{bucket}/c", UriKind.Relative));
        notModified.Headers.TryAddWithoutValidation("If-None-Match", put.ETag);
        using var failed = new HttpRequestMessage(HttpMethod.Get, new Uri($"/{bucket}/c", UriKind.Relative));
        failed.Headers.TryAddWithoutValidation("If-Match", "\"0000\"");
        using var r304 = await http.SendAsync(notModified);
        using var r412 = await http.SendAsync(failed);
        Assert.Multiple(() =>
        {
            Assert.That(r304.StatusCode, Is.EqualTo(HttpStatusCode.NotModified));
            Assert.That(r412.StatusCode, Is.EqualTo(HttpStatusCode.PreconditionFailed));
        });
    }
}
