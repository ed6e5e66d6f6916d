using Amazon.S3.Model;

namespace LocalStack.Persistence.SampleEmulator.Tests.S3;

/// <summary>ListObjectsV2 and ListObjects: prefixes, delimiters, pagination.</summary>
public sealed class S3ListTests : S3TestBase
{
    private static readonly string[] TreeKeys = ["a/1", "a/2", "b/1", "c", "d/e/f", "d/e/g", "d/h", "e"];

    [Test]
    public async Task A_delimiter_rolls_keys_up_into_common_prefixes()
    {
        var bucket = await PutKeysAsync(TreeKeys);
        var root = await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Delimiter = "/" });
        var underD = await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Delimiter = "/", Prefix = "d/" });
        Assert.Multiple(() =>
        {
            Assert.That(root.S3Objects.Select(o => o.Key), Is.EqualTo(new[] { "c", "e" }));
            Assert.That(root.CommonPrefixes, Is.EqualTo(new[] { "a/", "b/", "d/" }));
            Assert.That(root.KeyCount, Is.EqualTo(5));
            Assert.That(root.IsTruncated, Is.False);
            Assert.That(underD.S3Objects.Select(o => o.Key), Is.EqualTo(new[] { "d/h" }));
            Assert.That(underD.CommonPrefixes, Is.EqualTo(new[] { "d/e/" }));
            Assert.That(root.S3Objects[0].Size, Is.EqualTo(1));
            Assert.That(root.S3Objects[0].ETag, Is.EqualTo(QuotedMd5("c"u8.ToArray())));
        });
    }

    [Test]
    public async Task Small_pages_with_continuation_tokens_list_every_entry_once()
    {
        var bucket = await PutKeysAsync(TreeKeys);
        var entries = new List<string>();
        var pages = 0;
        string? token = null;
        ListObjectsV2Response page;
        do
        {
            page = await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Delimiter = "/", MaxKeys = 2, ContinuationToken = token });
            pages++;
            entries.AddRange((page.S3Objects ?? []).Select(o => o.Key).Concat(page.CommonPrefixes ?? []));
            Assert.That(page.KeyCount, Is.LessThanOrEqualTo(2));
            token = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);

        Assert.Multiple(() =>
        {
            Assert.That(entries.Order(StringComparer.Ordinal), Is.EqualTo(new[] { "a/", "b/", "c", "d/", "e" }));
            Assert.That(pages, Is.EqualTo(3));
        });

        var startAfter = await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, StartAfter = "c" });
        Assert.That(startAfter.S3Objects.Select(o => o.Key), Is.EqualTo(new[] { "d/e/f", "d/e/g", "d/h", "e" }));
    }

    [Test]
    public async Task More_than_1000_keys_are_paged_by_1000()
    {
        var keys = Enumerable.Range(0, 1005).Select(i => $"k/{i:D5}").ToArray();
        var bucket = await PutKeysAsync(keys);
        var first = await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        var second = await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, ContinuationToken = first.NextContinuationToken });
        Assert.Multiple(() =>
        {
            Assert.That(first.KeyCount, Is.EqualTo(1000));
            Assert.That(first.IsTruncated, Is.True);
            Assert.That(first.NextContinuationToken, Is.Not.Empty);
            Assert.That(second.S3Objects.Select(o => o.Key), Is.EqualTo(keys[1000..]));
            Assert.That(second.IsTruncated, Is.False);
            Assert.That(first.S3Objects.Select(o => o.Key), Is.EqualTo(keys[..1000]));
        });
    }

    [Test]
    public async Task ListObjects_v1_pages_with_markers()
    {
        var bucket = await PutKeysAsync(TreeKeys);
        var first = await S3.ListObjectsAsync(new ListObjectsRequest { BucketName = bucket, Delimiter = "/", MaxKeys = 3 });
        var rest = await S3.ListObjectsAsync(new ListObjectsRequest { BucketName = bucket, Delimiter = "/", Marker = first.NextMarker });
        Assert.Multiple(() =>
        {
            Assert.That(first.IsTruncated, Is.True);
            Assert.That(first.CommonPrefixes, Is.EqualTo(new[] { "a/", "b/" }));
            Assert.That(first.S3Objects.Select(o => o.Key), Is.EqualTo(new[] { "c" }));
            Assert.That(first.NextMarker, Is.EqualTo("c"));
            Assert.That(rest.CommonPrefixes, Is.EqualTo(new[] { "d/" }));
            Assert.That(rest.S3Objects.Select(o => o.Key), Is.EqualTo(new[] { "e" }));
            Assert.That(rest.IsTruncated, Is.False);
        });
    }

    private async Task<string> PutKeysAsync(IReadOnlyList<string> keys)
    {
        var bucket = await NewBucketAsync();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (key, ct) =>
            await S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = key[^1..] }, ct));
        return bucket;
    }
}
