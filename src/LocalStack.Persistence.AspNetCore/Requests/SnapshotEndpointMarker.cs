namespace LocalStack.Persistence.AspNetCore.Requests;

/// <summary>
/// Endpoint metadata that keeps the persistence middleware out: the state endpoints themselves (they take the services'
/// gates), health, and endpoints marked <see cref="ServiceStateEndpointConventionBuilderExtensions.WithoutServiceState"/>.
/// </summary>
internal sealed class SnapshotEndpointMarker
{
    public static readonly SnapshotEndpointMarker Instance = new();
}
