using System.Buffers;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Storage.Format;

namespace LocalStack.Persistence;

// Compaction of keyed services: base + deltas folded into a new base, in the background, never under a gate.
public sealed partial class ServiceSnapshotter
{
    private readonly Dictionary<string, Task> _compactions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _compactionBackoff = new(StringComparer.Ordinal);

    /// <summary>When the chain is folded: past this many deltas, or past this many delta bytes and this fraction of the base.</summary>
    internal CompactionBounds Bounds { get; set; } = CompactionBounds.Default;

    /// <summary>The compaction of a service running now, if any (tests and shutdown wait for it).</summary>
    internal Task? CompactionOf(string serviceName)
    {
        lock (_compactions)
        {
            return _compactions.GetValueOrDefault(serviceName);
        }
    }

    /// <summary>Waits for every compaction running now.</summary>
    internal Task WhenCompactionsDoneAsync()
    {
        lock (_compactions)
        {
            return Task.WhenAll(_compactions.Values);
        }
    }

    private void MaybeStartCompaction(string serviceName)
    {
        if (Store is not FileSystemSnapshotStore store)
        {
            return;
        }

        var stats = store.GetChainStats(serviceName);
        if (!Bounds.IsExceeded(stats))
        {
            return;
        }

        lock (_compactions)
        {
            if (_compactions.ContainsKey(serviceName)
                || (_compactionBackoff.TryGetValue(serviceName, out var retryAt) && stats.DeltaCount < retryAt))
            {
                return;
            }

            _compactions[serviceName] = Task.Run(async () =>
            {
                try
                {
                    await CompactAsync(serviceName, CancellationToken.None).ConfigureAwait(false);
                    lock (_compactions)
                    {
                        _compactionBackoff.Remove(serviceName);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or SnapshotException or ObjectDisposedException or InvalidOperationException)
                {
                    // The chain stays as it is (it loads the same); retry when it has grown as much again. A damaged
                    // delta is reported by the next load, which is where it must fault the service.
                    lock (_compactions)
                    {
                        _compactionBackoff[serviceName] = Math.Max(stats.DeltaCount * 2, Bounds.MaxDeltas);
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
    internal async ValueTask<SnapshotMetadata?> CompactAsync(string serviceName, CancellationToken cancellationToken)
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

        var deltas = new List<(FileSystemSnapshotStore.DeltaFile File, SnapshotReader Reader)>();
        await using (baseReader.ConfigureAwait(false))
        {
            try
            {
                var baseMetadata = baseReader.Metadata;
                foreach (var file in store.ListDeltaFiles(serviceName, baseMetadata.Generation))
                {
                    deltas.Add((file, await store.OpenDeltaAsync(file, cancellationToken).ConfigureAwait(false)));
                }

                if (deltas.Count == 0 || deltas.Any(d => d.Reader.Metadata.SchemaVersion != baseMetadata.SchemaVersion))
                {
                    return null; // nothing to fold, or a schema change in the chain: the next full save settles it
                }

                using var baseRecords = new KeyedRecordReader(baseReader.Payload, baseMetadata.Location);
                if (!baseRecords.TryReadBaseMagic())
                {
                    return null; // not a keyed base (deltas never follow one); the next full save settles it
                }

                var changes = ReadChanges(deltas, baseMetadata.Generation);
                var request = new SnapshotWriteRequest(serviceName, baseMetadata.SchemaVersion, deltas[^1].File.Generation);
                return await store.ReplaceBaseAsync(
                    request,
                    baseMetadata.Generation,
                    (destination, ct) => WriteFoldedAsync(baseRecords, changes, destination, ct),
                    async ct =>
                    {
                        await slot.WaitAsync(ct).ConfigureAwait(false);
                        return new SlotRelease(slot);
                    },
                    cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                foreach (var (_, reader) in deltas)
                {
                    await reader.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>The last record of every key the deltas touch, in chain order (later deltas win).</summary>
    private static Dictionary<string, FoldedRecord> ReadChanges(List<(FileSystemSnapshotStore.DeltaFile File, SnapshotReader Reader)> deltas, long baseGeneration)
    {
        var changes = new Dictionary<string, FoldedRecord>(StringComparer.Ordinal);
        var last = baseGeneration;
        foreach (var (file, reader) in deltas)
        {
            using var records = new KeyedRecordReader(reader.Payload, file.Path);
            var follows = records.ReadDeltaPreamble();
            if (follows != last)
            {
                throw new SnapshotCorruptException(file.Path, $"it follows generation {follows}, but the snapshot before it ends at generation {last}: a delta file in between is missing.");
            }

            while (records.Read())
            {
                changes[records.Key] = new FoldedRecord(records.Kind, [.. records.BlobIds], records.ValueSpan.ToArray());
            }

            last = file.Generation;
        }

        return changes;
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
