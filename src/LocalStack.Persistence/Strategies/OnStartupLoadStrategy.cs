namespace LocalStack.Persistence.Strategies;

/// <summary>
/// <c>ON_STARTUP</c>: every service is loaded before the host serves, all at once; a service without a snapshot counts
/// as loaded (empty). A service whose snapshot is corrupt or from a newer version is faulted; one whose load failed
/// otherwise (an I/O error) is loaded by its first request instead. Neither stops start-up: the failures are logged
/// and shown in the services' status.
/// </summary>
internal sealed class OnStartupLoadStrategy : ILoadStrategy
{
    /// <inheritdoc />
    public string Name => StrategyNames.OnStartup;

    /// <inheritdoc />
    /// <remarks>
    /// <see langword="true"/>: a service loaded at start-up is not loaded again, and one whose start-up load failed must
    /// not serve (and later save) an empty state.
    /// </remarks>
    public bool LoadsOnFirstRequest => true;

    /// <inheritdoc />
    public async ValueTask OnStartingAsync(ISnapshotManager manager, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manager);
        if (!manager.IsEnabled)
        {
            return;
        }

        await foreach (var result in manager.LoadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            // Each failure is logged by the manager and kept in the service's status.
            _ = result;
        }
    }
}
