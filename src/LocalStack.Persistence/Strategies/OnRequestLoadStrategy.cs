namespace LocalStack.Persistence.Strategies;

/// <summary>
/// <c>ON_REQUEST</c> (the default): the first request to a service loads it, once however many requests arrive together.
/// A failed load reaches every request waiting for it and the next request tries again.
/// </summary>
internal sealed class OnRequestLoadStrategy : ILoadStrategy
{
    /// <inheritdoc />
    public string Name => StrategyNames.OnRequest;

    /// <inheritdoc />
    public bool LoadsOnFirstRequest => true;

    /// <inheritdoc />
    public ValueTask OnStartingAsync(ISnapshotManager manager, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
