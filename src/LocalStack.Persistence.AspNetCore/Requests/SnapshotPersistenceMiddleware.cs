using LocalStack.Persistence.AspNetCore.Endpoints;
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
    ILogger<SnapshotPersistenceMiddleware> logger,
    SnapshotPersistenceMiddlewareOptions options,
    TimeProvider timeProvider)
{
    private const string FixAdvice = "Add .WithServiceState(\"<service>\", mutating: true|false) to the endpoint, register an IServiceRequestResolver that resolves it, or mark it .WithoutServiceState() if it keeps no state.";

    private readonly HashSet<string> _services = new(manager.ServiceNames, StringComparer.Ordinal);
    private readonly ServiceFaultLog _faults = new(timeProvider, options.FaultLogInterval);
    private readonly UnresolvedRouteLog _unresolved = new();

    public async Task InvokeAsync(HttpContext context)
    {
        var (request, exempt) = await ResolveAsync(context).ConfigureAwait(false);
        if (request is not { } resolved || !manager.IsEnabled || !_services.Contains(resolved.ServiceName))
        {
            await PassThroughAsync(context, request, exempt).ConfigureAwait(false);
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
            LogRefusal(resolved.ServiceName, exception);
            await WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, resolved.ServiceName, exception.Message).ConfigureAwait(false);
            return;
        }

        _faults.Served(resolved.ServiceName);
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
        var buffered = new BufferedResponseBodyFeature(options.HeldResponseMemoryThreshold, options.MaxHeldResponseBytes);
        await using var _ = buffered.ConfigureAwait(false);
        context.Features.Set<IHttpResponseBodyFeature>(buffered);
        context.Features.Set<ISnapshotRequestFeature>(new SnapshotRequestFeature(scope));
        try
        {
            await next(context).ConfigureAwait(false);

            // What the handler left in the pipe is written now, so that a body past the limit is known before the save.
            await buffered.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception) when (buffered.LimitExceeded)
        {
            // The handler's write failed at the limit (a serializer may wrap the IOException): the scope still ends (the
            // handler may have changed state), and the client gets the error below instead of a cut answer.
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
        if (buffered.LimitExceeded)
        {
            // Also when the handler caught the failed write and finished: what it held is cut, not an answer.
            LogHeldResponseTooLarge(logger, serviceName, buffered.Limit);
            context.Response.Clear();
            await WriteErrorAsync(context, StatusCodes.Status500InternalServerError, serviceName, BufferedResponseBodyFeature.HeldResponseLimitMessage(buffered.Limit)).ConfigureAwait(false);
            return;
        }

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

    /// <returns>The service and whether the request mutates it; exempt when the endpoint keeps the middleware out.</returns>
    private async ValueTask<(ServiceRequest? Request, bool Exempt)> ResolveAsync(HttpContext context)
    {
        var metadata = context.GetEndpoint()?.Metadata;
        if (metadata?.GetMetadata<SnapshotEndpointMarker>() is not null)
        {
            return (null, true);
        }

        if (metadata?.GetMetadata<ServiceStateMetadata>() is { } declared)
        {
            return (new ServiceRequest(declared.ServiceName, declared.Mutating), false);
        }

        return (await resolver.ResolveAsync(context, context.RequestAborted).ConfigureAwait(false), false);
    }

    /// <summary>
    /// A request outside persistence: with persistence on, a route that belongs to no registered service is reported
    /// once (a forgotten <c>.WithServiceState(...)</c> would otherwise persist nothing, silently), and refused in strict mode.
    /// </summary>
    private async Task PassThroughAsync(HttpContext context, ServiceRequest? resolved, bool exempt)
    {
        if (exempt || !manager.IsEnabled)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var endpoint = context.GetEndpoint();
        var route = endpoint?.DisplayName ?? (endpoint is null ? "(no endpoint)" : "(unnamed endpoint)");
        var (first, nowFull) = _unresolved.Seen(route);
        if (first)
        {
            LogNoService(logger, route, Why(resolved), context.Request.Method, context.Request.Path.Value ?? "/", options.RequireServiceForEveryRequest ? "refused" : "passes through unpersisted");
        }
        else if (nowFull)
        {
            LogTooManyUnresolvedRoutes(logger, UnresolvedRouteLog.MaxRoutes);
        }

        if (!options.RequireServiceForEveryRequest)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        await WriteErrorAsync(
            context,
            StatusCodes.Status500InternalServerError,
            serviceName: null,
            $"Route '{route}' {Why(resolved)}, and SnapshotPersistenceMiddlewareOptions.{nameof(SnapshotPersistenceMiddlewareOptions.RequireServiceForEveryRequest)} refuses such requests. "
            + FixAdvice).ConfigureAwait(false);
    }

    private string Why(ServiceRequest? resolved) => resolved is { } unknown
        ? $"resolves to service '{unknown.ServiceName}', which is not registered (registered: {string.Join(", ", _services.Order(StringComparer.Ordinal))})"
        : "belongs to no persisted service";

    private void LogRefusal(string serviceName, Exception exception)
    {
        switch (_faults.Refused(serviceName, exception))
        {
            case (ServiceFaultLog.Kind.Fault, _):
                LogServiceUnavailable(logger, exception, serviceName, options.FaultLogInterval);
                break;
            case (ServiceFaultLog.Kind.Reminder, var unlogged):
                LogStillUnavailable(logger, serviceName, unlogged + 1, exception.Message);
                break;
        }
    }

    private static Task WriteErrorAsync(HttpContext context, int statusCode, string? serviceName, string message)
    {
        context.Response.StatusCode = statusCode;
        return context.Response.WriteAsJsonAsync(
            new ServiceResultLine(serviceName, ServiceResultLine.ErrorStatus, message),
            AspNetCoreJsonContext.Relaxed.ServiceResultLine,
            contentType: "application/json",
            cancellationToken: context.RequestAborted);
    }

    [LoggerMessage(200, LogLevel.Error, "Requests to service {ServiceName} are refused with 503: its snapshot could not be loaded, or a load or reset of it stopped half-way. Until a request gets through, further refusals are logged as one line at most every {Interval}.")]
    private static partial void LogServiceUnavailable(ILogger logger, Exception exception, string serviceName, TimeSpan interval);

    [LoggerMessage(202, LogLevel.Warning, "Requests to service {ServiceName} are still refused with 503 ({Refused} since the last line): {Reason}")]
    private static partial void LogStillUnavailable(ILogger logger, string serviceName, long refused, string reason);

    [LoggerMessage(203, LogLevel.Warning, "Requests to route '{Route}' are not persisted: the route {Why} (first: {Method} {Path}); such requests are {Outcome}. " + FixAdvice + " Logged once per route.")]
    private static partial void LogNoService(ILogger logger, string route, string why, string method, string path, string outcome);

    [LoggerMessage(204, LogLevel.Warning, "{Count} routes that belong to no persisted service have been reported; further ones are not logged.")]
    private static partial void LogTooManyUnresolvedRoutes(ILogger logger, int count);

    [LoggerMessage(205, LogLevel.Error, "A mutating request to service {ServiceName} wrote a response larger than the {Limit}-byte held-response limit (SnapshotPersistenceMiddlewareOptions.MaxHeldResponseBytes); the client gets 500.")]
    private static partial void LogHeldResponseTooLarge(ILogger logger, string serviceName, long limit);

    [LoggerMessage(201, LogLevel.Error, "A mutating request to service {ServiceName} completed but its snapshot was not saved; the client gets an error.")]
    private static partial void LogSaveFailed(ILogger logger, Exception exception, string serviceName);
}
