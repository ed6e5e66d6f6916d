using LocalStack.Persistence.AspNetCore.Endpoints;
using Microsoft.AspNetCore.Builder;

namespace LocalStack.Persistence.AspNetCore;

/// <summary>Keeps web pages of other sites away from endpoints that change or reveal state.</summary>
public static class SameOriginEndpointConventionBuilderExtensions
{
    /// <summary>
    /// Refuses, with 403 and <c>{"status":"error","message":"..."}</c> before the handler runs, a request whose
    /// <c>Origin</c> is neither the server's own nor listed in <see cref="SameOriginOptions.AllowedOrigins"/> (<c>Origin:
    /// null</c> included), whose <c>Sec-Fetch-Site</c> is <c>cross-site</c> or <c>same-site</c> without an allowed
    /// <c>Origin</c>, or, on a loopback-bound server, whose <c>Host</c> is not a name the server answers to (DNS
    /// rebinding). Requests without those headers (curl, the AWS SDKs) pass. <see cref="SnapshotEndpointRouteBuilderExtensions.MapSnapshotEndpoints"/>
    /// applies it to the state endpoints; an endpoint that exports, imports or shows state should apply it too.
    /// </summary>
    /// <typeparam name="TBuilder">The builder type.</typeparam>
    /// <param name="builder">An endpoint or a route group (every endpoint of the group, including those mapped later).</param>
    /// <returns>The builder.</returns>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">When the endpoint is built: a setting of <see cref="SameOriginOptions"/> cannot be read.</exception>
    public static TBuilder RequireSameOrigin<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(static endpoint =>
        {
            // Applied twice (on a group and on one of its endpoints): one check is enough.
            if (endpoint.Metadata.Contains(SameOriginRequirement.Instance))
            {
                return;
            }

            var guard = SameOriginGuard.For(endpoint.ApplicationServices);
            var next = endpoint.RequestDelegate
                ?? throw new InvalidOperationException($"The endpoint '{endpoint.DisplayName}' has no request delegate to guard.");
            endpoint.Metadata.Add(SameOriginRequirement.Instance);

            // Wrapping the delegate rather than adding an endpoint filter: the state endpoints are plain request
            // delegates (AOT-safe, no generated binding), and a filter would need the request delegate factory.
            endpoint.RequestDelegate = context => guard.Check(context) is { } refusal ? guard.RefuseAsync(context, refusal) : next(context);
        });
        return builder;
    }
}

/// <summary>Marks an endpoint guarded by <see cref="SameOriginEndpointConventionBuilderExtensions.RequireSameOrigin{TBuilder}"/>.</summary>
internal sealed class SameOriginRequirement
{
    public static readonly SameOriginRequirement Instance = new();

    private SameOriginRequirement()
    {
    }
}
