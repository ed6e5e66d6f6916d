using LocalStack.Persistence.Sqlite;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb;

/// <summary>
/// DynamoDB's persistence: every database is an asset of the snapshot (a consistent copy through SQLite's backup API),
/// the payload lists them. Capture, restore and reset run with no request in flight (the service's exclusive gate).
/// </summary>
internal sealed class DynamoDbStateProvider(DynamoDbStorage storage)
    : JsonServiceStateProvider<DynamoDbSnapshotState>(DynamoDbModule.ServiceName, DynamoDbJsonContext.Default.DynamoDbSnapshotState)
{
    protected override async ValueTask<DynamoDbSnapshotState> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        foreach (var database in storage.Databases)
        {
            await context.StageSqliteDatabaseAsync(database.Connection, database.FileName, cancellationToken);
            names.Add(database.FileName);
        }

        return new DynamoDbSnapshotState(names);
    }

    protected override async ValueTask RestoreAsync(DynamoDbSnapshotState state, SnapshotContext context, CancellationToken cancellationToken)
    {
        var location = context.SnapshotLocation ?? context.ServiceName;
        if (state.Databases is not { } databases)
        {
            throw new SnapshotCorruptException(location, "its payload lists no DynamoDB databases.");
        }

        // Names come from the payload: only file names this emulator writes, once each (never a path, never twice).
        if (databases.Any(n => !DynamoDbStorage.IsValidFileName(n)) || databases.Count != databases.Distinct(StringComparer.Ordinal).Count())
        {
            throw new SnapshotCorruptException(location, $"it names database '{databases.FirstOrDefault(n => !DynamoDbStorage.IsValidFileName(n)) ?? "(null or a duplicate)"}', and the DynamoDB emulator writes each '<account>_<region>.db' once.");
        }

        // Databases not in the snapshot must not survive the load: start from an empty folder.
        storage.DeleteAll();
        foreach (var name in databases)
        {
            if (!await context.RestoreSqliteDatabaseAsync(name, Path.Combine(storage.Directory, name), cancellationToken))
            {
                throw new SnapshotCorruptException(location, $"its database '{name}' is missing from the asset generation.");
            }

            // Open now, so that the next capture stages it even if no request touches it before.
            storage.Open(name);
        }
    }

    protected override void Reset() => storage.DeleteAll();
}
