using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using LocalStack.Persistence.Storage.Format;
using LocalStack.Persistence.Storage.Internal;
using Microsoft.Win32.SafeHandles;

namespace LocalStack.Persistence.Storage;

/// <summary>
/// The crash-safe file-system <see cref="ISnapshotStore"/>: <c>api_states/&lt;service&gt;/store.state</c> replaced atomically,
/// <c>&lt;service&gt;/&lt;generation&gt;/</c> asset folders, and <c>.lock</c> so that one process owns the folder.
/// </summary>
/// <remarks>
/// <para>Layout of <see cref="FileSystemSnapshotStoreOptions.StateDirectory"/>:</para>
/// <list type="table">
/// <item><term><c>.lock</c></term><description>Held (exclusive, released by the kernel when the process dies) while the store is open; contains the holder's process id.</description></item>
/// <item><term><c>api_states/&lt;service&gt;/store.state</c></term><description>The committed snapshot of a service.</description></item>
/// <item><term><c>api_states/&lt;service&gt;/store.state.&lt;random&gt;.tmp</c></term><description>A write in progress; never loaded, removed at start-up.</description></item>
/// <item><term><c>api_states/&lt;service&gt;/store.state.corrupt-&lt;yyyyMMddTHHmmssfffZ&gt;</c></term><description>The bytes of a damaged snapshot, copied when it failed to load; kept as evidence, also by <see cref="DeleteAsync"/>.</description></item>
/// <item><term><c>&lt;service&gt;/&lt;generation&gt;/</c></term><description>The assets of one generation; the folder name is the generation in 20 decimal digits, zero-padded (<c>00000000000000000007</c>), so that names sort like the numbers.</description></item>
/// <item><term><c>&lt;service&gt;/working/</c></term><description>The service's live working files (<see cref="GetWorkingDirectory"/>); not a number, so never taken for a generation.</description></item>
/// <item><term><c>&lt;service&gt;/blobs/&lt;2 hex&gt;/&lt;64 hex&gt;</c></term><description>Content-addressed blobs (<see cref="State.SnapshotContext.StoreBlobAsync(string, CancellationToken)"/>), named by the SHA-256 of their bytes; never taken for a generation.</description></item>
/// </list>
/// <para>
/// A write goes to a temp file in the service's folder, is flushed to disk, renamed over <c>store.state</c>, and the
/// folder is fsynced; the rename is the commit point. Writes of one service are serialized. Service names are
/// validated by <see cref="ServiceNameRules.ThrowIfInvalid"/> before any file-system call (<c>api_states</c> is reserved),
/// and a symbolic link planted anywhere below the state folder is refused rather than followed.
/// </para>
/// </remarks>
public sealed partial class FileSystemSnapshotStore : ISnapshotStore, IDisposable
{
    private readonly StateLayout _layout;
    private readonly IStoreFileSystem _fileSystem;
    private readonly AtomicFileWriter _writer;
    private readonly TimeProvider _timeProvider;
    private readonly SnapshotCompression _codec;
    private readonly long _maxSnapshotBytes;
    private readonly SnapshotHeaderReader _readHeader;
    private readonly StateDirectoryLock _lock;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _fileLocks = new(StringComparer.Ordinal);
    private int _disposed;

    /// <summary>
    /// Opens (and creates) the state folder, takes its lock and removes temp files left by a killed writer. A state
    /// folder on a read-only file system opens for loading; every write to it then fails with the file system's error.
    /// </summary>
    /// <param name="options">Where and how to store snapshots.</param>
    /// <param name="timeProvider">The clock for snapshot timestamps; the system clock when <see langword="null"/>.</param>
    /// <exception cref="StateDirectoryLockedException">Another live process, or another open store in this process, holds the state folder.</exception>
    /// <exception cref="SnapshotException">The state folder's <c>.lock</c> is a symbolic link.</exception>
    public FileSystemSnapshotStore(FileSystemSnapshotStoreOptions options, TimeProvider? timeProvider = null)
        : this(options, timeProvider, StoreFileSystem.Instance)
    {
    }

    /// <summary>Test seam: the file-system calls whose order and failures matter, and the header reader.</summary>
    internal FileSystemSnapshotStore(FileSystemSnapshotStoreOptions options, TimeProvider? timeProvider, IStoreFileSystem fileSystem, SnapshotHeaderReader? readHeader = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(fileSystem);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.StateDirectory, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxSnapshotBytes, nameof(options));
        if (!Enum.IsDefined(options.Compression))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Compression, "Unknown snapshot codec.");
        }

        _layout = new StateLayout(options.StateDirectory);
        _fileSystem = fileSystem;
        _writer = new AtomicFileWriter(fileSystem);
        _timeProvider = timeProvider ?? TimeProvider.System;
        _codec = options.Compression;
        _maxSnapshotBytes = options.MaxSnapshotBytes;
        _readHeader = readHeader ?? SnapshotFile.ReadHeader;

        CreateStateDirectory(_layout.Root);
        _lock = StateDirectoryLock.Acquire(_layout.Root, _layout.LockFile);
        try
        {
            // On a read-only file system leftover temp files cannot be removed; they are never loaded anyway.
            if (!_lock.IsReadOnlyFileSystem)
            {
                RemoveTempFiles();
                RemoveTempBlobFiles();
            }
        }
        catch
        {
            _lock.Dispose();
            throw;
        }
    }

    /// <summary>The full path of the state folder.</summary>
    public string StateDirectory => _layout.Root;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The service name is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The generation is not greater than zero.</exception>
    /// <exception cref="SnapshotException">The payload is larger than <see cref="FileSystemSnapshotStoreOptions.MaxSnapshotBytes"/>, or a part of the path is a symbolic link.</exception>
    /// <exception cref="ObjectDisposedException">The store has been disposed.</exception>
    public async ValueTask<SnapshotMetadata> WriteAsync(SnapshotWriteRequest request, SnapshotPayloadWriter writePayload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(writePayload);
        StateLayout.ThrowIfInvalidServiceName(request.ServiceName, nameof(request));
        StateLayout.ThrowIfInvalidGeneration(request.Generation, nameof(request));
        ArgumentOutOfRangeException.ThrowIfNegative(request.SchemaVersion, nameof(request));
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();

        var serviceName = request.ServiceName;
        var folder = _layout.ServiceStateDirectory(serviceName);
        var statePath = _layout.StateFile(serviceName);
        var fileLock = FileLockOf(serviceName);
        await fileLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _layout.ThrowIfLinked(statePath);
            ThrowIfExistingMustBeKept(statePath, request.SchemaVersion);
            EnsureDirectory(folder);

            var fields = new SnapshotHeaderFields(serviceName, request.SchemaVersion, request.Generation, _timeProvider.GetUtcNow(), _codec);
            var metadata = await _writer.WriteAsync(
                statePath,
                async (file, ct) =>
                {
                    var written = await SnapshotFile.WriteAsync(file, fields, LimitPayload(writePayload, statePath), statePath, ct).ConfigureAwait(false);

                    // Compression can make a payload slightly larger; a file the next load would reject is never committed.
                    if (written.StoredLength > _maxSnapshotBytes)
                    {
                        throw new SnapshotException($"The stored payload of snapshot '{statePath}' is {written.StoredLength} bytes, more than the limit of {_maxSnapshotBytes} bytes (FileSystemSnapshotStoreOptions.MaxSnapshotBytes); the previous snapshot is kept.");
                    }

                    return written;
                },
                cancellationToken).ConfigureAwait(false);

            try
            {
                // A base covers every older delta; one left behind (a crash here) is never loaded.
                RemoveDeltasUpTo(serviceName, request.Generation);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _chains.TryRemove(serviceName, out _);
            }

            return metadata;
        }
        finally
        {
            fileLock.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// When the snapshot is corrupt its bytes are copied to <c>store.state.corrupt-&lt;time&gt;</c> beside it (once per
    /// distinct content) and <c>store.state</c> stays in place, so the service stays faulted instead of coming up empty;
    /// the thrown exception's <see cref="SnapshotCorruptException.PreservedCopyPath"/> names the copy.
    /// Opening waits for a write of the same service that is in progress; reading the returned snapshot does not block writes.
    /// </remarks>
    /// <exception cref="ArgumentException">The service name is invalid.</exception>
    /// <exception cref="ObjectDisposedException">The store has been disposed.</exception>
    public async ValueTask<SnapshotReader?> OpenReadAsync(string serviceName, CancellationToken cancellationToken = default)
    {
        StateLayout.ThrowIfInvalidServiceName(serviceName, nameof(serviceName));
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();

        var statePath = _layout.StateFile(serviceName);
        _layout.ThrowIfLinked(statePath);

        // Both handles are opened under the file lock so that they are the same file: a write commits under it.
        SafeFileHandle? file;
        SafeFileHandle? evidence;
        var fileLock = FileLockOf(serviceName);
        await fileLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            file = TryOpenForReading(statePath);
            if (file is null)
            {
                return null;
            }

            try
            {
                evidence = OpenForReading(statePath);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }
        finally
        {
            fileLock.Release();
        }

        using (evidence)
        {
            try
            {
                return await SnapshotFile.OpenAsync(file, statePath, _maxSnapshotBytes, cancellationToken).ConfigureAwait(false);
            }
            catch (SnapshotCorruptException ex)
            {
                throw await PreserveCorruptSnapshotAsync(serviceName, evidence, ex, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The service name is invalid.</exception>
    /// <exception cref="ObjectDisposedException">The store has been disposed.</exception>
    /// <exception cref="SnapshotCorruptException">The header is unreadable.</exception>
    /// <exception cref="SnapshotVersionException">The snapshot was written by a newer format version.</exception>
    public ValueTask<SnapshotMetadata?> GetMetadataAsync(string serviceName, CancellationToken cancellationToken = default)
    {
        StateLayout.ThrowIfInvalidServiceName(serviceName, nameof(serviceName));
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();

        var statePath = _layout.StateFile(serviceName);
        _layout.ThrowIfLinked(statePath);
        return ValueTask.FromResult(TryReadHeader(statePath));
    }

    /// <inheritdoc />
    /// <remarks>
    /// Removes <c>store.state</c> first (the reset's commit point), then temp files and every asset generation. The
    /// working folder belongs to the live service and stays; <c>store.state.corrupt-*</c> copies stay as evidence.
    /// A snapshot that is corrupt or of a newer version is removed like any other: this is the operator's reset.
    /// </remarks>
    /// <exception cref="ArgumentException">The service name is invalid.</exception>
    /// <exception cref="ObjectDisposedException">The store has been disposed.</exception>
    public async ValueTask<bool> DeleteAsync(string serviceName, CancellationToken cancellationToken = default)
    {
        StateLayout.ThrowIfInvalidServiceName(serviceName, nameof(serviceName));
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();

        var folder = _layout.ServiceStateDirectory(serviceName);
        var statePath = _layout.StateFile(serviceName);
        var assets = _layout.ServiceAssetDirectory(serviceName);
        _layout.ThrowIfLinked(statePath);
        _layout.ThrowIfLinked(assets);

        var fileLock = FileLockOf(serviceName);
        await fileLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var existed = File.Exists(statePath);
            if (Directory.Exists(folder))
            {
                if (existed)
                {
                    _fileSystem.DeleteFile(statePath);
                }

                // After the base: a delta without its base is never loaded, so a crash in between loses nothing.
                _chains.TryRemove(serviceName, out _);
                foreach (var delta in ListDeltaFiles(serviceName))
                {
                    _fileSystem.DeleteFile(delta.Path);
                }

                foreach (var temp in Directory.GetFiles(folder).Where(f => StateLayout.IsTempFileName(Path.GetFileName(f))))
                {
                    _fileSystem.DeleteFile(temp);
                }

                if (Directory.EnumerateFileSystemEntries(folder).Any())
                {
                    _fileSystem.FlushDirectory(folder);
                }
                else
                {
                    _fileSystem.DeleteDirectory(folder);
                    _fileSystem.FlushDirectory(_layout.ApiStatesDirectory);
                }
            }

            RemoveAssetGenerations(serviceName, keepGeneration: null);
            RemoveBlobs(serviceName);
            return existed;
        }
        finally
        {
            fileLock.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>Folders that are not valid service names, symbolic links, and snapshots whose header is unreadable, of a newer format, or names another service are skipped.</remarks>
    /// <exception cref="ObjectDisposedException">The store has been disposed.</exception>
    public async IAsyncEnumerable<SnapshotMetadata> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        _layout.ThrowIfLinked(_layout.ApiStatesDirectory);

        if (!Directory.Exists(_layout.ApiStatesDirectory))
        {
            yield break;
        }

        var serviceNames = new DirectoryInfo(_layout.ApiStatesDirectory).EnumerateDirectories()
            .Where(d => d.LinkTarget is null && ServiceNameRules.IsValid(d.Name) && d.Name != StateLayout.ApiStatesFolderName)
            .Select(d => d.Name)
            .Order(StringComparer.Ordinal)
            .ToList();

        foreach (var serviceName in serviceNames)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var statePath = _layout.StateFile(serviceName);
            SnapshotMetadata? metadata;
            try
            {
                _layout.ThrowIfLinked(statePath);
                metadata = TryReadHeader(statePath);
            }
            catch (Exception ex) when (ex is SnapshotException or IOException or UnauthorizedAccessException)
            {
                metadata = null;
            }

            if (metadata is not null && string.Equals(metadata.ServiceName, serviceName, StringComparison.Ordinal))
            {
                yield return metadata;
            }
        }
    }

    /// <summary>Releases the state folder's lock. Calling it again does nothing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _lock.Dispose();
        }
    }

    private SnapshotPayloadWriter LimitPayload(SnapshotPayloadWriter writePayload, string location)
        => async (destination, ct) =>
        {
            var limited = new PayloadLimitStream(destination, _maxSnapshotBytes, location);
            await using (limited.ConfigureAwait(false))
            {
                await writePayload(limited, ct).ConfigureAwait(false);
            }
        };

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private SemaphoreSlim FileLockOf(string serviceName) => _fileLocks.GetOrAdd(serviceName, static _ => new SemaphoreSlim(1, 1));

    /// <summary>
    /// A snapshot that cannot be read, or that newer software wrote, is kept for the operator: only a reset
    /// (<see cref="DeleteAsync"/>) removes it.
    /// </summary>
    /// <returns>The stored snapshot's header (read once for the check and for the caller), or <see langword="null"/> when there is none.</returns>
    private SnapshotMetadata? ThrowIfExistingMustBeKept(string statePath, int schemaVersion)
    {
        SnapshotMetadata? existing;
        try
        {
            existing = TryReadHeader(statePath);
        }
        catch (SnapshotCorruptException ex)
        {
            throw new SnapshotCorruptException(ex.Path, ex.Reason + " It is kept and not overwritten; reset the service to discard it.", ex);
        }

        if (existing is null)
        {
            return null;
        }

        if (existing.FormatVersion > SnapshotFile.CurrentFormatVersion)
        {
            throw new SnapshotVersionException(statePath, "format", existing.FormatVersion, SnapshotFile.CurrentFormatVersion);
        }

        if (existing.SchemaVersion > schemaVersion)
        {
            throw new SnapshotVersionException(statePath, "schema", existing.SchemaVersion, schemaVersion);
        }

        return existing;
    }

    private SnapshotMetadata? TryReadHeader(string statePath)
    {
        using var file = TryOpenForReading(statePath);
        return file is null ? null : _readHeader(file, statePath, _maxSnapshotBytes);
    }

    private static SafeFileHandle? TryOpenForReading(string path)
    {
        try
        {
            return OpenForReading(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    // FileShare.Delete: on Windows a writer may rename over the file while it is being read.
    private static SafeFileHandle OpenForReading(string path)
        => File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);

    /// <summary>Creates the state folder and any missing parents, each durably.</summary>
    private void CreateStateDirectory(string root)
    {
        if (Directory.Exists(root))
        {
            return;
        }

        var parent = Path.GetDirectoryName(root);
        if (parent is not null)
        {
            CreateStateDirectory(parent);
        }

        _fileSystem.CreateDirectory(root);
        if (parent is not null)
        {
            _fileSystem.FlushDirectory(parent);
        }
    }

    /// <summary>Creates a folder below the state folder and its missing parents, fsyncing each parent so the new entry survives a crash.</summary>
    private void EnsureDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            return;
        }

        var parent = Path.GetDirectoryName(path)!;
        if (!string.Equals(parent, _layout.Root, StringComparison.Ordinal))
        {
            EnsureDirectory(parent);
        }

        _fileSystem.CreateDirectory(path);
        _fileSystem.FlushDirectory(parent);
    }

    /// <summary>The generation of a readable base, or 0 (no delta is removed) when there is none or it cannot be read.</summary>
    private long ReadableBaseGeneration(string statePath)
    {
        try
        {
            return TryReadHeader(statePath)?.Generation ?? 0;
        }
        catch (Exception e) when (e is SnapshotException or IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>Removes what killed writers left: temp files are never loaded, nor are deltas that the base covers.</summary>
    private void RemoveTempFiles()
    {
        if (!Directory.Exists(_layout.ApiStatesDirectory) || StateLayout.IsLink(_layout.ApiStatesDirectory))
        {
            return;
        }

        foreach (var folder in new DirectoryInfo(_layout.ApiStatesDirectory).EnumerateDirectories())
        {
            if (folder.LinkTarget is not null)
            {
                continue;
            }

            var removed = false;
            long? baseGeneration = null;
            foreach (var file in folder.GetFiles())
            {
                if (StateLayout.IsTempFileName(file.Name))
                {
                    _fileSystem.DeleteFile(file.FullName);
                    removed = true;
                }
                else if (StateLayout.TryParseDeltaFileName(file.Name, out var generation)
                    && generation <= (baseGeneration ??= ReadableBaseGeneration(Path.Combine(folder.FullName, StateLayout.StateFileName))))
                {
                    // A delta the base covers: left by a kill between a base's commit and the removal of older deltas.
                    _fileSystem.DeleteFile(file.FullName);
                    removed = true;
                }
            }

            if (removed)
            {
                _fileSystem.FlushDirectory(folder.FullName);
            }
        }
    }
}

/// <summary>Reads and checks a snapshot header (the format's <see cref="SnapshotFile.ReadHeader"/>; replaceable in tests).</summary>
internal delegate SnapshotMetadata SnapshotHeaderReader(SafeFileHandle file, string location, long maxSnapshotBytes);
