using System.Text.Json;
using LocalStack.Persistence.Sqlite;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb;

/// <summary>
/// DynamoDB's persistence: one keyed record per database (<c>db/&lt;account&gt;_&lt;region&gt;.db</c>), whose value is
/// the database's chain of blobs (<see cref="SqliteDatabaseDescriptor"/>: a whole base, then the WAL segments shipped by
/// later saves). A save captures only the databases requests used since the save before, and each ships only the WAL
/// frames committed since. Capture, restore and reset run with no request in flight (the service's exclusive gate).
/// </summary>
internal sealed class DynamoDbStateProvider : KeyedStateProvider
{
    private const string KeyPrefix = "db/";
    private readonly DynamoDbStorage _storage;

    // The chains this save captured (OnCapturingAsync), written by TryWriteValue; the chains a load read, restored by OnRestoredAsync.
    private readonly Dictionary<string, SqliteDatabaseDescriptor> _captured = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, SqliteDatabaseDescriptor> _restoring = new(StringComparer.Ordinal);

    public DynamoDbStateProvider(DynamoDbStorage storage)
        : base(DynamoDbModule.ServiceName)
    {
        _storage = storage;

        // Every request that gets a database may change it: its record is written by the next save (a database no
        // request changed ships no frames, and its record is rewritten unchanged).
        storage.DatabaseUsed += fileName => MarkChanged(KeyPrefix + fileName);
    }

    protected override async ValueTask OnCapturingAsync(SnapshotContext context, IReadOnlyCollection<string>? changedKeys, CancellationToken cancellationToken)
    {
        _captured.Clear();
        foreach (var database in _storage.Databases)
        {
            var key = KeyPrefix + database.FileName;
            if (changedKeys is null)
            {
                // A full base (first save, after a reset or a failed save): the blobs of earlier captures may never
                // have been committed, so every database ships a whole copy again.
                database.Incremental.RequireFullBase();
            }
            else if (!changedKeys.Contains(key))
            {
                continue;
            }

            _captured[key] = await database.Incremental.CaptureAsync(context, cancellationToken);
        }
    }

    protected override IEnumerable<string> GetKeys() => _storage.Databases.Select(d => KeyPrefix + d.FileName);

    protected override bool TryWriteValue(string key, KeyedValueWriter writer)
    {
        if (!_captured.TryGetValue(key, out var descriptor))
        {
            return false;
        }

        descriptor.WriteTo(writer.Json);
        foreach (var blobId in descriptor.BlobIds)
        {
            writer.ReferenceBlob(blobId);
        }

        return true;
    }

    protected override void Clear()
    {
        _restoring.Clear();
        _storage.DeleteAll();
    }

    protected override void ApplyValue(string key, ReadOnlySpan<byte> utf8Json, SnapshotContext context)
    {
        var location = context.SnapshotLocation ?? context.ServiceName;
        var fileName = FileNameOf(key, location);
        try
        {
            _restoring[fileName] = SqliteDatabaseDescriptor.Parse(utf8Json);
        }
        catch (JsonException e)
        {
            throw new SnapshotCorruptException(location, $"its record '{key}' is not a SQLite database chain: {e.Message}", e);
        }
    }

    protected override void ApplyRemoval(string key, SnapshotContext context)
        => _restoring.Remove(FileNameOf(key, context.SnapshotLocation ?? context.ServiceName));

    protected override async ValueTask OnRestoredAsync(SnapshotContext context, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var (fileName, descriptor) in _restoring)
            {
                await _storage.RestoreAsync(fileName, descriptor, context, cancellationToken);
            }
        }
        catch
        {
            // Databases of a snapshot that does not load must not survive as a half state.
            _storage.DeleteAll();
            throw;
        }
        finally
        {
            _restoring.Clear();
        }
    }

    /// <summary>A snapshot of the JSON era: a payload listing the databases, each a whole file in the asset generation.</summary>
    protected override async ValueTask RestoreWholeStateAsync(SnapshotPayload payload, SnapshotContext context, CancellationToken cancellationToken)
    {
        var location = context.SnapshotLocation ?? context.ServiceName;
        if (payload.SchemaVersion > 1)
        {
            throw new SnapshotVersionException(location, "schema", payload.SchemaVersion, 1);
        }

        if (payload.SchemaVersion < 1)
        {
            throw new SnapshotCorruptException(location, $"schema version {payload.SchemaVersion} is not valid; schema versions start at 1.");
        }

        DynamoDbSnapshotState? state;
        try
        {
            state = await JsonSerializer.DeserializeAsync(payload.Content, DynamoDbJsonContext.Default.DynamoDbSnapshotState, cancellationToken);
        }
        catch (JsonException e)
        {
            throw new SnapshotCorruptException(location, $"its payload does not match the state of service '{DynamoDbModule.ServiceName}': {e.Message}", e);
        }

        if (state?.Databases is not { } databases)
        {
            throw new SnapshotCorruptException(location, "its payload lists no DynamoDB databases.");
        }

        // Names come from the payload: only file names this emulator writes, once each (never a path, never twice).
        if (databases.Any(n => !DynamoDbStorage.IsValidFileName(n)) || databases.Count != databases.Distinct(StringComparer.Ordinal).Count())
        {
            throw new SnapshotCorruptException(location, $"it names database '{databases.FirstOrDefault(n => !DynamoDbStorage.IsValidFileName(n)) ?? "(null or a duplicate)"}', and the DynamoDB emulator writes each '<account>_<region>.db' once.");
        }

        // Databases not in the snapshot must not survive the load: start from an empty folder.
        _storage.DeleteAll();
        foreach (var name in databases)
        {
            if (!await context.RestoreSqliteDatabaseAsync(name, Path.Combine(_storage.Directory, name), cancellationToken))
            {
                throw new SnapshotCorruptException(location, $"its database '{name}' is missing from the asset generation.");
            }

            // Open now, so that the next save (a full base) captures it even if no request touches it before.
            _storage.Open(name);
        }
    }

    private static string FileNameOf(string key, string location)
        => key.StartsWith(KeyPrefix, StringComparison.Ordinal) && DynamoDbStorage.IsValidFileName(key[KeyPrefix.Length..])
            ? key[KeyPrefix.Length..]
            : throw new SnapshotCorruptException(location, $"its record '{key}' is not 'db/<account>_<region>.db', the only records the DynamoDB emulator writes.");
}
