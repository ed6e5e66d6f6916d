using System.ComponentModel.DataAnnotations;

namespace LocalStack.Persistence.AspNetCore.Requests;

/// <summary>
/// How the persistence middleware receives request bodies. A request holds its service's gate from the start of its
/// scope, and a save waits for every request inside the gate; so the middleware reads a request's whole body before the
/// scope begins (in memory up to 64 KiB, beyond that in a temporary file of ASP.NET Core's), and a client that sends
/// its body slowly holds up nobody but itself. A body larger than <see cref="MaxBufferedBodyBytes"/> is refused with
/// 413 and a JSON error. Endpoints that take large bodies receive them themselves, outside the gate: they declare it with
/// <see cref="ServiceStateEndpointConventionBuilderExtensions.WithStreamedRequestBody"/> or
/// <see cref="ServiceRequest.StreamsBody"/>, and step out of their scope while the body arrives.
/// </summary>
/// <remarks>Configure with <c>services.Configure&lt;SnapshotRequestBodyOptions&gt;(o =&gt; ...)</c> before
/// <see cref="SnapshotPersistenceApplicationBuilderExtensions.UseSnapshotPersistence(Microsoft.AspNetCore.Builder.IApplicationBuilder)"/>, which validates them.</remarks>
public sealed class SnapshotRequestBodyOptions
{
    /// <summary>The default of <see cref="MaxBufferedBodyBytes"/>: 16 MiB, the largest AWS JSON request (DynamoDB's BatchWriteItem).</summary>
    public const long DefaultMaxBufferedBodyBytes = 16L * 1024 * 1024;

    /// <summary>The largest body, in bytes, the middleware reads before a request's scope begins; larger ones get 413.</summary>
    /// <value>The default value is <see cref="DefaultMaxBufferedBodyBytes"/> (16 MiB).</value>
    [Range(0, long.MaxValue)]
    public long MaxBufferedBodyBytes { get; set; } = DefaultMaxBufferedBodyBytes;
}
