// TEMPORARY STUB for h5: replaced by h4-coord at merge
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Strategies;
using Microsoft.Extensions.Logging;

namespace LocalStack.Persistence.Coordination;

/// <summary>Stub: loads and saves through <see cref="ServiceSnapshotter"/>, one operation per service at a time.</summary>
public sealed class SnapshotManager : ISnapshotManager, IAsyncDisposable
{
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly ServiceSnapshotter? _snapshotter;
    private readonly ISaveStrategy _saveStrategy;
    private readonly ILoadStrategy _loadStrategy;
    private readonly TimeProvider _timeProvider;
    private readonly bool _readOnly;

    /// <summary>Creates the stub.</summary>
    /// <param name="providers">The services.</param>
    /// <param name="store">The store; <see langword="null"/> when persistence is disabled.</param>
    /// <param name="saveStrategy">The save strategy.</param>
    /// <param name="loadStrategy">The load strategy.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="loggerFactory">Unused by the stub.</param>
    /// <param name="meterFactory">Unused by the stub.</param>
    /// <param name="readOnly">Whether saves are refused.</param>
    public SnapshotManager(IEnumerable<IServiceStateProvider> providers, ISnapshotStore? store, ISaveStrategy saveStrategy, ILoadStrategy loadStrategy, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null, bool readOnly = false)
    {
        ArgumentNullException.ThrowIfNull(providers);
        _ = loggerFactory;
        _ = meterFactory;
        foreach (var provider in providers)
        {
            _slots.Add(provider.ServiceName, new Slot(provider));
        }

        _snapshotter = store is null ? null : new ServiceSnapshotter(store);
        _saveStrategy = saveStrategy;
        _loadStrategy = loadStrategy;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _readOnly = readOnly;
        ServiceNames = [.. _slots.Keys.Order(StringComparer.Ordinal)];
    }

    /// <inheritdoc />
    public IReadOnlyList<string> ServiceNames { get; }

    /// <inheritdoc />
    public async ValueTask<SnapshotMetadata> SaveAsync(string serviceName, CancellationToken cancellationToken = default)
    {
        var slot = SlotOf(serviceName);
        if (_snapshotter is null || _readOnly)
        {
            throw new InvalidOperationException("Saving is off (persistence disabled or read-only).");
        }

        await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var wasDirty = slot.Dirty;
        slot.Dirty = false;
        try
        {
            var metadata = await _snapshotter.SaveAsync(slot.Provider, cancellationToken).ConfigureAwait(false);
            slot.LastError = null;
            slot.Generation = metadata.Generation;
            slot.LastSavedAt = _timeProvider.GetUtcNow();
            slot.StoredSize = metadata.FileLength;
            return metadata;
        }
        catch (Exception ex)
        {
            slot.Dirty |= wasDirty;
            slot.LastError = ex.Message;
            throw;
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<SnapshotMetadata?> LoadAsync(string serviceName, CancellationToken cancellationToken = default)
    {
        var slot = SlotOf(serviceName);
        await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await LoadUnderGateAsync(slot, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask ResetAsync(string serviceName, CancellationToken cancellationToken = default)
    {
        var slot = SlotOf(serviceName);
        await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_snapshotter is not null)
            {
                await _snapshotter.ResetAsync(slot.Provider, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            slot.Dirty = false;
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ServiceOperationResult> SaveAllAsync(bool dirtyOnly = false, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var name in ServiceNames)
        {
            if (dirtyOnly && !_slots[name].Dirty)
            {
                continue;
            }

            Exception? error = null;
            try
            {
                await SaveAsync(name, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                error = ex;
            }

            yield return new ServiceOperationResult(name, SnapshotOperation.Save, error);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ServiceOperationResult> LoadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var name in ServiceNames)
        {
            Exception? error = null;
            try
            {
                await LoadAsync(name, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                error = ex;
            }

            yield return new ServiceOperationResult(name, SnapshotOperation.Load, error);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ServiceOperationResult> ResetAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var name in ServiceNames)
        {
            await ResetAsync(name, cancellationToken).ConfigureAwait(false);
            yield return new ServiceOperationResult(name, SnapshotOperation.Reset, null);
        }
    }

    /// <inheritdoc />
    public async ValueTask EnsureLoadedAsync(string serviceName, CancellationToken cancellationToken = default)
    {
        var slot = SlotOf(serviceName);
        await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!slot.Loaded)
            {
                await LoadUnderGateAsync(slot, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    /// <inheritdoc />
    public void MarkModified(string serviceName) => SlotOf(serviceName).Dirty = true;

    /// <inheritdoc />
    public ServiceStatus GetStatus(string serviceName)
    {
        var slot = SlotOf(serviceName);
        return new ServiceStatus(serviceName, slot.Loaded, slot.Dirty, false, slot.Generation, slot.LastSavedAt, slot.StoredSize, slot.LastError);
    }

    /// <inheritdoc />
    public async ValueTask<SnapshotRequestScope> BeginRequestAsync(string serviceName, bool mutating, CancellationToken cancellationToken = default)
    {
        var slot = SlotOf(serviceName);
        if (_loadStrategy.LoadsOnFirstRequest)
        {
            await EnsureLoadedAsync(serviceName, cancellationToken).ConfigureAwait(false);
        }

        await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Scope(this, slot, mutating);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async ValueTask<SnapshotMetadata?> LoadUnderGateAsync(Slot slot, CancellationToken cancellationToken)
    {
        SnapshotMetadata? metadata = null;
        if (_snapshotter is not null)
        {
            metadata = await _snapshotter.LoadAsync(slot.Provider, cancellationToken).ConfigureAwait(false);
        }

        slot.Loaded = true;
        slot.Generation = metadata?.Generation ?? slot.Generation;
        return metadata;
    }

    private Slot SlotOf(string serviceName)
        => _slots.TryGetValue(serviceName, out var slot) ? slot : throw new UnknownServiceException(serviceName);

    private sealed class Slot(IServiceStateProvider provider)
    {
        public IServiceStateProvider Provider { get; } = provider;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public volatile bool Loaded;

        public volatile bool Dirty;

        public string? LastError { get; set; }

        public long Generation { get; set; }

        public DateTimeOffset? LastSavedAt { get; set; }

        public long StoredSize { get; set; }
    }

    private sealed class Scope(SnapshotManager manager, Slot slot, bool mutating) : SnapshotRequestScope
    {
        public override string ServiceName => slot.Provider.ServiceName;

        public override bool Mutating => mutating;

        public override ValueTask<IAsyncDisposable> StepOutAsync(CancellationToken cancellationToken = default)
            => throw new NotSupportedException("Stub.");

        public override async ValueTask DisposeAsync()
        {
            slot.Gate.Release();
            if (mutating)
            {
                slot.Dirty = true;
                await manager._saveStrategy.OnMutationCompletedAsync(manager, ServiceName, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }
}
