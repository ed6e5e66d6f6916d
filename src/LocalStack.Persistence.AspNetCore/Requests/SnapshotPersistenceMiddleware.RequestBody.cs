using System.Buffers;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace LocalStack.Persistence.AspNetCore.Requests;

/// <summary>
/// The body of a request is read whole before its scope begins: a request inside the gate holds up every save of its
/// service, and through the save (which waits for the gate exclusively) every later request; a client that sends its
/// body slowly must hold up nobody but itself.
/// </summary>
internal sealed partial class SnapshotPersistenceMiddleware
{
    // Above this a body waits in a temporary file (ASP.NET Core's temp folder), not in memory.
    private const int BodyMemoryThreshold = 64 * 1024;

    /// <summary>
    /// Reads the request's body to its end (kept readable from the start for the handler), unless the endpoint or the
    /// resolver says the handler receives it itself outside the gate.
    /// </summary>
    /// <returns><see langword="false"/> when the request is finished here: answered 413, or its client went away.</returns>
    private async ValueTask<bool> ReceiveBodyBeforeScopeAsync(HttpContext context, ServiceRequest resolved, ILogger logger)
    {
        var request = context.Request;
        if (resolved.StreamsBody
            || context.GetEndpoint()?.Metadata.GetMetadata<StreamedRequestBodyMetadata>() is not null
            || context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false }
            || request.ContentLength == 0)
        {
            return true;
        }

        var limit = options.MaxBufferedBodyBytes;
        if (request.ContentLength > limit)
        {
            await RefuseLargeBodyAsync(context, resolved.ServiceName, limit, logger).ConfigureAwait(false);
            return false;
        }

        if (!request.Body.CanSeek)
        {
            request.EnableBuffering(BodyMemoryThreshold);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            long length = 0;
            int read;
            while ((read = await request.Body.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false)) > 0)
            {
                length += read;
                if (length > limit)
                {
                    await RefuseLargeBodyAsync(context, resolved.ServiceName, limit, logger).ConfigureAwait(false);
                    return false;
                }
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The client went away mid-body: the request never reached its service, so it is not a mutation.
            LogBodyAbandoned(logger, resolved.ServiceName);
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        request.Body.Position = 0;
        return true;
    }

    private static Task RefuseLargeBodyAsync(HttpContext context, string serviceName, long limit, ILogger logger)
    {
        LogBodyTooLarge(logger, serviceName, limit);
        return WriteErrorAsync(
            context,
            StatusCodes.Status413PayloadTooLarge,
            serviceName,
            string.Create(CultureInfo.InvariantCulture, $"The request body is larger than {limit} bytes, the most that is read before a request of service '{serviceName}' runs (SnapshotPersistenceMiddlewareOptions.MaxBufferedBodyBytes)."));
    }

    [LoggerMessage(206, LogLevel.Debug, "A request to service {ServiceName} ended before its body arrived; it did not reach the service.")]
    private static partial void LogBodyAbandoned(ILogger logger, string serviceName);

    [LoggerMessage(207, LogLevel.Warning, "A request to service {ServiceName} was refused with 413: its body is larger than {Limit} bytes.")]
    private static partial void LogBodyTooLarge(ILogger logger, string serviceName, long limit);
}
