namespace LocalStack.Persistence.AspNetCore;

/// <summary>
/// Endpoint metadata naming the persisted service a hand-written endpoint belongs to. Added with
/// <see cref="ServiceStateEndpointConventionBuilderExtensions.WithServiceState"/>; it takes precedence over the
/// <see cref="IServiceRequestResolver"/>.
/// </summary>
public sealed class ServiceStateMetadata
{
    /// <summary>Creates the metadata.</summary>
    /// <param name="serviceName">The service's name.</param>
    /// <param name="mutating">Whether requests to the endpoint change the service's state.</param>
    /// <exception cref="ArgumentException">The name is not a valid service name.</exception>
    public ServiceStateMetadata(string serviceName, bool mutating)
    {
        ServiceNameRules.ThrowIfInvalid(serviceName);
        ServiceName = serviceName;
        Mutating = mutating;
    }

    /// <summary>Gets the service's name.</summary>
    public string ServiceName { get; }

    /// <summary>Gets a value indicating whether requests to the endpoint change the service's state.</summary>
    public bool Mutating { get; }
}
