using System.Globalization;

namespace LocalStack.Persistence.SampleEmulator.S3;

/// <summary>Object attributes from request headers, and object headers on responses.</summary>
internal static class ObjectHeaders
{
    private const string MetaPrefix = "x-amz-meta-";

    private static readonly string[] StoredHeaders = ["content-encoding", "content-disposition", "cache-control", "content-language", "expires"];

    /// <summary>Content-Type, user metadata and stored headers of a PutObject / CreateMultipartUpload / CopyObject (REPLACE).</summary>
    public static ObjectAttributes FromRequest(HttpRequest request, string? checksumAlgorithm)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in request.Headers)
        {
            if (name.StartsWith(MetaPrefix, StringComparison.OrdinalIgnoreCase) && name.Length > MetaPrefix.Length)
            {
                metadata[name[MetaPrefix.Length..].ToLowerInvariant()] = value.ToString();
            }
        }

        foreach (var name in StoredHeaders)
        {
            var value = request.Headers[name].ToString();
            if (name == "content-encoding")
            {
                // aws-chunked is the transfer framing, not an encoding of the stored object.
                value = string.Join(',', value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Where(v => !v.Equals("aws-chunked", StringComparison.OrdinalIgnoreCase)));
            }

            if (value.Length > 0)
            {
                headers[name] = value;
            }
        }

        var contentType = request.ContentType;
        return new ObjectAttributes(string.IsNullOrEmpty(contentType) ? null : contentType, metadata, headers, checksumAlgorithm);
    }

    /// <summary>The headers GetObject and HeadObject answer for <paramref name="item"/>.</summary>
    public static void Write(HttpResponse response, S3Object item)
    {
        var headers = response.Headers;
        headers.ETag = item.ETag;
        headers.LastModified = S3Xml.HttpDate(item.LastModified);
        headers.AcceptRanges = "bytes";
        response.ContentType = item.Attributes.ContentType ?? "binary/octet-stream";
        foreach (var (name, value) in item.Attributes.Headers)
        {
            headers[name] = value;
        }

        foreach (var (name, value) in item.Attributes.Metadata)
        {
            headers[MetaPrefix + name] = value;
        }

        if (item.PartsCount is { } parts)
        {
            headers["x-amz-mp-parts-count"] = parts.ToString(CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Adds <c>x-amz-checksum-&lt;algorithm&gt;</c> and <c>x-amz-checksum-type</c> when the object has a checksum.</summary>
    public static void WriteChecksum(HttpResponse response, string? algorithm, string? value)
    {
        if (algorithm is null || value is null)
        {
            return;
        }

        response.Headers[S3Checksum.HeaderFor(algorithm)] = value;
        response.Headers["x-amz-checksum-type"] = value.Contains('-', StringComparison.Ordinal) ? "COMPOSITE" : "FULL_OBJECT";
    }
}
