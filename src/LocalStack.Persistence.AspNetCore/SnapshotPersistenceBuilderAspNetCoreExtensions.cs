using System.Diagnostics.CodeAnalysis;
using LocalStack.Persistence.AspNetCore.Endpoints;
using LocalStack.Persistence.AspNetCore.Requests;
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
