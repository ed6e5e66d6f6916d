namespace LocalStack.Persistence;

/// <summary>A point-in-time status of one service.</summary>
/// <param name="ServiceName">The service.</param>
/// <param name="Loaded">Whether its snapshot has been loaded (or it was found to have none).</param>
/// <param name="Dirty">Whether it was modified since its last successful save.</param>
/// <param name="Faulted">Whether its snapshot could not be loaded; requests fail until a reset or a successful load.</param>
/// <param name="Generation">The generation of its last saved or loaded snapshot; 0 when none.</param>
/// <param name="LastSavedAt">When it was last saved successfully.</param>
/// <param name="StoredSize">The size of its snapshot file in bytes; 0 when none.</param>
/// <param name="LastError">The message of the last failed operation, cleared by the next success of the same kind.</param>
public sealed record ServiceStatus(
    string ServiceName,
    bool Loaded,
    bool Dirty,
    bool Faulted,
    long Generation,
    DateTimeOffset? LastSavedAt,
    long StoredSize,
    string? LastError);
