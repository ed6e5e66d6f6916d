namespace LocalStack.Persistence;

/// <summary>No state provider is registered under a service name.</summary>
public sealed class UnknownServiceException : SnapshotException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="serviceName">The name asked for.</param>
    public UnknownServiceException(string serviceName)
        : base($"No service named '{serviceName}' is registered for persistence.")
    {
        ServiceName = serviceName;
    }

    /// <summary>Creates the exception.</summary>
    public UnknownServiceException()
        : this(string.Empty)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="serviceName">The name asked for.</param>
    /// <param name="innerException">The cause.</param>
    public UnknownServiceException(string serviceName, Exception? innerException)
        : base($"No service named '{serviceName}' is registered for persistence.", innerException)
    {
        ServiceName = serviceName;
    }

    /// <summary>The name asked for.</summary>
    public string ServiceName { get; }
}
