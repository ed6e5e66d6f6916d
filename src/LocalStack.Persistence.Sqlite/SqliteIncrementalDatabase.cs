using LocalStack.Persistence.Sqlite.Wal;
using LocalStack.Persistence.State;
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

    /// <summary>
    /// Saves what changed since the last save: stores a segment blob of the WAL frames committed since (nothing when
    /// none was), or a whole base blob on the first save, after <see cref="RequireFullBase"/>, when the WAL was reset
    /// behind this instance's back or when the frames outweigh the database. Call it from the provider's capture (the
    /// service's exclusive gate held, no statement running) and keep the result in the captured state; reference its
    /// <see cref="SqliteDatabaseDescriptor.BlobIds"/> so that the blobs are kept. A failure leaves the next save to
    /// store a whole base.
    /// </summary>
    /// <param name="context">The save's context (its blobs).</param>
    /// <param name="cancellationToken">Cancels the save.</param>
    /// <returns>The chain that restores the database as it is now.</returns>
    /// <exception cref="InvalidOperationException">The database is not open, or the context is not a save's capture.</exception>
    /// <exception cref="NotSupportedException">The snapshot store keeps no blobs.</exception>
    public ValueTask<SqliteDatabaseDescriptor> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        return CaptureAsync(new SnapshotContextBlobStore(context), cancellationToken);
    }

    /// <summary>
    /// Replaces the database file with the one <paramref name="descriptor"/> describes: the base blob with every segment
    /// applied in order, checked with <c>PRAGMA integrity_check</c>. Call it from the provider's restore, before
    /// <see cref="Open"/>; the next save continues the same chain (it stores only what changes after the restore).
    /// </summary>
    /// <param name="context">The load's context (its blobs, and the snapshot's location for errors).</param>
    /// <param name="descriptor">The chain, as a save returned it.</param>
    /// <param name="cancellationToken">Cancels the restore; the database file is then absent.</param>
    /// <returns>A task that completes when the database file is in place.</returns>
    /// <exception cref="InvalidOperationException">The database is open, or the context is not a load.</exception>
    /// <exception cref="SnapshotCorruptException">A blob id is malformed, a blob is missing or damaged, a segment does not apply (another page size, out of order, changed bytes), or the result fails the integrity check; the message names the database and the blob.</exception>
    public ValueTask RestoreAsync(SnapshotContext context, SqliteDatabaseDescriptor descriptor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(descriptor);
        var location = context.SnapshotLocation ?? context.ServiceName;
        if (descriptor.BlobIds.FirstOrDefault(id => !SnapshotContext.IsValidBlobId(id)) is { } bad)
        {
            throw new SnapshotCorruptException(location, $"SQLite database '{Path.GetFileName(DatabasePath)}' names blob '{bad}', which is not a blob id.");
        }

        return RestoreAsync(new SnapshotContextBlobStore(context), descriptor, location, cancellationToken);
    }

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
