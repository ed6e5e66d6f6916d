using LocalStack.Persistence.AspNetCore;

namespace LocalStack.Persistence.SampleEmulator.S3;

/// <summary>
/// Tells the persistence middleware that S3 PutObject and UploadPart receive their bodies themselves, outside the gate
/// (<see cref="IncomingFile"/>): an object can be gigabytes, too large to read before the request's scope begins. Every
/// other S3 body (a bucket configuration, DeleteObjects, CompleteMultipartUpload) is small and read by the middleware.
/// </summary>
internal sealed class S3UploadRequestResolver(IServiceRequestResolver inner) : IServiceRequestResolver
{
    public async ValueTask<ServiceRequest?> ResolveAsync(HttpContext context, CancellationToken cancellationToken = default)
    {
        var resolved = await inner.ResolveAsync(context, cancellationToken);
        return resolved is { ServiceName: S3Module.ServiceName } s3 && IsUpload(context) ? s3 with { StreamsBody = true } : resolved;
    }

    /// <summary>The requests <see cref="S3Handler"/> sends to PutObject or UploadPart: a PUT to a key without a copy source.</summary>
    private static bool IsUpload(HttpContext http)
        => HttpMethods.IsPut(http.Request.Method)
            && !http.Request.Headers.ContainsKey("x-amz-copy-source")
            && S3Handler.Address(http).Key is not null;
}
