namespace LocalStack.Persistence;

/// <summary>A snapshot is damaged: truncated, bit-flipped, or otherwise not what the writer wrote.</summary>
public sealed class SnapshotCorruptException : SnapshotException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The damaged snapshot.</param>
    /// <param name="reason">What is wrong with it.</param>
    /// <param name="innerException">The cause, if any.</param>
    public SnapshotCorruptException(string path, string reason, Exception? innerException = null)
        : base($"Snapshot '{path}' is corrupt: {reason}", innerException)
    {
        Path = path;
        Reason = reason;
    }

    /// <summary>Creates the exception.</summary>
    public SnapshotCorruptException()
        : this(string.Empty, "unknown")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The reason.</param>
    public SnapshotCorruptException(string message)
        : this(string.Empty, message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The reason.</param>
    /// <param name="innerException">The cause.</param>
    public SnapshotCorruptException(string message, Exception? innerException)
        : this(string.Empty, message, innerException)
    {
    }

    /// <summary>The damaged snapshot.</summary>
    public string Path { get; }

    /// <summary>What is wrong with it.</summary>
    public string Reason { get; }

    /// <summary>Where the damaged bytes were preserved, when a copy was made.</summary>
    public string? PreservedCopyPath { get; init; }
}
