using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;

namespace LocalStack.Persistence.SampleEmulator.S3;

/// <summary>PutObject, GetObject, HeadObject, DeleteObject, CopyObject.</summary>
internal sealed class ObjectOperations(S3Store store, TimeProvider time)
{
    public async Task PutObjectAsync(S3Request r)
    {
        var key = r.Key!;
        lock (store.Sync)
        {
            store.GetBucket(r.AccountId, r.Bucket!); // fail before reading a body nobody will keep
        }

        // The body arrives outside the gate; the object becomes visible only once it is whole and verified.
        var file = store.NewIncomingFile();
        var received = await IncomingFile.WriteAsync(r, store, file, destination => BodyReceiver.ReceiveAsync(r.Http, destination, null, r.Aborted));
        var item = new S3Object(
            key,
            file,
            received.Length,
            Quote(received.Md5Hex),
            BucketOperations.Truncate(time.GetUtcNow()),
            ObjectHeaders.FromRequest(r.Http, received.ChecksumAlgorithm),
            received.ChecksumValue,
            PartsCount: null);
        Publish(r, item);

        r.Response.StatusCode = 200;
        r.Response.Headers.ETag = item.ETag;
        ObjectHeaders.WriteChecksum(r.Response, received.ChecksumAlgorithm, received.ChecksumValue);
    }

    public async Task GetObjectAsync(S3Request r, bool sendBody)
    {
        S3Object item;
        FileStream? content = null;
        lock (store.Sync)
        {
            var bucket = store.GetBucket(r.AccountId, r.Bucket!);
            if (!bucket.Objects.TryGetValue(r.Key!, out item!))
            {
                throw S3Exception.NoSuchKey(r.Key!);
            }

            // Opened under the lock: an overwrite may delete the file right after, and an open handle keeps the bytes.
            if (sendBody)
            {
                content = new FileStream(store.PathOf(item.File), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
            }
        }

        await using var _ = content;
        var response = r.Response;
        if (CheckConditions(r, item) is { } notModifiedOrFailed)
        {
            response.StatusCode = notModifiedOrFailed;
            if (notModifiedOrFailed == 304)
            {
                response.Headers.ETag = item.ETag;
                response.Headers.LastModified = S3Xml.HttpDate(item.LastModified);
                return;
            }

            throw new S3Exception(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", ("Condition", "If-Match"));
        }

        var range = ParseRange(r.Header("Range"), item.Size);
        ObjectHeaders.Write(response, item);
        ApplyResponseOverrides(r);
        long start = 0, length = item.Size;
        if (range is { } requested)
        {
            (start, length) = (requested.Start, requested.End - requested.Start + 1);
            response.StatusCode = 206;
            response.Headers.ContentRange = $"bytes {requested.Start}-{requested.End}/{item.Size}";
        }
        else
        {
            response.StatusCode = 200;
            if (r.Header("x-amz-checksum-mode").Equals("ENABLED", StringComparison.OrdinalIgnoreCase))
            {
                ObjectHeaders.WriteChecksum(response, item.Attributes.ChecksumAlgorithm, item.ChecksumValue);
            }
        }

        response.ContentLength = length;
        if (content is not null && length > 0)
        {
            content.Position = start;
            await CopyAsync(content, response.Body, length, r.Aborted);
        }
    }

    public Task DeleteObjectAsync(S3Request r)
    {
        string? old;
        lock (store.Sync)
        {
            old = store.RemoveObject(r.AccountId, store.GetBucket(r.AccountId, r.Bucket!), r.Key!);
        }

        store.DeleteFiles(old);
        r.Response.StatusCode = 204;
        return Task.CompletedTask;
    }

    public async Task CopyObjectAsync(S3Request r)
    {
        var (sourceBucket, sourceKey) = ParseCopySource(r.Header("x-amz-copy-source"));
        var directive = r.Header("x-amz-metadata-directive");
        if (directive.Length > 0 && directive is not ("COPY" or "REPLACE"))
        {
            throw S3Exception.InvalidArgument("Unknown metadata directive.", "x-amz-metadata-directive", directive);
        }

        var replace = directive == "REPLACE";
        S3Object source;
        FileStream content;
        lock (store.Sync)
        {
            var from = store.GetBucket(r.AccountId, sourceBucket);
            if (!from.Objects.TryGetValue(sourceKey, out source!))
            {
                throw S3Exception.NoSuchKey(sourceKey);
            }

            store.GetBucket(r.AccountId, r.Bucket!);
            if (!replace && sourceBucket == r.Bucket && sourceKey == r.Key)
            {
                throw S3Exception.InvalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
            }

            content = new FileStream(store.PathOf(source.File), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }

        var algorithm = S3Checksum.Normalize(r.Header("x-amz-checksum-algorithm")) ?? source.Attributes.ChecksumAlgorithm;
        // Copied outside the gate from the open source file (its bytes stay even if the source is deleted meanwhile).
        var file = store.NewIncomingFile();
        byte[] md5;
        string? checksumValue;
        await using (content)
        {
            (md5, checksumValue) = await IncomingFile.WriteAsync(r, store, file, destination => CopyHashingAsync(content, destination, algorithm, r.Aborted));
        }

        var attributes = replace ? ObjectHeaders.FromRequest(r.Http, algorithm) : source.Attributes with { ChecksumAlgorithm = algorithm };
        var item = new S3Object(r.Key!, file, source.Size, Quote(Convert.ToHexStringLower(md5)), BucketOperations.Truncate(time.GetUtcNow()), attributes, checksumValue, null);
        Publish(r, item);

        await S3Xml.WriteAsync(r.Response, "CopyObjectResult", xml =>
        {
            xml.WriteElementString("LastModified", S3Xml.Timestamp(item.LastModified));
            xml.WriteElementString("ETag", item.ETag);
            if (algorithm is not null && checksumValue is not null)
            {
                xml.WriteElementString("Checksum" + algorithm, checksumValue);
            }
        }, r.Aborted);
    }

    /// <summary>
    /// Makes a fully written, verified object visible (call inside the gate), replacing the previous one; files no longer
    /// referenced (the previous object's, or this one's when its bucket went away meanwhile) are deleted after the response.
    /// </summary>
    public void Publish(S3Request r, S3Object item)
    {
        string? old = null;
        bool bucketGone;
        lock (store.Sync)
        {
            store.Commit(item.File);
            var bucket = store.FindBucket(r.AccountId, r.Bucket!);
            bucketGone = bucket is null; // deleted, or the service reset or loaded, while the body arrived
            if (bucket is null)
            {
                old = item.File;
            }
            else
            {
                old = store.PutObject(r.AccountId, bucket, item);
            }
        }

        store.DeleteAfterResponse(r.Response, old);
        if (bucketGone)
        {
            throw S3Exception.NoSuchBucket(r.Bucket!);
        }
    }

    public static FileStream CreateFile(string path)
        => new(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);

    public static string Quote(string hex) => "\"" + hex + "\"";

    public static async Task CopyAsync(Stream source, Stream destination, long length, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(128 * 1024);
        try
        {
            while (length > 0)
            {
                var read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length)), cancellationToken);
                if (read == 0)
                {
                    throw new IOException("An object file is shorter than its recorded size.");
                }

                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                length -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Copies <paramref name="source"/> to the end, computing the MD5 and (optionally) a flexible checksum.</summary>
    public static async Task<(byte[] Md5, string? Checksum)> CopyHashingAsync(Stream source, Stream destination, string? algorithm, CancellationToken cancellationToken)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var checksum = algorithm is null ? null : S3Checksum.Create(algorithm);
        var buffer = ArrayPool<byte>.Shared.Rent(128 * 1024);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                md5.AppendData(buffer, 0, read);
                checksum?.Append(buffer.AsSpan(0, read));
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return (md5.GetHashAndReset(), checksum?.GetBase64AndReset());
    }

    /// <summary>
    /// <c>bytes=a-b</c>, <c>bytes=a-</c>, <c>bytes=-n</c>; <see langword="null"/> for no or an unparsable range (S3 then
    /// sends the whole object); throws InvalidRange (416) when the range starts beyond the object.
    /// </summary>
    internal static (long Start, long End)? ParseRange(string header, long size)
    {
        const string unit = "bytes=";
        if (!header.StartsWith(unit, StringComparison.OrdinalIgnoreCase) || header.Contains(',', StringComparison.Ordinal))
        {
            return null;
        }

        var spec = header[unit.Length..].Trim();
        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            return null;
        }

        var first = spec[..dash];
        var last = spec[(dash + 1)..];
        if (first.Length == 0)
        {
            if (!TryParse(last, out var suffix))
            {
                return null;
            }

            if (suffix == 0 || size == 0)
            {
                throw InvalidRange(header, size);
            }

            return (Math.Max(0, size - suffix), size - 1);
        }

        if (!TryParse(first, out var start))
        {
            return null;
        }

        var end = size - 1;
        if (last.Length > 0)
        {
            if (!TryParse(last, out end) || end < start)
            {
                return null;
            }
        }

        if (start >= size)
        {
            throw InvalidRange(header, size);
        }

        return (start, Math.Min(end, size - 1));

        static bool TryParse(string text, out long value)
            => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static S3Exception InvalidRange(string header, long size)
        => new(416, "InvalidRange", "The requested range is not satisfiable", ("RangeRequested", header), ("ActualObjectSize", size.ToString(CultureInfo.InvariantCulture)));

    internal static (string Bucket, string Key) ParseCopySource(string header)
    {
        var value = header;
        var query = value.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            value = value[..query]; // ?versionId=...: this emulator keeps no versions
        }

        value = Uri.UnescapeDataString(value).TrimStart('/');
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == value.Length - 1)
        {
            throw S3Exception.InvalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", "x-amz-copy-source", header);
        }

        return (value[..slash], value[(slash + 1)..]);
    }

    /// <summary>Opens the object named by <c>x-amz-copy-source</c> (call under the store's lock).</summary>
    internal FileStream OpenCopySource(S3Request r, out S3Object source)
    {
        var (sourceBucket, sourceKey) = ParseCopySource(r.Header("x-amz-copy-source"));
        if (!store.GetBucket(r.AccountId, sourceBucket).Objects.TryGetValue(sourceKey, out source!))
        {
            throw S3Exception.NoSuchKey(sourceKey);
        }

        return new FileStream(store.PathOf(source.File), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
    }

    /// <returns>304 or 412 when a condition fails, otherwise <see langword="null"/>.</returns>
    private static int? CheckConditions(S3Request r, S3Object item)
    {
        var ifMatch = r.Header("If-Match");
        if (ifMatch.Length > 0 && !ETagMatches(ifMatch, item.ETag))
        {
            return 412;
        }

        var ifNoneMatch = r.Header("If-None-Match");
        if (ifNoneMatch.Length > 0 && ETagMatches(ifNoneMatch, item.ETag))
        {
            return 304;
        }

        if (ifMatch.Length == 0 && DateTimeOffset.TryParse(r.Header("If-Unmodified-Since"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var unmodifiedSince)
            && item.LastModified > unmodifiedSince)
        {
            return 412;
        }

        if (ifNoneMatch.Length == 0 && DateTimeOffset.TryParse(r.Header("If-Modified-Since"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var modifiedSince)
            && item.LastModified <= modifiedSince)
        {
            return 304;
        }

        return null;

        static bool ETagMatches(string condition, string etag)
            => condition.Split(',', StringSplitOptions.TrimEntries).Any(c => c == "*" || c.Trim('"') == etag.Trim('"'));
    }

    private static void ApplyResponseOverrides(S3Request r)
    {
        foreach (var (query, header) in new[]
        {
            ("response-content-type", "Content-Type"), ("response-content-disposition", "Content-Disposition"),
            ("response-content-encoding", "Content-Encoding"), ("response-content-language", "Content-Language"),
            ("response-cache-control", "Cache-Control"), ("response-expires", "Expires"),
        })
        {
            if (r.Query(query) is { Length: > 0 } value)
            {
                r.Response.Headers[header] = value;
            }
        }
    }
}
