using System.Collections.Concurrent;
using System.Security.Cryptography;
using LocalStack.Persistence.Storage.Internal;

namespace LocalStack.Persistence.Storage;

/// <summary>
/// Content-addressed blobs: immutable files at <c>&lt;service&gt;/blobs/&lt;2 hex&gt;/&lt;64 hex&gt;</c>, named by the
/// SHA-256 of their bytes, so identical bytes are stored once and shared by every save that references them.
/// </summary>
/// <remarks>
/// <para>
/// A blob is written as <c>&lt;id&gt;.&lt;random&gt;.tmp</c> in its shard folder (a hard link to the source, or a
/// copy), fsynced, and renamed to <c>&lt;id&gt;</c>; the shard folders a save touched (and <c>blobs/</c> when a shard
/// is new to this process) are fsynced before its state file is committed (<see cref="FlushBlobs"/>).
/// </para>
/// <para>
/// Garbage collection: a capture pins every blob it stores or reuses until its save commits or is abandoned
/// (<see cref="BlobSession"/>). <see cref="SweepBlobsAsync"/> copies the pins and starts recording stores before it
/// reads the live set, so a blob referenced by a save that commits while the sweep runs is never removed: it was pinned
/// when the sweep started, is pinned now, or was stored or reused since.
/// </para>
/// </remarks>
public sealed partial class FileSystemSnapshotStore
{
    private const int HashBufferSize = 64 * 1024;

    private readonly ConcurrentDictionary<string, BlobCatalog> _blobCatalogs = new(StringComparer.Ordinal);

    /// <summary>Starts the blob work of one capture: what it pins and which shard folders its commit must fsync.</summary>
    /// <exception cref="ArgumentException">The service name is invalid.</exception>
    /// <exception cref="ObjectDisposedException">The store has been disposed.</exception>
    internal BlobSession OpenBlobSession(string serviceName)
    {
        StateLayout.ThrowIfInvalidServiceName(serviceName, nameof(serviceName));
        ThrowIfDisposed();
        return new BlobSession(this, serviceName, CatalogOf(serviceName));
    }

    /// <summary>Stores the bytes of <paramref name="sourcePath"/> as a blob: a hard link when possible, else a copy.</summary>
    /// <exception cref="FileNotFoundException"><paramref name="sourcePath"/> does not exist.</exception>
    /// <exception cref="InvalidOperationException">The source was written while it was being stored.</exception>
    /// <exception cref="SnapshotException">A part of the blob's path is a symbolic link, or the blob's name is taken by something that is not a file.</exception>
    internal async ValueTask<string> StoreBlobAsync(BlobSession session, string sourcePath, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();

        // The stamp taken before hashing tells whether a hard link made afterwards still has the hashed bytes.
        var stamped = LinuxNative.TryGetFileStamp(sourcePath, out var hashed);
        string blobId;
        long length;
        using (var source = OpenSource(sourcePath))
        {
            blobId = Convert.ToHexStringLower(await SHA256.HashDataAsync(source, cancellationToken).ConfigureAwait(false));
            length = source.Position;
        }

        return await PutBlobAsync(session, blobId, length, (temp, ct) => LinkOrCopyAsync(session.ServiceName, sourcePath, stamped ? hashed : null, blobId, temp, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stores <paramref name="content"/> as a blob (a new file, fsynced).</summary>
    /// <exception cref="SnapshotException">A part of the blob's path is a symbolic link, or the blob's name is taken by something that is not a file.</exception>
    internal async ValueTask<string> StoreBlobAsync(BlobSession session, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();

        var blobId = Convert.ToHexStringLower(SHA256.HashData(content.Span));
        return await PutBlobAsync(
            session,
            blobId,
            content.Length,
            (temp, ct) => _writer.WriteNewFileAsync(temp, async (file, t) => { await file.WriteAsync(content, t).ConfigureAwait(false); return true; }, ct),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The path of a committed blob, after checking that no part of the path below the state folder is a symbolic link,
    /// that it is a regular file, and that its bytes hash to <paramref name="blobId"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The service name or the blob id is invalid.</exception>
    /// <exception cref="SnapshotCorruptException">The blob is missing, not a regular file, a symbolic link (or lies behind one), or its bytes do not hash to its id; the exception names the file.</exception>
    /// <exception cref="ObjectDisposedException">The store has been disposed.</exception>
    internal string GetVerifiedBlobPath(string serviceName, string blobId)
    {
        StateLayout.ThrowIfInvalidServiceName(serviceName, nameof(serviceName));
        ThrowIfInvalidBlobId(blobId);
        ThrowIfDisposed();

        var path = _layout.BlobFile(serviceName, blobId);
        foreach (var part in new[] { _layout.ServiceAssetDirectory(serviceName), _layout.BlobsDirectory(serviceName), _layout.BlobShardDirectory(serviceName, blobId), path })
        {
            var kind = StateLayout.KindOf(part);
            var expected = part == path ? FileKind.File : FileKind.Directory;
            if (kind == expected)
            {
                continue;
            }

            throw kind switch
            {
                FileKind.Missing => new SnapshotCorruptException(path, $"the snapshot references blob {blobId}, but its file does not exist. Restore the file, or reset the service."),
                FileKind.SymbolicLink => new SnapshotCorruptException(part, $"it is a symbolic link on the way to blob {blobId}, and links there are never followed. Reset the service, or put the file or folder itself in its place."),
                _ => new SnapshotCorruptException(part, $"it should be {(expected == FileKind.File ? "a regular file" : "a folder")} holding blob {blobId}, and it is not."),
            };
        }

        string actual;
        using (var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read | FileShare.Delete, BufferSize = 0, Options = FileOptions.SequentialScan }))
        {
            actual = Convert.ToHexStringLower(SHA256.HashData(file));
        }

        return actual == blobId
            ? path
            : throw new SnapshotCorruptException(path, $"its bytes hash to {actual}, not to {blobId}, the id it is stored and referenced as: the blob is damaged. Restore the file, or reset the service.");
    }

    /// <summary>
    /// Makes the blobs of a capture durable before its state file is committed: fsyncs each shard folder it wrote to or
    /// reused from (a blob left by a killed process may not be durable yet), and <c>blobs/</c> when one of those shards
    /// was not yet fsynced into it by this process.
    /// </summary>
    internal void FlushBlobs(BlobSession session, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var shards = session.Shards();
        foreach (var shard in shards)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _fileSystem.FlushDirectory(shard);
        }

        var newShards = session.Catalog.NotYetDurable(shards);
        if (newShards.Count > 0)
        {
            _fileSystem.FlushDirectory(_layout.BlobsDirectory(session.ServiceName));
            session.Catalog.MarkDurable(newShards);
        }
    }

    /// <summary>
    /// Removes every blob of <paramref name="serviceName"/> that is not in the live set, not pinned by a capture when the
    /// sweep started or now, and not stored or reused since the sweep started; and leftover temp blob files.
    /// </summary>
    /// <param name="serviceName">The service.</param>
    /// <param name="readLiveSet">Reads the ids of the blobs the committed snapshot references; called after the sweep has started recording.</param>
    /// <param name="cancellationToken">Cancels the sweep; what was removed stays removed (it was garbage).</param>
    /// <returns>The number of files removed.</returns>
    /// <exception cref="ArgumentException">The service name is invalid.</exception>
    /// <exception cref="SnapshotException">The service's folder or its <c>blobs</c> folder is a symbolic link.</exception>
    /// <exception cref="ObjectDisposedException">The store has been disposed.</exception>
    internal async ValueTask<int> SweepBlobsAsync(string serviceName, Func<CancellationToken, ValueTask<IReadOnlySet<string>>> readLiveSet, CancellationToken cancellationToken)
    {
        StateLayout.ThrowIfInvalidServiceName(serviceName, nameof(serviceName));
        ArgumentNullException.ThrowIfNull(readLiveSet);
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();

        var catalog = CatalogOf(serviceName);
        var sweep = catalog.BeginSweep();
        try
        {
            var live = await readLiveSet(cancellationToken).ConfigureAwait(false);
            var blobs = _layout.BlobsDirectory(serviceName);
            _layout.ThrowIfLinked(blobs);
            var removed = 0;
            foreach (var shard in EnumerateShards(blobs))
            {
                foreach (var file in shard.EnumerateFiles())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    string blobId;
                    if (StateLayout.IsValidBlobId(file.Name) && file.Name.StartsWith(shard.Name, StringComparison.Ordinal))
                    {
                        if (live.Contains(file.Name))
                        {
                            continue;
                        }

                        blobId = file.Name;
                    }
                    else if (!StateLayout.IsBlobTempFileName(file.Name, out blobId))
                    {
                        continue; // not the store's: left alone
                    }

                    // A temp file of a pinned blob is a write in progress; any other is a leftover.
                    if (catalog.RemoveUnlessKept(sweep, blobId, () => _fileSystem.DeleteFile(file.FullName)))
                    {
                        removed++;
                    }
                }
            }

            return removed;
        }
        finally
        {
            catalog.EndSweep(sweep);
        }
    }

    /// <summary>Whether <paramref name="blobId"/> is 64 lower-case hex characters.</summary>
    internal static bool IsValidBlobId(string? blobId) => StateLayout.IsValidBlobId(blobId);

    private static void ThrowIfInvalidBlobId(string? blobId)
    {
        if (!StateLayout.IsValidBlobId(blobId))
        {
            throw new ArgumentException($"'{blobId}' is not a blob id: a blob id is 64 lower-case hex characters (the SHA-256 of the blob's bytes).", nameof(blobId));
        }
    }

    private static FileStream OpenSource(string sourcePath)
        => new(sourcePath, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, BufferSize = 0, Options = FileOptions.SequentialScan });

    private BlobCatalog CatalogOf(string serviceName) => _blobCatalogs.GetOrAdd(serviceName, static _ => new BlobCatalog());

    /// <summary>Pins the blob, then stores it unless a file of the same id and length is there already (deduplication).</summary>
    private async ValueTask<string> PutBlobAsync(BlobSession session, string blobId, long length, Func<string, CancellationToken, ValueTask<bool>> writeTemp, CancellationToken cancellationToken)
    {
        // Pin before looking: a sweep either removed the file before this (then it is written again) or keeps it.
        session.Pin(blobId);
        var shard = _layout.BlobShardDirectory(session.ServiceName, blobId);
        PrepareShard(session, shard);
        var path = Path.Combine(shard, blobId);

        var kind = StateLayout.KindOf(path);
        switch (kind)
        {
            case FileKind.File when LengthOf(path) == length:
                return blobId;
            case FileKind.File or FileKind.Missing:
                // A blob of the wrong length was damaged (truncated): replaced by a good copy.
                await _writer.ReplaceAsync(path, writeTemp, flushFolder: false, cancellationToken).ConfigureAwait(false);
                return blobId;
            case FileKind.SymbolicLink:
                throw new SnapshotException($"'{path}' in the state folder is a symbolic link; it is not followed. Remove it; the next save stores the blob there again.");
            default:
                throw new SnapshotException($"'{path}' in the state folder should be blob {blobId}, and it is not a file. Remove it; the next save stores the blob there again.");
        }
    }

    /// <summary>Refuses links on the way to a shard (once per capture) and creates the shard when it is missing.</summary>
    private void PrepareShard(BlobSession session, string shard)
    {
        if (!session.AddShard(shard))
        {
            return;
        }

        try
        {
            _layout.ThrowIfLinked(shard);
            if (!Directory.Exists(shard))
            {
                EnsureDirectory(Path.GetDirectoryName(shard)!);

                // Its entry in blobs/ is made durable by FlushBlobs before the save commits, once for all new shards.
                _fileSystem.CreateDirectory(shard);
            }
        }
        catch
        {
            session.RemoveShard(shard);
            throw;
        }
    }

    private async ValueTask<bool> LinkOrCopyAsync(string serviceName, string sourcePath, FileStamp? hashed, string blobId, string temp, CancellationToken cancellationToken)
    {
        if (LinuxNative.IsSupported && LinuxNative.TryCreateHardLink(sourcePath, temp) == 0)
        {
            var linkedStamped = LinuxNative.TryGetFileStamp(temp, out var linked);
            if (hashed is { } before && linkedStamped && (linked.Id != before.Id || linked.Version != before.Version))
            {
                throw new InvalidOperationException($"File '{sourcePath}' was replaced or written while it was stored as a blob of service '{serviceName}'. A file stored as a blob must not change while it is stored (nor in place afterwards: the blob shares its bytes).");
            }

            // A source this store already fsynced (a staged asset, unchanged since) needs no second fsync.
            if (!linkedStamped || !WasFlushedAsAsset(serviceName, linked))
            {
                _fileSystem.FlushFileToDisk(temp);
            }

            return true;
        }

        // Another file system, links not permitted, or not Linux: a copy, hashed again as it is written.
        return await _writer.WriteNewFileAsync(
            temp,
            async (file, ct) =>
            {
                using var source = OpenSource(sourcePath);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[HashBufferSize];
                int read;
                while ((read = await source.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                }

                return Convert.ToHexStringLower(hash.GetHashAndReset()) == blobId
                    ? true
                    : throw new InvalidOperationException($"File '{sourcePath}' was written while it was stored as a blob of service '{serviceName}'; a file stored as a blob must not change while it is stored.");
            },
            cancellationToken).ConfigureAwait(false);
    }

    private bool WasFlushedAsAsset(string serviceName, FileStamp stamp)
    {
        if (!_flushedAssets.TryGetValue(serviceName, out var flushed))
        {
            return false;
        }

        lock (flushed)
        {
            return flushed.Files.TryGetValue(stamp.Id, out var version) && version == stamp.Version;
        }
    }

    private static long LengthOf(string path)
        => LinuxNative.TryGetFileStamp(path, out var stamp) ? stamp.Size : new FileInfo(path).Length;

    /// <summary>The shard folders of a <c>blobs</c> folder; links and foreign entries are skipped, never followed.</summary>
    private static IEnumerable<DirectoryInfo> EnumerateShards(string blobsFolder)
    {
        var blobs = new DirectoryInfo(blobsFolder);
        if (!blobs.Exists || blobs.LinkTarget is not null)
        {
            return [];
        }

        return blobs.EnumerateDirectories().Where(d => d.LinkTarget is null && StateLayout.IsBlobShardName(d.Name));
    }

    /// <summary>DeleteAsync: the service's blobs go with its snapshot (a link in their place is removed, not followed).</summary>
    private void RemoveBlobs(string serviceName)
    {
        var folder = _layout.BlobsDirectory(serviceName);
        if (StateLayout.KindOf(folder) == FileKind.Missing)
        {
            return;
        }

        CatalogOf(serviceName).ForgetDurableShards();
        _fileSystem.DeleteDirectory(folder);
        _fileSystem.FlushDirectory(_layout.ServiceAssetDirectory(serviceName));
    }

    /// <summary>Start-up: removes temp blob files of killed writers in every service's <c>blobs</c> folder; they are never served.</summary>
    private void RemoveTempBlobFiles()
    {
        foreach (var service in new DirectoryInfo(_layout.Root).EnumerateDirectories())
        {
            if (service.LinkTarget is not null || !ServiceNameRules.IsValid(service.Name) || service.Name == StateLayout.ApiStatesFolderName)
            {
                continue;
            }

            foreach (var shard in EnumerateShards(Path.Combine(service.FullName, StateLayout.BlobsFolderName)))
            {
                var removed = false;
                foreach (var file in shard.EnumerateFiles())
                {
                    if (StateLayout.IsBlobTempFileName(file.Name, out _))
                    {
                        _fileSystem.DeleteFile(file.FullName);
                        removed = true;
                    }
                }

                if (removed)
                {
                    _fileSystem.FlushDirectory(shard.FullName);
                }
            }
        }
    }

    /// <summary>
    /// The blob work of one capture: the blobs it pinned (released when its save commits or is abandoned) and the shard
    /// folders its commit fsyncs. Thread-safe: a provider may store blobs concurrently.
    /// </summary>
    internal sealed class BlobSession
    {
        private readonly HashSet<string> _pinned = new(StringComparer.Ordinal);
        private readonly HashSet<string> _shards = new(StringComparer.Ordinal);
        private bool _released;

        internal BlobSession(FileSystemSnapshotStore store, string serviceName, BlobCatalog catalog)
        {
            Store = store;
            ServiceName = serviceName;
            Catalog = catalog;
        }

        public FileSystemSnapshotStore Store { get; }

        public string ServiceName { get; }

        internal BlobCatalog Catalog { get; }

        /// <summary>Keeps <paramref name="blobId"/> from any sweep until <see cref="Release"/>; records it with running sweeps.</summary>
        /// <exception cref="InvalidOperationException">The save has already committed or been abandoned.</exception>
        public void Pin(string blobId)
        {
            lock (_pinned)
            {
                if (_released)
                {
                    throw new InvalidOperationException($"The save of service '{ServiceName}' has finished; store blobs while CaptureAsync runs.");
                }

                Catalog.Pin(blobId, first: _pinned.Add(blobId));
            }
        }

        /// <summary>Unpins every blob of this capture; calling it again does nothing.</summary>
        public void Release()
        {
            lock (_pinned)
            {
                if (!_released)
                {
                    _released = true;
                    Catalog.Unpin(_pinned);
                }
            }
        }

        internal bool AddShard(string shard)
        {
            lock (_shards)
            {
                return _shards.Add(shard);
            }
        }

        internal void RemoveShard(string shard)
        {
            lock (_shards)
            {
                _shards.Remove(shard);
            }
        }

        internal List<string> Shards()
        {
            lock (_shards)
            {
                return [.. _shards];
            }
        }
    }

    /// <summary>What the store knows in memory about one service's blobs: pins, running sweeps, shards made durable.</summary>
    internal sealed class BlobCatalog
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, int> _pins = new(StringComparer.Ordinal);
        private readonly List<BlobSweep> _sweeps = [];
        private readonly HashSet<string> _durableShards = new(StringComparer.Ordinal);

        /// <summary>Pins (when <paramref name="first"/> for its capture) and records the blob as used with every running sweep.</summary>
        public void Pin(string blobId, bool first)
        {
            lock (_lock)
            {
                if (first)
                {
                    _pins[blobId] = _pins.GetValueOrDefault(blobId) + 1;
                }

                foreach (var sweep in _sweeps)
                {
                    sweep.Used.Add(blobId);
                }
            }
        }

        public void Unpin(IEnumerable<string> blobIds)
        {
            lock (_lock)
            {
                foreach (var blobId in blobIds)
                {
                    if (_pins.TryGetValue(blobId, out var count) && count > 1)
                    {
                        _pins[blobId] = count - 1;
                    }
                    else
                    {
                        _pins.Remove(blobId);
                    }
                }
            }
        }

        public BlobSweep BeginSweep()
        {
            lock (_lock)
            {
                var sweep = new BlobSweep([.. _pins.Keys]);
                _sweeps.Add(sweep);
                return sweep;
            }
        }

        public void EndSweep(BlobSweep sweep)
        {
            lock (_lock)
            {
                _sweeps.Remove(sweep);
            }
        }

        /// <summary>
        /// Runs <paramref name="remove"/> unless the blob was pinned when the sweep started, is pinned now, or was used
        /// since; under the lock, so that a capture pinning it now either comes first (kept) or finds it gone (stores it again).
        /// </summary>
        public bool RemoveUnlessKept(BlobSweep sweep, string blobId, Action remove)
        {
            lock (_lock)
            {
                if (sweep.PinnedAtStart.Contains(blobId) || _pins.ContainsKey(blobId) || sweep.Used.Contains(blobId))
                {
                    return false;
                }

                remove();
                return true;
            }
        }

        public List<string> NotYetDurable(List<string> shards)
        {
            lock (_lock)
            {
                return shards.Where(s => !_durableShards.Contains(s)).ToList();
            }
        }

        public void MarkDurable(List<string> shards)
        {
            lock (_lock)
            {
                _durableShards.UnionWith(shards);
            }
        }

        public void ForgetDurableShards()
        {
            lock (_lock)
            {
                _durableShards.Clear();
            }
        }
    }

    /// <summary>One running sweep: the pins it copied when it started, and the blobs stored or reused since.</summary>
    internal sealed class BlobSweep(HashSet<string> pinnedAtStart)
    {
        public HashSet<string> PinnedAtStart { get; } = pinnedAtStart;

        public HashSet<string> Used { get; } = new(StringComparer.Ordinal);
    }
}
