// TEMPORARY STUB for h5: replaced by h4-coord at merge
using LocalStack.Persistence.Coordination;

namespace LocalStack.Persistence.Strategies;

/// <summary>Stub: loads every service at start-up.</summary>
public sealed class OnStartupLoadStrategy : ILoadStrategy
{
    /// <inheritdoc />
    public string Name => "ON_STARTUP";

    /// <inheritdoc />
    public bool LoadsOnFirstRequest => false;

    /// <inheritdoc />
    public async ValueTask OnStartingAsync(ISnapshotManager manager, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manager);
        await foreach (var _ in manager.LoadAllAsync(cancellationToken).ConfigureAwait(false))
        {
        }
    }
}
