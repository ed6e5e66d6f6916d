namespace LocalStack.Persistence.SampleEmulator.S3;

/// <summary>
/// Checks a restored S3 document before it goes live. The payload's checksum proves it is what was written, not that
/// the handlers can serve it: a null where a value is expected, or a size that is not the object file's, would turn
/// later requests into 500s or truncated bodies. Such a snapshot is refused (the service is faulted) instead.
/// </summary>
internal static class S3StateValidator
{
    /// <summary>The first problem found, or <see langword="null"/> when the document can be served.</summary>
    public static string? FindProblem(S3StateDocument? document)
    {
        if (document?.Accounts is null || document.Accounts.Any(a => a?.AccountId is null || a.Buckets is null))
        {
            return "an account or its bucket list is missing";
        }

        foreach (var bucket in document.Accounts.SelectMany(a => a.Buckets))
        {
            if (bucket?.Name is null || bucket.Region is null || bucket.Objects is null || bucket.Uploads is null)
            {
                return $"bucket '{bucket?.Name}' lacks its name, region, objects or uploads";
            }

            foreach (var item in bucket.Objects)
            {
                if (item?.Key is not { Length: > 0 } || item.File is null || item.ETag is null || item.Size < 0 || item.PartsCount < 1 || !IsValid(item.Attributes))
                {
                    return $"object '{item?.Key}' of bucket '{bucket.Name}' lacks its key, file, ETag or attributes, or has a negative size or part count";
                }
            }

            foreach (var upload in bucket.Uploads)
            {
                if (upload?.UploadId is not { Length: > 0 } || upload.Key is not { Length: > 0 } || upload.Parts is null || !IsValid(upload.Attributes))
                {
                    return $"upload '{upload?.UploadId}' of bucket '{bucket.Name}' lacks its id, key, parts or attributes";
                }

                if (upload.Parts.Any(p => p is null || p.PartNumber is < 1 or > 10_000 || p.File is null || p.Md5 is null || p.Size < 0)
                    || upload.Parts.Select(p => p.PartNumber).Distinct().Count() != upload.Parts.Count)
                {
                    return $"upload '{upload.UploadId}' of bucket '{bucket.Name}' has an invalid or repeated part";
                }
            }
        }

        return null;
    }

    private static bool IsValid(ObjectAttributes? attributes)
        => attributes is { Metadata: { } metadata, Headers: { } headers }
            && metadata.All(m => m.Key.Length > 0 && m.Value is not null)
            && headers.All(h => h.Key.Length > 0 && h.Value is not null);
}
