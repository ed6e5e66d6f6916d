using System.Diagnostics.CodeAnalysis;
using LocalStack.Persistence.Storage.Internal;
using LocalStack.Persistence.Storage;
using BlobSession = LocalStack.Persistence.Storage.FileSystemSnapshotStore.BlobSession;

namespace LocalStack.Persistence.State;

/// <summary>
/// What a provider may touch during one save, load or reset: its working folder, its asset generations and its blobs.
/// </summary>
/// <remarks>
/// <para>
/// Live working files (databases, blobs) live in <see cref="WorkingDirectory"/>, never in a committed generation, so
/// that unsaved changes never leak into a snapshot. During a save, copies or hard links of them are staged into a new
/// generation folder with <see cref="StageFileAsync"/> or <see cref="StageAsync"/>; committing the state file makes
/// that generation current, and older generations are removed afterwards. The staging folder is created on first use,
/// so a save that stages nothing creates no folder.
/// </para>
/// <para>
/// During a load, <see cref="AssetDirectory"/> is the committed generation: copy from it (<see cref="GetAssetPath"/>)
/// into the working folder and never modify it. Hard-linking it into the working folder is safe only for files the
/// service never writes in place (it only creates and deletes them, as the sample's S3 object files): a link shares
/// the bytes, so an in-place write would change the committed snapshot.
/// </para>
/// <para>
/// Blobs are the other way to keep files: <see cref="StoreBlobAsync(string, CancellationToken)"/> stores a file's bytes
/// once under their SHA-256 (the blob id), shared by every save that references the id, so a save costs only the new
/// bytes; the provider records the ids in its state and gets the files back with <see cref="GetBlobPath"/> on load.
/// </para>
/// <para>
/// Staging and storing blobs are allowed only while <see cref="IServiceStateProvider.CaptureAsync"/> runs; afterwards the context is
/// closed and staging throws <see cref="InvalidOperationException"/>.
/// </para>
/// </remarks>
public sealed class SnapshotContext
{
    private readonly ISnapshotStore? _store;
    private readonly Lock _stagingLock = new();
    private readonly HashSet<string> _stagedAssets = new(StringComparer.Ordinal);
    private readonly HashSet<string> _checkedFolders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _verifiedBlobs = new(StringComparer.Ordinal);
    private BlobSession? _blobSession;
    private string? _workingDirectory;
    private Task<string>? _stagingDirectory;
    private volatile bool _stagingStarted;
    private bool _closed;

    /// <remarks><paramref name="store"/> is <see langword="null"/> only for a reset with persistence off.</remarks>
    internal SnapshotContext(ISnapshotStore? store, string serviceName, SnapshotOperation operation, long generation, string? snapshotLocation = null)
    {
        if (store is null && operation != SnapshotOperation.Reset)
        {
            throw new ArgumentNullException(nameof(store));
        }

        ServiceNameRules.ThrowIfInvalid(serviceName);
        _store = store;
        ServiceName = serviceName;
        Operation = operation;
        Generation = generation;
        AssetDirectory = operation == SnapshotOperation.Load ? store!.GetAssetGenerationDirectory(serviceName, generation) : null;
        SnapshotLocation = snapshotLocation;
    }

    /// <summary>The service.</summary>
    public string ServiceName { get; }

    /// <summary>Whether this is a save, a load or a reset.</summary>
    public SnapshotOperation Operation { get; }

    /// <summary>For a save, the generation being staged; for a load, the generation being restored; 0 for a reset.</summary>
    public long Generation { get; }

    /// <summary>The folder for the service's live working files; created on first use.</summary>
    /// <exception cref="InvalidOperationException">Persistence is disabled (a reset with <c>PERSISTENCE=0</c>): the store keeps no working folder.</exception>
    public string WorkingDirectory => _workingDirectory ??= (_store ?? throw new InvalidOperationException($"Persistence is disabled (PERSISTENCE=0): service '{ServiceName}' has no working folder in the snapshot store.")).GetWorkingDirectory(ServiceName);

    /// <summary>For a load, the committed asset folder of the snapshot being restored, or <see langword="null"/> when it has no assets.</summary>
    public string? AssetDirectory { get; }

    /// <summary>
    /// For a load, where the snapshot being restored lives (its <c>store.state</c> file for the file-system store), so
    /// that a provider refusing its content can name it: <c>throw new SnapshotCorruptException(context.SnapshotLocation!, reason)</c>.
    /// <see langword="null"/> for a save or a reset.
    /// </summary>
    public string? SnapshotLocation { get; }

    /// <summary>The store this context works on; <see langword="null"/> only for a reset with persistence off.</summary>
    internal ISnapshotStore? Store => _store;

    /// <summary>Whether the store keeps keyed deltas (otherwise a keyed provider writes a full base on every save).</summary>
    internal bool SupportsDeltas => _store is FileSystemSnapshotStore;

    /// <summary>Whether a staging folder was (or was being) created during this save.</summary>
    internal bool StagingStarted => _stagingStarted;

    /// <summary>
    /// Stages an immutable file as the asset <paramref name="assetName"/> of the generation being saved: a hard link
    /// when the file system allows it, otherwise a copy (another file system, links not permitted, not Linux).
    /// </summary>
    /// <remarks>
    /// A hard link shares the file's contents with <paramref name="sourcePath"/>. Use it only for files that are never
    /// modified in place once written (replace them with a new file and a rename instead); a later in-place write to
    /// the source would change the committed snapshot too. For files that change in place, stage a copy with
    /// <see cref="StageAsync"/> (or, for SQLite databases, the backup API of <c>LocalStack.Persistence.Sqlite</c>).
    /// </remarks>
    /// <param name="sourcePath">The file to stage, usually in <see cref="WorkingDirectory"/>.</param>
    /// <param name="assetName">The asset's relative path in the generation; see <see cref="AssetNames"/>.</param>
    /// <param name="cancellationToken">Cancels the staging.</param>
    /// <returns>The full path of the staged asset.</returns>
    /// <exception cref="ArgumentException"><paramref name="assetName"/> is not a valid asset name.</exception>
    /// <exception cref="InvalidOperationException">This is not a save's capture, or the asset was already staged.</exception>
    /// <exception cref="FileNotFoundException"><paramref name="sourcePath"/> does not exist.</exception>
    public ValueTask<string> StageFileAsync(string sourcePath, string assetName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourcePath);
        return StageAsync(assetName, (destination, _) =>
        {
            if (!File.Exists(sourcePath))
            {
                throw new FileNotFoundException($"Cannot stage asset '{assetName}' of service '{ServiceName}': file '{sourcePath}' does not exist.", sourcePath);
            }

            LinuxNative.LinkOrCopy(sourcePath, destination);
            return ValueTask.CompletedTask;
        }, cancellationToken);
    }

    /// <summary>
    /// Stages the asset <paramref name="assetName"/> of the generation being saved by letting <paramref name="write"/>
    /// create it at the destination path (for example a copy, or a database backup).
    /// </summary>
    /// <param name="assetName">The asset's relative path in the generation; see <see cref="AssetNames"/>.</param>
    /// <param name="write">Creates the asset (a file or a folder) at the destination path it is given; its parent folder exists.</param>
    /// <param name="cancellationToken">Cancels the staging.</param>
    /// <returns>The full path of the staged asset.</returns>
    /// <exception cref="ArgumentException"><paramref name="assetName"/> is not a valid asset name.</exception>
    /// <exception cref="InvalidOperationException">This is not a save's capture, the asset was already staged, or <paramref name="write"/> created nothing.</exception>
    public async ValueTask<string> StageAsync(string assetName, Func<string, CancellationToken, ValueTask> write, CancellationToken cancellationToken = default)
    {
        AssetNames.ThrowIfInvalid(assetName);
        ArgumentNullException.ThrowIfNull(write);
        ThrowIfNot(SnapshotOperation.Save, nameof(StageAsync));
        cancellationToken.ThrowIfCancellationRequested();

        Task<string> stagingDirectory;
        lock (_stagingLock)
        {
            ThrowIfClosed();
            if (!_stagedAssets.Add(assetName))
            {
                throw new InvalidOperationException($"Asset '{assetName}' of service '{ServiceName}' was already staged in generation {Generation}.");
            }

            // The first asset creates the generation folder; concurrent stagings of one capture share that creation.
            _stagingStarted = true;
            stagingDirectory = _stagingDirectory ??= _store!.CreateAssetGenerationAsync(ServiceName, Generation, cancellationToken).AsTask();
        }

        var destination = AssetNames.Combine(await stagingDirectory.ConfigureAwait(false), assetName);
        if (Path.GetDirectoryName(destination) is { } parent)
        {
            Directory.CreateDirectory(parent);
        }

        await write(destination, cancellationToken).ConfigureAwait(false);
        if (!File.Exists(destination) && !Directory.Exists(destination))
        {
            throw new InvalidOperationException($"Staging asset '{assetName}' of service '{ServiceName}' created nothing at '{destination}'.");
        }

        return destination;
    }

    /// <summary>The full path of an asset of the snapshot being restored.</summary>
    /// <param name="assetName">The asset's relative path in the generation; see <see cref="AssetNames"/>.</param>
    /// <returns>The path of the committed file or folder, or <see langword="null"/> when the snapshot has no such asset.</returns>
    /// <exception cref="ArgumentException"><paramref name="assetName"/> is not a valid asset name.</exception>
    /// <exception cref="InvalidOperationException">This is not a load.</exception>
    /// <exception cref="SnapshotCorruptException">The asset, a folder on its way, or anything inside a folder asset is a symbolic link; the exception names it and the link is not followed.</exception>
    public string? GetAssetPath(string assetName)
    {
        AssetNames.ThrowIfInvalid(assetName);
        ThrowIfNot(SnapshotOperation.Load, nameof(GetAssetPath));
        if (AssetDirectory is null)
        {
            return null;
        }

        // A link planted in a committed generation would hand the provider (and then its clients) any file the process
        // can read: refuse it, on every folder on the way and inside a folder asset. Folders already checked in this
        // load are not checked again (one lstat per asset file for services with many files in one folder).
        var path = AssetNames.Combine(AssetDirectory, assetName);
        FileKind kind;
        lock (_checkedFolders)
        {
            kind = FileSystemSnapshotStore.ThrowIfLinkedInGeneration(AssetDirectory, path, _checkedFolders);
        }

        return kind is FileKind.File or FileKind.Directory ? path : null;
    }

    /// <summary>
    /// Stores the bytes of a file as an immutable blob named by its content, so that a later load can get them back with
    /// <see cref="GetBlobPath"/>. Identical bytes are stored once: storing them again (in this save or a later one) writes nothing.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The blob is a hard link to <paramref name="sourcePath"/> when the file system allows it, otherwise a copy. A hard
    /// link shares the bytes: the source must never be written in place afterwards (replace it with a new file and a
    /// rename instead), or the stored blob would change with it. The blob file is fsynced once and its folder fsynced
    /// before the save commits.
    /// </para>
    /// <para>
    /// Record the returned id in the captured state: the store keeps a blob while a committed snapshot references it
    /// (and while this save is being committed); unreferenced blobs are removed by garbage collection.
    /// </para>
    /// </remarks>
    /// <param name="sourcePath">The file to store, usually in <see cref="WorkingDirectory"/>. It must not change while it is stored.</param>
    /// <param name="cancellationToken">Cancels the storing; nothing half-written is ever served.</param>
    /// <returns>The blob id: 64 lower-case hex characters, the SHA-256 of the bytes.</returns>
    /// <exception cref="InvalidOperationException">This is not a save's capture (or the capture has finished), or the file was written while it was stored.</exception>
    /// <exception cref="NotSupportedException">The snapshot store is not the file-system store, which is the one that keeps blobs.</exception>
    /// <exception cref="FileNotFoundException"><paramref name="sourcePath"/> does not exist.</exception>
    /// <exception cref="SnapshotException">A part of the blob's path in the state folder is a symbolic link (never followed).</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "Both overloads are new together and differ in their required first parameter (a path or bytes): no call is ambiguous.")]
    public ValueTask<string> StoreBlobAsync(string sourcePath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourcePath);
        var session = OpenBlobSession(nameof(StoreBlobAsync));
        return session.Store.StoreBlobAsync(session, sourcePath, cancellationToken);
    }

    /// <summary>
    /// Stores bytes the provider holds in memory (or has just produced, for example a database log segment) as an
    /// immutable blob named by its content: a new file, fsynced, its folder fsynced before the save commits. Identical
    /// bytes are stored once.
    /// </summary>
    /// <param name="content">The bytes; they must not change until the returned task completes.</param>
    /// <param name="cancellationToken">Cancels the storing; nothing half-written is ever served.</param>
    /// <returns>The blob id: 64 lower-case hex characters, the SHA-256 of the bytes.</returns>
    /// <exception cref="InvalidOperationException">This is not a save's capture, or the capture has finished.</exception>
    /// <exception cref="NotSupportedException">The snapshot store is not the file-system store, which is the one that keeps blobs.</exception>
    /// <exception cref="SnapshotException">A part of the blob's path in the state folder is a symbolic link (never followed).</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "Both overloads are new together and differ in their required first parameter (a path or bytes): no call is ambiguous.")]
    public ValueTask<string> StoreBlobAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        var session = OpenBlobSession(nameof(StoreBlobAsync));
        return session.Store.StoreBlobAsync(session, content, cancellationToken);
    }

    /// <summary>
    /// The full path of a blob of the snapshot being restored, after checking that it exists, is a regular file (no
    /// symbolic link is followed on the way) and that its bytes hash to <paramref name="blobId"/>. A blob asked for
    /// twice in one load is checked once. Read or copy the file; never write to it, it may be shared with other saves.
    /// </summary>
    /// <param name="blobId">An id returned by <see cref="StoreBlobAsync(string, CancellationToken)"/> when the snapshot was saved.</param>
    /// <returns>The path of the blob file, inside the state folder.</returns>
    /// <exception cref="ArgumentException"><paramref name="blobId"/> is not a blob id (see <see cref="IsValidBlobId"/>).</exception>
    /// <exception cref="InvalidOperationException">This is not a load.</exception>
    /// <exception cref="NotSupportedException">The snapshot store is not the file-system store, which is the one that keeps blobs.</exception>
    /// <exception cref="SnapshotCorruptException">The blob is missing, not a regular file, a symbolic link or behind one, or damaged (its bytes hash to another id); the exception names the file and what is wrong.</exception>
    public string GetBlobPath(string blobId)
    {
        ThrowIfNot(SnapshotOperation.Load, nameof(GetBlobPath));
        if (!IsValidBlobId(blobId))
        {
            throw new ArgumentException($"'{blobId}' is not a blob id: a blob id is 64 lower-case hex characters (the SHA-256 of the blob's bytes).", nameof(blobId));
        }

        var store = BlobStore(nameof(GetBlobPath));
        lock (_verifiedBlobs)
        {
            if (_verifiedBlobs.TryGetValue(blobId, out var verified))
            {
                return verified;
            }
        }

        // Hashed outside the lock: blobs of one load may be checked in parallel.
        var path = store.GetVerifiedBlobPath(ServiceName, blobId);
        lock (_verifiedBlobs)
        {
            _verifiedBlobs[blobId] = path;
        }

        return path;
    }

    /// <summary>Whether <paramref name="blobId"/> has the form of a blob id: 64 lower-case hex characters. Check ids read from a payload with it.</summary>
    /// <param name="blobId">The id to check.</param>
    /// <returns><see langword="true"/> when it is a well-formed blob id.</returns>
    public static bool IsValidBlobId(string? blobId) => FileSystemSnapshotStore.IsValidBlobId(blobId);

    /// <summary>Whether this save stored or reused blobs.</summary>
    internal bool BlobsStored
    {
        get
        {
            lock (_stagingLock)
            {
                return _blobSession is not null;
            }
        }
    }

    /// <summary>Makes the blobs of this save durable; called before the state file is committed.</summary>
    internal void FlushBlobs(CancellationToken cancellationToken)
    {
        BlobSession? session;
        lock (_stagingLock)
        {
            session = _blobSession;
        }

        session?.Store.FlushBlobs(session, cancellationToken);
    }

    /// <summary>Unpins the blobs of this save: called once the save has committed or been abandoned.</summary>
    internal void ReleaseBlobs()
    {
        BlobSession? session;
        lock (_stagingLock)
        {
            session = _blobSession;
        }

        session?.Release();
    }

    /// <summary>Ends staging: called when the provider's capture has returned (or failed).</summary>
    internal void Close()
    {
        lock (_stagingLock)
        {
            _closed = true;
        }
    }

    private BlobSession OpenBlobSession(string member)
    {
        ThrowIfNot(SnapshotOperation.Save, member);
        var store = BlobStore(member);
        lock (_stagingLock)
        {
            ThrowIfClosed();
            return _blobSession ??= store.OpenBlobSession(ServiceName);
        }
    }

    private FileSystemSnapshotStore BlobStore(string member)
        => _store as FileSystemSnapshotStore
            ?? throw new NotSupportedException($"{member} needs the file-system snapshot store (FileSystemSnapshotStore), which keeps blobs; service '{ServiceName}' uses {_store?.GetType().Name ?? "no store"}.");

    private void ThrowIfNot(SnapshotOperation expected, string member)
    {
        if (Operation != expected)
        {
            throw new InvalidOperationException($"{member} is only available during a {expected.ToString().ToLowerInvariant()}; this context of service '{ServiceName}' is for a {Operation.ToString().ToLowerInvariant()}.");
        }
    }

    private void ThrowIfClosed()
    {
        if (_closed)
        {
            throw new InvalidOperationException($"The capture of service '{ServiceName}' has finished; stage assets and store blobs while CaptureAsync runs.");
        }
    }
}
