// TEMPORARY STUB for h5: replaced by h4-coord at merge
using LocalStack.Persistence.Coordination;

namespace LocalStack.Persistence.Strategies;

/// <summary>Stub: saves modified services at shutdown.</summary>
public sealed class OnShutdownSaveStrategy : ISaveStrategy
{
    /// <inheritdoc />
    public string Name => "ON_SHUTDOWN";

    /// <inheritdoc />
    public ValueTask OnMutationCompletedAsync(ISnapshotManager manager, string serviceName, CancellationToken cancellationToken) => ValueTask.CompletedTask;

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
