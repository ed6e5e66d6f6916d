// TEMPORARY STUB for h5: replaced by h4-coord at merge
using LocalStack.Persistence.Coordination;

namespace LocalStack.Persistence.Strategies;

/// <summary>Stub: never saves on its own.</summary>
public sealed class ManualSaveStrategy : ISaveStrategy
{
    /// <inheritdoc />
    public string Name => "MANUAL";

    /// <inheritdoc />
    public ValueTask OnMutationCompletedAsync(ISnapshotManager manager, string serviceName, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <inheritdoc />
    public Task RunAsync(ISnapshotManager manager, CancellationToken stoppingToken) => Task.CompletedTask;

    /// <inheritdoc />
    public ValueTask OnStoppedAsync(ISnapshotManager manager, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
