using System.Runtime.ExceptionServices;
using LocalStack.Persistence.Diagnostics;

namespace LocalStack.Persistence.Coordination;

// Loads and faults: lazy loading once per service, explicit loads, and the faults that stop a service from serving or saving.
internal sealed partial class SnapshotManager
{
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
    /// <remarks>Does nothing when persistence is disabled.</remarks>
    /// <exception cref="UnknownServiceException">The service is not registered.</exception>
    /// <exception cref="ObjectDisposedException">The manager has been disposed.</exception>
    public ValueTask EnsureLoadedAsync(string serviceName, CancellationToken cancellationToken = default)
    {
        var entry = Find(serviceName);
        return _store is null ? ValueTask.CompletedTask : EnsureLoadedAsync(entry, cancellationToken);
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
                wasFaulted = entry.BecomeWholeLocked(afterHookFailure);
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
}
