using LocalStack.Persistence.State;

namespace LocalStack.Persistence.Coordination;

/// <summary>
/// A captured but not yet written save of one service, returned by <see cref="ServiceSnapshotter.CaptureAsync"/>.
/// Pass it to <see cref="ServiceSnapshotter.CommitAsync"/> after releasing the service's gate, or dispose it to abandon
/// the save.
/// </summary>
/// <remarks>
/// While a pending snapshot exists, the service's other saves, loads and resets through the same snapshotter wait:
/// the snapshotter's per-service lock is released when the pending snapshot is committed (successfully or not) or
/// disposed. Disposing after a commit does nothing; disposing before it removes the staged asset generation.
/// </remarks>
internal sealed class PendingSnapshot : IAsyncDisposable
{
    private readonly ServiceSnapshotter.ServiceSlot _slot;
    private int _state; // 0 pending, 1 committing or committed, 2 abandoned

    internal PendingSnapshot(
        ServiceSnapshotter owner,
        ServiceSnapshotter.ServiceSlot slot,
        IServiceStateProvider provider,
        SnapshotContext context,
        IStateCapture capture,
        int schemaVersion)
    {
        Owner = owner;
        _slot = slot;
        Provider = provider;
        Context = context;
        Capture = capture;
        SchemaVersion = schemaVersion;
    }

    /// <summary>The service.</summary>
    public string ServiceName => Context.ServiceName;

    /// <summary>The schema version the payload will be written with.</summary>
    public int SchemaVersion { get; }

    /// <summary>The asset generation this save commits.</summary>
    public long Generation => Context.Generation;

    /// <summary>Whether the capture staged asset files.</summary>
    public bool HasStagedAssets => Context.StagingStarted;

    internal ServiceSnapshotter Owner { get; }

    internal IServiceStateProvider Provider { get; }

    internal SnapshotContext Context { get; }

    internal IStateCapture Capture { get; }

    /// <summary>Abandons the save when it was not committed: removes the staged assets and lets the service's next operation run.</summary>
    /// <returns>A task that completes when the save is abandoned.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.CompareExchange(ref _state, 2, 0) == 0)
        {
            await AbandonAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Marks the start of the commit; throws when it was already committed or abandoned.</summary>
    internal void BeginCommit()
    {
        switch (Interlocked.CompareExchange(ref _state, 1, 0))
        {
            case 1:
                throw new InvalidOperationException($"The pending snapshot of service '{ServiceName}' (generation {Generation}) was already committed.");
            case 2:
                throw new ObjectDisposedException(nameof(PendingSnapshot), $"The pending snapshot of service '{ServiceName}' (generation {Generation}) was abandoned.");
        }
    }

    /// <summary>Disposes the capture, removes the staged generation and releases the service's lock.</summary>
    internal async ValueTask AbandonAsync()
    {
        try
        {
            await Capture.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            try
            {
                await Owner.RemoveStagedGenerationAsync(Context).ConfigureAwait(false);
            }
            finally
            {
                Context.ReleaseBlobs();
                _slot.Release();
            }
        }
    }

    /// <summary>Unpins the blobs of the committed save (its state file now references them) and releases the service's lock.</summary>
    internal void Complete()
    {
        Context.ReleaseBlobs();
        _slot.Release();
    }
}
