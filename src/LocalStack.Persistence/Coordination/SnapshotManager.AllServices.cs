using System.Runtime.CompilerServices;

namespace LocalStack.Persistence.Coordination;

// Operations on every service: each runs at once and its result is yielded as it finishes.
internal sealed partial class SnapshotManager
{
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
}
