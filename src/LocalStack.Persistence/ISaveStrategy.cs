namespace LocalStack.Persistence;

/// <summary>
/// Decides when services are saved. Built in: <c>OnRequest</c>, <c>Scheduled</c> (default), <c>OnShutdown</c>, <c>Manual</c>;
/// a custom strategy registers through <c>UseSaveStrategy&lt;T&gt;()</c>.
/// </summary>
public interface ISaveStrategy
{
    /// <summary>The strategy's name as LocalStack spells it (<c>ON_REQUEST</c>, <c>SCHEDULED</c>, ...), for logs and status.</summary>
    string Name { get; }

    /// <summary>
    /// Called when a mutating request on a service has completed and released the gate (the manager has already marked
    /// the service modified). The request is acknowledged when the returned task completes.
    /// </summary>
    /// <param name="manager">The manager.</param>
    /// <param name="serviceName">The service.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the request may be acknowledged.</returns>
    ValueTask OnMutationCompletedAsync(ISnapshotManager manager, string serviceName, CancellationToken cancellationToken);

    /// <summary>
    /// Runs in the background while the host runs (for example a periodic flush); returns when <paramref name="stoppingToken"/>
    /// is cancelled, or at once when the strategy has no background work (every built-in strategy but <c>SCHEDULED</c>).
    /// </summary>
    /// <param name="manager">The manager.</param>
    /// <param name="stoppingToken">Cancelled when the host stops.</param>
    /// <returns>A task that completes when the strategy has stopped.</returns>
    Task RunAsync(ISnapshotManager manager, CancellationToken stoppingToken);

    /// <summary>
    /// Called once during shutdown, after the server has drained its requests and <see cref="RunAsync"/> has returned: the
    /// final save, if any. The built-in strategies report failed saves through the manager (logs, status) and return
    /// without throwing when <paramref name="cancellationToken"/> fires.
    /// </summary>
    /// <param name="manager">The manager.</param>
    /// <param name="cancellationToken">Cancelled when the host's shutdown timeout expires.</param>
    /// <returns>A task that completes when the final saves are done.</returns>
    ValueTask OnStoppedAsync(ISnapshotManager manager, CancellationToken cancellationToken);
}
