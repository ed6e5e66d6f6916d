using System.Diagnostics.CodeAnalysis;
using LocalStack.Persistence.AspNetCore.Aws;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LocalStack.Persistence.AspNetCore;

/// <summary>ASP.NET Core registrations on <see cref="SnapshotPersistenceBuilder"/>.</summary>
public static class SnapshotPersistenceBuilderAspNetCoreExtensions
{
    /// <summary>Replaces the <see cref="IServiceRequestResolver"/> the persistence middleware uses.</summary>
    /// <typeparam name="TResolver">The resolver type, created by the container as a singleton.</typeparam>
    /// <param name="builder">The persistence builder.</param>
    /// <returns>The builder.</returns>
    public static SnapshotPersistenceBuilder UseServiceRequestResolver<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TResolver>(
        this SnapshotPersistenceBuilder builder)
        where TResolver : class, IServiceRequestResolver
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.RemoveAll<IServiceRequestResolver>();
        builder.Services.AddSingleton<IServiceRequestResolver, TResolver>();
        return builder;
    }

    /// <summary>
    /// Replaces the <see cref="IServiceRequestResolver"/> the persistence middleware uses with one the factory makes,
    /// e.g. a resolver that takes constructor arguments: <c>.UseServiceRequestResolver(sp =&gt; new MyResolver("s3", sp.GetRequiredService&lt;MyRoutes&gt;()))</c>.
    /// </summary>
    /// <typeparam name="TResolver">The resolver type.</typeparam>
    /// <param name="builder">The persistence builder.</param>
    /// <param name="factory">Creates the resolver, once, from the container (a singleton).</param>
    /// <returns>The builder.</returns>
    public static SnapshotPersistenceBuilder UseServiceRequestResolver<TResolver>(this SnapshotPersistenceBuilder builder, Func<IServiceProvider, TResolver> factory)
        where TResolver : class, IServiceRequestResolver
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.RemoveAll<IServiceRequestResolver>();
        builder.Services.AddSingleton<IServiceRequestResolver>(factory);
        return builder;
    }

    /// <summary>
    /// Resolves requests the way LocalStack does (<see cref="AwsServiceRequestResolver"/>: the SigV4 scope, <c>X-Amz-Target</c>,
    /// the query protocol's <c>Action</c>), with a service for unsigned REST requests (LocalStack sends them to <c>s3</c>).
    /// Without any resolver registration the middleware uses <see cref="AwsServiceRequestResolver"/> with no default service.
    /// </summary>
    /// <param name="builder">The persistence builder.</param>
    /// <param name="defaultServiceName">The service of unsigned REST requests (a plain curl), e.g. <c>s3</c>; <see langword="null"/> for none.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="defaultServiceName"/> is not a valid service name.</exception>
    public static SnapshotPersistenceBuilder UseAwsServiceRequestResolver(this SnapshotPersistenceBuilder builder, string? defaultServiceName = null)
    {
        var resolver = new AwsServiceRequestResolver(defaultServiceName);
        return builder.UseServiceRequestResolver(_ => resolver);
    }

    /// <summary>
    /// Sets what the state endpoints (and every endpoint with <c>.RequireSameOrigin()</c>) let through, after the
    /// configuration (<c>EXTRA_CORS_ALLOWED_ORIGINS</c>, <c>DISABLE_CORS_CHECKS</c>, <c>LOCALSTACK_HOST</c>, the
    /// <c>SnapshotPersistence:Endpoints</c> section) has been applied.
    /// </summary>
    /// <param name="builder">The persistence builder.</param>
    /// <param name="configure">Adds allowed origins or host names, or turns the origin checks off.</param>
    /// <returns>The builder.</returns>
    public static SnapshotPersistenceBuilder ConfigureSameOrigin(this SnapshotPersistenceBuilder builder, Action<SameOriginOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }
}
