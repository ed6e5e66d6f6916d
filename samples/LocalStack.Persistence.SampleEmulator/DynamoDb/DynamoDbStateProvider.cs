using System.Text.Json;
using LocalStack.Persistence.Sqlite;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb;

/// <summary>
/// DynamoDB's persistence: every database is an asset of the snapshot (a consistent copy through SQLite's backup API),
/// the payload lists them. Capture, restore and reset run with no request in flight (the service's exclusive gate).
/// </summary>
internal sealed class DynamoDbStateProvider(DynamoDbStorage storage) : IServiceStateProvider
{
    public string ServiceName => DynamoDbModule.ServiceName;

    public int SchemaVersion => 1;

    public async ValueTask<IStateCapture> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken = default)
    {
        var names = new List<string>();
        foreach (var database in storage.Databases)
        {
            await context.StageSqliteDatabaseAsync(database.Connection, database.FileName, cancellationToken);
            names.Add(database.FileName);
        }

        return new Capture(JsonSerializer.SerializeToUtf8Bytes(new DynamoDbSnapshotState(names), DynamoDbJsonContext.Default.DynamoDbSnapshotState));
    }

    public async ValueTask RestoreAsync(SnapshotPayload payload, SnapshotContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (payload.SchemaVersion != SchemaVersion)
        {
            throw new SnapshotVersionException(payload.Metadata.Location, "schema", payload.SchemaVersion, SchemaVersion);
        }

        DynamoDbSnapshotState? state;
        try
        {
            state = await JsonSerializer.DeserializeAsync(payload.Content, DynamoDbJsonContext.Default.DynamoDbSnapshotState, cancellationToken);
        }
        catch (JsonException e)
        {
            throw new SnapshotCorruptException(payload.Metadata.Location, $"its payload is not a DynamoDB state: {e.Message}", e);
        }

        if (state?.Databases is not { } databases)
        {
            throw new SnapshotCorruptException(payload.Metadata.Location, "its payload lists no DynamoDB databases.");
        }

        // Names come from the payload: only file names this emulator writes, once each (never a path, never twice).
        if (databases.Any(n => !DynamoDbStorage.IsValidFileName(n)) || databases.Count != databases.Distinct(StringComparer.Ordinal).Count())
        {
            throw new SnapshotCorruptException(payload.Metadata.Location, $"it names database '{databases.FirstOrDefault(n => !DynamoDbStorage.IsValidFileName(n)) ?? "(null or a duplicate)"}', and the DynamoDB emulator writes each '<account>_<region>.db' once.");
        }

        // Databases not in the snapshot must not survive the load: start from an empty folder.
        storage.DeleteAll();
        foreach (var name in databases)
        {
            if (!await context.RestoreSqliteDatabaseAsync(name, Path.Combine(storage.Directory, name), cancellationToken))
            {
                throw new SnapshotCorruptException(payload.Metadata.Location, $"its database '{name}' is missing from the asset generation.");
            }

            // Open now, so that the next capture stages it even if no request touches it before.
            storage.Open(name);
        }
    }

    public ValueTask ResetAsync(SnapshotContext context, CancellationToken cancellationToken = default)
    {
        storage.DeleteAll();
        return ValueTask.CompletedTask;
    }

    private sealed class Capture(byte[] payload) : IStateCapture
    {
        public ValueTask WriteToAsync(Stream destination, CancellationToken cancellationToken = default)
            => destination.WriteAsync(payload, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
