using System.Collections.Concurrent;
using System.Diagnostics;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Coordination;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence;

/// <summary>
/// Saves, loads and resets one provider against an <see cref="ISnapshotStore"/>: capture, write, commit of the asset
/// generation, pruning of old generations, lifecycle hooks. It does not hold any gate: the caller (the snapshot
/// manager, or a test) decides what runs concurrently with <c>CaptureAsync</c>.
/// </summary>
/// <remarks>
/// <para>
/// <b>Save = capture + commit.</b> <see cref="CaptureAsync"/> is the part to run while the service's gate is held
/// exclusively: before-save hooks, assignment of the next generation, <see cref="IServiceStateProvider.CaptureAsync"/>
/// (which may stage assets into the new generation folder). <see cref="CommitAsync"/> runs after the gate is released:
/// it flushes the staged assets, writes the state file (the commit point), removes older generations and runs the
/// after-save hooks. A failed commit leaves the previous snapshot and its generation in place and removes the staged
/// one. <see cref="SaveAsync"/> does both.
/// </para>
/// <para>
/// <b>Generations.</b> Each save gets the next generation: one more than the larger of the stored snapshot's
/// generation and the last generation this snapshotter assigned or loaded for the service. A generation number is
/// therefore never reused, even after a failed save.
/// </para>
/// <para>
/// <b>One operation per service at a time.</b> Saves, loads and resets of one service are serialized by a per-service
/// lock of this snapshotter. <see cref="CaptureAsync"/> takes it and the returned <see cref="PendingSnapshot"/> holds it
/// until it is committed or disposed. So the capture of the next save never runs while the previous save is still
/// writing, a reset or load never interleaves with a write that would bring back older state, and pruning never removes
/// a generation that is being staged. Because the capture runs under the caller's gate, a caller should not start the
/// next save of a service before the previous one is committed (the snapshot manager merges such requests); otherwise
/// the gate is held while waiting. Do not call another operation for a service while holding its uncommitted
/// <see cref="PendingSnapshot"/> on the same flow: it would wait for itself.
/// </para>
/// <para>
/// <b>Hooks.</b> Before an operation, the hooks given to the constructor run in their order, then the provider's own
/// hook (when the provider implements <see cref="IStateLifecycleHook"/>). After it, the provider's hook runs first, then
/// the constructor's hooks in their order. The provider's hook is thus always the closest to the operation. A hook that
/// throws stops the operation (before) or is reported to the caller after the operation took effect (after).
/// </para>
/// </remarks>
public sealed class ServiceSnapshotter
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
            var generation = Math.Max(stored?.Generation ?? 0, slot.LastGeneration) + 1;
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
        var generation = pending.Generation;
        SnapshotMetadata metadata;
        try
        {
            if (pending.HasStagedAssets)
            {
                await Store.FlushAssetGenerationAsync(serviceName, generation, cancellationToken).ConfigureAwait(false);
            }

            metadata = await Store.WriteAsync(
                new SnapshotWriteRequest(serviceName, pending.SchemaVersion, generation),
                pending.Capture.WriteToAsync,
                cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await pending.AbandonAsync().ConfigureAwait(false);
            throw;
        }

        try
        {
            await pending.Capture.DisposeAsync().ConfigureAwait(false);
            try
            {
                await Store.PruneAssetGenerationsAsync(serviceName, generation, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The snapshot is committed and durable; an old generation left behind is removed by the next commit.
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
    /// Captures and commits a save of <paramref name="provider"/> in one call. When a gate protects the service, hold it
    /// around <see cref="CaptureAsync"/> only and call <see cref="CommitAsync"/> after releasing it; this method is for
    /// callers without a gate, or that keep it for the whole save.
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
