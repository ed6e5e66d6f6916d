using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Storage.Format;

namespace LocalStack.Persistence.State;

/// <summary>
/// The committed deltas of a keyed service newer than its base, each opened (and so checked end to end) before any is
/// read; read them in order with <see cref="ReadDelta"/>, which checks that each follows the one before.
/// </summary>
internal sealed class KeyedChain : IAsyncDisposable
{
    private readonly List<(FileSystemSnapshotStore.DeltaFile File, SnapshotReader Reader)> _deltas;

    private KeyedChain(long baseGeneration, List<(FileSystemSnapshotStore.DeltaFile File, SnapshotReader Reader)> deltas)
    {
        BaseGeneration = baseGeneration;
        _deltas = deltas;
    }

    public long BaseGeneration { get; }

    public IReadOnlyList<(FileSystemSnapshotStore.DeltaFile File, SnapshotReader Reader)> Deltas => _deltas;

    /// <summary>The generation the chain ends at: the newest delta's, or the base's.</summary>
    public long LastGeneration => _deltas.Count > 0 ? _deltas[^1].File.Generation : BaseGeneration;

    /// <summary>Opens every delta of <paramref name="serviceName"/> newer than <paramref name="baseGeneration"/>; none for a store without deltas.</summary>
    /// <exception cref="SnapshotCorruptException">A delta is damaged, vanished, or its header names another service or generation.</exception>
    public static async ValueTask<KeyedChain> OpenAsync(ISnapshotStore? store, string serviceName, long baseGeneration, CancellationToken cancellationToken)
    {
        var deltas = new List<(FileSystemSnapshotStore.DeltaFile File, SnapshotReader Reader)>();
        var chain = new KeyedChain(baseGeneration, deltas);
        if (store is not FileSystemSnapshotStore files)
        {
            return chain;
        }

        try
        {
            foreach (var file in files.ListDeltaFiles(serviceName, baseGeneration))
            {
                var reader = await files.OpenDeltaAsync(file, cancellationToken).ConfigureAwait(false);
                deltas.Add((file, reader));
                if (reader.Metadata.ServiceName != serviceName || reader.Metadata.Generation != file.Generation)
                {
                    throw new SnapshotCorruptException(file.Path, $"its header names service '{reader.Metadata.ServiceName}' generation {reader.Metadata.Generation}, not service '{serviceName}' generation {file.Generation}.");
                }
            }

            return chain;
        }
        catch
        {
            await chain.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Reads delta <paramref name="index"/> record by record after checking that it follows the generation before it.</summary>
    /// <exception cref="SnapshotCorruptException">A delta in between is missing, or the delta's records are damaged.</exception>
    /// <remarks>
    /// A delta follows the file just before it, or (a merged delta whose older parts a kill left behind) the base or
    /// an earlier delta of the chain: it then holds all their changes, so replaying them first changes nothing. A
    /// generation that is not in the chain means a file in between is missing.
    /// </remarks>
    public void ReadDelta(int index, Action<KeyedRecordReader> onRecord)
    {
        var (file, reader) = _deltas[index];
        var previous = index == 0 ? BaseGeneration : _deltas[index - 1].File.Generation;
        using var records = new KeyedRecordReader(reader.Payload, file.Path);
        var follows = records.ReadDeltaPreamble();
        if (follows != previous && follows != BaseGeneration && !_deltas.Take(index).Any(d => d.File.Generation == follows))
        {
            throw new SnapshotCorruptException(file.Path, $"it follows generation {follows}, but the snapshot before it ends at generation {previous}: a delta file in between is missing.");
        }

        while (records.Read())
        {
            onRecord(records);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, reader) in _deltas)
        {
            await reader.DisposeAsync().ConfigureAwait(false);
        }

        _deltas.Clear();
    }
}
