using System.Diagnostics.Metrics;
using LocalStack.Persistence.Diagnostics;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LocalStack.Persistence.Coordination;

/// <summary>
/// The <see cref="ISnapshotManager"/>: one gate per service, lazy loading, dirty tracking, merged saves and faulted
/// services, driven by an <see cref="ISaveStrategy"/> and an <see cref="ILoadStrategy"/>.
/// </summary>
/// <remarks>
/// Split by concern: requests and the gate (<c>.Requests</c>), saves and group commit (<c>.Saves</c>), loads and faults
/// (<c>.Loads</c>), resets and deletions (<c>.Resets</c>), every-service operations (<c>.AllServices</c>). The flow, the
/// locks and their order, and the fault model are described in <c>docs/architecture.md</c>. Dirty tracking: every
/// mutating request (and <see cref="MarkModified"/>) increases the service's modification version, and a save records
/// the version its capture saw, so a change made during a save keeps the service dirty for the next one. A service
/// neither loaded nor modified is not written when a snapshot is stored: that snapshot already is its state.
/// </remarks>
internal sealed partial class SnapshotManager : ISnapshotManager, IAsyncDisposable
{
    private readonly ServiceEntry[] _entries;
    private readonly Dictionary<string, ServiceEntry> _entriesByName;
    private readonly ISnapshotStore? _store;
    private readonly ServiceSnapshotter _snapshotter;
    private readonly ISaveStrategy _saveStrategy;
    private readonly ILoadStrategy _loadStrategy;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly SnapshotMetrics _metrics;
    private readonly bool _readOnly;
    private readonly TimeSpan _commitDelay;
    private int _disposed;

    /// <summary>Creates the manager.</summary>
    /// <param name="providers">The state providers, one per service; names must be valid and distinct.</param>
    /// <param name="store">Where snapshots are kept; <see langword="null"/> turns persistence off (<c>PERSISTENCE=0</c>).</param>
    /// <param name="saveStrategy">When services are saved.</param>
    /// <param name="loadStrategy">When services are loaded.</param>
    /// <param name="timeProvider">The clock for <see cref="ServiceStatus.LastSavedAt"/> and durations; the system clock when <see langword="null"/>.</param>
    /// <param name="loggerFactory">Creates the manager's logger; no logging when <see langword="null"/>.</param>
    /// <param name="meterFactory">Creates the <see cref="SnapshotTelemetry.MeterName"/> meter; a meter owned by the manager when <see langword="null"/>.</param>
    /// <param name="readOnly">Read-only baseline mode: load as the load strategy says, never save.</param>
    /// <param name="commitDelay">Group commit: see <see cref="SnapshotPersistenceOptions.CommitDelay"/>; zero (off) by default.</param>
    /// <exception cref="ArgumentNullException">A required argument, or a provider, is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="commitDelay"/> is negative.</exception>
    /// <exception cref="ArgumentException">A provider's service name is invalid, or two providers have the same one.</exception>
    public SnapshotManager(
        IEnumerable<IServiceStateProvider> providers,
        ISnapshotStore? store,
        ISaveStrategy saveStrategy,
        ILoadStrategy loadStrategy,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null,
        bool readOnly = false,
        TimeSpan commitDelay = default)
    {
        ArgumentNullException.ThrowIfNull(providers);
        ArgumentOutOfRangeException.ThrowIfLessThan(commitDelay, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(saveStrategy);
        ArgumentNullException.ThrowIfNull(loadStrategy);

        _entriesByName = new Dictionary<string, ServiceEntry>(StringComparer.Ordinal);
        foreach (var provider in providers)
        {
            if (provider is null)
            {
                throw new ArgumentException("A state provider is null.", nameof(providers));
            }

            var name = provider.ServiceName;
            Persistence.ServiceNameRules.ThrowIfInvalid(name, nameof(providers));
            if (!_entriesByName.TryAdd(name, new ServiceEntry(name, provider)))
            {
                throw new ArgumentException($"Two state providers are registered for service '{name}' ({_entriesByName[name].Provider.GetType().Name} and {provider.GetType().Name}); each service needs exactly one.", nameof(providers));
            }
        }

        _entries = [.. _entriesByName.Values.OrderBy(e => e.Name, StringComparer.Ordinal)];
        ServiceNames = [.. _entries.Select(e => e.Name)];
        _store = store;
        _snapshotter = new ServiceSnapshotter(store, hooks: null, allowNoStore: true);
        _saveStrategy = saveStrategy;
        _loadStrategy = loadStrategy;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<SnapshotManager>();
        _readOnly = readOnly;
        _commitDelay = commitDelay;
        _metrics = new SnapshotMetrics(SnapshotTelemetry.MeterName, meterFactory, CountDirtyServices);

        Log.ManagerCreated(_logger, _entries.Length, store is null ? "disabled" : readOnly ? "read-only" : "enabled", saveStrategy.Name, loadStrategy.Name);
    }

    /// <inheritdoc />
    public IReadOnlyList<string> ServiceNames { get; }

    /// <inheritdoc />
    public bool IsEnabled => _store is not null;

    /// <inheritdoc />
    public bool IsReadOnly => _readOnly;

    /// <summary>The save strategy.</summary>
    public ISaveStrategy SaveStrategy => _saveStrategy;

    /// <summary>The load strategy.</summary>
    public ILoadStrategy LoadStrategy => _loadStrategy;

    /// <inheritdoc />
    /// <exception cref="UnknownServiceException">The service is not registered.</exception>
    public void MarkModified(string serviceName)
    {
        var entry = Find(serviceName);
        if (_store is not null)
        {
            Interlocked.Increment(ref entry.ModifiedVersion);
        }
    }

    /// <inheritdoc />
    /// <exception cref="UnknownServiceException">The service is not registered.</exception>
    public ServiceStatus GetStatus(string serviceName)
    {
        var entry = Find(serviceName, allowDisposed: true);
        lock (entry.Sync)
        {
            return new ServiceStatus(
                entry.Name,
                entry.Loaded,
                entry.IsDirtyLocked,
                entry.Fault is not null,
                entry.Generation,
                entry.LastSavedAt,
                entry.StoredSize,
                entry.LastError);
        }
    }

    /// <summary>Waits for the saves and loads in progress, then releases the meter (when the manager created it). Later calls throw <see cref="ObjectDisposedException"/>.</summary>
    /// <returns>A task that completes when the manager is idle.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var entry in _entries)
        {
            Task? previous = null;
            while (true)
            {
                Task? pending;
                lock (entry.Sync)
                {
                    pending = entry.QueuedSave?.Completion.Task ?? entry.RunningSave?.Completion.Task ?? entry.LoadTask;
                }

                if (pending is null)
                {
                    break;
                }

                if (ReferenceEquals(pending, previous))
                {
                    // Completed, but its worker has not cleared it yet.
                    await Task.Yield();
                    continue;
                }

                previous = pending;

                try
                {
                    await pending.ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Reported to the callers of that save or load and logged; disposal only waits for it.
                }
            }
        }

        await _snapshotter.StopCompactionsAsync().ConfigureAwait(false);
        _metrics.Dispose();
    }

    private int CountDirtyServices() => _entries.Count(e => e.IsDirty);

    private static void RecordError(ServiceEntry entry, Exception e)
    {
        lock (entry.Sync)
        {
            entry.LastError = e.Message;
        }
    }

    private ServiceEntry Find(string serviceName, bool allowDisposed = false)
    {
        ArgumentNullException.ThrowIfNull(serviceName);
        if (!allowDisposed)
        {
            ThrowIfDisposed();
        }

        return _entriesByName.TryGetValue(serviceName, out var entry) ? entry : throw new UnknownServiceException(serviceName);
    }

    private static void ThrowIfFaulted(ServiceEntry entry)
    {
        Exception? fault;
        lock (entry.Sync)
        {
            fault = entry.Fault;
        }

        if (fault is not null)
        {
            throw new ServiceFaultedException(entry.Name, fault);
        }
    }

    private void ThrowIfDisabled(string operation, string? serviceName)
    {
        if (_store is null)
        {
            var what = serviceName is null ? "services" : $"service '{serviceName}'";
            throw new InvalidOperationException($"Persistence is disabled (PERSISTENCE=0): cannot {operation} {what}. Set PERSISTENCE=1 to keep snapshots.");
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
