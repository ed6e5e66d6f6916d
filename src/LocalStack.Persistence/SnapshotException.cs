namespace LocalStack.Persistence;

/// <summary>The base of every error this library raises about a snapshot or the state folder.</summary>
public class SnapshotException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SnapshotException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened, and where.</param>
    public SnapshotException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What happened, and where.</param>
    /// <param name="innerException">The cause.</param>
    public SnapshotException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
