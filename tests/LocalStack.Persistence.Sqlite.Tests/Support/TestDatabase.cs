using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace LocalStack.Persistence.Sqlite.Tests.Support;

/// <summary>Rows, changes and content digests for tests on real SQLite files.</summary>
internal static class TestDatabase
{
    public static void CreateSchema(SqliteConnection connection)
        => Execute(connection, "CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, k TEXT NOT NULL, body BLOB NOT NULL); CREATE INDEX IF NOT EXISTS rows_k ON rows (k);");

    /// <summary>One transaction of random inserts, updates and deletes.</summary>
    public static void RandomTransaction(SqliteConnection connection, Random random, int changes)
    {
        using var transaction = connection.BeginTransaction();
        for (var i = 0; i < changes; i++)
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            switch (random.Next(4))
            {
                case 0:
                    command.CommandText = "DELETE FROM rows WHERE id = (SELECT id FROM rows ORDER BY random() LIMIT 1)";
                    break;
                case 1:
                    command.CommandText = "UPDATE rows SET body = $body, k = $k WHERE id = (SELECT id FROM rows ORDER BY random() LIMIT 1)";
                    AddRow(command, random);
                    break;
                default:
                    command.CommandText = "INSERT INTO rows (k, body) VALUES ($k, $body)";
                    AddRow(command, random);
                    break;
            }

            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    public static void Insert(SqliteConnection connection, Random random, int count, int maxBody = 2048)
    {
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO rows (k, body) VALUES ($k, $body)";
        var k = command.Parameters.Add("$k", SqliteType.Text);
        var body = command.Parameters.Add("$body", SqliteType.Blob);
        for (var i = 0; i < count; i++)
        {
            k.Value = $"key-{random.Next():x8}";
            var bytes = new byte[random.Next(16, maxBody)];
            random.NextBytes(bytes);
            body.Value = bytes;
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <summary>A digest of every row of every table, in key order: equal digests, equal contents.</summary>
    public static string Digest(SqliteConnection connection)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var tables = new List<string>();
        using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
            using var reader = list.ExecuteReader();
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        foreach (var table in tables)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(table));
            using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table}\" ORDER BY 1";
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    var value = reader.GetValue(i);
                    hash.AppendData(value is byte[] bytes ? bytes : System.Text.Encoding.UTF8.GetBytes(value.ToString() ?? "null"));
                }
            }
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>Opens <paramref name="path"/> on its own (no pooling) and returns its digest and integrity check.</summary>
    public static (string Digest, string Integrity) Inspect(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        return (Digest(connection), Scalar(connection, "PRAGMA integrity_check"));
    }

    public static string Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>A connection of its own to a WAL-mode database with automatic checkpoints off (what the shipper opens).</summary>
    public static SqliteConnection OpenWal(string path, int pageSize = 4096)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        Execute(connection, $"PRAGMA page_size = {pageSize}; PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;");
        return connection;
    }

    /// <summary>Changes one byte of a file in place (a damaged or torn write).</summary>
    public static void FlipByte(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        var value = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(value ^ 0x5A));
    }

    private static void AddRow(SqliteCommand command, Random random)
    {
        command.Parameters.AddWithValue("$k", $"key-{random.Next():x8}");
        var bytes = new byte[random.Next(16, 3000)];
        random.NextBytes(bytes);
        command.Parameters.AddWithValue("$body", bytes);
    }
}
