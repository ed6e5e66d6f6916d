namespace LocalStack.Persistence;

/// <summary>
/// A service is faulted: its snapshot is corrupt or from a newer version, or a load or reset of it stopped half-way. Its
/// requests fail, no save overwrites its snapshot, and only a successful reset or load clears the fault.
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

    /// <summary>A load or reset stopped half-way: the service's live state is incomplete.</summary>
    internal static ServiceFaultedException Interrupted(string serviceName, string operation, Exception cause)
        => new(serviceName, $"Service '{serviceName}' is unavailable because its {operation} stopped half-way ({cause.Message.TrimEnd('.')}), so its live state is incomplete. Load or reset the service.", cause);

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

    private ServiceFaultedException(string serviceName, string message, Exception cause)
        : base(message, cause)
    {
        ServiceName = serviceName;
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
