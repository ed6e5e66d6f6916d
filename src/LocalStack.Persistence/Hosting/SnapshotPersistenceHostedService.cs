using LocalStack.Persistence.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LocalStack.Persistence.Hosting;

/// <summary>
/// Drives the strategies through the host's lifecycle: the load strategy's start-up loads in <see cref="StartingAsync"/>
/// (before any hosted service starts serving), the save strategy's background work from <see cref="StartedAsync"/> to
/// <see cref="StoppingAsync"/>, and the final save in <see cref="StoppedAsync"/>, after every hosted service (the web
/// server among them) has stopped and drained its requests, within the host's shutdown timeout.
/// </summary>
internal sealed class SnapshotPersistenceHostedService : IHostedLifecycleService, IAsyncDisposable, IDisposable
{
    private readonly ISnapshotManager _manager;
    private readonly ISaveStrategy _saveStrategy;
    private readonly ILoadStrategy _loadStrategy;
    private readonly SnapshotPersistenceOptions _options;
    private readonly string _stateLocation;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private CancellationTokenSource? _stopping;
    private Task? _saveLoop;
    private volatile bool _started;
    private int _finalSaveRan;

    public SnapshotPersistenceHostedService(
        ISnapshotManager manager,
        ISaveStrategy saveStrategy,
        ILoadStrategy loadStrategy,
        SnapshotPersistenceOptions options,
        string stateLocation,
        TimeProvider timeProvider,
        ILogger logger)
    {
        _manager = manager;
        _saveStrategy = saveStrategy;
        _loadStrategy = loadStrategy;
        _options = options;
        _stateLocation = stateLocation;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            Log.HostingDisabled(_logger);
            return;
        }

        Log.HostingEnabled(_logger, _saveStrategy.Name, _loadStrategy.Name, _stateLocation, _options.FlushInterval, _options.ReadOnly);
        var startedAt = _timeProvider.GetTimestamp();
        try
        {
            await _loadStrategy.OnStartingAsync(_manager, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.HostingStartupLoadFailed(_logger, _loadStrategy.Name, ex);
            throw;
        }

        var elapsed = _timeProvider.GetElapsedTime(startedAt);
        Log.HostingStartupLoadDone(_logger, _loadStrategy.Name, elapsed.TotalMilliseconds);
        _started = true;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        if (_started && _saveLoop is null)
        {
            _stopping = new CancellationTokenSource();
            var stoppingToken = _stopping.Token;

            // Task.Run: a strategy whose RunAsync does work before its first await must not hold up the host's start.
            _saveLoop = Task.Run(() => RunSaveStrategyAsync(stoppingToken), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (_saveLoop is null || _stopping is null)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _saveLoop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log.HostingSaveStrategyStopTimedOut(_logger, _saveStrategy.Name);
        }
    }

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (!_started || Interlocked.Exchange(ref _finalSaveRan, 1) != 0)
        {
            return;
        }

        // The token is the host's: it fires when HostOptions.ShutdownTimeout expires.
        var startedAt = _timeProvider.GetTimestamp();
        try
        {
            await _saveStrategy.OnStoppedAsync(_manager, cancellationToken).ConfigureAwait(false);
            var elapsed = _timeProvider.GetElapsedTime(startedAt);
            Log.HostingFinalSaveDone(_logger, _saveStrategy.Name, elapsed.TotalMilliseconds);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            var elapsed = _timeProvider.GetElapsedTime(startedAt);
            Log.HostingFinalSaveTimedOut(_logger, _saveStrategy.Name, elapsed.TotalMilliseconds);
        }
        catch (Exception ex)
        {
            // Logged, not thrown: the host goes on stopping, and disposing the store releases the state folder's lock.
            Log.HostingFinalSaveFailed(_logger, _saveStrategy.Name, ex);
        }

        ReportUnsavedServices();
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping is null)
        {
            return;
        }

        // Disposed without StoppingAsync (the host was never stopped): stop the strategy before the manager goes away.
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
            await _saveLoop!.ConfigureAwait(false);
        }

        DisposeStoppingSourceIfDone();
    }

    public void Dispose()
    {
        _stopping?.Cancel();
        DisposeStoppingSourceIfDone();
    }

    /// <summary>A strategy that ignored cancellation past the shutdown timeout may still observe the token: leave it to the GC then.</summary>
    private void DisposeStoppingSourceIfDone()
    {
        if (_saveLoop is { IsCompleted: true })
        {
            _stopping?.Dispose();
        }
    }

    private async Task RunSaveStrategyAsync(CancellationToken stoppingToken)
    {
        try
        {
            await _saveStrategy.RunAsync(_manager, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Log.HostingSaveStrategyFailed(_logger, _saveStrategy.Name, ex);
        }
    }

    /// <summary>
    /// Whatever the strategy did, every service still modified after the final save is reported: with its last error when
    /// its save failed (RELIABILITY case 14), as discarded changes otherwise.
    /// </summary>
    private void ReportUnsavedServices()
    {
        var discarded = 0;
        foreach (var serviceName in _manager.ServiceNames)
        {
            ServiceStatus status;
            try
            {
                status = _manager.GetStatus(serviceName);
            }
            catch (Exception ex)
            {
                Log.HostingStatusFailed(_logger, serviceName, ex);
                continue;
            }

            // A faulted service refuses saves on purpose (its file is kept); its fault was reported when it was loaded.
            if (!status.Dirty || status.Faulted)
            {
                continue;
            }

            if (_options.ReadOnly)
            {
                discarded++;
            }
            else if (status.LastError is { } error)
            {
                Log.HostingServiceNotSaved(_logger, serviceName, error);
            }
            else
            {
                Log.HostingChangesNotSaved(_logger, serviceName, _saveStrategy.Name);
            }
        }

        if (discarded > 0)
        {
            Log.HostingReadOnlyChangesDiscarded(_logger, discarded);
        }
    }
}
