using LocalStack.Persistence.Coordination;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace LocalStack.Persistence.AspNetCore.Requests;

/// <summary>
/// Runs each request that belongs to a persisted service inside <see cref="ISnapshotManager.BeginRequestAsync"/>: the
/// service is loaded lazily before the handler runs; a mutating request marks it dirty, or, under the on-request save
/// strategy, is answered only once its save is durable (the response is held until the scope has ended).
/// </summary>
internal sealed partial class SnapshotPersistenceMiddleware(
    RequestDelegate next,
    ISnapshotManager manager,
    IServiceRequestResolver resolver,
    SnapshotRequestBodyOptions bodyOptions,
    ILogger<SnapshotPersistenceMiddleware> logger)
{
    private readonly SnapshotRequestBodyOptions _bodyOptions = bodyOptions;

    private readonly HashSet<string> _services = new(manager.ServiceNames, StringComparer.Ordinal);

    public async Task InvokeAsync(HttpContext context)
    {
        var request = await ResolveAsync(context).ConfigureAwait(false);
        if (request is not { } resolved || !manager.IsEnabled || !_services.Contains(resolved.ServiceName))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        if (!await ReceiveBodyBeforeScopeAsync(context, resolved, logger).ConfigureAwait(false))
        {
            return;
        }

        SnapshotRequestScope scope;
        try
        {
            scope = await manager.BeginRequestAsync(resolved.ServiceName, resolved.Mutating, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            // A corrupt snapshot (ServiceFaultedException), or a load that failed for now (I/O): the service cannot
            // serve this request from its real state, and must not serve it from an empty one.
            LogServiceUnavailable(logger, exception, resolved.ServiceName);
            await WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, resolved.ServiceName, exception.Message).ConfigureAwait(false);
            return;
        }

        try
        {
            if (!resolved.Mutating)
            {
                await using (scope.ConfigureAwait(false))
                {
                    context.Features.Set<ISnapshotRequestFeature>(new SnapshotRequestFeature(scope));
                    await next(context).ConfigureAwait(false);
                }

                return;
            }

            await RunMutatingAsync(context, resolved.ServiceName, scope).ConfigureAwait(false);
        }
        finally
        {
            // The scope has ended: later code (OnCompleted callbacks) must not find it.
            context.Features.Set<ISnapshotRequestFeature>(null);
        }
    }

    private async Task RunMutatingAsync(HttpContext context, string serviceName, SnapshotRequestScope scope)
    {
        var originalBody = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        var buffered = new BufferedResponseBodyFeature();
        await using var _ = buffered.ConfigureAwait(false);
        context.Features.Set<IHttpResponseBodyFeature>(buffered);
        context.Features.Set<ISnapshotRequestFeature>(new SnapshotRequestFeature(scope));
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch
        {
            context.Features.Set(originalBody);
            await EndScopeAfterFailedHandlerAsync(scope, serviceName).ConfigureAwait(false);
            throw;
        }

        try
        {
            // Ends the scope: marks the service dirty, or saves and waits for durability (on-request strategy).
            await scope.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            context.Features.Set(originalBody);
            LogSaveFailed(logger, exception, serviceName);
            context.Response.Clear();
            await WriteErrorAsync(context, StatusCodes.Status500InternalServerError, serviceName, exception.Message).ConfigureAwait(false);
            return;
        }

        context.Features.Set(originalBody);
        if (context.Response.ContentLength is null && !context.Response.Headers.ContainsKey("Transfer-Encoding"))
        {
            context.Response.ContentLength = buffered.Length;
        }

        await buffered.DrainToAsync(originalBody.Stream, context.RequestAborted).ConfigureAwait(false);
    }

    private async ValueTask EndScopeAfterFailedHandlerAsync(SnapshotRequestScope scope, string serviceName)
    {
        try
        {
            await scope.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            // The handler's own exception is the one the caller sees; the save failure is not lost, only logged.
            LogSaveFailed(logger, exception, serviceName);
        }
    }

    private async ValueTask<ServiceRequest?> ResolveAsync(HttpContext context)
    {
        var metadata = context.GetEndpoint()?.Metadata;
        if (metadata?.GetMetadata<SnapshotEndpointMarker>() is not null)
        {
            return null;
        }

        if (metadata?.GetMetadata<ServiceStateMetadata>() is { } declared)
        {
            return new ServiceRequest(declared.ServiceName, declared.Mutating);
        }

        return await resolver.ResolveAsync(context, context.RequestAborted).ConfigureAwait(false);
    }

    private static Task WriteErrorAsync(HttpContext context, int statusCode, string serviceName, string message)
    {
        context.Response.StatusCode = statusCode;
        return context.Response.WriteAsJsonAsync(
            new ServiceResultLine(serviceName, ServiceResultLine.ErrorStatus, message),
            AspNetCoreJsonContext.Relaxed.ServiceResultLine,
            contentType: "application/json",
            cancellationToken: context.RequestAborted);
    }

    [LoggerMessage(200, LogLevel.Error, "Requests to service {ServiceName} are refused with 503: its snapshot could not be loaded.")]
    private static partial void LogServiceUnavailable(ILogger logger, Exception exception, string serviceName);

    [LoggerMessage(201, LogLevel.Error, "A mutating request to service {ServiceName} completed but its snapshot was not saved; the client gets an error.")]
    private static partial void LogSaveFailed(ILogger logger, Exception exception, string serviceName);
}
