using Microsoft.AspNetCore.Http;

namespace LocalStack.Persistence.AspNetCore;

/// <summary>
/// Finds which persisted service an HTTP request belongs to and whether it mutates that service, for the middleware added
/// by <see cref="SnapshotPersistenceApplicationBuilderExtensions.UseSnapshotPersistence(Microsoft.AspNetCore.Builder.IApplicationBuilder)"/>. Endpoint metadata added with
/// <see cref="ServiceStateEndpointConventionBuilderExtensions.WithServiceState"/> takes precedence over the resolver.
/// </summary>
/// <remarks>Register an implementation with <c>SnapshotPersistenceBuilder.UseServiceRequestResolver&lt;T&gt;()</c>;
/// the default is <see cref="Aws.AwsServiceRequestResolver"/>.</remarks>
public interface IServiceRequestResolver
{
    /// <summary>Resolves the request.</summary>
    /// <param name="context">The request. An implementation may buffer and read the body (form fields), leaving it readable.</param>
    /// <param name="cancellationToken">Cancels the resolution.</param>
    /// <returns>The service and whether the request mutates it, or <see langword="null"/> when the request belongs to no service.</returns>
    ValueTask<ServiceRequest?> ResolveAsync(HttpContext context, CancellationToken cancellationToken = default);
}
