using Microsoft.AspNetCore.Http;

namespace LocalStack.Persistence.AspNetCore.Tests.Support;

/// <summary>A resolver the test steers: <c>X-Test-Service</c> names the service, <c>X-Test-Mutating: true</c> makes it mutate.</summary>
internal sealed class HeaderResolver : IServiceRequestResolver
{
    public const string ServiceHeader = "X-Test-Service";
    public const string MutatingHeader = "X-Test-Mutating";

    public ValueTask<ServiceRequest?> ResolveAsync(HttpContext context, CancellationToken cancellationToken = default)
    {
        var service = context.Request.Headers[ServiceHeader].ToString();
        return ValueTask.FromResult<ServiceRequest?>(service.Length == 0
            ? null
            : new ServiceRequest(service, context.Request.Headers[MutatingHeader] == "true"));
    }

    public static HttpRequestMessage Request(HttpMethod method, string path, string service, bool mutating)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add(ServiceHeader, service);
        request.Headers.Add(MutatingHeader, mutating ? "true" : "false");
        return request;
    }
}
