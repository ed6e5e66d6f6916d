using System.Collections.Concurrent;
using LocalStack.Persistence.Storage.Internal;

namespace LocalStack.Persistence.Storage;

/// <summary>Asset generations and the working folder.</summary>
public sealed partial class FileSystemSnapshotStore
{
    private readonly ConcurrentDictionary<string, FlushedAssets> _flushedAssets = new(StringComparer.Ordinal);

    /// <inheritdoc />
    /// <remarks>Returns <c>&lt;state&gt;/&lt;service&gt;/working</c>.</remarks>
    /// <exception cref="ArgumentException">The service name is invalid.</exception>
    /// <exception cref="ObjectDisposedException">The store has been disposed.</exception>
    public string GetWorkingDirectory(string serviceName)
    {
        StateLayout.ThrowIfInvalidServiceName(serviceName, nameof(serviceName));
        ThrowIfDisposed();

        var folder = _layout.WorkingDirectory(serviceName);
        _layout.ThrowIfLinked(folder);
        EnsureDirectory(folder);
        return folder;
    }

    /// <inheritdoc />
    /// <remarks>Returns <c>&lt;state&gt;/&lt;service&gt;/&lt;generation as 20 digits&gt;</c>.</remarks>
    /// <exception cref="ArgumentException">The service name is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The generation is not greater than zero, or not greater than the generation of the stored snapshot.</exception>
    /// <exception cref="SnapshotCorruptException">The stored snapshot's header is unreadable; it is kept and will not be overwritten.</exception>
    /// <exception cref="SnapshotVersionException">The stored snapshot was written by a newer format version.</exception>
    /// <exception cref="ObjectDisposedException">The store has been disposed.</exception>
    public ValueTask<string> CreateAssetGenerationAsync(string serviceName, long generation, CancellationToken cancellationToken = default)
    {
        StateLayout.ThrowIfInvalidServiceName(serviceName, nameof(serviceName));
        StateLayout.ThrowIfInvalidGeneration(generation, nameof(generation));
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();

        var folder = _layout.GenerationDirectory(serviceName, generation);
        var statePath = _layout.StateFile(serviceName);
        _layout.ThrowIfLinked(folder);
        _layout.ThrowIfLinked(statePath);

        // Never clear the folder of the committed snapshot: a stale generation number here would destroy its assets.
        SnapshotMetadata? committed;
        try
        {
            committed = TryReadHeader(statePath);
        }
        catch (SnapshotCorruptException ex)
        {
            throw new SnapshotCorruptException(ex.Path, ex.Reason + " It is kept and not overwritten; reset the service to discard it.", ex);
        }

        if (committed is not null && generation <= committed.Generation)
        {
            throw new ArgumentOutOfRangeException(nameof(generation), generation, $"The stored snapshot '{statePath}' commits generation {committed.Generation}; a new generation must be greater.");
        }

        // A folder of this generation is a stage that never committed.
        if (Directory.Exists(folder))
        {
            _fileSystem.DeleteDirectory(folder);
            _fileSystem.FlushDirectory(_layout.ServiceAssetDirectory(serviceName));
        }

        EnsureDirectory(folder);
        return ValueTask.FromResult(folder);
    }

    /// <inheritdoc />
    /// <remarks>fsyncs every file below the generation folder, then each folder bottom-up, then the service's folder that holds the generation. A symbolic link inside is refused, never followed: a load would refuse it.</remarks>
    /// <exception cref="ArgumentException">The service name is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The generation is not greater than zero.</exception>
    /// <exception cref="DirectoryNotFoundException">The generation has no folder.</exception>
    /// <exception cref="SnapshotCorruptException">A file or folder inside the generation is a symbolic link; the exception names it.</exception>
    /// <exception cref="ObjectDisposedException">The store has been disposed.</exception>
    public ValueTask FlushAssetGenerationAsync(string serviceName, long generation, CancellationToken cancellationToken = default)
    {
        StateLayout.ThrowIfInvalidServiceName(serviceName, nameof(serviceName));
        StateLayout.ThrowIfInvalidGeneration(generation, nameof(generation));
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();

        var folder = _layout.GenerationDirectory(serviceName, generation);
        _layout.ThrowIfLinked(folder);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Asset generation folder '{folder}' does not exist.");
        }

        var flushed = _flushedAssets.GetOrAdd(serviceName, static _ => new FlushedAssets());
        lock (flushed)
        {
            var current = new Dictionary<FileId, (long, long, uint)>();
            WalkGeneration(folder, new DirectoryInfo(folder), file => FlushFile(file, flushed.Files, current), _fileSystem.FlushDirectory, cancellationToken);
            flushed.Files = current;
        }

        _fileSystem.FlushDirectory(_layout.ServiceAssetDirectory(serviceName));
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The service name is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The generation is not greater than zero.</exception>
    /// <exception cref="ObjectDisposedException">The store has been disposed.</exception>
    public string? GetAssetGenerationDirectory(string serviceName, long generation)
    {
        StateLayout.ThrowIfInvalidServiceName(serviceName, nameof(serviceName));
        StateLayout.ThrowIfInvalidGeneration(generation, nameof(generation));
        ThrowIfDisposed();

        var folder = _layout.GenerationDirectory(serviceName, generation);
        _layout.ThrowIfLinked(folder);
        return Directory.Exists(folder) ? folder : null;
    }

    /// <inheritdoc />
    /// <remarks>Only generation folders are removed; the working folder and anything else in the service's folder stay.</remarks>
    /// <exception cref="ArgumentException">The service name is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The generation is not greater than zero.</exception>
    /// <exception cref="ObjectDisposedException">The store has been disposed.</exception>
    public ValueTask PruneAssetGenerationsAsync(string serviceName, long keepGeneration, CancellationToken cancellationToken = default)
    {
        StateLayout.ThrowIfInvalidServiceName(serviceName, nameof(serviceName));
        StateLayout.ThrowIfInvalidGeneration(keepGeneration, nameof(keepGeneration));
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();

        _layout.ThrowIfLinked(_layout.ServiceAssetDirectory(serviceName));
        RemoveAssetGenerations(serviceName, keepGeneration);
        return ValueTask.CompletedTask;
    }

    private void RemoveAssetGenerations(string serviceName, long? keepGeneration)
    {
        var folder = _layout.ServiceAssetDirectory(serviceName);
        if (!Directory.Exists(folder))
        {
            return;
        }

        var removed = false;
        foreach (var entry in new DirectoryInfo(folder).GetFileSystemInfos())
        {
            if (!StateLayout.TryParseGeneration(entry.Name, out var generation) || generation == keepGeneration)
            {
                continue;
            }

            if (entry.LinkTarget is not null)
            {
                // Remove a planted link itself, never what it points to.
                _fileSystem.DeleteFile(entry.FullName);
                removed = true;
            }
            else if (entry is DirectoryInfo)
            {
                _fileSystem.DeleteDirectory(entry.FullName);
                removed = true;
            }
        }

        if (removed)
        {
            _fileSystem.FlushDirectory(folder);
        }
    }

    private void FlushFile(string path, Dictionary<FileId, (long, long, uint)> previous, Dictionary<FileId, (long, long, uint)> current)
    {
        if (!LinuxNative.TryGetFileStamp(path, out var stamp))
        {
            _fileSystem.FlushFileToDisk(path);
            return;
        }

        // A hard link to a file this store already fsynced for an earlier generation, unchanged since, needs no second
        // fsync (its data is durable; the new name is made durable by the folder's fsync): one fsync per new asset per
        // save instead of one per asset, which matters for S3-like services with many objects.
        var unchanged = stamp.LinkCount > 1 && previous.TryGetValue(stamp.Id, out var version) && version == stamp.Version;
        if (!unchanged)
        {
            _fileSystem.FlushFileToDisk(path);
        }

        current[stamp.Id] = stamp.Version;
    }

    /// <summary>
    /// Refuses a symbolic link at <paramref name="path"/>, at any folder from <paramref name="generationFolder"/> down to
    /// it, and (when <paramref name="path"/> is a folder) at any depth inside it: a link planted in a committed
    /// generation would make a load serve whatever file it points to.
    /// </summary>
    /// <param name="generationFolder">The generation folder the path is in.</param>
    /// <param name="path">A path inside <paramref name="generationFolder"/>.</param>
    /// <param name="checkedFolders">Folders already found not to be links (skipped, and added to); <see langword="null"/> to check all.</param>
    /// <returns>What <paramref name="path"/> is; <see cref="FileKind.Missing"/> when it or a folder on the way does not exist.</returns>
    /// <exception cref="SnapshotCorruptException">A link was found; the exception names it.</exception>
    internal static FileKind ThrowIfLinkedInGeneration(string generationFolder, string path, HashSet<string>? checkedFolders = null)
    {
        var relative = Path.GetRelativePath(generationFolder, path);
        var current = generationFolder;
        var parts = relative == "." ? [] : relative.Split(Path.DirectorySeparatorChar);
        for (var i = -1; i < parts.Length - 1; i++)
        {
            current = i < 0 ? current : Path.Combine(current, parts[i]);
            if (checkedFolders?.Contains(current) == true)
            {
                continue;
            }

            var folderKind = KindOf(generationFolder, current);
            if (folderKind != FileKind.Directory)
            {
                return FileKind.Missing;
            }

            checkedFolders?.Add(current);
        }

        var kind = KindOf(generationFolder, path);
        if (kind == FileKind.Directory)
        {
            WalkGeneration(generationFolder, new DirectoryInfo(path), static _ => { }, static _ => { }, CancellationToken.None);
        }

        return kind;
    }

    private static FileKind KindOf(string generationFolder, string path)
    {
        var kind = StateLayout.KindOf(path);
        return kind == FileKind.SymbolicLink ? throw LinkInGeneration(generationFolder, path) : kind;
    }

    /// <summary>Visits every file below <paramref name="folder"/>, then the folder itself (bottom-up); a link anywhere is refused.</summary>
    private static void WalkGeneration(string generationFolder, DirectoryInfo folder, Action<string> onFile, Action<string> afterFolder, CancellationToken cancellationToken)
    {
        foreach (var entry in folder.EnumerateFileSystemInfos())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (entry.LinkTarget is not null)
            {
                throw LinkInGeneration(generationFolder, entry.FullName);
            }

            if (entry is DirectoryInfo child)
            {
                WalkGeneration(generationFolder, child, onFile, afterFolder, cancellationToken);
            }
            else
            {
                onFile(entry.FullName);
            }
        }

        afterFolder(folder.FullName);
    }

    private static SnapshotCorruptException LinkInGeneration(string generationFolder, string path)
        => new(path, $"it is a symbolic link inside asset generation '{generationFolder}', and links there are never followed. Reset the service, or put the file or folder itself in its place.");

    /// <summary>The files of a service's last flushed generation that this store fsynced (or found already fsynced).</summary>
    private sealed class FlushedAssets
    {
        public Dictionary<FileId, (long, long, uint)> Files { get; set; } = [];
    }
}
