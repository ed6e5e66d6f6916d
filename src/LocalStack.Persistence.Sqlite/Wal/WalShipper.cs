using Microsoft.Data.Sqlite;

namespace LocalStack.Persistence.Sqlite.Wal;

/// <summary>
/// Ships one live SQLite database as a chain: a base (a whole copy, SQLite's backup API) and WAL segments (the frames
/// committed since the save before). Keeps, in a private folder next to the database, a local copy of every file of
/// the chain (hard links to the blobs where the store can), which the background fold reads.
/// </summary>
/// <remarks>
/// Not thread-safe: <see cref="CaptureAsync"/> and <see cref="RestoreAsync"/> run under the service's exclusive gate.
/// The fold alone runs outside it, on files nothing writes.
/// </remarks>
internal sealed class WalShipper : IDisposable
{
    private const string BaseSuffix = ".base";
    private const string SegmentSuffix = ".segment";
    private readonly SqliteIncrementalOptions _options;
    private readonly List<(string Id, long Bytes)> _segments = [];
    private SqliteConnection? _connection;
    private WalPosition? _position;
    private bool _needsBase = true;
    private string? _baseId;
    private long _baseBytes;
    private Fold? _fold;

    public WalShipper(string databasePath, SqliteIncrementalOptions options)
    {
        options.Validate();
        _options = options;
        DatabasePath = Path.GetFullPath(databasePath);
        WalPath = DatabasePath + "-wal";
        ShadowDirectory = DatabasePath + "-snapshot";
    }

    public string DatabasePath { get; }

    public string WalPath { get; }

    /// <summary>The private folder of local chain files; removed with the database.</summary>
    public string ShadowDirectory { get; }

    public SqliteConnection Connection => _connection ?? throw new InvalidOperationException($"The database '{DatabasePath}' is not open.");

    public bool IsOpen => _connection is not null;

    /// <summary>The chain the last capture or restore produced: base blob id, then segment blob ids.</summary>
    public SqliteDatabaseDescriptor? Descriptor => _baseId is null ? null : new SqliteDatabaseDescriptor(_baseId, _segments.Select(s => s.Id).ToArray());

    /// <summary>The fold running in the background, if any (tests wait for it).</summary>
    public Task? FoldTask => _fold?.Task;

    /// <summary>Opens the live connection: WAL mode, and no automatic checkpoint (a checkpoint resets the WAL this ships from).</summary>
    public SqliteConnection Open()
    {
        if (_connection is not null)
        {
            throw new InvalidOperationException($"The database '{DatabasePath}' is already open.");
        }

        // No pooling: closing really closes the file (a restore replaces it).
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;";
            command.ExecuteNonQuery();
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        _connection = connection;
        return connection;
    }

    /// <summary>The next capture ships a whole database (a save that captured this one did not commit, or the chain is unknown).</summary>
    public void RequireBase() => _needsBase = true;

    /// <summary>
    /// Ships what changed since the last capture: a segment of the frames committed since, nothing when none was, or a
    /// whole base (first capture, after <see cref="RequireBase"/>, when someone else reset the WAL, or when the frames
    /// outweigh the database). Then checkpoints a large WAL and starts a fold when the chain is long. A failure at any
    /// point leaves the next capture to ship a base.
    /// </summary>
    public async ValueTask<SqliteDatabaseDescriptor> CaptureAsync(IBlobStore blobs, CancellationToken cancellationToken)
    {
        var connection = Connection;
        cancellationToken.ThrowIfCancellationRequested();
        Directory.CreateDirectory(ShadowDirectory);
        var needsBase = _needsBase;
        _needsBase = true;
        if (!needsBase)
        {
            await AdoptFoldAsync(blobs, cancellationToken).ConfigureAwait(false);
            needsBase = !await ShipSegmentAsync(connection, blobs, cancellationToken).ConfigureAwait(false);
        }

        if (needsBase)
        {
            await ShipBaseAsync(connection, blobs, cancellationToken).ConfigureAwait(false);
        }

        CheckpointIfLarge(connection);
        _needsBase = false;
        StartFoldIfDue();
        return Descriptor!;
    }

    /// <summary>
    /// Replaces the database (closed) with the chain <paramref name="descriptor"/> names, checks it with
    /// <c>PRAGMA integrity_check</c>, and continues the chain from it: the next capture ships only what changes after.
    /// </summary>
    /// <exception cref="WalSegmentException">A segment cannot be applied.</exception>
    /// <exception cref="InvalidDataException">The base is not a database, or the result fails the integrity check.</exception>
    public async ValueTask RestoreAsync(IBlobStore blobs, SqliteDatabaseDescriptor descriptor, CancellationToken cancellationToken)
    {
        if (_connection is not null)
        {
            throw new InvalidOperationException($"Close the database '{DatabasePath}' before restoring it.");
        }

        _needsBase = true;
        _baseId = null;
        _segments.Clear();
        _position = null;
        DeleteDatabaseFiles();
        Directory.CreateDirectory(ShadowDirectory);

        // Local copies first (the chain continues from them, and the fold reads them), then the database from them.
        var basePath = await CopyBlobAsync(blobs, descriptor.BaseBlobId, BaseSuffix, cancellationToken).ConfigureAwait(false);
        var segments = new List<(string Id, long Bytes)>();
        var segmentPaths = new List<string>();
        foreach (var id in descriptor.SegmentBlobIds)
        {
            var path = await CopyBlobAsync(blobs, id, SegmentSuffix, cancellationToken).ConfigureAwait(false);
            segmentPaths.Add(path);
            segments.Add((id, new FileInfo(path).Length));
        }

        var restored = DatabasePath + ".restored";
        try
        {
            await WalFold.FoldAsync(basePath, segmentPaths, restored, cancellationToken).ConfigureAwait(false);
            var result = IntegrityCheck(restored);
            if (result != "ok")
            {
                throw new InvalidDataException($"PRAGMA integrity_check says: {result}");
            }

            File.Move(restored, DatabasePath, overwrite: true);
        }
        finally
        {
            DeleteWithCompanions(restored);
        }

        _baseId = descriptor.BaseBlobId;
        _baseBytes = new FileInfo(basePath).Length;
        _segments.AddRange(segments);
        _needsBase = false;
    }

    /// <summary>Closes the database, waits for a running fold, and removes the local chain files.</summary>
    public void Dispose()
    {
        _connection?.Dispose();
        _connection = null;
        AbandonFold();
        DeleteShadow();
    }

    /// <summary>Closes the database and deletes it with its WAL, shared memory and local chain files.</summary>
    public void DeleteDatabaseFiles()
    {
        Dispose();
        DeleteWithCompanions(DatabasePath);
    }

    private async ValueTask<bool> ShipSegmentAsync(SqliteConnection connection, IBlobStore blobs, CancellationToken cancellationToken)
    {
        var temp = Path.Combine(ShadowDirectory, "segment.tmp");
        WalReadResult read;
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None))
        {
            read = WalReader.ReadCommitted(WalPath, _position, stream);
        }

        // Someone else reset the WAL (frames lost), or the frames weigh more than a whole copy would.
        if (read.Outcome == WalReadOutcome.Reset || read.FrameBytes > DatabaseBytes(connection))
        {
            File.Delete(temp);
            return false;
        }

        if (read.FrameCount > 0)
        {
            var id = await blobs.StoreAsync(temp, cancellationToken).ConfigureAwait(false);
            var bytes = new FileInfo(temp).Length;
            File.Move(temp, LocalPath(id, SegmentSuffix), overwrite: true);
            _segments.Add((id, bytes));
        }
        else
        {
            File.Delete(temp);
        }

        _position = read.End;
        return true;
    }

    private async ValueTask ShipBaseAsync(SqliteConnection connection, IBlobStore blobs, CancellationToken cancellationToken)
    {
        AbandonFold();
        var temp = Path.Combine(ShadowDirectory, "base.tmp");
        DeleteWithCompanions(temp);
        using (var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = temp, Pooling = false }.ToString()))
        {
            copy.Open();
            connection.BackupDatabase(copy);
        }

        // No transaction is open, so the copy holds everything the WAL commits: the chain continues after its last commit.
        var position = WalReader.ReadCommitted(WalPath, null, null).End;
        var id = await blobs.StoreAsync(temp, cancellationToken).ConfigureAwait(false);
        var basePath = LocalPath(id, BaseSuffix);
        File.Move(temp, basePath, overwrite: true);
        foreach (var file in Directory.EnumerateFiles(ShadowDirectory))
        {
            if (file != basePath)
            {
                File.Delete(file);
            }
        }

        _baseId = id;
        _baseBytes = new FileInfo(basePath).Length;
        _segments.Clear();
        _position = position;
    }

    private void CheckpointIfLarge(SqliteConnection connection)
    {
        if (!File.Exists(WalPath) || new FileInfo(WalPath).Length <= _options.CheckpointWalBytes)
        {
            return;
        }

        // Everything committed is shipped: the pages can go to the database file, and the next save ships from a new WAL.
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        using var reader = command.ExecuteReader();
        if (reader.Read() && reader.GetInt64(0) == 0 && new FileInfo(WalPath).Length == 0)
        {
            _position = null;
        }
    }

    private void StartFoldIfDue()
    {
        var segmentBytes = _segments.Sum(s => s.Bytes);
        if (_fold is not null || _segments.Count == 0 || (_segments.Count < _options.FoldSegmentCount && segmentBytes * 100 <= _baseBytes * _options.FoldSegmentPercent))
        {
            return;
        }

        var basePath = LocalPath(_baseId!, BaseSuffix);
        var segmentPaths = _segments.Select(s => LocalPath(s.Id, SegmentSuffix)).ToArray();
        var output = Path.Combine(ShadowDirectory, $"fold-{Guid.NewGuid():N}.db");
        var cancellation = new CancellationTokenSource();
        var task = Task.Run(async () => await WalFold.FoldAsync(basePath, segmentPaths, output, cancellation.Token).ConfigureAwait(false), CancellationToken.None);
        _fold = new Fold(task, cancellation, _baseId!, segmentPaths.Length, output);
    }

    /// <summary>Makes a finished fold the chain's base: its segments leave the chain (their blobs stay until no snapshot refers to them).</summary>
    private async ValueTask AdoptFoldAsync(IBlobStore blobs, CancellationToken cancellationToken)
    {
        if (_fold is not { Task.IsCompleted: true } fold)
        {
            return;
        }

        _fold = null;
        fold.Cancellation.Dispose();
        if (!fold.Task.IsCompletedSuccessfully || fold.BaseId != _baseId || fold.SegmentCount > _segments.Count)
        {
            File.Delete(fold.Output);
            return;
        }

        var id = await blobs.StoreAsync(fold.Output, cancellationToken).ConfigureAwait(false);
        var basePath = LocalPath(id, BaseSuffix);
        File.Move(fold.Output, basePath, overwrite: true);
        if (LocalPath(_baseId!, BaseSuffix) != basePath)
        {
            File.Delete(LocalPath(_baseId!, BaseSuffix));
        }

        var folded = _segments.Take(fold.SegmentCount).Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        _segments.RemoveRange(0, fold.SegmentCount);
        foreach (var segment in folded.Where(f => !_segments.Any(s => s.Id == f)))
        {
            File.Delete(LocalPath(segment, SegmentSuffix));
        }

        _baseId = id;
        _baseBytes = new FileInfo(basePath).Length;
    }

    private void AbandonFold()
    {
        if (_fold is not { } fold)
        {
            return;
        }

        _fold = null;
        fold.Cancellation.Cancel();
        try
        {
            fold.Task.Wait();
        }
        catch (AggregateException)
        {
            // Cancelled or failed: its output is not used either way.
        }

        fold.Cancellation.Dispose();
        File.Delete(fold.Output);
    }

    private async ValueTask<string> CopyBlobAsync(IBlobStore blobs, string id, string suffix, CancellationToken cancellationToken)
    {
        var source = blobs.GetPath(id);
        var destination = LocalPath(id, suffix);
        var temp = destination + ".tmp";
        var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (input.ConfigureAwait(false))
        {
            var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
            await using (output.ConfigureAwait(false))
            {
                await input.CopyToAsync(output, 1024 * 1024, cancellationToken).ConfigureAwait(false);
            }
        }

        File.Move(temp, destination, overwrite: true);
        return destination;
    }

    private string LocalPath(string id, string suffix) => Path.Combine(ShadowDirectory, id + suffix);

    private static long DatabaseBytes(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()";
        return (long)command.ExecuteScalar()!;
    }

    private static string IntegrityCheck(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        using var reader = command.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read())
        {
            lines.Add(reader.GetString(0));
        }

        return string.Join("; ", lines);
    }

    private static void DeleteWithCompanions(string path)
    {
        foreach (var suffix in (ReadOnlySpan<string>)["", "-wal", "-shm", "-journal"])
        {
            File.Delete(path + suffix);
        }
    }

    private void DeleteShadow()
    {
        if (Directory.Exists(ShadowDirectory))
        {
            Directory.Delete(ShadowDirectory, recursive: true);
        }
    }

    private sealed record Fold(Task Task, CancellationTokenSource Cancellation, string BaseId, int SegmentCount, string Output);
}
