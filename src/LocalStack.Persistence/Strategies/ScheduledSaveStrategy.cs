// TEMPORARY STUB for h5: replaced by h4-coord at merge
using LocalStack.Persistence.Coordination;

namespace LocalStack.Persistence.Strategies;

/// <summary>Stub: saves modified services every flush interval and at shutdown.</summary>
/// <param name="flushInterval">The interval.</param>
/// <param name="timeProvider">The clock.</param>
public sealed class ScheduledSaveStrategy(TimeSpan flushInterval, TimeProvider? timeProvider = null) : ISaveStrategy
{
    /// <inheritdoc />
    public string Name => "SCHEDULED";

    /// <inheritdoc />
    public ValueTask OnMutationCompletedAsync(ISnapshotManager manager, string serviceName, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <inheritdoc />
    public async Task RunAsync(ISnapshotManager manager, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(manager);
        using var timer = new PeriodicTimer(flushInterval, timeProvider ?? TimeProvider.System);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await foreach (var _ in manager.SaveAllAsync(dirtyOnly: true, stoppingToken).ConfigureAwait(false))
                {
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <inheritdoc />
    public async ValueTask OnStoppedAsync(ISnapshotManager manager, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manager);
        await foreach (var _ in manager.SaveAllAsync(dirtyOnly: true, cancellationToken).ConfigureAwait(false))
        {
        }
    }
}
