namespace LocalStack.Persistence.AspNetCore.Requests;

/// <summary>Endpoint metadata of the state endpoints themselves: the persistence middleware lets them through untouched.</summary>
internal sealed class SnapshotEndpointMarker
{
    public static readonly SnapshotEndpointMarker Instance = new();
}
