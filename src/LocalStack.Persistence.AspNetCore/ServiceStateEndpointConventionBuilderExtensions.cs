using LocalStack.Persistence.AspNetCore.Requests;
using Microsoft.AspNetCore.Builder;

namespace LocalStack.Persistence.AspNetCore;

/// <summary>Ties hand-written endpoints to a persisted service.</summary>
public static class ServiceStateEndpointConventionBuilderExtensions
{
    /// <summary>
    /// Runs requests to the endpoint inside the service's request scope: lazy load before, dirty marking or an on-request
    /// save after. Requires <see cref="SnapshotPersistenceApplicationBuilderExtensions.UseSnapshotPersistence(Microsoft.AspNetCore.Builder.IApplicationBuilder)"/>.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint builder type.</typeparam>
    /// <param name="builder">The endpoint or group.</param>
    /// <param name="serviceName">The service's name.</param>
    /// <param name="mutating">Whether requests change the service's state.</param>
    /// <returns>The builder.</returns>
    public static TBuilder WithServiceState<TBuilder>(this TBuilder builder, string serviceName, bool mutating)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var metadata = new ServiceStateMetadata(serviceName, mutating);
        builder.Add(endpoint => endpoint.Metadata.Add(metadata));
        return builder;
    }

    /// <summary>
    /// Declares that the endpoint receives its request body itself, outside its service's gate (stepping out of its request
    /// scope while the body arrives), so that the persistence middleware does not read the body before the scope begins
    /// (<see cref="SnapshotPersistenceMiddlewareOptions.MaxBufferedBodyBytes"/>). For uploads larger than <see cref="SnapshotPersistenceMiddlewareOptions.MaxBufferedBodyBytes"/>.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint builder type.</typeparam>
    /// <param name="builder">The endpoint or group.</param>
    /// <returns>The builder.</returns>
    public static TBuilder WithStreamedRequestBody<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(endpoint => endpoint.Metadata.Add(StreamedRequestBodyMetadata.Instance));
        return builder;
    }

    /// <summary>
    /// Keeps the persistence middleware out of requests to the endpoint: it keeps no service state (a health check, a
    /// static page), so it is neither reported as unpersisted nor refused under
    /// <see cref="SnapshotPersistenceMiddlewareOptions.RequireServiceForEveryRequest"/>.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint builder type.</typeparam>
    /// <param name="builder">The endpoint or group.</param>
    /// <returns>The builder.</returns>
    public static TBuilder WithoutServiceState<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(endpoint => endpoint.Metadata.Add(SnapshotEndpointMarker.Instance));
        return builder;
    }
}
