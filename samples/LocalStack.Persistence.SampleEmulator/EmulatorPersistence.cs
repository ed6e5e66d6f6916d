using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.SampleEmulator;

/// <summary>
/// Loads the services at start-up, saves after every mutation and at shutdown. A stand-in for the library's
/// strategies and hosted lifecycle, which come with the next issue.
/// </summary>
internal sealed partial class EmulatorPersistence(EmulatorSettings settings, KeyValueService kv, ILogger<EmulatorPersistence> logger) : IHostedService, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private FileSystemSnapshotStore? _store;
    private ServiceSnapshotter? _snapshotter;

    public IReadOnlyList<IServiceStateProvider> Services { get; } = [kv];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!settings.Persistence)
        {
            LogDisabled(logger);
            return;
        }

        _store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = settings.StateDirectory });
        _snapshotter = new ServiceSnapshotter(_store);
        LogEnabled(logger, settings.StateDirectory);
        foreach (var service in Services)
        {
            var loaded = await _snapshotter.LoadAsync(service, cancellationToken);
            LogLoaded(logger, service.ServiceName, loaded?.Generation ?? 0);
        }
    }

    /// <summary>Runs a mutation under the gate, then saves the service before the caller answers.</summary>
    public async Task<T> MutateAsync<T>(IServiceStateProvider service, Func<T> mutation, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var result = mutation();
            if (_snapshotter is not null)
            {
                await _snapshotter.SaveAsync(service, cancellationToken);
            }

            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<T> ReadAsync<T>(Func<T> read, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return read();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Runs save, load or reset of one service under its gate.</summary>
    public async Task RunAsync(IServiceStateProvider service, SnapshotOperation operation, CancellationToken cancellationToken)
    {
        var snapshotter = _snapshotter ?? throw new InvalidOperationException("Persistence is disabled (PERSISTENCE=0).");
        await _gate.WaitAsync(cancellationToken);
        try
        {
            switch (operation)
            {
                case SnapshotOperation.Save:
                    await snapshotter.SaveAsync(service, cancellationToken);
                    break;
                case SnapshotOperation.Load:
                    await snapshotter.LoadAsync(service, cancellationToken);
                    break;
                default:
                    await snapshotter.ResetAsync(service, deleteSnapshot: true, cancellationToken);
                    break;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_snapshotter is null)
        {
            return;
        }

        foreach (var service in Services)
        {
            await RunAsync(service, SnapshotOperation.Save, cancellationToken);
            LogSaved(logger, service.ServiceName);
        }
    }

    public void Dispose()
    {
        _store?.Dispose();
        _gate.Dispose();
    }

    [LoggerMessage(1, LogLevel.Information, "Persistence is disabled (PERSISTENCE=0): state lives in memory only.")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(2, LogLevel.Information, "Persistence is on: state folder {StateDirectory}; saves after every mutation and at shutdown.")]
    private static partial void LogEnabled(ILogger logger, string stateDirectory);

    [LoggerMessage(3, LogLevel.Information, "Service {Service} loaded (generation {Generation}; 0 = no snapshot yet).")]
    private static partial void LogLoaded(ILogger logger, string service, long generation);

    [LoggerMessage(4, LogLevel.Information, "Service {Service} saved at shutdown.")]
    private static partial void LogSaved(ILogger logger, string service);
}
