namespace LocalStack.Persistence.AspNetCore.Requests;

/// <summary>The persisted service an HTTP request belongs to, and whether it changes that service's state.</summary>
/// <param name="ServiceName">The service's name, as its <see cref="State.IServiceStateProvider.ServiceName"/>.</param>
/// <param name="Mutating">
/// <see langword="true"/> when the request may change the service's state: the service is marked dirty (or saved, under the
/// on-request save strategy) when the request ends.
/// </param>
public readonly record struct ServiceRequest(string ServiceName, bool Mutating);
