using Microsoft.Data.Sqlite;

namespace LocalStack.Persistence.Tests.Shared;

/// <summary>Random rows for SQLite asset tests; compiled into the test project and the crash child.</summary>
internal static class SqliteTestRows
{
    /// <summary>Inserts <paramref name="count"/> rows of random bodies (16–2047 bytes) into table <c>rows</c> in one transaction.</summary>
    public static void Insert(SqliteConnection connection, int count, Random random)
    {
        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO rows (body) VALUES ($body)";
        var body = insert.Parameters.Add("$body", SqliteType.Blob);
        for (var i = 0; i < count; i++)
        {
            var bytes = new byte[random.Next(16, 2048)];
            random.NextBytes(bytes);
            body.Value = bytes;
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }
}
