namespace LocalStack.Persistence.AspNetCore;

/// <summary>The persisted service an HTTP request belongs to, and whether it changes that service's state.</summary>
/// <param name="ServiceName">The service's name, as its <see cref="State.IServiceStateProvider.ServiceName"/>.</param>
/// <param name="Mutating">
/// <see langword="true"/> when the request may change the service's state: the service is marked dirty (or saved, under the
/// on-request save strategy) when the request ends.
/// </param>
public readonly record struct ServiceRequest(string ServiceName, bool Mutating)
{
    /// <summary>
    /// Gets a value indicating whether the handler receives the request body itself, outside the service's gate (it steps
    /// out of its request scope while the body arrives). When <see langword="false"/> (the default) the persistence
    /// middleware reads the whole body before the scope begins (<see cref="SnapshotPersistenceMiddlewareOptions.MaxBufferedBodyBytes"/>).
    /// </summary>
    public bool StreamsBody { get; init; }
}
