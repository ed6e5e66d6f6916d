using System.Text.Json.Serialization;
using LocalStack.Persistence.Sqlite;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;
using Microsoft.Data.Sqlite;

namespace LocalStack.Persistence.Tests.Sqlite;

internal sealed class RowsState
{
    public long RowCount { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(RowsState))]
internal sealed partial class SqliteTestJsonContext : JsonSerializerContext;

/// <summary>
/// An emulator whose state lives in a SQLite database in its working folder (WAL mode); the state file records the
/// row count of the staged copy. The same shape as the crash child's provider (service "sqlrows", asset "rows.db").
/// </summary>
internal sealed class SqliteRowsProvider : JsonServiceStateProvider<RowsState>, IDisposable
{
    public const string Service = "sqlrows";
    public const string AssetName = "rows.db";

    private readonly string? _databasePath;
    private SqliteConnection? _live;

    /// <param name="store">The store whose working folder holds the database; <see langword="null"/> for an in-memory database.</param>
    public SqliteRowsProvider(ISnapshotStore? store)
        : base(Service, SqliteTestJsonContext.Default.RowsState)
    {
        _databasePath = store is null ? null : Path.Combine(store.GetWorkingDirectory(Service), "rows.db");
    }

    public RowsState State { get; private set; } = new();

    public string DatabasePath => _databasePath ?? throw new InvalidOperationException("in-memory database");

    public SqliteConnection Live
    {
        get
        {
            if (_live is null)
            {
                _live = new SqliteConnection(_databasePath is null ? "Data Source=:memory:" : $"Data Source={_databasePath}");
                _live.Open();
                Execute(_live, "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, body BLOB NOT NULL);");
            }

            return _live;
        }
    }

    public void Insert(int count, int seed)
    {
        Shared.SqliteTestRows.Insert(Live, count, new Random(seed));
    }

    public long CountRows() => Scalar<long>(Live, "SELECT COUNT(*) FROM rows");

    /// <summary>A digest of every row, to compare databases.</summary>
    public string Digest()
    {
        using var command = Live.CreateCommand();
        command.CommandText = "SELECT id, body FROM rows ORDER BY id";
        using var reader = command.ExecuteReader();
        var hash = new System.IO.Hashing.XxHash64();
        while (reader.Read())
        {
            hash.Append(BitConverter.GetBytes(reader.GetInt64(0)));
            hash.Append((byte[])reader.GetValue(1));
        }

        return Convert.ToHexString(hash.GetCurrentHash());
    }

    public string IntegrityCheck() => Scalar<string>(Live, "PRAGMA integrity_check");

    public void CloseLive()
    {
        if (_live is not null)
        {
            SqliteConnection.ClearPool(_live);
            _live.Dispose();
            _live = null;
        }
    }

    public void Dispose() => CloseLive();

    protected override RowsState Capture() => new() { RowCount = CountRows() };

    protected override async ValueTask<RowsState> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken)
    {
        // Under the gate nothing writes to the database, so the live count is the count of the staged copy.
        var state = Capture();
        await context.StageSqliteDatabaseAsync(Live, AssetName, cancellationToken);
        return state;
    }

    protected override async ValueTask RestoreAsync(RowsState state, SnapshotContext context, CancellationToken cancellationToken)
    {
        CloseLive();
        if (!await context.RestoreSqliteDatabaseAsync(AssetName, DatabasePath, cancellationToken))
        {
            throw new InvalidOperationException($"snapshot generation {context.Generation} has no {AssetName}");
        }

        Restore(state);
    }

    protected override void Restore(RowsState state) => State = state;

    protected override void Reset()
    {
        CloseLive();
        State = new RowsState();
    }

    public static T Scalar<T>(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)command.ExecuteScalar()!;
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
