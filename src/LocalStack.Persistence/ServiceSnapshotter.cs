using System.Collections.Concurrent;
using System.Diagnostics;
using LocalStack.Persistence.Coordination;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence;

/// <summary>
/// Saves, loads, resets and deletes one provider's snapshots in an <see cref="ISnapshotStore"/>, without a host: the door
/// for tools, tests and emulators that manage their own concurrency. With a host, <see cref="ISnapshotManager"/> uses it
/// and adds gates, strategies and faults.
/// </summary>
/// <remarks>
/// <para>
/// A save captures the provider, writes the state file (the commit point) and only then removes older asset
/// generations; a failed save leaves the previous snapshot and its generation in place. Each save gets a new generation
/// number, never reused, even after a failed save. Saves, loads, resets and deletes of one service run one at a time.
/// The snapshotter holds no gate: the caller must not change the provider's state while a save's capture or a load
/// runs. The path of a save through the files is in <c>docs/architecture.md</c>.
/// </para>
/// <para>
/// <b>Hooks.</b> Before an operation, the hooks given to the constructor run in their order, then the provider's own
/// hook (when the provider implements <see cref="IStateLifecycleHook"/>). After it, the provider's hook runs first, then
/// the constructor's hooks in their order. The provider's hook is thus always the closest to the operation. A hook that
/// throws stops the operation (before) or is reported to the caller after the operation took effect (after).
/// </para>
/// </remarks>
public sealed partial class ServiceSnapshotter
{
    private readonly ISnapshotStore? _storeOrNull;
    private readonly IStateLifecycleHook[] _hooks;
    private readonly ConcurrentDictionary<string, ServiceSlot> _slots = new(StringComparer.Ordinal);

    /// <summary>Creates a snapshotter.</summary>
    /// <param name="store">Where snapshots are kept.</param>
    /// <param name="hooks">Hooks run for every service, in order, besides the provider's own.</param>
    public ServiceSnapshotter(ISnapshotStore store, IEnumerable<IStateLifecycleHook>? hooks = null)
        : this(store ?? throw new ArgumentNullException(nameof(store)), hooks, allowNoStore: false)
    {
    }

    /// <summary>A snapshotter without a store (persistence off): only <see cref="ResetAsync(IServiceStateProvider, CancellationToken)"/> works.</summary>
    internal ServiceSnapshotter(ISnapshotStore? store, IEnumerable<IStateLifecycleHook>? hooks, bool allowNoStore)
    {
        Debug.Assert(store is not null || allowNoStore, "A store is required.");
        _storeOrNull = store;
        _hooks = hooks?.ToArray() ?? [];
        foreach (var hook in _hooks)
        {
            ArgumentNullException.ThrowIfNull(hook, nameof(hooks));
        }
    }

    /// <summary>
    /// The part of a save to run under the service's exclusive gate: before-save hooks, next generation, provider
    /// capture and asset staging.
    /// </summary>
    /// <param name="provider">The service's state provider.</param>
    /// <param name="cancellationToken">Cancels the capture (and the wait for the service's previous save).</param>
    /// <returns>The pending snapshot; commit it with <see cref="CommitAsync"/> or dispose it.</returns>
    /// <exception cref="SnapshotCorruptException">The stored snapshot's header is unreadable; it is never overwritten.</exception>
    /// <exception cref="SnapshotVersionException">The stored snapshot was written by newer software; it is never overwritten.</exception>
    internal async ValueTask<PendingSnapshot> CaptureAsync(IServiceStateProvider provider, CancellationToken cancellationToken = default)
    {
        var (serviceName, slot) = Prepare(provider);
        await slot.WaitAsync(cancellationToken).ConfigureAwait(false);
        SnapshotContext? context = null;
        try
        {
            await RunBeforeAsync(provider, static (h, s, ct) => h.OnBeforeSaveAsync(s, ct), serviceName, cancellationToken).ConfigureAwait(false);
            var stored = await Store.GetMetadataAsync(serviceName, cancellationToken).ConfigureAwait(false);
            var latest = Store is FileSystemSnapshotStore files ? files.GetLatestGeneration(serviceName) : 0;
            var generation = Math.Max(Math.Max(stored?.Generation ?? 0, latest), slot.LastGeneration) + 1;
            slot.LastGeneration = generation;
            var schemaVersion = provider.SchemaVersion;

            context = new SnapshotContext(Store, serviceName, SnapshotOperation.Save, generation);
            IStateCapture capture;
            try
            {
                capture = await provider.CaptureAsync(context, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"The state provider of service '{serviceName}' returned no capture.");
            }
            finally
            {
                context.Close();
            }

            return new PendingSnapshot(this, slot, provider, context, capture, schemaVersion);
        }
        catch
        {
            try
            {
                if (context is not null)
                {
                    await RemoveStagedGenerationAsync(context).ConfigureAwait(false);
                }
            }
            finally
            {
                context?.ReleaseBlobs();
                slot.Release();
            }

            throw;
        }
    }

    /// <summary>
    /// The part of a save to run after the gate is released: flush the staged assets, write the state file (the commit
    /// point), remove older generations, run the after-save hooks. Releases the service's lock in every case.
    /// </summary>
    /// <param name="pending">The result of <see cref="CaptureAsync"/> of this snapshotter.</param>
    /// <param name="cancellationToken">Cancels the write; the previous snapshot stays in place.</param>
    /// <returns>The metadata of the snapshot now stored.</returns>
    /// <exception cref="ArgumentException"><paramref name="pending"/> comes from another snapshotter.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="pending"/> was already committed.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="pending"/> was disposed.</exception>
    internal async ValueTask<SnapshotMetadata> CommitAsync(PendingSnapshot pending, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pending);
        if (!ReferenceEquals(pending.Owner, this))
        {
            throw new ArgumentException("The pending snapshot was captured by another snapshotter.", nameof(pending));
        }

        pending.BeginCommit();
        var serviceName = pending.ServiceName;
        var keyed = pending.Capture as KeyedCapture;
        var generation = pending.Generation;
        SnapshotMetadata metadata;
        try
        {
            if (pending.HasStagedAssets)
            {
                await Store.FlushAssetGenerationAsync(serviceName, generation, cancellationToken).ConfigureAwait(false);
            }

            pending.Context.FlushBlobs(cancellationToken);

            var request = new SnapshotWriteRequest(serviceName, pending.SchemaVersion, generation);
            metadata = keyed is { IsDelta: true } && Store is FileSystemSnapshotStore files
                ? await files.AppendDeltaAsync(request, keyed.WriteToAsync, cancellationToken).ConfigureAwait(false)
                : await Store.WriteAsync(request, pending.Capture.WriteToAsync, cancellationToken).ConfigureAwait(false);
            keyed?.Committed(generation);
        }
        catch
        {
            await pending.AbandonAsync().ConfigureAwait(false);
            throw;
        }

        try
        {
            await pending.Capture.DisposeAsync().ConfigureAwait(false);
            if (keyed is { IsDelta: true })
            {
                // A delta stages no generation folder and keeps its base's; the chain may need folding.
                MaybeStartCompaction(serviceName);
            }
            else
            {
                try
                {
                    await Store.PruneAssetGenerationsAsync(serviceName, generation, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The snapshot is committed and durable; an old generation left behind is removed by the next commit.
                }
            }

            await RunAfterAsync(pending.Provider, static (h, s, ct) => h.OnAfterSaveAsync(s, ct), serviceName, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            pending.Complete();
        }

        return metadata;
    }

    /// <summary>
    /// Saves <paramref name="provider"/>: captures its state, writes the snapshot and commits its asset generation; durable
    /// when the returned task completes. The provider's state must not change while the capture runs (with a host,
    /// <see cref="ISnapshotManager.SaveAsync"/> holds the service's gate around the capture only).
    /// </summary>
    /// <param name="provider">The service's state provider.</param>
    /// <param name="cancellationToken">Cancels the save; the previous snapshot stays in place.</param>
    /// <returns>The metadata of the snapshot now stored.</returns>
    public async ValueTask<SnapshotMetadata> SaveAsync(IServiceStateProvider provider, CancellationToken cancellationToken = default)
    {
        var pending = await CaptureAsync(provider, cancellationToken).ConfigureAwait(false);
        await using (pending.ConfigureAwait(false))
        {
            return await CommitAsync(pending, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Restores the provider from its stored snapshot: before-load hooks, <see cref="IServiceStateProvider.RestoreAsync"/>
    /// with the committed asset generation, after-load hooks. Call it under the service's exclusive gate.
    /// </summary>
    /// <param name="provider">The service's state provider.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The metadata of the restored snapshot, or <see langword="null"/> (provider untouched) when the service has no snapshot.</returns>
    /// <exception cref="SnapshotCorruptException">The snapshot is damaged; the provider is not reset to empty.</exception>
    /// <exception cref="SnapshotVersionException">The snapshot was written by a newer format or schema version; the provider is not reset to empty.</exception>
    public ValueTask<SnapshotMetadata?> LoadAsync(IServiceStateProvider provider, CancellationToken cancellationToken = default)
        => LoadAsync(provider, progress: null, cancellationToken);

    /// <summary><see cref="LoadAsync(IServiceStateProvider, CancellationToken)"/>, reporting how far the live state was changed.</summary>
    internal async ValueTask<SnapshotMetadata?> LoadAsync(IServiceStateProvider provider, StateChangeProgress? progress, CancellationToken cancellationToken)
    {
        var (serviceName, slot) = Prepare(provider);
        await slot.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var reader = await Store.OpenReadAsync(serviceName, cancellationToken).ConfigureAwait(false);
            if (reader is null)
            {
                return null;
            }

            await using (reader.ConfigureAwait(false))
            {
                var metadata = reader.Metadata;
                await RunBeforeAsync(provider, static (h, s, ct) => h.OnBeforeLoadAsync(s, ct), serviceName, cancellationToken).ConfigureAwait(false);
                var context = new SnapshotContext(Store, serviceName, SnapshotOperation.Load, metadata.Generation, metadata.Location);

                // The point of no return: once the provider starts replacing its state, stopping half-way would leave a
                // mix of old and new state, so the caller's token no longer applies.
                StateChangeProgress.Mark(progress, StateChange.Started);
                await provider.RestoreAsync(new SnapshotPayload(metadata.SchemaVersion, reader.Payload, metadata), context, CancellationToken.None).ConfigureAwait(false);
                slot.LastGeneration = Math.Max(slot.LastGeneration, metadata.Generation);
                StateChangeProgress.Mark(progress, StateChange.Completed);
                await RunAfterAsync(provider, static (h, s, ct) => h.OnAfterLoadAsync(s, ct), serviceName, CancellationToken.None).ConfigureAwait(false);
                return metadata;
            }
        }
        finally
        {
            slot.Release();
        }
    }

    /// <summary>
    /// Returns the provider to its empty state: before-reset hooks, <see cref="IServiceStateProvider.ResetAsync"/>,
    /// after-reset hooks. Call it under the service's exclusive gate. The stored snapshot is left as it is (LocalStack's
    /// reset empties the live state; the next save persists the empty state); <see cref="DeleteAsync"/> removes it.
    /// </summary>
    /// <param name="provider">The service's state provider.</param>
    /// <param name="cancellationToken">Cancels the reset until the provider starts resetting; from then on it runs to the end.</param>
    /// <returns>A task that completes when the service is empty.</returns>
    public ValueTask ResetAsync(IServiceStateProvider provider, CancellationToken cancellationToken = default)
        => ResetAsync(provider, progress: null, cancellationToken);

    /// <summary><see cref="ResetAsync(IServiceStateProvider, CancellationToken)"/>, reporting how far the live state was changed.</summary>
    internal async ValueTask ResetAsync(IServiceStateProvider provider, StateChangeProgress? progress, CancellationToken cancellationToken)
    {
        var (serviceName, slot) = Prepare(provider);
        await slot.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await RunBeforeAsync(provider, static (h, s, ct) => h.OnBeforeResetAsync(s, ct), serviceName, cancellationToken).ConfigureAwait(false);
            StateChangeProgress.Mark(progress, StateChange.Started);
            await provider.ResetAsync(new SnapshotContext(_storeOrNull, serviceName, SnapshotOperation.Reset, 0), CancellationToken.None).ConfigureAwait(false);
            StateChangeProgress.Mark(progress, StateChange.Completed);
            await RunAfterAsync(provider, static (h, s, ct) => h.OnAfterResetAsync(s, ct), serviceName, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            slot.Release();
        }
    }

    /// <summary>
    /// Deletes the stored snapshot of a service and its asset generations (copies of damaged snapshots kept aside stay).
    /// The live state is not touched. Waits for a save of the service that is being written, so that it cannot bring
    /// the snapshot back afterwards.
    /// </summary>
    /// <param name="serviceName">The service.</param>
    /// <param name="cancellationToken">Cancels the wait for the service's current operation.</param>
    /// <returns><see langword="true"/> when a snapshot existed.</returns>
    /// <exception cref="ArgumentException">The service name is invalid.</exception>
    public async ValueTask<bool> DeleteAsync(string serviceName, CancellationToken cancellationToken = default)
    {
        ServiceNameRules.ThrowIfInvalid(serviceName, nameof(serviceName));
        var slot = _slots.GetOrAdd(serviceName, static _ => new ServiceSlot());
        await slot.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Store.DeleteAsync(serviceName, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            slot.Release();
        }
    }

    /// <summary>
    /// Removes a generation that was staged but not committed, keeping whatever generation the store's snapshot names.
    /// Best effort: when the stored snapshot cannot be read, nothing is removed (the next commit prunes it).
    /// </summary>
    internal async ValueTask RemoveStagedGenerationAsync(SnapshotContext context)
    {
        if (!context.StagingStarted)
        {
            return;
        }

        try
        {
            // Read again rather than trust what was stored before: if the write did reach its commit point before
            // failing, the staged generation is the committed one and must stay.
            var committed = await Store.GetMetadataAsync(context.ServiceName, CancellationToken.None).ConfigureAwait(false);
            if (committed is null)
            {
                // No snapshot at all: nothing to keep, so every generation folder goes (generations start at 1, so
                // prune has no "keep nothing" value).
                await Store.DeleteAsync(context.ServiceName, CancellationToken.None).ConfigureAwait(false);
            }
            else if (committed.Generation != context.Generation)
            {
                await Store.PruneAssetGenerationsAsync(context.ServiceName, committed.Generation, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SnapshotException)
        {
            // The original failure is what the caller must see; the leftover folder is removed by a later commit.
        }
    }

    private ISnapshotStore Store => _storeOrNull ?? throw new InvalidOperationException("Persistence is disabled (PERSISTENCE=0): there is no snapshot store.");

    private (string ServiceName, ServiceSlot Slot) Prepare(IServiceStateProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var serviceName = provider.ServiceName;
        ServiceNameRules.ThrowIfInvalid(serviceName, nameof(provider));
        return (serviceName, _slots.GetOrAdd(serviceName, static _ => new ServiceSlot()));
    }

    private async ValueTask RunBeforeAsync(IServiceStateProvider provider, Func<IStateLifecycleHook, string, CancellationToken, ValueTask> call, string serviceName, CancellationToken cancellationToken)
    {
        foreach (var hook in _hooks)
        {
            await call(hook, serviceName, cancellationToken).ConfigureAwait(false);
        }

        if (OwnHook(provider) is { } own)
        {
            await call(own, serviceName, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask RunAfterAsync(IServiceStateProvider provider, Func<IStateLifecycleHook, string, CancellationToken, ValueTask> call, string serviceName, CancellationToken cancellationToken)
    {
        if (OwnHook(provider) is { } own)
        {
            await call(own, serviceName, cancellationToken).ConfigureAwait(false);
        }

        foreach (var hook in _hooks)
        {
            await call(hook, serviceName, cancellationToken).ConfigureAwait(false);
        }
    }

    // A provider that is also registered as a global hook runs once, in its global position.
    private IStateLifecycleHook? OwnHook(IServiceStateProvider provider)
        => provider is IStateLifecycleHook own && Array.IndexOf(_hooks, own) < 0 ? own : null;

    /// <summary>The per-service lock and the last generation assigned or loaded; <see cref="LastGeneration"/> is only touched under the lock.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A SemaphoreSlim needs disposing only when its wait handle is used; slots live as long as the snapshotter.")]
    internal sealed class ServiceSlot
    {
        private readonly SemaphoreSlim _lock = new(1, 1);

        public long LastGeneration { get; set; }

        public Task WaitAsync(CancellationToken cancellationToken) => _lock.WaitAsync(cancellationToken);

        public void Release() => _lock.Release();
    }
}
