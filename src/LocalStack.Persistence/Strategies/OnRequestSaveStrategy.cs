// TEMPORARY STUB for h5: replaced by h4-coord at merge
using LocalStack.Persistence.Coordination;

namespace LocalStack.Persistence.Strategies;

/// <summary>Stub: saves a service after each mutating request.</summary>
public sealed class OnRequestSaveStrategy : ISaveStrategy
{
    /// <inheritdoc />
    public string Name => "ON_REQUEST";

    /// <inheritdoc />
    public async ValueTask OnMutationCompletedAsync(ISnapshotManager manager, string serviceName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manager);
        await manager.SaveAsync(serviceName, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task RunAsync(ISnapshotManager manager, CancellationToken stoppingToken) => Task.CompletedTask;

    /// <inheritdoc />
    public async ValueTask OnStoppedAsync(ISnapshotManager manager, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manager);
        await foreach (var _ in manager.SaveAllAsync(dirtyOnly: true, cancellationToken).ConfigureAwait(false))
        {
        }
    }
}
