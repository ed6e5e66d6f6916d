using System.Globalization;
using System.Security.Cryptography;

namespace LocalStack.Persistence.SampleEmulator.S3;

/// <summary>CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload, ListParts, ListMultipartUploads.</summary>
internal sealed class MultipartOperations(S3Store store, ObjectOperations objects, TimeProvider time)
{
    private const long MinPartSize = 5L * 1024 * 1024;
    private const int MaxPartNumber = 10000;

    public Task CreateAsync(S3Request r)
    {
        var algorithmHeader = r.Header("x-amz-checksum-algorithm");
        var algorithm = S3Checksum.Normalize(algorithmHeader);
        if (algorithmHeader.Length > 0 && algorithm is null)
        {
            throw S3Exception.InvalidArgument("Checksum algorithm provided is unsupported.", "x-amz-checksum-algorithm", algorithmHeader);
        }

        var checksumType = r.Header("x-amz-checksum-type") is { Length: > 0 } type ? type.ToUpperInvariant() : null;
        if (checksumType is not (null or "COMPOSITE" or "FULL_OBJECT"))
        {
            throw S3Exception.InvalidArgument("Value for x-amz-checksum-type header is invalid.", "x-amz-checksum-type", checksumType);
        }

        var upload = new MultipartUpload(
            Guid.NewGuid().ToString("N"),
            r.Key!,
            BucketOperations.Truncate(time.GetUtcNow()),
            ObjectHeaders.FromRequest(r.Http, algorithm) with { ChecksumType = algorithm is null ? null : checksumType ?? "COMPOSITE" });
        lock (store.Sync)
        {
            store.AddUpload(r.AccountId, store.GetBucket(r.AccountId, r.Bucket!), upload);
        }

        if (algorithm is not null)
        {
            r.Response.Headers["x-amz-checksum-algorithm"] = algorithm;
            r.Response.Headers["x-amz-checksum-type"] = upload.Attributes.ChecksumType;
        }

        return S3Xml.WriteAsync(r.Response, "InitiateMultipartUploadResult", xml =>
        {
            xml.WriteElementString("Bucket", r.Bucket);
            xml.WriteElementString("Key", r.Key);
            xml.WriteElementString("UploadId", upload.UploadId);
        }, r.Aborted);
    }

    public async Task UploadPartAsync(S3Request r)
    {
        var uploadId = r.Query("uploadId")!;
        var partNumber = ParsePartNumber(r.Query("partNumber"));

        string? algorithm;
        lock (store.Sync)
        {
            algorithm = FindUpload(r, uploadId).Attributes.ChecksumAlgorithm;
        }

        // The body arrives outside the gate; the part is added only once it is whole and verified.
        var file = store.NewIncomingFile();
        var received = await IncomingFile.WriteAsync(r, store, file, destination => BodyReceiver.ReceiveAsync(r.Http, destination, algorithm, r.Aborted));
        var part = new S3Part(partNumber, file, received.Length, received.Md5Hex, BucketOperations.Truncate(time.GetUtcNow()), received.ChecksumAlgorithm, received.ChecksumValue);
        AddPart(r, uploadId, part);
        r.Response.StatusCode = 200;
        r.Response.Headers.ETag = ObjectOperations.Quote(part.Md5);
        ObjectHeaders.WriteChecksum(r.Response, part.ChecksumAlgorithm, part.ChecksumValue);
    }

    /// <summary>UploadPartCopy: a part made of (a byte range of) an existing object, <c>x-amz-copy-source[-range]</c>.</summary>
    public async Task UploadPartCopyAsync(S3Request r)
    {
        var uploadId = r.Query("uploadId")!;
        var partNumber = ParsePartNumber(r.Query("partNumber"));
        string? algorithm;
        FileStream content;
        S3Object source;
        lock (store.Sync)
        {
            algorithm = FindUpload(r, uploadId).Attributes.ChecksumAlgorithm;
            content = objects.OpenCopySource(r, out source);
        }

        (byte[] Md5, string? Checksum) hashes;
        long length;
        string file;
        await using (content)
        {
            long start = 0;
            length = source.Size;
            if (r.Header("x-amz-copy-source-range") is { Length: > 0 } rangeHeader)
            {
                // Only bytes=first-last, within the object, is valid here (no suffix or open ranges).
                var range = ObjectOperations.ParseRange(rangeHeader, source.Size);
                if (range is not { } valid || rangeHeader.Contains("=-", StringComparison.Ordinal) || rangeHeader.EndsWith('-'))
                {
                    throw S3Exception.InvalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy", "x-amz-copy-source-range", rangeHeader);
                }

                (start, length) = (valid.Start, valid.End - valid.Start + 1);
            }

            // Copied outside the gate from the open source file, like an uploaded part.
            content.Position = start;
            file = store.NewIncomingFile();
            hashes = await IncomingFile.WriteAsync(r, store, file, destination => ObjectOperations.CopyHashingAsync(new BoundedStream(content, length), destination, algorithm, r.Aborted));
        }

        var part = new S3Part(partNumber, file, length, Convert.ToHexStringLower(hashes.Md5), BucketOperations.Truncate(time.GetUtcNow()), algorithm, hashes.Checksum);
        AddPart(r, uploadId, part);
        await S3Xml.WriteAsync(r.Response, "CopyPartResult", xml =>
        {
            xml.WriteElementString("LastModified", S3Xml.Timestamp(part.LastModified));
            xml.WriteElementString("ETag", ObjectOperations.Quote(part.Md5));
            if (algorithm is not null && part.ChecksumValue is not null)
            {
                xml.WriteElementString("Checksum" + algorithm, part.ChecksumValue);
            }
        }, r.Aborted);
    }

    public async Task CompleteAsync(S3Request r)
    {
        var uploadId = r.Query("uploadId")!;
        var document = S3Xml.ReadBody(await BodyReceiver.ReadSmallAsync(r.Http, r.Aborted));
        var requested = document.Children("Part").Select(p => (
            Number: int.TryParse(p.ChildValue("PartNumber"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1,
            PartETag: (p.ChildValue("ETag") ?? string.Empty).Trim().Trim('"'),
            Element: p)).ToList();
        if (requested.Count == 0 || requested.Any(p => p.Number < 1))
        {
            throw S3Exception.MalformedXml();
        }

        MultipartUpload upload;
        List<S3Part> parts = [];
        lock (store.Sync)
        {
            upload = FindUpload(r, uploadId);
            for (var i = 0; i < requested.Count; i++)
            {
                var (number, partETag, element) = requested[i];
                if (i > 0 && number <= requested[i - 1].Number)
                {
                    throw new S3Exception(400, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.", ("UploadId", uploadId));
                }

                if (!upload.Parts.TryGetValue(number, out var part) || !part.Md5.Equals(partETag, StringComparison.OrdinalIgnoreCase)
                    || (part.ChecksumAlgorithm is { } partAlgorithm && element.ChildValue("Checksum" + partAlgorithm) is { } claimed && claimed != part.ChecksumValue))
                {
                    throw new S3Exception(400, "InvalidPart", "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.", ("UploadId", uploadId), ("PartNumber", number.ToString(CultureInfo.InvariantCulture)), ("ETag", partETag));
                }

                parts.Add(part);
            }

            for (var i = 0; i < parts.Count - 1; i++)
            {
                if (parts[i].Size < MinPartSize)
                {
                    throw new S3Exception(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.", ("ProposedSize", parts[i].Size.ToString(CultureInfo.InvariantCulture)), ("MinSizeAllowed", MinPartSize.ToString(CultureInfo.InvariantCulture)), ("PartNumber", parts[i].PartNumber.ToString(CultureInfo.InvariantCulture)));
                }
            }

            store.SetCompleting(r.AccountId, r.Bucket!, upload, true); // no new parts, abort or second completion while the object is assembled
        }

        var algorithm = upload.Attributes.ChecksumAlgorithm;
        var fullObject = upload.Attributes.ChecksumType == "FULL_OBJECT";
        var (file, path) = store.NewFile();
        string? checksumValue;
        try
        {
            var full = fullObject && algorithm is not null ? S3Checksum.Create(algorithm) : null;
            await using (var destination = ObjectOperations.CreateFile(path))
            {
                foreach (var part in parts)
                {
                    await using var source = new FileStream(store.PathOf(part.File), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
                    if (full is null)
                    {
                        await source.CopyToAsync(destination, r.Aborted);
                    }
                    else
                    {
                        await HashingCopyAsync(source, destination, full, r.Aborted);
                    }
                }
            }

            checksumValue = full is not null ? full.GetBase64AndReset() : Composite(algorithm, parts);
            if (full is not null && r.Header(S3Checksum.HeaderFor(algorithm!)) is { Length: > 0 } expected && expected != checksumValue)
            {
                throw S3Exception.BadDigest($"The {algorithm} you specified did not match the calculated checksum.");
            }
        }
        catch
        {
            store.DeleteFiles(file);
            lock (store.Sync)
            {
                store.SetCompleting(r.AccountId, r.Bucket!, upload, false);
            }

            throw;
        }

        var etag = MultipartETag(parts);
        var item = new S3Object(upload.Key, file, parts.Sum(p => p.Size), etag, BucketOperations.Truncate(time.GetUtcNow()), upload.Attributes, checksumValue, parts.Count);
        lock (store.Sync)
        {
            if (store.FindBucket(r.AccountId, r.Bucket!) is { } bucket)
            {
                store.RemoveUpload(r.AccountId, bucket, uploadId);
            }
        }

        try
        {
            objects.Publish(r, item);
        }
        finally
        {
            // The upload is gone either way (completed, or its bucket deleted meanwhile); the object has its own copy.
            store.DeleteFiles(upload.Parts.Values.Select(p => p.File));
        }

        ObjectHeaders.WriteChecksum(r.Response, algorithm, checksumValue);
        await S3Xml.WriteAsync(r.Response, "CompleteMultipartUploadResult", xml =>
        {
            xml.WriteElementString("Location", $"/{r.Bucket}/{upload.Key}");
            xml.WriteElementString("Bucket", r.Bucket);
            xml.WriteElementString("Key", upload.Key);
            xml.WriteElementString("ETag", etag);
            if (algorithm is not null && checksumValue is not null)
            {
                xml.WriteElementString("Checksum" + algorithm, checksumValue);
                xml.WriteElementString("ChecksumType", fullObject ? "FULL_OBJECT" : "COMPOSITE");
            }
        }, r.Aborted);
    }

    public Task AbortAsync(S3Request r)
    {
        var uploadId = r.Query("uploadId")!;
        MultipartUpload upload;
        lock (store.Sync)
        {
            upload = FindUpload(r, uploadId);
            store.RemoveUpload(r.AccountId, store.GetBucket(r.AccountId, r.Bucket!), uploadId);
        }

        store.DeleteFiles(upload.Parts.Values.Select(p => p.File));
        r.Response.StatusCode = 204;
        return Task.CompletedTask;
    }

    public Task ListPartsAsync(S3Request r)
    {
        var uploadId = r.Query("uploadId")!;
        var maxParts = int.TryParse(r.Query("max-parts"), NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? Math.Min(m, 1000) : 1000;
        var marker = int.TryParse(r.Query("part-number-marker"), NumberStyles.None, CultureInfo.InvariantCulture, out var pm) ? pm : 0;
        MultipartUpload upload;
        S3Part[] all;
        lock (store.Sync)
        {
            upload = FindUpload(r, uploadId);
            all = [.. upload.Parts.Values.Where(p => p.PartNumber > marker)];
        }

        var page = all.Take(maxParts).ToArray();
        var truncated = all.Length > page.Length;
        return S3Xml.WriteAsync(r.Response, "ListPartsResult", xml =>
        {
            xml.WriteElementString("Bucket", r.Bucket);
            xml.WriteElementString("Key", upload.Key);
            xml.WriteElementString("UploadId", uploadId);
            xml.WriteElementString("PartNumberMarker", marker.ToString(CultureInfo.InvariantCulture));
            if (page.Length > 0)
            {
                xml.WriteElementString("NextPartNumberMarker", page[^1].PartNumber.ToString(CultureInfo.InvariantCulture));
            }

            xml.WriteElementString("MaxParts", maxParts.ToString(CultureInfo.InvariantCulture));
            xml.WriteElementString("IsTruncated", truncated ? "true" : "false");
            if (upload.Attributes.ChecksumAlgorithm is { } algorithm)
            {
                xml.WriteElementString("ChecksumAlgorithm", algorithm);
            }

            xml.WriteElementString("StorageClass", "STANDARD");
            foreach (var part in page)
            {
                xml.WriteStartElement("Part");
                xml.WriteElementString("PartNumber", part.PartNumber.ToString(CultureInfo.InvariantCulture));
                xml.WriteElementString("LastModified", S3Xml.Timestamp(part.LastModified));
                xml.WriteElementString("ETag", ObjectOperations.Quote(part.Md5));
                xml.WriteElementString("Size", part.Size.ToString(CultureInfo.InvariantCulture));
                if (part.ChecksumAlgorithm is { } partAlgorithm && part.ChecksumValue is { } value)
                {
                    xml.WriteElementString("Checksum" + partAlgorithm, value);
                }

                xml.WriteEndElement();
            }
        }, r.Aborted);
    }

    public Task ListMultipartUploadsAsync(S3Request r)
    {
        var prefix = r.Query("prefix") ?? string.Empty;
        MultipartUpload[] uploads;
        lock (store.Sync)
        {
            uploads = [.. store.GetBucket(r.AccountId, r.Bucket!).Uploads.Values
                .Where(u => !u.Completing && u.Key.StartsWith(prefix, StringComparison.Ordinal))
                .OrderBy(u => u.Key, StringComparer.Ordinal).ThenBy(u => u.Initiated)];
        }

        return S3Xml.WriteAsync(r.Response, "ListMultipartUploadsResult", xml =>
        {
            xml.WriteElementString("Bucket", r.Bucket);
            xml.WriteElementString("KeyMarker", string.Empty);
            xml.WriteElementString("UploadIdMarker", string.Empty);
            xml.WriteElementString("Prefix", prefix);
            xml.WriteElementString("MaxUploads", "1000");
            xml.WriteElementString("IsTruncated", "false");
            foreach (var upload in uploads)
            {
                xml.WriteStartElement("Upload");
                xml.WriteElementString("Key", upload.Key);
                xml.WriteElementString("UploadId", upload.UploadId);
                xml.WriteElementString("Initiated", S3Xml.Timestamp(upload.Initiated));
                xml.WriteElementString("StorageClass", "STANDARD");
                xml.WriteEndElement();
            }
        }, r.Aborted);
    }

    /// <summary>S3's multipart ETag: the MD5 of the concatenated binary part MD5s, then <c>-&lt;part count&gt;</c>.</summary>
    internal static string MultipartETag(IReadOnlyList<S3Part> parts)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5); // S3's ETag is defined as MD5
        foreach (var part in parts)
        {
            md5.AppendData(Convert.FromHexString(part.Md5));
        }

        return ObjectOperations.Quote(Convert.ToHexStringLower(md5.GetHashAndReset()) + "-" + parts.Count.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>A composite checksum (checksum of the part checksums, <c>-&lt;count&gt;</c>), when every part has one of the upload's algorithm.</summary>
    private static string? Composite(string? algorithm, List<S3Part> parts)
    {
        if (algorithm is null || parts.Any(p => p.ChecksumAlgorithm != algorithm || p.ChecksumValue is null))
        {
            return null;
        }

        var concatenated = parts.SelectMany(p => Convert.FromBase64String(p.ChecksumValue!)).ToArray();
        return Convert.ToBase64String(S3Checksum.Compute(algorithm, concatenated)) + "-" + parts.Count.ToString(CultureInfo.InvariantCulture);
    }

    private static async Task HashingCopyAsync(Stream source, Stream destination, S3Checksum checksum, CancellationToken cancellationToken)
    {
        var buffer = new byte[128 * 1024];
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            checksum.Append(buffer.AsSpan(0, read));
            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }

    private static int ParsePartNumber(string? text)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var partNumber) || partNumber is < 1 or > MaxPartNumber)
        {
            throw S3Exception.InvalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", text ?? string.Empty);
        }

        return partNumber;
    }

    /// <summary>
    /// Adds (or replaces) a fully written part (call inside the gate); the file no longer referenced (the replaced part's,
    /// or this one's when the upload was aborted, completed or its bucket deleted while the part arrived) is deleted after
    /// the response.
    /// </summary>
    private void AddPart(S3Request r, string uploadId, S3Part part)
    {
        string? old;
        try
        {
            lock (store.Sync)
            {
                store.Commit(part.File);
                var upload = FindUpload(r, uploadId);
                old = store.PutPart(r.AccountId, r.Bucket!, upload, part);
            }
        }
        catch
        {
            store.DeleteAfterResponse(r.Response, part.File);
            throw;
        }

        store.DeleteAfterResponse(r.Response, old);
    }

    /// <summary>A read-only view of the next <c>length</c> bytes of a stream (for copying a byte range).</summary>
    private sealed class BoundedStream(Stream inner, long length) : Stream
    {
        private long _remaining = length;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_remaining <= 0)
            {
                return 0;
            }

            var read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _remaining)], cancellationToken);
            _remaining -= read;
            return read;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, (int)Math.Min(count, Math.Max(0, _remaining)));
            _remaining -= read;
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>The upload, if it exists in the bucket for this key and is not being completed. Call under the lock.</summary>
    private MultipartUpload FindUpload(S3Request r, string uploadId)
    {
        var bucket = store.GetBucket(r.AccountId, r.Bucket!);
        return bucket.Uploads.TryGetValue(uploadId, out var upload) && upload.Key == r.Key && !upload.Completing
            ? upload
            : throw S3Exception.NoSuchUpload(uploadId);
    }
}
