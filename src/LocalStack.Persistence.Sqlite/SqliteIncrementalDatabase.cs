using LocalStack.Persistence.Sqlite.Wal;
using Microsoft.Data.Sqlite;

namespace LocalStack.Persistence.Sqlite;

/// <summary>
/// A live SQLite database whose saves cost what changed: the first save stores the whole database as a blob (SQLite's
/// backup API), every later save stores only the WAL frames committed since the save before (one segment blob), and
/// a restore applies the segments to the base, then runs <c>PRAGMA integrity_check</c>. A save returns the chain as a
/// <see cref="SqliteDatabaseDescriptor"/>, which the provider keeps in its state (a keyed record, for example).
/// </summary>
/// <remarks>
/// <para>
/// The database is kept in WAL mode with automatic checkpoints off and one connection open (<see cref="Open"/>): closing
/// the last connection, or a checkpoint, would move the frames out of the WAL before they are shipped. Use
/// <see cref="Connection"/> for every statement; open no other connection to the file. A save checkpoints a WAL larger
/// than <see cref="SqliteIncrementalOptions.CheckpointWalBytes"/> after shipping it. When the chain's segments outweigh
/// <see cref="SqliteIncrementalOptions.FoldSegmentPercent"/> of the base (or number
/// <see cref="SqliteIncrementalOptions.FoldSegmentCount"/>), they are folded into a new base in the background, and the
/// next save stores that base instead of them.
/// </para>
/// <para>
/// Local copies of the chain's files live in the folder <c>&lt;database&gt;-snapshot</c> next to the database (hard links to
/// the blobs where the file system allows). Capture and restore must run with no statement running (the service's
/// exclusive gate); the instance is not thread-safe.
/// </para>
/// </remarks>
public sealed class SqliteIncrementalDatabase : IDisposable
{
    private readonly WalShipper _shipper;

    /// <summary>Creates the door to the database at <paramref name="databasePath"/>; <see cref="Open"/> opens it.</summary>
    /// <param name="databasePath">The live database file (usually in <c>SnapshotContext.WorkingDirectory</c>).</param>
    /// <param name="options">The checkpoint and fold bounds; defaults when null.</param>
    public SqliteIncrementalDatabase(string databasePath, SqliteIncrementalOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        _shipper = new WalShipper(databasePath, options ?? new SqliteIncrementalOptions());
    }

    /// <summary>The full path of the live database file.</summary>
    public string DatabasePath => _shipper.DatabasePath;

    /// <summary>The open connection to the live database.</summary>
    /// <exception cref="InvalidOperationException">The database is not open.</exception>
    public SqliteConnection Connection => _shipper.Connection;

    /// <summary>The chain the last save or restore produced; null before the first one.</summary>
    public SqliteDatabaseDescriptor? Descriptor => _shipper.Descriptor;

    internal WalShipper Shipper => _shipper;

    /// <summary>
    /// Opens the live database (creating it when missing) in WAL mode with automatic checkpoints off, and keeps the
    /// connection until <see cref="Dispose"/>.
    /// </summary>
    /// <returns>The connection, also <see cref="Connection"/>.</returns>
    /// <exception cref="InvalidOperationException">The database is already open.</exception>
    public SqliteConnection Open() => _shipper.Open();

    /// <summary>
    /// Makes the next save store the whole database again, for example after a save that captured this database did not
    /// commit (the segments it shipped may never be kept).
    /// </summary>
    public void RequireFullBase() => _shipper.RequireBase();

    /// <summary>Closes the database, waits for a running fold, and removes the local chain files (not the database).</summary>
    public void Dispose() => _shipper.Dispose();

    internal ValueTask<SqliteDatabaseDescriptor> CaptureAsync(IBlobStore blobs, CancellationToken cancellationToken)
        => _shipper.CaptureAsync(blobs, cancellationToken);

    internal async ValueTask RestoreAsync(IBlobStore blobs, SqliteDatabaseDescriptor descriptor, string location, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        var name = Path.GetFileName(DatabasePath);
        try
        {
            await _shipper.RestoreAsync(blobs, descriptor, cancellationToken).ConfigureAwait(false);
        }
        catch (WalSegmentException e)
        {
            throw new SnapshotCorruptException(location, $"segment {descriptor.SegmentBlobIds[e.SegmentIndex]} of SQLite database '{name}' cannot be applied: {e.Reason}.", e);
        }
        catch (Exception e) when (e is InvalidDataException or SqliteException)
        {
            throw new SnapshotCorruptException(location, $"SQLite database '{name}' restored from blob {descriptor.BaseBlobId} and {descriptor.SegmentBlobIds.Count} segments is damaged: {e.Message}.", e);
        }
    }
}
