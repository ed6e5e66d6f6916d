using LocalStack.Persistence.Coordination;

namespace LocalStack.Persistence.Strategies;

/// <summary>
/// <c>ON_SHUTDOWN</c>: no saves while the host runs; during shutdown every loaded (or modified) service is saved, all at
/// once, within the host's shutdown timeout. A failed save is logged by the manager and the others go on.
/// </summary>
public sealed class OnShutdownSaveStrategy : ISaveStrategy
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
    /// Saves every service that is loaded or modified and not faulted. Services never loaded are left alone: their
    /// snapshots already hold their state. When <paramref name="cancellationToken"/> fires (the shutdown timeout), this
    /// returns without throwing and without waiting for the saves left; a save already writing completes or leaves the
    /// previous snapshot.
    /// </remarks>
    public async ValueTask OnStoppedAsync(ISnapshotManager manager, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manager);
        if (!SaveStrategyHelpers.Saves(manager))
        {
            return;
        }

        var saves = new List<Task>();
        foreach (var serviceName in manager.ServiceNames)
        {
            var status = manager.GetStatus(serviceName);
            if ((status.Loaded || status.Dirty) && !status.Faulted)
            {
                saves.Add(SaveAsync(manager, serviceName, cancellationToken));
            }
        }

        await Task.WhenAll(saves).ConfigureAwait(false);
    }

    private static async Task SaveAsync(ISnapshotManager manager, string serviceName, CancellationToken cancellationToken)
    {
        try
        {
            await manager.SaveAsync(serviceName, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Logged by the manager, shown in the service's status; one failure must not stop the other saves.
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The shutdown timeout expired: the service stays modified, as its status shows.
        }
    }
}
