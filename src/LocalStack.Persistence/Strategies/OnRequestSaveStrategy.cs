namespace LocalStack.Persistence.Strategies;

/// <summary>
/// <c>ON_REQUEST</c>: a mutating request completes only after a save that covers its change is durable. Concurrent
/// mutations of a service share saves (the manager merges them), so the cost per request falls as the load rises.
/// Services changed outside requests (<see cref="ISnapshotManager.MarkModified"/>) are saved at shutdown.
/// </summary>
internal sealed class OnRequestSaveStrategy : ISaveStrategy
{
    /// <inheritdoc />
    public string Name => StrategyNames.OnRequest;

    /// <inheritdoc />
    /// <remarks>Saves the service and completes when the snapshot is durable; a failed save fails the request.</remarks>
    public async ValueTask OnMutationCompletedAsync(ISnapshotManager manager, string serviceName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manager);
        if (SaveStrategyHelpers.Saves(manager))
        {
            await manager.SaveAsync(serviceName, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <remarks>Nothing runs in the background; completes at once.</remarks>
    public Task RunAsync(ISnapshotManager manager, CancellationToken stoppingToken) => Task.CompletedTask;

    /// <inheritdoc />
    /// <remarks>Saves the services still modified (a failed save, or a change made outside a request). Returns without throwing when <paramref name="cancellationToken"/> fires.</remarks>
    public async ValueTask OnStoppedAsync(ISnapshotManager manager, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manager);
        await SaveStrategyHelpers.FlushDirtyAsync(manager, cancellationToken).ConfigureAwait(false);
    }
}
