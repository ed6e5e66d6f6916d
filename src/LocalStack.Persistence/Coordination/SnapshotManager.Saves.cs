using LocalStack.Persistence.Diagnostics;

namespace LocalStack.Persistence.Coordination;

// Saves: one worker per service, merged requests, the commit delay (group commit), capture under the gate and commit outside it.
internal sealed partial class SnapshotManager
{
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
}
