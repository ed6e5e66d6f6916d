using System.Globalization;
using System.Text.Json.Serialization;
using LocalStack.Persistence.Sqlite;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;
using Microsoft.Data.Sqlite;

namespace LocalStack.Persistence.CrashChild;

/// <summary>
/// <c>sqlite-staging-loop &lt;stateDir&gt; &lt;seed&gt;</c> (RELIABILITY case 15): loads the service "sqlrows" (a SQLite
/// database in its working folder), then forever inserts rows and saves, staging the database with the backup API.
/// Prints <c>stage &lt;generation&gt;</c> before each capture, <c>staged &lt;generation&gt;</c> when the capture has
/// returned and <c>ack &lt;rows&gt;</c> once the save is committed, <c>rows</c> being the row count recorded in the state.
/// The parent SIGKILLs it at random moments.
/// </summary>
internal static class SqliteStagingLoop
{
    // A database of a few MB makes staging (backup + flush) a large part of each save, so that kills land in it.
    private const int InitialRows = 3000;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length != 2 || !int.TryParse(args[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed))
        {
            await Console.Error.WriteLineAsync("usage: sqlite-staging-loop <stateDir> <seed>");
            return 2;
        }

        var random = new Random(seed);
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = args[0] });
        var snapshotter = new ServiceSnapshotter(store);
        using var provider = new RowsProvider(store);
        await snapshotter.LoadAsync(provider);
        if (provider.CountRows() == 0)
        {
            provider.Insert(InitialRows, random);
        }

        while (true)
        {
            provider.Insert(random.Next(1, 40), random);
            var pending = await snapshotter.CaptureAsync(provider);
            await using (pending)
            {
                // Written before and after the capture: the parent knows whether a kill landed during staging.
                Console.Out.WriteLine($"staged {pending.Generation}");
                Console.Out.Flush();
                await snapshotter.CommitAsync(pending);
            }

            Console.Out.WriteLine($"ack {provider.LastCapturedRows}");
            Console.Out.Flush();
        }
    }

    internal sealed class RowsState
    {
        public long RowCount { get; set; }
    }

    /// <summary>The test project's SqliteRowsProvider, as an emulator process runs it.</summary>
    private sealed class RowsProvider(ISnapshotStore store)
        : JsonServiceStateProvider<RowsState>("sqlrows", ChildJsonContext.Default.RowsState), IDisposable
    {
        private const string AssetName = "rows.db";
        private readonly string _databasePath = Path.Combine(store.GetWorkingDirectory("sqlrows"), "rows.db");
        private SqliteConnection? _live;

        public long LastCapturedRows { get; private set; }

        private SqliteConnection Live
        {
            get
            {
                if (_live is null)
                {
                    _live = new SqliteConnection($"Data Source={_databasePath}");
                    _live.Open();
                    Execute("PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, body BLOB NOT NULL);");
                }

                return _live;
            }
        }

        public long CountRows()
        {
            using var command = Live.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM rows";
            return (long)command.ExecuteScalar()!;
        }

        public void Insert(int count, Random random)
        {
            LocalStack.Persistence.Tests.Shared.SqliteTestRows.Insert(Live, count, random);
        }

        public void Dispose() => CloseLive();

        protected override RowsState Capture() => new() { RowCount = CountRows() };

        protected override async ValueTask<RowsState> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken)
        {
            Console.Out.WriteLine($"stage {context.Generation}");
            Console.Out.Flush();

            // Nothing writes to the database during the capture, so the live count is the count of the staged copy.
            var state = Capture();
            await context.StageSqliteDatabaseAsync(Live, AssetName, cancellationToken);
            LastCapturedRows = state.RowCount;
            return state;
        }

        protected override async ValueTask RestoreAsync(RowsState state, SnapshotContext context, CancellationToken cancellationToken)
        {
            CloseLive();
            if (!await context.RestoreSqliteDatabaseAsync(AssetName, _databasePath, cancellationToken))
            {
                throw new InvalidOperationException($"snapshot generation {context.Generation} has no {AssetName}");
            }
        }

        protected override void Reset() => CloseLive();

        private void CloseLive()
        {
            if (_live is not null)
            {
                SqliteConnection.ClearPool(_live);
                _live.Dispose();
                _live = null;
            }
        }

        private void Execute(string sql)
        {
            using var command = Live.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SqliteStagingLoop.RowsState))]
internal sealed partial class ChildJsonContext : JsonSerializerContext;
