using System.Text.RegularExpressions;

namespace LocalStack.Persistence.SampleEmulator.S3;

/// <summary>CreateBucket, HeadBucket, DeleteBucket, ListBuckets, GetBucketLocation.</summary>
internal sealed partial class BucketOperations(S3Store store, TimeProvider time)
{
    [GeneratedRegex(@"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\z", RegexOptions.CultureInvariant)]
    private static partial Regex BucketNamePattern();

    [GeneratedRegex(@"^\d{1,3}(\.\d{1,3}){3}\z", RegexOptions.CultureInvariant)]
    private static partial Regex IpAddressPattern();

    public async Task CreateBucketAsync(S3Request r)
    {
        var name = r.Bucket!;
        if (!BucketNamePattern().IsMatch(name) || name.Contains("..", StringComparison.Ordinal) || IpAddressPattern().IsMatch(name))
        {
            throw new S3Exception(400, "InvalidBucketName", "The specified bucket is not valid.", ("BucketName", name));
        }

        var region = r.Aws.Region;
        var body = await BodyReceiver.ReadSmallAsync(r.Http, r.Aborted);
        if (body.Length > 0 && S3Xml.ReadBody(body).ChildValue("LocationConstraint") is { Length: > 0 } constraint)
        {
            region = constraint;
        }

        lock (store.Sync)
        {
            if (!store.TryAddBucket(r.AccountId, new S3Bucket(name, region, Truncate(time.GetUtcNow()))))
            {
                throw new S3Exception(409, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", ("BucketName", name));
            }
        }

        r.Response.StatusCode = 200;
        r.Response.Headers.Location = "/" + name;
    }

    public Task HeadBucketAsync(S3Request r)
    {
        S3Bucket bucket;
        lock (store.Sync)
        {
            bucket = store.GetBucket(r.AccountId, r.Bucket!);
        }

        r.Response.StatusCode = 200;
        r.Response.Headers["x-amz-bucket-region"] = bucket.Region;
        return Task.CompletedTask;
    }

    public Task DeleteBucketAsync(S3Request r)
    {
        string[] orphans;
        lock (store.Sync)
        {
            var bucket = store.GetBucket(r.AccountId, r.Bucket!);
            if (bucket.Objects.Count > 0)
            {
                throw new S3Exception(409, "BucketNotEmpty", "The bucket you tried to delete is not empty", ("BucketName", bucket.Name));
            }

            // In-progress uploads do not keep a bucket alive in S3; their parts go with it.
            orphans = [.. store.RemoveBucket(r.AccountId, bucket.Name)];
        }

        store.DeleteFiles(orphans);
        r.Response.StatusCode = 204;
        return Task.CompletedTask;
    }

    public Task ListBucketsAsync(S3Request r)
    {
        S3Bucket[] buckets;
        lock (store.Sync)
        {
            buckets = [.. store.Buckets(r.AccountId)];
        }

        var prefix = r.Query("prefix");
        return S3Xml.WriteAsync(r.Response, "ListAllMyBucketsResult", xml =>
        {
            xml.WriteStartElement("Owner");
            xml.WriteElementString("ID", r.AccountId);
            xml.WriteElementString("DisplayName", "webfile");
            xml.WriteEndElement();
            xml.WriteStartElement("Buckets");
            foreach (var bucket in buckets.Where(b => prefix is null || b.Name.StartsWith(prefix, StringComparison.Ordinal)))
            {
                xml.WriteStartElement("Bucket");
                xml.WriteElementString("Name", bucket.Name);
                xml.WriteElementString("CreationDate", S3Xml.Timestamp(bucket.CreationDate));
                xml.WriteElementString("BucketRegion", bucket.Region);
                xml.WriteEndElement();
            }

            xml.WriteEndElement();
        }, r.Aborted);
    }

    public Task GetBucketLocationAsync(S3Request r)
    {
        string region;
        lock (store.Sync)
        {
            region = store.GetBucket(r.AccountId, r.Bucket!).Region;
        }

        // us-east-1 is the empty location constraint, for historical reasons.
        return S3Xml.WriteAsync(r.Response, "LocationConstraint", xml => xml.WriteString(region == "us-east-1" ? string.Empty : region), r.Aborted);
    }

    /// <summary>S3 keeps times to the second in headers; keeping stored times to the second makes XML and headers agree.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset time) => new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}
