using LocalStack.Persistence.State;
using Microsoft.Data.Sqlite;

namespace LocalStack.Persistence.Sqlite;

/// <summary>
/// SQLite databases as snapshot assets: staged with SQLite's online backup API (a consistent copy even while the live
/// database is open, in WAL or rollback mode) and restored by copying the committed file into the working folder.
/// </summary>
/// <remarks>
/// Keep the live database in <see cref="SnapshotContext.WorkingDirectory"/> (or in memory). Stage it during the save's
/// capture with <see cref="StageSqliteDatabaseAsync"/>; restore it during the load with
/// <see cref="RestoreSqliteDatabaseAsync"/> before opening it.
/// </remarks>
public static class SqliteSnapshotAssets
{
    /// <summary>
    /// Stages a consistent copy of <paramref name="live"/> as the asset <paramref name="assetName"/> of the generation
    /// being saved, with <see cref="SqliteConnection.BackupDatabase(SqliteConnection)"/>. Call it from the provider's capture.
    /// </summary>
    /// <param name="context">The save's context.</param>
    /// <param name="live">An open connection to the live database (a file or in memory).</param>
    /// <param name="assetName">The asset's relative path in the generation, for example <c>000000000000_us-east-1.db</c>; see <see cref="AssetNames"/>.</param>
    /// <param name="cancellationToken">Cancels the staging before the backup starts.</param>
    /// <returns>The full path of the staged database file.</returns>
    /// <exception cref="ArgumentException"><paramref name="assetName"/> is not a valid asset name.</exception>
    /// <exception cref="InvalidOperationException">The context is not a save's capture, or <paramref name="live"/> is not open.</exception>
    public static ValueTask<string> StageSqliteDatabaseAsync(this SnapshotContext context, SqliteConnection live, string assetName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(live);
        if (live.State != System.Data.ConnectionState.Open)
        {
            throw new InvalidOperationException($"The live database connection of service '{context.ServiceName}' must be open to stage asset '{assetName}'.");
        }

        return context.StageAsync(assetName, (destination, token) =>
        {
            token.ThrowIfCancellationRequested();

            // Without pooling, Close really closes the file: the backup is complete on disk (and its journal gone)
            // before the store flushes the generation, and no pooled handle keeps the staged file open.
            var connectionString = new SqliteConnectionStringBuilder
            {
                DataSource = destination,
                Mode = SqliteOpenMode.ReadWriteCreate,
                Pooling = false,
            }.ToString();
            using (var staged = new SqliteConnection(connectionString))
            {
                staged.Open();
                live.BackupDatabase(staged);
                staged.Close();
            }

            return ValueTask.CompletedTask;
        }, cancellationToken);
    }

    /// <summary>
    /// Copies the committed database <paramref name="assetName"/> of the snapshot being restored to
    /// <paramref name="destinationPath"/> (usually in <see cref="SnapshotContext.WorkingDirectory"/>), replacing the
    /// file there and removing its stale <c>-wal</c>, <c>-shm</c> and <c>-journal</c> files first. Call it from the
    /// provider's restore, before opening the database.
    /// </summary>
    /// <remarks>
    /// Close every connection to <paramref name="destinationPath"/> first, including pooled ones
    /// (<see cref="SqliteConnection.ClearPool(SqliteConnection)"/>): a connection left open would keep reading the old file.
    /// The committed file is copied, never linked or opened, so the snapshot stays unchanged whatever the live database does later.
    /// </remarks>
    /// <param name="context">The load's context.</param>
    /// <param name="assetName">The asset's relative path in the generation.</param>
    /// <param name="destinationPath">Where the live database lives.</param>
    /// <param name="cancellationToken">Cancels the copy.</param>
    /// <returns><see langword="true"/> when the database was restored; <see langword="false"/> when the snapshot has no such asset (nothing is changed).</returns>
    /// <exception cref="ArgumentException"><paramref name="assetName"/> is not a valid asset name.</exception>
    /// <exception cref="InvalidOperationException">The context is not a load.</exception>
    public static async ValueTask<bool> RestoreSqliteDatabaseAsync(this SnapshotContext context, string assetName, string destinationPath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentException.ThrowIfNullOrEmpty(destinationPath);
        var source = context.GetAssetPath(assetName);
        if (source is null || !File.Exists(source))
        {
            return false;
        }

        var destination = Path.GetFullPath(destinationPath);
        if (Path.GetDirectoryName(destination) is { } parent)
        {
            Directory.CreateDirectory(parent);
        }

        // Copy next to the destination first, so that the replacement below is a rename of a complete file.
        var temp = destination + ".restoring";
        File.Delete(temp);
        var sourceStream = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (sourceStream.ConfigureAwait(false))
        {
            var target = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
            await using (target.ConfigureAwait(false))
            {
                await sourceStream.CopyToAsync(target, 1024 * 1024, cancellationToken).ConfigureAwait(false);
                target.Flush(flushToDisk: true);
            }
        }

        // A stale WAL or hot journal would be applied to the restored file and corrupt it: remove them before the
        // restored file takes the database's name.
        foreach (var suffix in (ReadOnlySpan<string>)["-wal", "-shm", "-journal"])
        {
            File.Delete(destination + suffix);
        }

        File.Move(temp, destination, overwrite: true);
        return true;
    }
}
