using System.Reflection;
using LocalStack.Persistence.AspNetCore.Endpoints;
using LocalStack.Persistence.AspNetCore.Requests;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace LocalStack.Persistence.AspNetCore;

/// <summary>Maps LocalStack's state endpoints and its health endpoint.</summary>
public static class SnapshotEndpointRouteBuilderExtensions
{
    /// <summary>The default prefix of the state endpoints, as LocalStack serves them.</summary>
    public const string DefaultPrefix = "/_localstack/state";

    /// <summary>The default path of the health endpoint, as LocalStack serves it.</summary>
    public const string DefaultHealthPath = "/_localstack/health";

    /// <summary>
    /// Maps the state endpoints under <paramref name="prefix"/>:
    /// <list type="bullet">
    /// <item><c>POST {prefix}/{service}/save|load|reset|delete</c>: 200 <c>{"service":"s3","status":"ok"}</c>; 500 with
    /// <c>"status":"error"</c> and a <c>"message"</c> when the operation fails; 404 for an unknown service or
    /// operation, 400 for an invalid service name, 405 (with <c>Allow: POST</c>) for another method, 409 when
    /// persistence is disabled (save, load, delete) or a save or delete is asked of a read-only baseline. A reset
    /// empties the live state (also with persistence off) and the save strategy persists it; delete removes the
    /// stored snapshot and leaves the live state alone. A client that disconnects does not cut a load or reset in half.</item>
    /// <item><c>POST {prefix}/save|load|reset|delete</c>: 200, <c>application/x-ndjson</c>, one line per service written and
    /// flushed as that service finishes; a failing service gets its error line while the others go on.</item>
    /// <item><c>GET {prefix}</c>: persistence mode, strategies and the status of every service.</item>
    /// </list>
    /// The persistence middleware leaves these endpoints alone (they take the services' gates themselves). Every one of
    /// them, and any endpoint mapped later into the returned group, is guarded by
    /// <see cref="SameOriginEndpointConventionBuilderExtensions.RequireSameOrigin{TBuilder}"/>: a web page of another site
    /// gets 403 (settings: <see cref="SameOriginOptions"/>).
    /// </summary>
    /// <param name="endpoints">The application or a route group.</param>
    /// <param name="prefix">The route prefix.</param>
    /// <returns>The route group, for <c>.RequireAuthorization()</c>, filters or other conventions.</returns>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A setting of <see cref="SameOriginOptions"/> cannot be read.</exception>
    public static RouteGroupBuilder MapSnapshotEndpoints(this IEndpointRouteBuilder endpoints, string prefix = DefaultPrefix)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(prefix);

        // Read and validated now, so that a bad setting stops the start rather than the first request.
        SameOriginGuard.For(endpoints.ServiceProvider);
        var group = endpoints.MapGroup(prefix).RequireSameOrigin();

        // Mapped for every method so that a wrong method gets 405 with an Allow header rather than routing's bare 404.
        group.Map(string.Empty, SnapshotStateHandlers.StatusAsync)
            .WithMetadata(SnapshotEndpointMarker.Instance)
            .WithDisplayName("LocalStack state: status");
        group.Map("{operation}", SnapshotStateHandlers.AllServicesAsync)
            .WithMetadata(SnapshotEndpointMarker.Instance)
            .WithDisplayName("LocalStack state: every service");
        group.Map("{service}/{operation}", SnapshotStateHandlers.OneServiceAsync)
            .WithMetadata(SnapshotEndpointMarker.Instance)
            .WithDisplayName("LocalStack state: one service");
        return group;
    }

    /// <summary>
    /// Maps LocalStack's health endpoint: <c>{"services":{"s3":"running",...},"features":{"persistence":"initialized"},
    /// "edition":"community","version":"..."}</c>. A service is <c>running</c> once its state is loaded, else
    /// <c>available</c>; the persistence feature is <c>initialized</c> or <c>disabled</c>
    /// (<see cref="SnapshotHealth.GetPersistenceFeature"/>, for a host that serves its own health endpoint).
    /// </summary>
    /// <param name="endpoints">The application or a route group.</param>
    /// <param name="path">The route of the endpoint.</param>
    /// <param name="version">The version reported; the entry assembly's informational version when <see langword="null"/>.</param>
    /// <returns>The endpoint, for conventions.</returns>
    public static IEndpointConventionBuilder MapSnapshotHealth(this IEndpointRouteBuilder endpoints, string path = DefaultHealthPath, string? version = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var reported = version ?? EntryAssemblyVersion();
        return endpoints.MapGet(path, context => SnapshotStateHandlers.HealthAsync(context, reported))
            .WithMetadata(SnapshotEndpointMarker.Instance)
            .WithDisplayName("LocalStack health");
    }

    private static string EntryAssemblyVersion()
    {
        var informational = Assembly.GetEntryAssembly()?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(informational))
        {
            return "0.0.0";
        }

        // "1.2.3+<commit>": the build metadata is noise to a health check.
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus > 0 ? informational[..plus] : informational;
    }
}
