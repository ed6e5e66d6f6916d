using System.Collections.Concurrent;
using LocalStack.Persistence.Storage.Format;
using LocalStack.Persistence.Storage.Internal;

namespace LocalStack.Persistence.Storage;

// Delta files of keyed services: api_states/<service>/store.delta.<generation>, each a complete snapshot file (header,
// LZ4 payload, checksum) whose payload is the keyed records changed since the generation it names as previous.
public sealed partial class FileSystemSnapshotStore
{
    private readonly ConcurrentDictionary<string, ChainStats> _chains = new(StringComparer.Ordinal);

    /// <summary>
    /// Appends a delta on top of the committed base: temp file, flush, rename to <c>store.delta.&lt;generation&gt;</c>,
    /// folder fsync (the commit point is the rename). The base must exist and be older than the delta.
    /// </summary>
    internal async ValueTask<SnapshotMetadata> AppendDeltaAsync(SnapshotWriteRequest request, SnapshotPayloadWriter writeDelta, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(writeDelta);
        StateLayout.ThrowIfInvalidServiceName(request.ServiceName, nameof(request));
        StateLayout.ThrowIfInvalidGeneration(request.Generation, nameof(request));
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();

        var serviceName = request.ServiceName;
        var statePath = _layout.StateFile(serviceName);
        var deltaPath = _layout.DeltaFile(serviceName, request.Generation);
        var fileLock = FileLockOf(serviceName);
        await fileLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _layout.ThrowIfLinked(statePath);
            _layout.ThrowIfLinked(deltaPath);
            var stored = ThrowIfExistingMustBeKept(statePath, request.SchemaVersion)
                ?? throw new InvalidOperationException($"Service '{serviceName}' has no base snapshot to append delta generation {request.Generation} to.");
            if (stored.Generation >= request.Generation || File.Exists(deltaPath))
            {
                throw new InvalidOperationException($"Delta generation {request.Generation} of service '{serviceName}' is not newer than the stored generation {stored.Generation}, or already exists.");
            }

            var stats = StatsOf(serviceName);
            var fields = new SnapshotHeaderFields(serviceName, request.SchemaVersion, request.Generation, _timeProvider.GetUtcNow(), _codec);
            var metadata = await _writer.WriteAsync(
                deltaPath,
                (file, ct) => SnapshotFile.WriteAsync(file, fields, LimitPayload(writeDelta, deltaPath), deltaPath, ct),
                cancellationToken).ConfigureAwait(false);
            _chains[serviceName] = stats with
            {
                DeltaCount = stats.DeltaCount + 1,
                DeltaBytes = stats.DeltaBytes + metadata.FileLength,
                LatestGeneration = Math.Max(stats.LatestGeneration, request.Generation),
            };
            return metadata;
        }
        finally
        {
            fileLock.Release();
        }
    }

    /// <summary>The delta files of a service newer than <paramref name="afterGeneration"/>, oldest first.</summary>
    internal IReadOnlyList<DeltaFile> ListDeltaFiles(string serviceName, long afterGeneration = 0)
    {
        StateLayout.ThrowIfInvalidServiceName(serviceName, nameof(serviceName));
        var folder = _layout.ServiceStateDirectory(serviceName);
        _layout.ThrowIfLinked(folder);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var deltas = new List<DeltaFile>();
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles(StateLayout.DeltaFilePrefix + "*"))
        {
            if (StateLayout.TryParseDeltaFileName(file.Name, out var generation) && generation > afterGeneration)
            {
                long length;
                try
                {
                    length = file.Length;
                }
                catch (FileNotFoundException)
                {
                    continue; // removed by a compaction since the listing: covered by the base now
                }

                deltas.Add(new DeltaFile(generation, file.FullName, length));
            }
        }

        deltas.Sort(static (a, b) => a.Generation.CompareTo(b.Generation));
        return deltas;
    }

    /// <summary>Opens a delta after checking its header, lengths and checksum; a missing or damaged file is <see cref="SnapshotCorruptException"/> naming it.</summary>
    internal async ValueTask<SnapshotReader> OpenDeltaAsync(DeltaFile delta, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        _layout.ThrowIfLinked(delta.Path);
        var file = TryOpenForReading(delta.Path)
            ?? throw new SnapshotCorruptException(delta.Path, "the delta file disappeared while the service's snapshot chain was being read.");
        return await SnapshotFile.OpenAsync(file, delta.Path, _maxSnapshotBytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The highest generation in use: the base's or any delta file's (stale ones included), so a new save never reuses one.</summary>
    internal long GetLatestGeneration(string serviceName)
    {
        StateLayout.ThrowIfInvalidServiceName(serviceName, nameof(serviceName));
        return StatsOf(serviceName).LatestGeneration;
    }

    /// <summary>Whether the service has a blob folder (so a blob collection has something to look at).</summary>
    internal bool HasBlobs(string serviceName) => Directory.Exists(_layout.BlobsDirectory(serviceName));

    /// <summary>How long the service's delta chain is (for the compaction bound).</summary>
    internal ChainStats GetChainStats(string serviceName) => StatsOf(serviceName);

    /// <summary>
    /// Compaction's commit: writes the folded file to a temp file outside every lock, then (inside
    /// <paramref name="enterCommit"/> and the file lock) renames it into place only if the base is still generation
    /// <paramref name="expectedBaseGeneration"/>, and removes what it replaces. With <paramref name="asBase"/> the file
    /// becomes <c>store.state</c> and the deltas it folded go; otherwise it is one delta that replaces the newest delta it
    /// merged (<c>store.delta.&lt;request generation&gt;</c>, which must still exist) and the older ones go.
    /// </summary>
    /// <returns>The new file's metadata, or <see langword="null"/> when the chain changed meanwhile (nothing is committed).</returns>
    internal async ValueTask<SnapshotMetadata?> ReplaceChainAsync(
        SnapshotWriteRequest request,
        long expectedBaseGeneration,
        bool asBase,
        SnapshotPayloadWriter write,
        Func<CancellationToken, ValueTask<IDisposable>> enterCommit,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ThrowIfDisposed();
        var serviceName = request.ServiceName;
        var statePath = _layout.StateFile(serviceName);
        var target = asBase ? statePath : _layout.DeltaFile(serviceName, request.Generation);
        _layout.ThrowIfLinked(target);
        var fields = new SnapshotHeaderFields(serviceName, request.SchemaVersion, request.Generation, _timeProvider.GetUtcNow(), _codec);
        var prepared = await _writer.PrepareAsync(
            target,
            (file, ct) => SnapshotFile.WriteAsync(file, fields, LimitPayload(write, target), target, ct),
            cancellationToken).ConfigureAwait(false);
        try
        {
            using (await enterCommit(cancellationToken).ConfigureAwait(false))
            {
                var fileLock = FileLockOf(serviceName);
                await fileLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    ThrowIfDisposed();
                    if (TryReadHeader(statePath) is not { } current || current.Generation != expectedBaseGeneration || (!asBase && !File.Exists(target)))
                    {
                        return null;
                    }

                    prepared.Commit();
                    if (asBase)
                    {
                        RemoveDeltasUpTo(serviceName, request.Generation);
                    }
                    else
                    {
                        // A kill before these removals leaves the older deltas in the chain; the merged delta names the
                        // base as the generation it follows and holds their changes, so replaying them first changes nothing.
                        _chains.TryRemove(serviceName, out _);
                        foreach (var older in ListDeltaFiles(serviceName, expectedBaseGeneration).Where(d => d.Generation < request.Generation))
                        {
                            _fileSystem.DeleteFile(older.Path);
                        }

                        _fileSystem.FlushDirectory(_layout.ServiceStateDirectory(serviceName));
                    }

                    return prepared.Result;
                }
                finally
                {
                    fileLock.Release();
                }
            }
        }
        finally
        {
            prepared.Discard();
        }
    }

    /// <summary>Removes the deltas a new base covers (their generation is not greater than the base's). Call under the file lock, after the base's commit.</summary>
    private void RemoveDeltasUpTo(string serviceName, long baseGeneration)
    {
        _chains.TryRemove(serviceName, out _);
        var removed = false;
        foreach (var delta in ListDeltaFiles(serviceName))
        {
            if (delta.Generation <= baseGeneration)
            {
                _fileSystem.DeleteFile(delta.Path);
                removed = true;
            }
        }

        if (removed)
        {
            // Not needed for correctness (a delta not newer than the base is never loaded), only to not find it again.
            _fileSystem.FlushDirectory(_layout.ServiceStateDirectory(serviceName));
        }
    }

    private ChainStats StatsOf(string serviceName)
    {
        if (_chains.TryGetValue(serviceName, out var stats))
        {
            return stats;
        }

        var statePath = _layout.StateFile(serviceName);
        SnapshotMetadata? stored;
        try
        {
            stored = TryReadHeader(statePath);
        }
        catch (Exception e) when (e is SnapshotException or IOException or UnauthorizedAccessException)
        {
            stored = null;
        }

        var all = ListDeltaFiles(serviceName);
        var baseGeneration = stored?.Generation ?? 0;
        var live = all.Where(d => d.Generation > baseGeneration).ToList();
        stats = new ChainStats(
            baseGeneration,
            stored?.FileLength ?? 0,
            live.Count,
            live.Sum(d => d.Length),
            Math.Max(baseGeneration, all.Count > 0 ? all[^1].Generation : 0));
        _chains[serviceName] = stats;
        return stats;
    }

    /// <summary>A delta file found on disk.</summary>
    internal sealed record DeltaFile(long Generation, string Path, long Length);

    /// <summary>The shape of a service's chain: its base, the deltas newer than it, and the newest generation in use.</summary>
    internal sealed record ChainStats(long BaseGeneration, long BaseLength, int DeltaCount, long DeltaBytes, long LatestGeneration);
}
