using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.State;

/// <summary>
/// What a provider may touch during one save, load or reset: its working folder and its asset generations.
/// </summary>
/// <remarks>
/// Live working files (databases, blobs) live in <see cref="WorkingDirectory"/>. During a save, copies or hard links
/// of them are staged into a new generation folder; committing the state file makes that generation current. During
/// a load, <see cref="AssetDirectory"/> is the committed generation; copy from it into the working folder and never
/// modify it.
/// </remarks>
public sealed class SnapshotContext
{
    internal SnapshotContext(ISnapshotStore store, string serviceName, SnapshotOperation operation, long generation)
    {
        throw new NotImplementedException();
    }

    /// <summary>The service.</summary>
    public string ServiceName => throw new NotImplementedException();

    /// <summary>Whether this is a save, a load or a reset.</summary>
    public SnapshotOperation Operation => throw new NotImplementedException();

    /// <summary>For a save, the generation being staged; for a load, the generation being restored; 0 for a reset.</summary>
    public long Generation => throw new NotImplementedException();

    /// <summary>The folder for the service's live working files; created on first use.</summary>
    public string WorkingDirectory => throw new NotImplementedException();

    /// <summary>For a load, the committed asset folder of the snapshot being restored, or <see langword="null"/> when it has no assets.</summary>
    public string? AssetDirectory => throw new NotImplementedException();
}
