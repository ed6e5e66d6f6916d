namespace LocalStack.Persistence.Strategies;

/// <summary>
/// <c>ON_SHUTDOWN</c>: no saves while the host runs; during shutdown every modified service is saved, all at once,
/// within the host's shutdown timeout. A failed save is logged by the manager and the others go on.
/// </summary>
internal sealed class OnShutdownSaveStrategy : ISaveStrategy
{
    /// <inheritdoc />
    public string Name => StrategyNames.OnShutdown;

    /// <inheritdoc />
    public ValueTask OnMutationCompletedAsync(ISnapshotManager manager, string serviceName, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <inheritdoc />
    /// <remarks>Nothing runs in the background; completes at once.</remarks>
    public Task RunAsync(ISnapshotManager manager, CancellationToken stoppingToken) => Task.CompletedTask;

    /// <inheritdoc />
    /// <remarks>
    /// Saves every service modified since its last save (and not faulted), all at once; a service loaded and left
    /// unchanged is not rewritten, since its snapshot already holds its state. When <paramref name="cancellationToken"/>
    /// fires (the shutdown timeout), this returns without throwing and without waiting for the saves left; a save already
    /// writing completes or leaves the previous snapshot.
    /// </remarks>
    public async ValueTask OnStoppedAsync(ISnapshotManager manager, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manager);
        await SaveStrategyHelpers.FlushDirtyAsync(manager, cancellationToken).ConfigureAwait(false);
    }
}
