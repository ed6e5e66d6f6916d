// TEMPORARY STUB for h5: replaced by h4-coord at merge
using LocalStack.Persistence.Coordination;

namespace LocalStack.Persistence.Strategies;

/// <summary>Stub: never loads on its own.</summary>
public sealed class ManualLoadStrategy : ILoadStrategy
{
    /// <inheritdoc />
    public string Name => "MANUAL";

    /// <inheritdoc />
    public bool LoadsOnFirstRequest => false;

    /// <inheritdoc />
    public ValueTask OnStartingAsync(ISnapshotManager manager, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
