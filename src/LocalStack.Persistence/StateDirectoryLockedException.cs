namespace LocalStack.Persistence;

/// <summary>Another live process (or another store in this process) holds the state folder's <c>.lock</c>.</summary>
public sealed class StateDirectoryLockedException : SnapshotException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="stateDirectory">The state folder.</param>
    /// <param name="holderProcessId">The process id written in the lock file, when it could be read.</param>
    /// <param name="innerException">The cause.</param>
    public StateDirectoryLockedException(string stateDirectory, int? holderProcessId, Exception? innerException = null)
        : base(holderProcessId is { } pid
            ? $"State folder '{stateDirectory}' is locked by process {pid}; only one process may use a state folder at a time."
            : $"State folder '{stateDirectory}' is locked by another process (its id could not be read); only one process may use a state folder at a time.", innerException)
    {
        StateDirectory = stateDirectory;
        HolderProcessId = holderProcessId;
    }

    /// <summary>Creates the exception.</summary>
    public StateDirectoryLockedException()
        : this(string.Empty, null)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The state folder.</param>
    public StateDirectoryLockedException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The state folder.</param>
    /// <param name="innerException">The cause.</param>
    public StateDirectoryLockedException(string message, Exception? innerException)
        : this(message, null, innerException)
    {
    }

    /// <summary>The state folder.</summary>
    public string StateDirectory { get; }

    /// <summary>The process id of the holder, when it could be read.</summary>
    public int? HolderProcessId { get; }
}
