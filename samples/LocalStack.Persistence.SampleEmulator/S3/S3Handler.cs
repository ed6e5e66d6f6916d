using LocalStack.Persistence.SampleEmulator.Aws;
using Microsoft.AspNetCore.Http.Features;

namespace LocalStack.Persistence.SampleEmulator.S3;

/// <summary>One S3 request: the addressed bucket and key (path-style or virtual-host style) and its request id.</summary>
internal sealed record S3Request(AwsRequestContext Aws, string? Bucket, string? Key, string RequestId)
{
    public HttpRequest Http => Aws.Request;

    public HttpResponse Response => Aws.Response;

    public CancellationToken Aborted => Aws.Aborted;

    public string AccountId => Aws.AccountId;

    public bool Has(string queryName) => Http.Query.ContainsKey(queryName);

    public string? Query(string name) => Http.Query.TryGetValue(name, out var value) ? value.ToString() : null;

    public string Header(string name) => Http.Headers[name].ToString();
}

/// <summary>
/// S3 over REST-XML: routes a request to its operation by method, bucket, key and sub-resource, and turns
/// <see cref="S3Exception"/> into S3's XML errors.
/// </summary>
internal sealed class S3Handler(BucketOperations buckets, ObjectOperations objects, ListOperations lists, MultipartOperations multipart) : IAwsServiceHandler
{
    // Sub-resources of buckets and objects this emulator does not implement: answered 501 rather than misrouted.
    private static readonly string[] Unsupported =
    [
        "acl", "policy", "cors", "lifecycle", "tagging", "versioning", "versions", "website", "logging", "notification",
        "replication", "encryption", "object-lock", "retention", "legal-hold", "accelerate", "requestPayment",
        "ownershipControls", "publicAccessBlock", "analytics", "metrics", "inventory", "intelligent-tiering", "restore",
        "select", "attributes", "torrent", "policyStatus",
    ];

    public string ServiceName => S3Module.ServiceName;

    public async Task HandleAsync(AwsRequestContext request)
    {
        var requestId = Guid.NewGuid().ToString("N")[..16].ToUpperInvariant();
        var response = request.Response;
        response.Headers["x-amz-request-id"] = requestId;
        response.Headers["x-amz-id-2"] = requestId;
        var (bucket, key) = Address(request.Http);
        var s3 = new S3Request(request, bucket, key, requestId);
        try
        {
            await DispatchAsync(s3);
        }
        catch (S3Exception error) when (!response.HasStarted)
        {
            response.Headers.Remove("ETag");
            response.Headers.Remove("Content-Range");
            await S3Xml.WriteErrorAsync(request.Http, error, requestId, key is null ? (bucket is null ? null : "/" + bucket) : $"/{bucket}/{key}");
        }
        catch (IOException error) when (error is not BadHttpRequestException && !response.HasStarted && !request.Aborted.IsCancellationRequested)
        {
            // The emulator's own disk (full, read-only): an S3 InternalError naming the cause instead of an empty 500.
            response.Headers.Remove("ETag");
            response.Headers.Remove("Content-Range");
            var internalError = new S3Exception(500, "InternalError", $"We encountered an internal error: {error.Message}");
            await S3Xml.WriteErrorAsync(request.Http, internalError, requestId, key is null ? (bucket is null ? null : "/" + bucket) : $"/{bucket}/{key}");
        }
    }

    private Task DispatchAsync(S3Request r)
    {
        var method = r.Http.Method;
        foreach (var name in Unsupported)
        {
            if (r.Has(name))
            {
                throw S3Exception.NotImplemented($"?{name}");
            }
        }

        if (r.Bucket is null)
        {
            return HttpMethods.IsGet(method) ? buckets.ListBucketsAsync(r) : throw S3Exception.MethodNotAllowed(method, "SERVICE");
        }

        if (r.Key is null)
        {
            return method switch
            {
                "PUT" => buckets.CreateBucketAsync(r),
                "HEAD" => buckets.HeadBucketAsync(r),
                "DELETE" => buckets.DeleteBucketAsync(r),
                "GET" when r.Has("location") => buckets.GetBucketLocationAsync(r),
                "GET" when r.Has("uploads") => multipart.ListMultipartUploadsAsync(r),
                "GET" when r.Query("list-type") == "2" => lists.ListObjectsV2Async(r),
                "GET" => lists.ListObjectsAsync(r),
                "POST" when r.Has("delete") => lists.DeleteObjectsAsync(r),
                _ => throw S3Exception.MethodNotAllowed(method, "BUCKET"),
            };
        }

        return method switch
        {
            "PUT" when r.Has("uploadId") && r.Http.Headers.ContainsKey("x-amz-copy-source") => multipart.UploadPartCopyAsync(r),
            "PUT" when r.Has("uploadId") => multipart.UploadPartAsync(r),
            "PUT" when r.Http.Headers.ContainsKey("x-amz-copy-source") => objects.CopyObjectAsync(r),
            "PUT" => objects.PutObjectAsync(r),
            "GET" when r.Has("uploadId") => multipart.ListPartsAsync(r),
            "GET" => objects.GetObjectAsync(r, sendBody: true),
            "HEAD" => objects.GetObjectAsync(r, sendBody: false),
            "DELETE" when r.Has("uploadId") => multipart.AbortAsync(r),
            "DELETE" => objects.DeleteObjectAsync(r),
            "POST" when r.Has("uploads") => multipart.CreateAsync(r),
            "POST" when r.Has("uploadId") => multipart.CompleteAsync(r),
            _ => throw S3Exception.MethodNotAllowed(method, "OBJECT"),
        };
    }

    /// <summary>
    /// The bucket and key a request addresses: virtual-host style when the host is <c>&lt;bucket&gt;.localhost</c> or
    /// <c>&lt;bucket&gt;.s3[.…]</c>, otherwise path-style <c>/&lt;bucket&gt;/&lt;key&gt;</c>. The key is taken from the raw
    /// request target and percent-decoded once, so that keys with <c>%2F</c>, <c>+</c> or spaces round-trip.
    /// </summary>
    internal static (string? Bucket, string? Key) Address(HttpContext http)
    {
        var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path.Value ?? "/";
        if (raw.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || raw.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            raw = new Uri(raw).PathAndQuery; // absolute-form request target (proxies)
        }

        var query = raw.IndexOf('?', StringComparison.Ordinal);
        var path = (query >= 0 ? raw[..query] : raw).TrimStart('/');

        if (VirtualHostBucket(http.Request.Host.Host) is { } hostBucket)
        {
            return (hostBucket, path.Length == 0 ? null : Uri.UnescapeDataString(path));
        }

        if (path.Length == 0)
        {
            return (null, null);
        }

        var slash = path.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return (Uri.UnescapeDataString(path), null);
        }

        var key = path[(slash + 1)..];
        return (Uri.UnescapeDataString(path[..slash]), key.Length == 0 ? null : Uri.UnescapeDataString(key));
    }

    private static string? VirtualHostBucket(string host)
    {
        if (host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            var name = host[..^".localhost".Length];
            // <bucket>.s3.localhost and plain s3.localhost are LocalStack's S3 endpoints too.
            if (name.EndsWith(".s3", StringComparison.OrdinalIgnoreCase))
            {
                name = name[..^".s3".Length];
            }

            return name.Length == 0 || name.Equals("s3", StringComparison.OrdinalIgnoreCase) ? null : name;
        }

        // <bucket>.s3.amazonaws.com, <bucket>.s3.us-east-1.amazonaws.com, <bucket>.s3.localhost.localstack.cloud
        var index = host.IndexOf(".s3.", StringComparison.OrdinalIgnoreCase);
        return index > 0 ? host[..index] : null;
    }
}
