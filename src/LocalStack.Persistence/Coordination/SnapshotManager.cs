using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using LocalStack.Persistence.Diagnostics;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Strategies;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LocalStack.Persistence.Coordination;

/// <summary>
/// The <see cref="ISnapshotManager"/>: one gate per service, lazy loading, dirty tracking, merged saves and faulted
/// services, driven by an <see cref="ISaveStrategy"/> and an <see cref="ILoadStrategy"/>.
/// </summary>
/// <remarks>
/// <para>
/// <b>The gate.</b> Each service has an async reader/writer gate. Requests (<see cref="BeginRequestAsync"/>) hold it
/// shared; the capture of a save, a load and a reset hold it exclusively. A waiting capture stops new requests from
/// entering, so it waits only for the requests already in flight; requests that arrive meanwhile enter as soon as the
/// capture is done, not when the snapshot is on disk. No wait times out. Do not begin a request on a service, or save,
/// load or reset it, from inside a request scope of the same service: the inner call would wait for the outer one.
/// </para>
/// <para>
/// <b>Merged saves.</b> Saves of one service run one at a time. A save asked for while none is queued queues one; a
/// save asked for while one is queued (not yet capturing) joins it and shares its result. So at most one save runs and
/// one waits, and every caller gets a snapshot taken after its call.
/// </para>
/// <para>
/// <b>Dirty tracking.</b> Every mutating request (and <see cref="MarkModified"/>) increases the service's modification
/// version; a save records the version it saw when its capture started. The service is dirty while the modification
/// version is ahead, so a change made during a save keeps it dirty for the next one.
/// </para>
/// <para>
/// <b>Faulted services.</b> When a snapshot is corrupt or from a newer version (any <see cref="SnapshotException"/>
/// from loading it), the service becomes faulted: its requests and saves fail with
/// <see cref="ServiceFaultedException"/> naming the file, which is left untouched. Only <see cref="ResetAsync"/> or a
/// successful <see cref="LoadAsync"/> clears the fault. Other load failures (I/O errors) are not faults: they reach
/// every caller waiting for that load, and the next request tries again.
/// </para>
/// <para>
/// <b>Services never loaded.</b> A save of a service that was neither loaded nor modified does not write when a snapshot
/// is stored: that snapshot already is its state (so saving every service never replaces a snapshot with an empty
/// state). With no snapshot stored, the save writes the service's (empty) state like any other.
/// </para>
/// </remarks>
public sealed partial class SnapshotManager : ISnapshotManager, IAsyncDisposable
{
    /// <summary>The name of the <see cref="Meter"/> the manager reports to (save and load durations, bytes written, failures, dirty services, gate wait time).</summary>
    public const string MeterName = "LocalStack.Persistence";

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
    /// <param name="meterFactory">Creates the <see cref="MeterName"/> meter; a meter owned by the manager when <see langword="null"/>.</param>
    /// <param name="readOnly">Read-only baseline mode: load as the load strategy says, never save.</param>
    /// <param name="commitDelay">Group commit: see <see cref="Configuration.SnapshotPersistenceOptions.CommitDelay"/>; zero (off) by default.</param>
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
            Persistence.ServiceNames.ThrowIfInvalid(name, nameof(providers));
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
        _metrics = new SnapshotMetrics(MeterName, meterFactory, CountDirtyServices);

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
    /// <exception cref="InvalidOperationException">Persistence is disabled, or in read-only mode.</exception>
    /// <exception cref="ObjectDisposedException">The manager has been disposed.</exception>
    public async ValueTask<SnapshotMetadata> SaveAsync(string serviceName, CancellationToken cancellationToken = default)
    {
        var entry = Find(serviceName);
        ThrowIfDisabled("save", serviceName);
        if (_readOnly)
        {
            Log.SaveRefusedReadOnly(_logger, serviceName);
            throw new InvalidOperationException($"Service '{serviceName}' is not saved: persistence is in read-only mode (a baseline that is loaded but never saved).");
        }

        ThrowIfFaulted(entry);

        SaveRequest request;
        bool startWorker;
        lock (entry.Sync)
        {
            if (entry.QueuedSave is null)
            {
                // Made after the last save answered its callers (none is running): wait for the others it answered.
                entry.QueuedSave = new SaveRequest { EnoughCallers = entry.RunningSave is null && entry.AnsweredCallers > 1 ? entry.AnsweredCallers : 0 };
            }

            request = entry.QueuedSave;
            if (++request.Callers == request.EnoughCallers)
            {
                request.Enough.TrySetResult();
            }

            startWorker = !entry.SaveWorkerRunning;
            entry.SaveWorkerRunning = true;
        }

        if (startWorker)
        {
            // Not awaited: the worker runs the queued saves of this service one after another and completes their requests.
            _ = RunSavesAsync(entry);
        }

        return await request.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <exception cref="ServiceFaultedException">The snapshot is corrupt or from a newer version; the service is now faulted.</exception>
    /// <exception cref="InvalidOperationException">Persistence is disabled.</exception>
    /// <exception cref="ObjectDisposedException">The manager has been disposed.</exception>
    public ValueTask<SnapshotMetadata?> LoadAsync(string serviceName, CancellationToken cancellationToken = default)
    {
        var entry = Find(serviceName);
        ThrowIfDisabled("load", serviceName);
        return LoadCoreAsync(entry, onlyIfNotLoaded: false, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// As LocalStack's reset: the live state is emptied (also with persistence off), a fault is cleared and the service
    /// counts as modified, so the save strategy persists the empty state (<c>ON_REQUEST</c> before this returns). Until
    /// then the stored snapshot stays, so a reset followed by a load returns to the last save. After the reset of a
    /// service whose snapshot is unreadable, its next save replaces that file (a corrupt file's bytes stay aside as
    /// <c>store.state.corrupt-*</c>). A failure or cancellation before the provider starts resetting changes nothing;
    /// once it has started, the reset runs to the end, and a provider that fails half-way leaves the service faulted.
    /// </remarks>
    /// <exception cref="ServiceFaultedException">The provider failed half-way; the service is now faulted.</exception>
    /// <exception cref="ObjectDisposedException">The manager has been disposed.</exception>
    public async ValueTask ResetAsync(string serviceName, CancellationToken cancellationToken = default)
    {
        var entry = Find(serviceName);
        await EnterExclusiveAsync(entry, cancellationToken).ConfigureAwait(false);
        Exception? afterHookFailure = null;
        try
        {
            var progress = new StateChangeProgress();
            try
            {
                await _snapshotter.ResetAsync(entry.Provider, progress, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (progress.State == StateChange.Completed)
            {
                // An after-reset hook failed: the service is empty all the same, and the caller hears of the hook.
                afterHookFailure = e;
            }
            catch (Exception e) when (progress.State == StateChange.Started)
            {
                throw Interrupted(entry, SnapshotOperation.Reset, e);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                RecordError(entry, e);
                _metrics.Failed("reset", serviceName);
                Log.ServiceResetFailed(_logger, serviceName, e);
                throw;
            }

            bool wasFaulted;
            lock (entry.Sync)
            {
                wasFaulted = entry.Fault is not null;
                entry.Fault = null;
                entry.FaultIsPartialState = false;
                entry.Loaded = true;
                entry.LastError = afterHookFailure?.Message;

                // The empty state is the truth now: its next save may replace a snapshot that cannot be read.
                entry.MayReplaceStoredSnapshot = true;
            }

            if (_store is not null)
            {
                // Before leaving the gate, so that the next capture sees the empty state as a change to persist.
                Interlocked.Increment(ref entry.ModifiedVersion);
            }

            Log.ServiceReset(_logger, serviceName);
            if (wasFaulted)
            {
                Log.ServiceFaultCleared(_logger, serviceName, "reset");
            }
        }
        finally
        {
            entry.Gate.ExitExclusive();
        }

        if (_store is not null && !_readOnly)
        {
            await _saveStrategy.OnMutationCompletedAsync(this, serviceName, CancellationToken.None).ConfigureAwait(false);
        }

        if (afterHookFailure is not null)
        {
            ExceptionDispatchInfo.Throw(afterHookFailure);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Waits for a save of the service that is being written (so that it cannot bring the snapshot back), then removes
    /// the snapshot. The live state, its modified flag and a fault are left as they are: the next save writes the
    /// service again.
    /// </remarks>
    /// <exception cref="InvalidOperationException">Persistence is disabled.</exception>
    /// <exception cref="ObjectDisposedException">The manager has been disposed.</exception>
    public async ValueTask<bool> DeleteSnapshotAsync(string serviceName, CancellationToken cancellationToken = default)
    {
        var entry = Find(serviceName);
        ThrowIfDisabled("delete the snapshot of", serviceName);
        bool existed;
        try
        {
            existed = await _snapshotter.DeleteAsync(serviceName, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            RecordError(entry, e);
            _metrics.Failed("delete", serviceName);
            throw;
        }

        lock (entry.Sync)
        {
            entry.Generation = 0;
            entry.StoredSize = 0;
            entry.LastSavedAt = null;
        }

        Log.SnapshotDeleted(_logger, serviceName, existed);
        return existed;
    }

    /// <inheritdoc />
    /// <remarks>
    /// With <paramref name="dirtyOnly"/>, faulted services are left out (they cannot be saved). In read-only mode every
    /// result carries an <see cref="InvalidOperationException"/>.
    /// </remarks>
    /// <exception cref="InvalidOperationException">Persistence is disabled (thrown by this call, before enumeration).</exception>
    /// <exception cref="ObjectDisposedException">The manager has been disposed.</exception>
    public IAsyncEnumerable<ServiceOperationResult> SaveAllAsync(bool dirtyOnly = false, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ThrowIfDisabled("save", serviceName: null);
        return RunAllAsync(
            () => dirtyOnly ? [.. _entries.Where(e => e.IsDirty && !e.IsFaulted)] : _entries,
            SnapshotOperation.Save,
            async (entry, ct) => await SaveAsync(entry.Name, ct).ConfigureAwait(false),
            cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Every registered service is loaded: one without a snapshot succeeds and counts as loaded (empty), one whose
    /// snapshot is corrupt or from a newer version becomes faulted and its result carries the
    /// <see cref="ServiceFaultedException"/>.
    /// </remarks>
    /// <exception cref="InvalidOperationException">Persistence is disabled (thrown by this call, before enumeration).</exception>
    /// <exception cref="ObjectDisposedException">The manager has been disposed.</exception>
    public IAsyncEnumerable<ServiceOperationResult> LoadAllAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ThrowIfDisabled("load", serviceName: null);
        return RunAllAsync(() => _entries, SnapshotOperation.Load, async (entry, ct) => await LoadCoreAsync(entry, onlyIfNotLoaded: false, ct).ConfigureAwait(false), cancellationToken);
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The manager has been disposed.</exception>
    public IAsyncEnumerable<ServiceOperationResult> ResetAllAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return RunAllAsync(() => _entries, SnapshotOperation.Reset, (entry, ct) => ResetAsync(entry.Name, ct).AsTask(), cancellationToken);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Persistence is disabled (thrown by this call, before enumeration).</exception>
    /// <exception cref="ObjectDisposedException">The manager has been disposed.</exception>
    public IAsyncEnumerable<ServiceOperationResult> DeleteAllSnapshotsAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ThrowIfDisabled("delete the snapshots of", serviceName: null);
        return RunAllAsync(() => _entries, SnapshotOperation.Delete, async (entry, ct) => await DeleteSnapshotAsync(entry.Name, ct).ConfigureAwait(false), cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>Does nothing when persistence is disabled.</remarks>
    /// <exception cref="UnknownServiceException">The service is not registered.</exception>
    /// <exception cref="ObjectDisposedException">The manager has been disposed.</exception>
    public ValueTask EnsureLoadedAsync(string serviceName, CancellationToken cancellationToken = default)
    {
        var entry = Find(serviceName);
        return _store is null ? ValueTask.CompletedTask : EnsureLoadedAsync(entry, cancellationToken);
    }

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

    /// <inheritdoc />
    /// <exception cref="UnknownServiceException">The service is not registered.</exception>
    /// <exception cref="ServiceFaultedException">The service is faulted.</exception>
    /// <exception cref="ObjectDisposedException">The manager has been disposed.</exception>
    public async ValueTask<SnapshotRequestScope> BeginRequestAsync(string serviceName, bool mutating, CancellationToken cancellationToken = default)
    {
        var entry = Find(serviceName);
        if (_store is not null)
        {
            if (_loadStrategy.LoadsOnFirstRequest)
            {
                await EnsureLoadedAsync(entry, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                ThrowIfFaulted(entry);
            }
        }

        await EnterSharedAsync(entry, cancellationToken).ConfigureAwait(false);
        if (_store is not null && entry.IsFaulted)
        {
            // A load that ran between the check and the gate found the snapshot corrupt.
            entry.Gate.ExitShared();
            ThrowIfFaulted(entry);
        }

        return new RequestScope(this, entry, mutating);
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

        _metrics.Dispose();
    }

    /// <summary>The gate of a service, for tests.</summary>
    internal ServiceGate GetGate(string serviceName) => Find(serviceName, allowDisposed: true).Gate;

    private static async IAsyncEnumerable<ServiceOperationResult> RunAllAsync(
        Func<IReadOnlyList<ServiceEntry>> selectTargets,
        SnapshotOperation operation,
        Func<ServiceEntry, CancellationToken, Task> run,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var targets = selectTargets();
        if (targets.Count == 0)
        {
            yield break;
        }

        // Every service starts at once; each result is yielded as it finishes, so a slow service holds back no other.
        var tasks = new Task<ServiceOperationResult>[targets.Count];
        for (var i = 0; i < tasks.Length; i++)
        {
            var entry = targets[i];
            tasks[i] = Task.Run(
                async () =>
                {
                    try
                    {
                        await run(entry, cancellationToken).ConfigureAwait(false);
                        return new ServiceOperationResult(entry.Name, operation, null);
                    }
                    catch (Exception e)
                    {
                        return new ServiceOperationResult(entry.Name, operation, e);
                    }
                },
                CancellationToken.None);
        }

        await foreach (var finished in Task.WhenEach(tasks).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return await finished.ConfigureAwait(false);
        }
    }

    private async ValueTask EnsureLoadedAsync(ServiceEntry entry, CancellationToken cancellationToken)
    {
        Task load;
        lock (entry.Sync)
        {
            if (entry.Loaded)
            {
                return;
            }

            if (entry.Fault is null || entry.FaultIsPartialState)
            {
                // One load for every caller that arrives while it runs; it runs on the thread pool, outside this lock.
                // A load or reset that stopped half-way is tried again this way; an unreadable snapshot is not.
                load = entry.LoadTask ??= StartLazyLoad(entry);
            }
            else
            {
                load = Task.CompletedTask;
            }
        }

        await load.WaitAsync(cancellationToken).ConfigureAwait(false);
        ThrowIfFaulted(entry);
    }

    private Task StartLazyLoad(ServiceEntry entry)
    {
        var load = Task.Run(() => LazyLoadAsync(entry), CancellationToken.None);

        // Every waiter may have given up; the failure is logged, so it need not surface as unobserved.
        _ = load.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return load;
    }

    private async Task LazyLoadAsync(ServiceEntry entry)
    {
        try
        {
            // Not the caller's token: the load is shared, and one caller giving up must not fail the others.
            await LoadCoreAsync(entry, onlyIfNotLoaded: true, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            // Success or failure, the next caller decides afresh: loaded, faulted, or try again.
            lock (entry.Sync)
            {
                entry.LoadTask = null;
            }
        }
    }

    private async ValueTask<SnapshotMetadata?> LoadCoreAsync(ServiceEntry entry, bool onlyIfNotLoaded, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var serviceName = entry.Name;
        await EnterExclusiveAsync(entry, cancellationToken).ConfigureAwait(false);
        try
        {
            if (onlyIfNotLoaded)
            {
                // An explicit load or a reset may have run while this one waited for the gate.
                if (!entry.HasPartialStateFault)
                {
                    ThrowIfFaulted(entry);
                }

                if (entry.IsLoaded)
                {
                    return null;
                }
            }

            var started = _timeProvider.GetTimestamp();
            var progress = new StateChangeProgress();
            SnapshotMetadata? metadata = null;
            Exception? afterHookFailure = null;
            try
            {
                metadata = await _snapshotter.LoadAsync(entry.Provider, progress, cancellationToken).ConfigureAwait(false);
                if (metadata is null && entry.IsFaulted)
                {
                    // No snapshot to go back to, and the live state is whatever a failed load or reset left: empty it.
                    await _snapshotter.ResetAsync(entry.Provider, progress, CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (progress.State == StateChange.Completed)
            {
                // An after-load hook failed: the state is the snapshot's all the same, and the caller hears of the hook.
                afterHookFailure = e;
                metadata ??= await _store!.GetMetadataAsync(serviceName, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (IsSnapshotFault(e))
            {
                // Unreadable, or refused by the provider while it restored: the file is bad, so no load retries it by itself.
                lock (entry.Sync)
                {
                    entry.Fault = e;
                    entry.FaultIsPartialState = false;
                    entry.Loaded = false;
                    entry.LastError = e.Message;
                }

                _metrics.LoadCompleted(serviceName, _timeProvider.GetElapsedTime(started), succeeded: false);
                _metrics.Failed("load", serviceName);
                Log.ServiceFaulted(_logger, serviceName, e);
                throw new ServiceFaultedException(serviceName, e);
            }
            catch (Exception e) when (progress.State == StateChange.Started)
            {
                _metrics.LoadCompleted(serviceName, _timeProvider.GetElapsedTime(started), succeeded: false);
                throw Interrupted(entry, SnapshotOperation.Load, e);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Nothing was changed (the snapshot could not be opened, or a before-load hook failed): not a fault.
                RecordError(entry, e);
                _metrics.LoadCompleted(serviceName, _timeProvider.GetElapsedTime(started), succeeded: false);
                _metrics.Failed("load", serviceName);
                Log.ServiceLoadFailed(_logger, serviceName, e);
                throw;
            }

            bool wasFaulted;
            lock (entry.Sync)
            {
                wasFaulted = entry.Fault is not null;
                entry.Fault = null;
                entry.FaultIsPartialState = false;
                entry.Loaded = true;
                entry.LastError = afterHookFailure?.Message;
                if (metadata is not null)
                {
                    // The live state is now the snapshot's: nothing to save until the next change.
                    entry.SavedVersion = Volatile.Read(ref entry.ModifiedVersion);
                    entry.Generation = metadata.Generation;
                    entry.StoredSize = metadata.FileLength;
                    entry.LastSavedAt = metadata.CreatedAt;
                    entry.MayReplaceStoredSnapshot = false;
                }
            }

            _metrics.LoadCompleted(serviceName, _timeProvider.GetElapsedTime(started), succeeded: true);
            if (metadata is null)
            {
                Log.ServiceHasNoSnapshot(_logger, serviceName);
            }
            else
            {
                Log.ServiceLoaded(_logger, serviceName, metadata.Generation, metadata.FileLength);
            }

            if (wasFaulted)
            {
                Log.ServiceFaultCleared(_logger, serviceName, "load");
            }

            if (afterHookFailure is not null)
            {
                ExceptionDispatchInfo.Throw(afterHookFailure);
            }

            return metadata;
        }
        finally
        {
            entry.Gate.ExitExclusive();
        }
    }

    private async Task RunSavesAsync(ServiceEntry entry)
    {
        while (true)
        {
            SaveRequest? request;
            lock (entry.Sync)
            {
                // The request stays queued, so that callers keep joining it, until its capture starts (CloseSave).
                request = entry.QueuedSave;
                if (request is null)
                {
                    entry.SaveWorkerRunning = false;
                    return;
                }
            }

            SnapshotMetadata? saved = null;
            Exception? failure = null;
            try
            {
                await WaitForCallersAsync(entry, request).ConfigureAwait(false);
                saved = await SaveOnceAsync(entry, request).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                failure = e;
            }

            lock (entry.Sync)
            {
                if (ReferenceEquals(entry.QueuedSave, request))
                {
                    entry.QueuedSave = null;
                }

                entry.RunningSave = null;

                // Commit delay: the callers about to be answered will come back with their next change; the next save
                // waits for them as well as for those already queued (counted now, before any of them can rejoin).
                entry.AnsweredCallers = request.Callers;
                if (entry.QueuedSave is { } next && request.Callers > 1)
                {
                    next.EnoughCallers = next.Callers + request.Callers;
                }
            }

            if (failure is null)
            {
                request.Completion.TrySetResult(saved!);
            }
            else
            {
                request.Completion.TrySetException(failure);

                // Every caller may have stopped waiting; the failure is logged, so it need not surface as unobserved.
                _ = request.Completion.Task.Exception;
            }

            // Group commit: the callers this save just acknowledged were queued to run; let them make their next
            // change before the next save takes its capture, so one write covers all of them instead of half.
            await Task.Yield();
        }
    }

    /// <summary>
    /// Stops callers from joining <paramref name="request"/>: from here on, a new <see cref="SaveAsync"/> queues the
    /// follow-up save, whose capture starts after this one commits.
    /// </summary>
    private async ValueTask WaitForCallersAsync(ServiceEntry entry, SaveRequest request)
    {
        lock (entry.Sync)
        {
            if (_commitDelay <= TimeSpan.Zero || request.Callers >= request.EnoughCallers)
            {
                return; // no delay, no one to wait for, or everyone is here
            }
        }

        using var stop = new CancellationTokenSource();
        var delay = Task.Delay(_commitDelay, _timeProvider, stop.Token);
        await Task.WhenAny(request.Enough.Task, delay).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
    }

    private static void CloseSave(ServiceEntry entry, SaveRequest request)
    {
        lock (entry.Sync)
        {
            if (ReferenceEquals(entry.QueuedSave, request))
            {
                entry.QueuedSave = null;
            }


            entry.RunningSave = request;
        }
    }

    private async ValueTask<SnapshotMetadata> SaveOnceAsync(ServiceEntry entry, SaveRequest request)
    {
        var serviceName = entry.Name;
        try
        {
            if (entry.IsFaulted)
            {
                CloseSave(entry, request);
                ThrowIfFaulted(entry);
            }

            if (!entry.IsLoaded && Volatile.Read(ref entry.ModifiedVersion) == 0)
            {
                // Its callers changed nothing (the version is still 0), so the stored snapshot covers them.
                CloseSave(entry, request);
                if (await _store!.GetMetadataAsync(serviceName, CancellationToken.None).ConfigureAwait(false) is { } stored)
                {
                    lock (entry.Sync)
                    {
                        entry.Generation = stored.Generation;
                        entry.StoredSize = stored.FileLength;
                        entry.LastSavedAt ??= stored.CreatedAt;
                    }

                    Log.SaveSkippedNotLoaded(_logger, serviceName);
                    return stored;
                }
            }
        }
        catch (ServiceFaultedException)
        {
            Log.SaveRefusedFaulted(_logger, serviceName);
            throw;
        }
        catch (Exception e)
        {
            RecordError(entry, e);
            _metrics.Failed("save", serviceName);
            Log.ServiceSaveFailed(_logger, serviceName, e);
            throw;
        }

        try
        {
            await RemoveUnreadableSnapshotAfterResetAsync(entry).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            RecordError(entry, e);
            _metrics.Failed("save", serviceName);
            Log.ServiceSaveFailed(_logger, serviceName, e);
            throw;
        }

        // Saves run with no caller's token: callers merged into this save may give up waiting, but the save completes.
        await EnterExclusiveAsync(entry, CancellationToken.None).ConfigureAwait(false);
        CloseSave(entry, request);
        var started = _timeProvider.GetTimestamp();
        PendingSnapshot pending;
        long capturedVersion;
        try
        {
            if (entry.IsFaulted)
            {
                // A load that ran between the request and the capture found the snapshot corrupt.
                Log.SaveRefusedFaulted(_logger, serviceName);
                ThrowIfFaulted(entry);
            }

            capturedVersion = Volatile.Read(ref entry.ModifiedVersion);
            pending = await _snapshotter.CaptureAsync(entry.Provider, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not ServiceFaultedException)
        {
            SaveFailed(entry, started, e);
            throw;
        }
        finally
        {
            entry.Gate.ExitExclusive();
        }

        SnapshotMetadata metadata;
        try
        {
            await using (pending.ConfigureAwait(false))
            {
                metadata = await _snapshotter.CommitAsync(pending, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            SaveFailed(entry, started, e);
            throw;
        }

        var elapsed = _timeProvider.GetElapsedTime(started);
        lock (entry.Sync)
        {
            entry.SavedVersion = Math.Max(entry.SavedVersion, capturedVersion);
            entry.Generation = metadata.Generation;
            entry.StoredSize = metadata.FileLength;
            entry.LastSavedAt = _timeProvider.GetUtcNow();
            entry.LastError = null;
        }

        _metrics.SaveCompleted(serviceName, elapsed, succeeded: true);
        _metrics.BytesWritten(serviceName, metadata.FileLength);
        Log.ServiceSaved(_logger, serviceName, metadata.Generation, metadata.FileLength, elapsed.TotalMilliseconds);
        return metadata;
    }

    /// <summary>
    /// The first save after a reset may replace a snapshot that cannot be read (corrupt, or from a newer version): the
    /// store refuses to overwrite one, so it is removed first (a corrupt file's bytes are kept aside by reading it). Runs
    /// outside the gate, before the capture; the save worker runs one save of the service at a time.
    /// </summary>
    private async ValueTask RemoveUnreadableSnapshotAfterResetAsync(ServiceEntry entry)
    {
        lock (entry.Sync)
        {
            if (!entry.MayReplaceStoredSnapshot)
            {
                return;
            }
        }

        string? reason;
        try
        {
            var stored = await _store!.GetMetadataAsync(entry.Name, CancellationToken.None).ConfigureAwait(false);
            reason = stored is not null && stored.SchemaVersion > entry.Provider.SchemaVersion
                ? $"schema version {stored.SchemaVersion} is newer than the provider's {entry.Provider.SchemaVersion}"
                : null;
        }
        catch (Exception e) when (e is SnapshotCorruptException or SnapshotVersionException)
        {
            reason = e.Message;
            if (e is SnapshotCorruptException)
            {
                try
                {
                    // Opening a corrupt snapshot copies its bytes to store.state.corrupt-* (once per content).
                    var reader = await _store!.OpenReadAsync(entry.Name, CancellationToken.None).ConfigureAwait(false);
                    if (reader is not null)
                    {
                        await reader.DisposeAsync().ConfigureAwait(false);
                    }
                }
                catch (SnapshotCorruptException)
                {
                }
            }
        }

        if (reason is not null)
        {
            Log.UnreadableSnapshotReplaced(_logger, entry.Name, reason);
            await _snapshotter.DeleteAsync(entry.Name, CancellationToken.None).ConfigureAwait(false);
        }

        lock (entry.Sync)
        {
            entry.MayReplaceStoredSnapshot = false;
        }
    }

    private void SaveFailed(ServiceEntry entry, long started, Exception e)
    {
        RecordError(entry, e);
        _metrics.SaveCompleted(entry.Name, _timeProvider.GetElapsedTime(started), succeeded: false);
        _metrics.Failed("save", entry.Name);
        Log.ServiceSaveFailed(_logger, entry.Name, e);
    }

    private async ValueTask EnterSharedAsync(ServiceEntry entry, CancellationToken cancellationToken)
    {
        var started = _timeProvider.GetTimestamp();
        await entry.Gate.EnterSharedAsync(cancellationToken).ConfigureAwait(false);
        _metrics.GateWaited(entry.Name, exclusive: false, _timeProvider.GetElapsedTime(started));
    }

    private async ValueTask EnterExclusiveAsync(ServiceEntry entry, CancellationToken cancellationToken)
    {
        var started = _timeProvider.GetTimestamp();
        await entry.Gate.EnterExclusiveAsync(cancellationToken).ConfigureAwait(false);
        _metrics.GateWaited(entry.Name, exclusive: true, _timeProvider.GetElapsedTime(started));
    }

    /// <summary>Called by a request scope when it ends: marks the service modified, leaves the gate, then lets the save strategy decide.</summary>
    private async ValueTask EndRequestAsync(ServiceEntry entry, bool mutating, bool holdsGate)
    {
        var tracked = mutating && _store is not null;
        if (tracked)
        {
            // Before leaving the gate, so that the next capture (which waits for this request) sees the new version.
            Interlocked.Increment(ref entry.ModifiedVersion);
        }

        if (holdsGate)
        {
            entry.Gate.ExitShared();
        }

        if (tracked && !_readOnly)
        {
            await _saveStrategy.OnMutationCompletedAsync(this, entry.Name, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private int CountDirtyServices() => _entries.Count(e => e.IsDirty);

    private static bool IsSnapshotFault(Exception e)
        => e is SnapshotException and not StateDirectoryLockedException and not ServiceFaultedException and not UnknownServiceException;

    /// <summary>A load or reset failed after the provider started changing its state: the service is faulted until a load or reset succeeds.</summary>
    private ServiceFaultedException Interrupted(ServiceEntry entry, SnapshotOperation operation, Exception e)
    {
        var name = operation.ToString().ToLowerInvariant();
        var fault = ServiceFaultedException.Interrupted(entry.Name, name, e);
        lock (entry.Sync)
        {
            entry.Fault = fault;
            entry.FaultIsPartialState = true;
            entry.Loaded = false;
            entry.LastError = fault.Message;
        }

        _metrics.Failed(name, entry.Name);
        Log.ServiceInterrupted(_logger, entry.Name, name, e);
        return fault;
    }

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
