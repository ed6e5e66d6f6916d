namespace LocalStack.Persistence;

/// <summary>
/// A snapshot was written by a newer file format or a newer schema than this process supports. It is never
/// overwritten by a later save; reset the service to discard it.
/// </summary>
public sealed class SnapshotVersionException : SnapshotException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The snapshot.</param>
    /// <param name="kind">"format" or "schema".</param>
    /// <param name="foundVersion">The version in the file.</param>
    /// <param name="supportedVersion">The newest version this process supports.</param>
    public SnapshotVersionException(string path, string kind, int foundVersion, int supportedVersion)
        : base($"Snapshot '{path}' has unsupported {kind} version {foundVersion}; this version of the software supports {kind} versions up to {supportedVersion}. {Cause(kind)}; it is kept unchanged and will not be overwritten unless the service is reset.")
    {
        Path = path;
        Kind = kind;
        FoundVersion = foundVersion;
        SupportedVersion = supportedVersion;
    }

    /// <summary>Creates the exception.</summary>
    public SnapshotVersionException()
        : base("Unsupported snapshot version.")
    {
        Path = string.Empty;
        Kind = string.Empty;
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened.</param>
    public SnapshotVersionException(string message)
        : base(message)
    {
        Path = string.Empty;
        Kind = string.Empty;
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public SnapshotVersionException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Path = string.Empty;
        Kind = string.Empty;
    }

    /// <summary>The snapshot.</summary>
    public string Path { get; }

    /// <summary>"format" or "schema".</summary>
    public string Kind { get; }

    /// <summary>The version found in the file.</summary>
    public int FoundVersion { get; }

    /// <summary>The newest version this process supports.</summary>
    public int SupportedVersion { get; }

    // A schema version sits inside the checksummed payload, so it is what the writer wrote. A format version is read
    // before the header's layout (and so its checksum) is known: a damaged byte there looks the same as newer software.
    private static string Cause(string kind) => kind == "format"
        ? "It was written by newer software, or the file is damaged at its version field (a header of an unknown format cannot be checked)"
        : "It was written by newer software";
}
