namespace LocalStack.Persistence.Strategies;

/// <summary>
/// <c>SCHEDULED</c> (the default): every flush interval, save the services modified since their last save; flush once
/// more at shutdown. A change made during a save keeps its service modified, so the next flush saves it.
/// </summary>
internal sealed class ScheduledSaveStrategy : ISaveStrategy
{
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates the strategy.</summary>
    /// <param name="flushInterval">How often to save modified services; LocalStack's <c>SNAPSHOT_FLUSH_INTERVAL</c>.</param>
    /// <param name="timeProvider">The clock of the periodic timer; the system clock when <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="flushInterval"/> is not positive, or too long for a timer.</exception>
    public ScheduledSaveStrategy(TimeSpan flushInterval, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(flushInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(flushInterval, TimeSpan.FromMilliseconds(uint.MaxValue - 1));
        FlushInterval = flushInterval;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>How often modified services are saved.</summary>
    public TimeSpan FlushInterval { get; }

    /// <inheritdoc />
    public string Name => StrategyNames.Scheduled;

    /// <summary>Called after every flush with the number of services saved; a test seam.</summary>
    internal Action<int>? Flushed { get; set; }

    /// <inheritdoc />
    /// <remarks>Only marks the service modified (the manager already did); the next flush saves it.</remarks>
    public ValueTask OnMutationCompletedAsync(ISnapshotManager manager, string serviceName, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <inheritdoc />
    /// <remarks>
    /// Flushes every <see cref="FlushInterval"/> until <paramref name="stoppingToken"/> is cancelled. A flush that takes
    /// longer than the interval is followed at once by the next one. The timer starts when this method is called.
    /// </remarks>
    public async Task RunAsync(ISnapshotManager manager, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(manager);
        if (!SaveStrategyHelpers.Saves(manager))
        {
            return;
        }

        using var timer = new PeriodicTimer(FlushInterval, _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var saved = await SaveStrategyHelpers.FlushDirtyAsync(manager, stoppingToken).ConfigureAwait(false);
                Flushed?.Invoke(saved);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: OnStoppedAsync makes the final flush.
        }
    }

    /// <inheritdoc />
    /// <remarks>The final flush: saves the services still modified. Returns without throwing when <paramref name="cancellationToken"/> fires.</remarks>
    public async ValueTask OnStoppedAsync(ISnapshotManager manager, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manager);
        await SaveStrategyHelpers.FlushDirtyAsync(manager, cancellationToken).ConfigureAwait(false);
    }
}
