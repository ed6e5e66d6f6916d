using System.Text.Json;
using System.Text.Json.Nodes;
using LocalStack.Persistence.Sqlite;
using Microsoft.Data.Sqlite;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb;

/// <summary>
/// The SQLite database of one account and region (<c>&lt;account&gt;_&lt;region&gt;.db</c>): table schemas in
/// <c>tables</c>, every item of every table in <c>items</c>, keyed by (table, partition key bytes, sort key bytes) so that
/// a Query is an index range scan in DynamoDB's key order. One connection, used by one request at a time.
/// </summary>
internal sealed class DynamoDbDatabase : IDisposable
{
    private const string SelectItem = "SELECT item FROM items WHERE table_name = $table AND pk = $pk AND sk = $sk";
    private const string UpsertItem = "INSERT OR REPLACE INTO items (table_name, pk, sk, item) VALUES ($table, $pk, $sk, $item)";
    private const string RemoveItem = "DELETE FROM items WHERE table_name = $table AND pk = $pk AND sk = $sk";
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Dictionary<string, TableDefinition> _tables = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SqliteCommand> _keyCommands = new(StringComparer.Ordinal);
    private SqliteTransaction? _transaction;

    public DynamoDbDatabase(SqliteIncrementalDatabase incremental)
    {
        Incremental = incremental;
        Path = incremental.DatabasePath;
        FileName = System.IO.Path.GetFileName(Path);

        // WAL mode, automatic checkpoints off and this one connection kept open: a save ships the WAL frames committed
        // since the save before (SqliteIncrementalDatabase), not the whole file.
        Connection = incremental.Open();

        // The live database needs no durability of its own: the durable state is the last snapshot (a base and WAL
        // segments as blobs), and a process that crashes leaves a working folder that the next start discards. So no fsync here.
        Execute("""
            PRAGMA synchronous = OFF;
            CREATE TABLE IF NOT EXISTS tables (name TEXT PRIMARY KEY, definition TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS items (
                table_name TEXT NOT NULL, pk BLOB NOT NULL, sk BLOB NOT NULL, item TEXT NOT NULL,
                PRIMARY KEY (table_name, pk, sk)) WITHOUT ROWID;
            """);
        using var command = Command("SELECT definition FROM tables");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var table = JsonSerializer.Deserialize(reader.GetString(0), DynamoDbJsonContext.Default.TableDefinition)!;
            _tables[table.Name] = table;
        }
    }

    public string Path { get; }

    /// <summary>The database's saves: base and WAL segments (it owns <see cref="Connection"/>).</summary>
    public SqliteIncrementalDatabase Incremental { get; }

    public string FileName { get; }

    public SqliteConnection Connection { get; }

    /// <summary>Runs <paramref name="action"/> with this database to itself.</summary>
    public async Task<T> RunAsync<T>(Func<DynamoDbDatabase, T> action, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            return action(this);
        }
        finally
        {
            _lock.Release();
        }
    }

    public TableDefinition Table(string name)
        => _tables.TryGetValue(name, out var table) ? table : throw DynamoDbException.TableNotFound();

    public TableDefinition? FindTable(string name) => _tables.GetValueOrDefault(name);

    public IEnumerable<string> TableNames => _tables.Keys.Order(StringComparer.Ordinal);

    public void CreateTable(TableDefinition table)
    {
        using var command = Command("INSERT INTO tables (name, definition) VALUES ($name, $definition)");
        command.Parameters.AddWithValue("$name", table.Name);
        command.Parameters.AddWithValue("$definition", JsonSerializer.Serialize(table, DynamoDbJsonContext.Default.TableDefinition));
        command.ExecuteNonQuery();
        _tables[table.Name] = table;
    }

    public void DeleteTable(string name)
    {
        InTransaction(() =>
        {
            using var command = Command("DELETE FROM items WHERE table_name = $table; DELETE FROM tables WHERE name = $table");
            command.Parameters.AddWithValue("$table", name);
            command.ExecuteNonQuery();
        });
        _tables.Remove(name);
    }

    public (long Count, long Bytes) Statistics(string table)
    {
        using var command = Command("SELECT count(*), coalesce(sum(length(item)), 0) FROM items WHERE table_name = $table");
        command.Parameters.AddWithValue("$table", table);
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    public JsonObject? GetItem(string table, byte[] pk, byte[] sk)
        => KeyCommand(SelectItem, table, pk, sk).ExecuteScalar() is string json ? JsonNode.Parse(json)!.AsObject() : null;

    public void PutItem(string table, byte[] pk, byte[] sk, JsonObject item)
    {
        var command = KeyCommand(UpsertItem, table, pk, sk);
        command.Parameters["$item"].Value = item.ToJsonString();
        command.ExecuteNonQuery();
    }

    public void DeleteItem(string table, byte[] pk, byte[] sk) => KeyCommand(RemoveItem, table, pk, sk).ExecuteNonQuery();

    /// <summary>Items of a table in key order, from a SQL condition over <c>pk</c> and <c>sk</c> with named parameters.</summary>
    public IEnumerable<(JsonObject Item, int Size)> ReadItems(string table, string where, bool descending, IReadOnlyDictionary<string, byte[]> parameters)
    {
        var direction = descending ? "DESC" : "ASC";
        using var command = Command($"SELECT item FROM items WHERE table_name = $table{where} ORDER BY pk {direction}, sk {direction}");
        command.Parameters.AddWithValue("$table", table);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var json = reader.GetString(0);
            yield return (JsonNode.Parse(json)!.AsObject(), json.Length);
        }
    }

    /// <summary>Runs <paramref name="action"/> in one transaction: all of its writes or none.</summary>
    public void InTransaction(Action action)
    {
        using var transaction = Connection.BeginTransaction();
        _transaction = transaction;
        try
        {
            action();
            transaction.Commit();
        }
        finally
        {
            _transaction = null;
        }
    }

    public void Dispose()
    {
        foreach (var command in _keyCommands.Values)
        {
            command.Dispose();
        }

        Incremental.Dispose();
        _lock.Dispose();
    }

    private void Execute(string sql)
    {
        using var command = Command(sql);
        command.ExecuteNonQuery();
    }

    /// <summary>One of the single-item statements, prepared once per connection and reused (the hot path of writes).</summary>
    private SqliteCommand KeyCommand(string sql, string table, byte[] pk, byte[] sk)
    {
        if (!_keyCommands.TryGetValue(sql, out var command))
        {
            command = Command(sql);
            command.Parameters.Add("$table", SqliteType.Text);
            command.Parameters.Add("$pk", SqliteType.Blob);
            command.Parameters.Add("$sk", SqliteType.Blob);
            if (sql == UpsertItem)
            {
                command.Parameters.Add("$item", SqliteType.Text);
            }

            command.Prepare();
            _keyCommands[sql] = command;
        }

        command.Transaction = _transaction;
        command.Parameters["$table"].Value = table;
        command.Parameters["$pk"].Value = pk;
        command.Parameters["$sk"].Value = sk;
        return command;
    }

    private SqliteCommand Command(string sql)
    {
        var command = Connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = _transaction;
        return command;
    }
}
