namespace LocalStack.Persistence.Strategies;

/// <summary><c>MANUAL</c>: nothing is saved automatically; save through the state endpoints or <see cref="ISnapshotManager"/>.</summary>
internal sealed class ManualSaveStrategy : ISaveStrategy
{
    /// <inheritdoc />
    public string Name => StrategyNames.Manual;

    /// <inheritdoc />
    public ValueTask OnMutationCompletedAsync(ISnapshotManager manager, string serviceName, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <inheritdoc />
    /// <remarks>Nothing runs in the background; completes at once.</remarks>
    public Task RunAsync(ISnapshotManager manager, CancellationToken stoppingToken) => Task.CompletedTask;

    /// <inheritdoc />
    public ValueTask OnStoppedAsync(ISnapshotManager manager, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
