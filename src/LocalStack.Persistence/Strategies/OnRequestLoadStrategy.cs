// TEMPORARY STUB for h5: replaced by h4-coord at merge
using LocalStack.Persistence.Coordination;

namespace LocalStack.Persistence.Strategies;

/// <summary>Stub: the first request loads a service.</summary>
public sealed class OnRequestLoadStrategy : ILoadStrategy
{
    /// <inheritdoc />
    public string Name => "ON_REQUEST";

    /// <inheritdoc />
    public bool LoadsOnFirstRequest => true;

    /// <inheritdoc />
    public ValueTask OnStartingAsync(ISnapshotManager manager, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
