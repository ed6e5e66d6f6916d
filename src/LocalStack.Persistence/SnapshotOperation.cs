namespace LocalStack.Persistence;

/// <summary>What a <see cref="State.SnapshotContext"/> is for.</summary>
public enum SnapshotOperation
{
    /// <summary>A save: assets are staged into a new generation.</summary>
    Save,

    /// <summary>A load: assets are read from the committed generation.</summary>
    Load,

    /// <summary>A reset: the service returns to its empty state.</summary>
    Reset,

    /// <summary>A deletion of the stored snapshot (live state untouched); an operation of the manager, never of a <see cref="State.SnapshotContext"/>.</summary>
    Delete,
}
