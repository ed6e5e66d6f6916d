using System.Runtime.ExceptionServices;
using LocalStack.Persistence.Diagnostics;

namespace LocalStack.Persistence.Coordination;

// Resets (LocalStack's: the live state only) and deletions of stored snapshots.
internal sealed partial class SnapshotManager
{
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
                wasFaulted = entry.BecomeWholeLocked(afterHookFailure);

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
}
