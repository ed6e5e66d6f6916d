namespace LocalStack.Persistence.AspNetCore;

/// <summary>
/// Endpoint metadata: the endpoint receives its request body itself, outside its service's gate (it steps out of its
/// request scope while the body arrives, see <see cref="SnapshotHttpContextExtensions.GetSnapshotRequestScope"/>), so
/// the persistence middleware does not read the body first. Added with
/// <see cref="ServiceStateEndpointConventionBuilderExtensions.WithStreamedRequestBody"/>; a resolver says the same with
/// <see cref="ServiceRequest.StreamsBody"/>.
/// </summary>
public sealed class StreamedRequestBodyMetadata
{
    /// <summary>The one instance.</summary>
    public static readonly StreamedRequestBodyMetadata Instance = new();

    private StreamedRequestBodyMetadata()
    {
    }
}
