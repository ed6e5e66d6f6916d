using LocalStack.Persistence.AspNetCore.Aws;
using LocalStack.Persistence.AspNetCore.Requests;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LocalStack.Persistence.AspNetCore;

/// <summary>Adds the persistence request middleware to an ASP.NET Core pipeline.</summary>
public static class SnapshotPersistenceApplicationBuilderExtensions
{
    /// <summary>
    /// Runs every request that belongs to a persisted service inside that service's request scope: lazy load on first
    /// use, dirty marking, and, under the on-request save strategy, a durable save before the response is sent (the
    /// response of a mutating request is held until then; a failed save turns it into a 500 error). When the service's
    /// snapshot cannot be loaded (corrupt, newer version, I/O failure) the request is answered 503 without running the
    /// handler; both errors are <c>{"service":"s3","status":"error","message":"..."}</c>. The service comes
    /// from endpoint metadata (<see cref="ServiceStateEndpointConventionBuilderExtensions.WithServiceState"/>) or the
    /// registered <see cref="IServiceRequestResolver"/> (default <see cref="AwsServiceRequestResolver"/>).
    /// A request's body is read whole before its scope begins, so that a slow client holds up no save and no other request
    /// (<see cref="SnapshotPersistenceMiddlewareOptions.MaxBufferedBodyBytes"/>: up to 16 MiB by default, larger bodies get 413; endpoints that receive
    /// their body themselves outside the gate say so with <see cref="ServiceStateEndpointConventionBuilderExtensions.WithStreamedRequestBody"/>).
    /// Place it after routing so that endpoint metadata is visible. A request that belongs to no registered service passes
    /// through (each such route is logged once as a warning), or is refused in strict mode
    /// (<see cref="SnapshotPersistenceMiddlewareOptions.RequireServiceForEveryRequest"/>).
    /// </summary>
    /// <param name="app">The application.</param>
    /// <returns>The application.</returns>
    /// <remarks>The options come from the container (<c>Configure&lt;SnapshotPersistenceMiddlewareOptions&gt;</c>), else the defaults.</remarks>
    public static IApplicationBuilder UseSnapshotPersistence(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.UseSnapshotPersistence(app.ApplicationServices.GetService<IOptions<SnapshotPersistenceMiddlewareOptions>>()?.Value ?? new());
    }

    /// <summary>
    /// Adds the persistence request middleware, as <see cref="UseSnapshotPersistence(IApplicationBuilder)"/>, with these
    /// options: e.g. <c>app.UseSnapshotPersistence(new() { RequireServiceForEveryRequest = true })</c>.
    /// </summary>
    /// <param name="app">The application.</param>
    /// <param name="options">The middleware's options.</param>
    /// <returns>The application.</returns>
    /// <exception cref="OptionsValidationException">An option is out of range.</exception>
    public static IApplicationBuilder UseSnapshotPersistence(this IApplicationBuilder app, SnapshotPersistenceMiddlewareOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        var validation = new SnapshotPersistenceMiddlewareOptionsValidator().Validate(Options.DefaultName, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(SnapshotPersistenceMiddlewareOptions), validation.Failures);
        }

        var services = app.ApplicationServices;
        var manager = services.GetRequiredService<ISnapshotManager>();
        var resolver = services.GetService<IServiceRequestResolver>() ?? new AwsServiceRequestResolver();
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger<SnapshotPersistenceMiddleware>()
            ?? NullLogger<SnapshotPersistenceMiddleware>.Instance;
        var timeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System;
        return app.Use(next => new SnapshotPersistenceMiddleware(next, manager, resolver, logger, options, timeProvider).InvokeAsync);
    }
}
