using LocalStack.Persistence.SampleEmulator.Aws;
using LocalStack.Persistence.Sqlite;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb;

/// <summary>
/// The live DynamoDB databases, one SQLite file per account and region in the service's working folder, opened on
/// first use. Restore and reset (which run with no request in flight) close and replace them.
/// </summary>
internal sealed class DynamoDbStorage : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, DynamoDbDatabase> _databases = new(StringComparer.Ordinal);

    public DynamoDbStorage(WorkingDirectories workingDirectories)
    {
        Directory = workingDirectories.For(DynamoDbModule.ServiceName);

        // Files left by an earlier process are unsaved changes of a run that ended (or crashed): the service's state
        // is its last snapshot, which a load brings back, never what the working folder happens to hold.
        DeleteFiles();
    }

    public string Directory { get; }

    /// <summary>Raised with the file name of a database each time a request gets it (the state provider marks it changed).</summary>
    public event Action<string>? DatabaseUsed;

    public static string FileNameOf(string accountId, string region)
    {
        if (accountId.Length == 0 || region.Length == 0 || !accountId.All(char.IsAsciiDigit) || !region.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            throw DynamoDbException.Validation($"The account '{accountId}' or region '{region}' is not valid");
        }

        return $"{accountId}_{region}.db";
    }

    /// <summary>Whether <paramref name="fileName"/> is a name <see cref="FileNameOf"/> makes (so a snapshot cannot name a path).</summary>
    public static bool IsValidFileName(string? fileName)
    {
        if (fileName is null || !fileName.EndsWith(".db", StringComparison.Ordinal) || fileName.IndexOf('_', StringComparison.Ordinal) is not (> 0 and var underscore))
        {
            return false;
        }

        var accountId = fileName[..underscore];
        var region = fileName[(underscore + 1)..^3];
        return region.Length > 0 && accountId.All(char.IsAsciiDigit) && region.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');
    }

    public DynamoDbDatabase Get(string accountId, string region)
    {
        var database = Open(FileNameOf(accountId, region));
        DatabaseUsed?.Invoke(database.FileName);
        return database;
    }

    public DynamoDbDatabase Open(string fileName)
    {
        lock (_lock)
        {
            if (!_databases.TryGetValue(fileName, out var database))
            {
                database = Create(new SqliteIncrementalDatabase(Path.Combine(Directory, fileName)));
                _databases[fileName] = database;
            }

            return database;
        }
    }

    /// <summary>
    /// Restores database <paramref name="fileName"/> (no other database of that name open) from the chain of blobs
    /// <paramref name="descriptor"/> names, and opens it: its next save ships only what changes after.
    /// </summary>
    public async Task RestoreAsync(string fileName, SqliteDatabaseDescriptor descriptor, SnapshotContext context, CancellationToken cancellationToken)
    {
        var incremental = new SqliteIncrementalDatabase(Path.Combine(Directory, fileName));
        try
        {
            await incremental.RestoreAsync(context, descriptor, cancellationToken);
        }
        catch
        {
            incremental.Dispose();
            throw;
        }

        var database = Create(incremental);
        lock (_lock)
        {
            _databases.Add(fileName, database);
        }
    }

    /// <summary>The open databases, by file name.</summary>
    public IReadOnlyList<DynamoDbDatabase> Databases
    {
        get
        {
            lock (_lock)
            {
                return _databases.Values.OrderBy(d => d.FileName, StringComparer.Ordinal).ToArray();
            }
        }
    }

    public void CloseAll()
    {
        lock (_lock)
        {
            foreach (var database in _databases.Values)
            {
                database.Dispose();
            }

            _databases.Clear();
        }
    }

    /// <summary>Closes every database and deletes every database file (with its -wal and -shm files).</summary>
    public void DeleteAll()
    {
        CloseAll();
        DeleteFiles();
    }

    public void Dispose() => CloseAll();

    private static DynamoDbDatabase Create(SqliteIncrementalDatabase incremental)
    {
        try
        {
            return new DynamoDbDatabase(incremental);
        }
        catch
        {
            incremental.Dispose();
            throw;
        }
    }

    private void DeleteFiles()
    {
        // The databases with their WAL and shared memory, a restore's leftovers, and the local copies of saved chains.
        foreach (var pattern in (ReadOnlySpan<string>)["*.db", "*.db-wal", "*.db-shm", "*.db-journal", "*.db.restored*", "*.db.folding"])
        {
            foreach (var file in System.IO.Directory.EnumerateFiles(Directory, pattern))
            {
                File.Delete(file);
            }
        }

        foreach (var folder in System.IO.Directory.EnumerateDirectories(Directory, "*.db-snapshot"))
        {
            System.IO.Directory.Delete(folder, recursive: true);
        }
    }
}
