namespace LocalStack.Persistence.Strategies;

/// <summary>
/// <c>MANUAL</c>: nothing is loaded automatically; load through the state endpoints or <see cref="ISnapshotManager"/>.
/// A service that was never loaded serves requests with its empty state.
/// </summary>
internal sealed class ManualLoadStrategy : ILoadStrategy
{
    /// <inheritdoc />
    public string Name => StrategyNames.Manual;

    /// <inheritdoc />
    public bool LoadsOnFirstRequest => false;

    /// <inheritdoc />
    public ValueTask OnStartingAsync(ISnapshotManager manager, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
