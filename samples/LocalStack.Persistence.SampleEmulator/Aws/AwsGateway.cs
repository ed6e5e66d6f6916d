using LocalStack.Persistence.AspNetCore;

namespace LocalStack.Persistence.SampleEmulator.Aws;

/// <summary>
/// The single entry point on :4566 (as LocalStack's gateway): every request that is not a <c>/_localstack</c> endpoint is
/// routed to the service the persistence resolver names, so that the service a request mutates and the service the
/// persistence middleware marks dirty (or saves) are always the same.
/// </summary>
internal sealed class AwsGateway(IServiceRequestResolver resolver, IEnumerable<IAwsServiceHandler> handlers)
{
    private readonly Dictionary<string, IAwsServiceHandler> _handlers = handlers.ToDictionary(h => h.ServiceName, StringComparer.Ordinal);

    public IEnumerable<string> ServiceNames => _handlers.Keys;

    public async Task HandleAsync(HttpContext http)
    {
        var resolved = await resolver.ResolveAsync(http, http.RequestAborted);
        var request = AwsRequestContext.From(http);
        if (resolved is { } service && _handlers.TryGetValue(service.ServiceName, out var handler))
        {
            await handler.HandleAsync(request);
            return;
        }

        await AwsJsonProtocol.WriteErrorAsync(
            http,
            StatusCodes.Status501NotImplemented,
            "InternalFailure",
            $"The service '{resolved?.ServiceName}' is not emulated here; the sample emulates {string.Join(", ", _handlers.Keys)}.");
    }
}
