using System.Buffers;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage.Format;

namespace LocalStack.Persistence;

// Compaction of keyed services: base + deltas folded into a new base, in the background, never under a gate.
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The token source only signals shutdown; it has no wait handle to release, and the snapshotter lives as long as its store.")]
public sealed partial class ServiceSnapshotter
{
    private readonly Dictionary<string, Task> _compactions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _compactionBackoff = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopCompactions = new();

    /// <summary>When the chain is folded: past this many deltas, or past this many delta bytes and this fraction of the base.</summary>
    internal CompactionBounds Bounds { get; set; } = CompactionBounds.Default;

    /// <summary>Waits for every compaction running now.</summary>
    internal Task WhenCompactionsDoneAsync()
    {
        lock (_compactions)
        {
            return Task.WhenAll(_compactions.Values);
        }
    }

    /// <summary>
    /// Stops the compactions running now (each leaves the chain as it was: a temp file at most, removed at the next
    /// start) and waits for them; later commits start none. For the host's shutdown.
    /// </summary>
    internal async Task StopCompactionsAsync()
    {
        await _stopCompactions.CancelAsync().ConfigureAwait(false);
        await WhenCompactionsDoneAsync().ConfigureAwait(false);
    }

    /// <summary>After a delta commit: folds the chain in the background when it passed its bound.</summary>
    private void MaybeStartCompaction(string serviceName)
    {
        if (Store is FileSystemSnapshotStore store && Bounds.IsExceeded(store.GetChainStats(serviceName)))
        {
            StartMaintenance(serviceName, store.GetChainStats(serviceName).DeltaCount, compact: true);
        }
    }

    /// <summary>After a keyed load: removes, in the background, the blobs no record of the chain references (left by a kill).</summary>
    internal void StartBlobCollection(string serviceName)
    {
        if (Store is FileSystemSnapshotStore)
        {
            StartMaintenance(serviceName, deltaCount: 0, compact: false);
        }
    }

    /// <summary>One background task per service at a time: a compaction (if asked), then a blob collection.</summary>
    private void StartMaintenance(string serviceName, int deltaCount, bool compact)
    {
        lock (_compactions)
        {
            if (_stopCompactions.IsCancellationRequested
                || _compactions.ContainsKey(serviceName)
                || (compact && _compactionBackoff.TryGetValue(serviceName, out var retryAt) && deltaCount < retryAt))
            {
                return;
            }

            _compactions[serviceName] = Task.Run(async () =>
            {
                try
                {
                    if (compact)
                    {
                        await CompactAsync(serviceName, _stopCompactions.Token).ConfigureAwait(false);
                    }

                    await CollectBlobsAsync(serviceName, _stopCompactions.Token).ConfigureAwait(false);
                    lock (_compactions)
                    {
                        _compactionBackoff.Remove(serviceName);
                    }
                }
                catch (OperationCanceledException)
                {
                    // Stopped by the shutdown: the chain is as it was.
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or SnapshotException or ObjectDisposedException or InvalidOperationException)
                {
                    // The chain stays as it is (it loads the same); retry when it has grown as much again. A damaged
                    // delta is reported by the next load, which is where it must fault the service.
                    lock (_compactions)
                    {
                        _compactionBackoff[serviceName] = Math.Max(deltaCount * 2, Bounds.MaxDeltas);
                    }
                }
                finally
                {
                    lock (_compactions)
                    {
                        _compactions.Remove(serviceName);
                    }
                }
            });
        }
    }

    /// <summary>
    /// Folds the committed base and its deltas into a new base of the newest delta's generation. Reads only committed
    /// files and holds no lock while reading and writing; the rename happens under the service's slot and the store's
    /// file lock, and only if the base is still the one that was folded (a full save or a delete meanwhile wins).
    /// </summary>
    /// <returns>The new base, or <see langword="null"/> when there was nothing to fold or the base changed meanwhile.</returns>
    /// <param name="serviceName">The service.</param>
    /// <param name="cancellationToken">Stops the compaction; the chain stays as it was.</param>
    /// <param name="intoBase">Fold into a new base (<see langword="true"/>), merge the deltas into one (<see langword="false"/>), or decide by the bounds (<see langword="null"/>).</param>
    internal async ValueTask<SnapshotMetadata?> CompactAsync(string serviceName, CancellationToken cancellationToken, bool? intoBase = null)
    {
        if (Store is not FileSystemSnapshotStore store)
        {
            return null;
        }

        var slot = _slots.GetOrAdd(serviceName, static _ => new ServiceSlot());
        var baseReader = await store.OpenReadAsync(serviceName, cancellationToken).ConfigureAwait(false);
        if (baseReader is null)
        {
            return null;
        }

        await using (baseReader.ConfigureAwait(false))
        {
            var baseMetadata = baseReader.Metadata;
            var chain = await KeyedChain.OpenAsync(store, serviceName, baseMetadata.Generation, cancellationToken).ConfigureAwait(false);
            await using (chain.ConfigureAwait(false))
            {
                if (chain.Deltas.Count == 0 || chain.Deltas.Any(d => d.Reader.Metadata.SchemaVersion != baseMetadata.SchemaVersion))
                {
                    return null; // nothing to fold, or a schema change in the chain: the next full save settles it
                }

                using var baseRecords = new KeyedRecordReader(baseReader.Payload, baseMetadata.Location);
                if (!baseRecords.TryReadBaseMagic())
                {
                    return null; // not a keyed base (deltas never follow one); the next full save settles it
                }

                // The last record of every key the deltas touch, in chain order (later deltas win).
                var changes = new Dictionary<string, FoldedRecord>(StringComparer.Ordinal);
                for (var i = 0; i < chain.Deltas.Count; i++)
                {
                    chain.ReadDelta(i, record => changes[record.Key] = new FoldedRecord(record.Kind, [.. record.BlobIds], record.ValueSpan.ToArray()));
                }

                // Many small deltas are merged into one (the cost of what they hold); the base is rewritten only once the
                // deltas reach their share of it, so a save's amortized cost does not grow with the base.
                var stats = store.GetChainStats(serviceName);
                var foldIntoBase = intoBase ?? (stats.DeltaBytes >= Math.Max(Bounds.MinDeltaBytes, stats.BaseLength * Bounds.BaseFraction) || chain.Deltas.Count == 1);
                var request = new SnapshotWriteRequest(serviceName, baseMetadata.SchemaVersion, chain.LastGeneration);
                return await store.ReplaceChainAsync(
                    request,
                    baseMetadata.Generation,
                    foldIntoBase,
                    (destination, ct) => foldIntoBase
                        ? WriteFoldedAsync(baseRecords, changes, destination, ct)
                        : WriteMergedAsync(baseMetadata.Generation, changes, destination, ct),
                    async ct =>
                    {
                        await slot.WaitAsync(ct).ConfigureAwait(false);
                        return new SlotRelease(slot);
                    },
                    cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Removes the service's blobs that no record of its committed chain references (any record, so a blob of a value
    /// a newer delta replaced stays until a compaction folds it away). Nothing is removed when the chain cannot be read.
    /// </summary>
    /// <returns>The number of files removed.</returns>
    internal async ValueTask<int> CollectBlobsAsync(string serviceName, CancellationToken cancellationToken)
    {
        if (Store is not FileSystemSnapshotStore store || !store.HasBlobs(serviceName))
        {
            return 0;
        }

        return await store.SweepBlobsAsync(serviceName, async ct =>
        {
            var live = new HashSet<string>(StringComparer.Ordinal);
            var baseReader = await store.OpenReadAsync(serviceName, ct).ConfigureAwait(false);
            if (baseReader is null)
            {
                return live;
            }

            await using (baseReader.ConfigureAwait(false))
            {
                var chain = await KeyedChain.OpenAsync(store, serviceName, baseReader.Metadata.Generation, ct).ConfigureAwait(false);
                await using (chain.ConfigureAwait(false))
                {
                    using var baseRecords = new KeyedRecordReader(baseReader.Payload, baseReader.Metadata.Location);
                    if (!baseRecords.TryReadBaseMagic())
                    {
                        // Not keyed: its blobs are unknown to this reader, so none may go.
                        throw new InvalidOperationException($"Service '{serviceName}' has blobs but its snapshot is not keyed; blobs are collected for keyed services only.");
                    }

                    void Mark(KeyedRecordReader record)
                    {
                        foreach (var blob in record.BlobIds)
                        {
                            live.Add(BlobIds.Format(blob));
                        }
                    }

                    while (baseRecords.Read())
                    {
                        Mark(baseRecords);
                    }

                    for (var i = 0; i < chain.Deltas.Count; i++)
                    {
                        chain.ReadDelta(i, Mark);
                    }
                }
            }

            return live;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Streams the base's records, replacing or dropping the ones the deltas changed, then the keys the deltas added.</summary>
    private static async ValueTask WriteFoldedAsync(KeyedRecordReader baseRecords, Dictionary<string, FoldedRecord> changes, Stream destination, CancellationToken cancellationToken)
    {
        const int FlushAt = 256 * 1024;
        var buffer = new ArrayBufferWriter<byte>(FlushAt * 2);
        var output = new KeyedRecordWriter(buffer);
        output.WriteBaseStart();
        var done = new HashSet<string>(StringComparer.Ordinal);
        while (baseRecords.Read())
        {
            if (changes.TryGetValue(baseRecords.Key, out var changed))
            {
                done.Add(baseRecords.Key);
                changed.WriteTo(output, baseRecords.Key);
            }
            else if (baseRecords.Kind == KeyedRecords.Value)
            {
                output.WriteRecord(baseRecords);
            }

            if (buffer.WrittenCount >= FlushAt)
            {
                await destination.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                buffer.ResetWrittenCount();
            }
        }

        foreach (var (key, changed) in changes)
        {
            if (!done.Contains(key))
            {
                changed.WriteTo(output, key);
            }

            if (buffer.WrittenCount >= FlushAt)
            {
                await destination.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                buffer.ResetWrittenCount();
            }
        }

        output.WriteEnd();
        await destination.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One delta that follows the base and holds the last record (value or removal) of every key the merged deltas touch.</summary>
    private static async ValueTask WriteMergedAsync(long baseGeneration, Dictionary<string, FoldedRecord> changes, Stream destination, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var output = new KeyedRecordWriter(buffer);
        output.WriteDeltaStart(baseGeneration);
        foreach (var (key, changed) in changes)
        {
            if (changed.Kind == KeyedRecords.Value)
            {
                output.WriteValue(key, changed.BlobIds, changed.Value);
            }
            else
            {
                output.WriteRemoval(key);
            }
        }

        output.WriteEnd();
        await destination.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
    }

    private sealed record FoldedRecord(byte Kind, byte[][] BlobIds, byte[] Value)
    {
        /// <summary>A base holds values only: a removal drops the key.</summary>
        public void WriteTo(KeyedRecordWriter output, string key)
        {
            if (Kind == KeyedRecords.Value)
            {
                output.WriteValue(key, BlobIds, Value);
            }
        }
    }

    private sealed class SlotRelease(ServiceSlot slot) : IDisposable
    {
        public void Dispose() => slot.Release();
    }
}

/// <summary>When a keyed service's delta chain is folded into a new base.</summary>
/// <param name="MaxDeltas">Fold at this many deltas, whatever their size.</param>
/// <param name="MinDeltaBytes">Below this many delta bytes, fold only at <paramref name="MaxDeltas"/>.</param>
/// <param name="BaseFraction">Fold when the deltas' bytes pass this fraction of the base's (and <paramref name="MinDeltaBytes"/>).</param>
internal sealed record CompactionBounds(int MaxDeltas, long MinDeltaBytes, double BaseFraction)
{
    /// <summary>A load reads at most about 10 % more than the compacted state, and opens at most 256 delta files.</summary>
    public static CompactionBounds Default { get; } = new(256, 256 * 1024, 0.1);

    public bool IsExceeded(FileSystemSnapshotStore.ChainStats stats)
        => stats.DeltaCount > 0
            && (stats.DeltaCount >= MaxDeltas || (stats.DeltaBytes >= MinDeltaBytes && stats.DeltaBytes >= stats.BaseLength * BaseFraction));
}
