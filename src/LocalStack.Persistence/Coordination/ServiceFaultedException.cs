using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Coordination;

/// <summary>
/// A service's snapshot is corrupt or from a newer version, so the service is faulted: its requests fail, no save
/// overwrites the file, and only an explicit reset or a successful load clears the fault.
/// </summary>
public sealed class ServiceFaultedException : SnapshotException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="serviceName">The faulted service.</param>
    /// <param name="cause">Why its snapshot could not be loaded (names the file).</param>
    public ServiceFaultedException(string serviceName, Exception cause)
        : base(Describe(serviceName, cause), cause)
    {
        ServiceName = serviceName;
    }

    /// <summary>Creates the exception.</summary>
    public ServiceFaultedException()
        : base("The service is faulted.")
    {
        ServiceName = string.Empty;
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened.</param>
    public ServiceFaultedException(string message)
        : base(message)
    {
        ServiceName = string.Empty;
    }

    /// <summary>The faulted service.</summary>
    public string ServiceName { get; }

    // The cause's message is a sentence of its own, with or without its final period: it ends with exactly one.
    private static string Describe(string serviceName, Exception? cause)
    {
        var reason = cause?.Message.Trim() is { Length: > 0 } message ? message : "no reason was given";
        var stop = reason.EndsWith('.') || reason.EndsWith('!') || reason.EndsWith('?') ? "" : ".";
        return $"Service '{serviceName}' is unavailable because its snapshot could not be loaded: {reason}{stop} Repair or replace the file and load the service, or reset it.";
    }
}
