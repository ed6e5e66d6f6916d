using System.ComponentModel.DataAnnotations;

namespace LocalStack.Persistence.AspNetCore;

/// <summary>
/// Options of the persistence request middleware (<see cref="SnapshotPersistenceApplicationBuilderExtensions.UseSnapshotPersistence(Microsoft.AspNetCore.Builder.IApplicationBuilder)"/>):
/// what to do with requests that belong to no persisted service, how large a request body is read before the request's
/// scope begins, how much of a held response may be buffered, and how often a faulted service's refusals are logged. Configure them with
/// <c>builder.Services.Configure&lt;SnapshotPersistenceMiddlewareOptions&gt;(...)</c>, or pass an instance to
/// <c>UseSnapshotPersistence(options)</c>; they are validated when the middleware is added.
/// </summary>
public sealed class SnapshotPersistenceMiddlewareOptions
{
    /// <summary>The default <see cref="HeldResponseMemoryThreshold"/>: 64 KiB.</summary>
    public const int DefaultHeldResponseMemoryThreshold = 64 * 1024;

    /// <summary>The default <see cref="MaxHeldResponseBytes"/>: 256 MiB.</summary>
    public const long DefaultMaxHeldResponseBytes = 256L * 1024 * 1024;

    /// <summary>The default of <see cref="MaxBufferedBodyBytes"/>: 16 MiB, the largest AWS JSON request (DynamoDB's BatchWriteItem).</summary>
    public const long DefaultMaxBufferedBodyBytes = 16L * 1024 * 1024;

    /// <summary>The default <see cref="FaultLogInterval"/>: one minute.</summary>
    public static readonly TimeSpan DefaultFaultLogInterval = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Gets or sets a value indicating whether a request that belongs to no registered service is refused (strict mode)
    /// instead of passing through unpersisted. A refused request gets 500
    /// <c>{"status":"error","message":"..."}</c> naming the route and the fix: <c>.WithServiceState("name", mutating: ...)</c>
    /// on the endpoint, or an <see cref="IServiceRequestResolver"/> that resolves it. Endpoints that keep no state are
    /// exempted with <see cref="ServiceStateEndpointConventionBuilderExtensions.WithoutServiceState"/>; the state and
    /// health endpoints are exempt. Either way each such route is logged once as a warning. Nothing is refused while
    /// persistence is disabled.
    /// </summary>
    /// <value>The default value is <see langword="false"/>: such requests pass through, with one warning per route.</value>
    public bool RequireServiceForEveryRequest { get; set; }

    /// <summary>
    /// Gets or sets how many bytes of a held response (a mutating request's answer, held until its save is durable) are
    /// kept in memory; the rest spills to a temporary file.
    /// </summary>
    /// <value>The default value is <see cref="DefaultHeldResponseMemoryThreshold"/> (64 KiB).</value>
    [Range(0, int.MaxValue)]
    public int HeldResponseMemoryThreshold { get; set; } = DefaultHeldResponseMemoryThreshold;

    /// <summary>
    /// Gets or sets the largest held response, memory and temporary file together, in bytes. A handler that writes more
    /// gets an <see cref="IOException"/> from its write, and the client gets 500
    /// <c>{"service":"...","status":"error","message":"..."}</c> naming the limit and this setting instead of the answer.
    /// </summary>
    /// <value>The default value is <see cref="DefaultMaxHeldResponseBytes"/> (256 MiB).</value>
    [Range(1, long.MaxValue)]
    public long MaxHeldResponseBytes { get; set; } = DefaultMaxHeldResponseBytes;

    /// <summary>
    /// Gets or sets how often, at most, a refusal of a faulted (or failing to load) service's requests is logged again as a
    /// one-line warning. The fault itself is logged once, with its exception, when it is first met (and again after a
    /// successful request or when the fault changes).
    /// </summary>
    /// <value>The default value is <see cref="DefaultFaultLogInterval"/> (one minute).</value>
    public TimeSpan FaultLogInterval { get; set; } = DefaultFaultLogInterval;

    /// <summary>
    /// Gets or sets the largest request body, in bytes, the middleware reads before a request's scope begins. A request
    /// holds its service's gate from the start of its scope, and a save waits for every request inside the gate; so the
    /// middleware reads the whole body first (in memory up to 64 KiB, beyond that in a temporary file of ASP.NET Core's),
    /// and a client that sends its body slowly holds up nobody but itself. A larger body is refused with 413 and a JSON
    /// error. Endpoints that take large bodies receive them themselves, outside the gate: they declare it with
    /// <see cref="ServiceStateEndpointConventionBuilderExtensions.WithStreamedRequestBody"/> or
    /// <see cref="ServiceRequest.StreamsBody"/>, and step out of their scope while the body arrives.
    /// </summary>
    /// <value>The default value is <see cref="DefaultMaxBufferedBodyBytes"/> (16 MiB).</value>
    [Range(0, long.MaxValue)]
    public long MaxBufferedBodyBytes { get; set; } = DefaultMaxBufferedBodyBytes;
}
