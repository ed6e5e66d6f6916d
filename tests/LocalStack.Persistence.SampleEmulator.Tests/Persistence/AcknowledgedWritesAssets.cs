using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using LocalStack.Persistence.SampleEmulator.Aws;
using LocalStack.Persistence.SampleEmulator.S3;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Testing;
using LocalStack.Persistence.Tests.Support;
using Microsoft.Data.Sqlite;

namespace LocalStack.Persistence.SampleEmulator.Tests.Persistence;

/// <summary>
/// Checks the committed assets on disk after a kill, before anything restarts on the volume: the generation that
/// <c>api_states/&lt;service&gt;/store.state</c> commits (its header's generation field), every S3 object file in it
/// hashing to bytes a client wrote, every acknowledged object's bytes among them, and every DynamoDB database in it
/// passing <c>PRAGMA integrity_check</c> (on a copy, opened read-only) with at least the acknowledged items.
/// </summary>
internal sealed class AcknowledgedWritesAssets(AcknowledgedWrites ledger, string volume)
{
    // Object files are immutable and uniquely named: a file hashed once never needs hashing again.
    private readonly Dictionary<(string Name, long Length), string> _hashes = [];

    private string StateDirectory => Path.Combine(volume, "state");

    /// <summary>
    /// The generation the service's committed snapshot ends at: its state file's, or that of the newest delta file after
    /// it (a keyed service's save writes <c>store.delta.&lt;generation&gt;</c> by rename: present means committed).
    /// Null when it has none.
    /// </summary>
    public long? CommittedGeneration(string service)
    {
        var generation = BaseGeneration(service);
        var folder = Path.Combine(StateDirectory, "api_states", service);
        if (generation is null || !Directory.Exists(folder))
        {
            return generation;
        }

        foreach (var delta in Directory.EnumerateFiles(folder, "store.delta.*"))
        {
            if (long.TryParse(Path.GetFileName(delta)["store.delta.".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var g) && g > generation)
            {
                generation = g;
            }
        }

        return generation;
    }

    /// <summary>The generation committed by the service's state file (its base), or null when it has none.</summary>
    private long? BaseGeneration(string service)
    {
        var file = Path.Combine(StateDirectory, "api_states", service, "store.state");
        if (!File.Exists(file))
        {
            return null;
        }

        // docs/snapshot-format.md: the generation is the little-endian i64 at offset 20 of the header.
        Span<byte> header = stackalloc byte[28];
        using var handle = File.OpenHandle(file);
        return RandomAccess.Read(handle, header, 0) == header.Length ? BinaryPrimitives.ReadInt64LittleEndian(header[20..]) : null;
    }

    public async Task VerifyAsync(int round, Findings findings)
    {
        await VerifyS3Async(round, findings);
        VerifyDynamo(round, findings);
    }

    private string? GenerationFolder(string service)
        => BaseGeneration(service) is { } generation
            ? Path.Combine(StateDirectory, service, generation.ToString("D20", CultureInfo.InvariantCulture))
            : null;

    /// <summary>
    /// S3's objects are blobs named by keyed records: the committed state is loaded, from a copy of the snapshot files,
    /// into an in-process provider (which checks every blob's hash and size), and each object file it restored must hold
    /// bytes a client wrote; every acknowledged object's bytes must be among them.
    /// </summary>
    private async Task VerifyS3Async(int round, Findings findings)
    {
        var acknowledged = ledger.S3.Where(w => w.Round <= round && w.Acknowledged).ToList();
        using var copy = new TempDirectory();
        ProviderHarness.CopyTree(StateDirectory, copy.Path, ProviderGoldenSets.IsPartOfASnapshot);
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = copy.Path });
        using var working = new WorkingDirectories(new NoServices());
        var s3 = new S3Store(working);
        try
        {
            await new ServiceSnapshotter(store).LoadAsync(new S3StateProvider(s3));
        }
        catch (SnapshotException e)
        {
            findings.Problems.Add($"round {round}: the committed S3 state does not load: {e.Message}");
            return;
        }

        var present = new HashSet<string>(StringComparer.Ordinal);
        var written = ledger.S3.Select(w => Convert.ToHexString(w.Sha256)).ToHashSet(StringComparer.Ordinal);
        foreach (var file in s3.ToDocument().Accounts.SelectMany(a => a.Buckets).SelectMany(b => b.Objects).Select(o => s3.PathOf(o.File)))
        {
            var hash = Hash(file);
            present.Add(hash);
            if (!written.Contains(hash))
            {
                findings.Problems.Add($"round {round}: committed S3 object file {file} ({new FileInfo(file).Length} bytes) holds bytes no client wrote");
            }
        }

        foreach (var write in acknowledged.Where(w => !present.Contains(Convert.ToHexString(w.Sha256))))
        {
            findings.Lose(write, "has no committed object with its bytes");
        }
    }

    /// <summary>No host: <see cref="WorkingDirectories"/> gives each service a temporary folder of its own.</summary>
    private sealed class NoServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }

    private void VerifyDynamo(int round, Findings findings)
    {
        var acknowledged = ledger.Dynamo.Count(w => w.Round <= round && w.Acknowledged);
        var folder = GenerationFolder("dynamodb");
        var databases = folder is not null && Directory.Exists(folder) ? Directory.GetFiles(folder, "*.db") : [];
        if (databases.Length == 0)
        {
            if (acknowledged > 0)
            {
                findings.Lost.Add($"round {round}: no committed DynamoDB database (folder {folder ?? "none"}), {acknowledged} items were acknowledged");
            }

            return;
        }

        long items = 0;
        using var copies = new TempDirectory();
        foreach (var database in databases)
        {
            var copy = Path.Combine(copies.Path, Path.GetFileName(database));
            File.Copy(database, copy);
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = copy, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            connection.Open();
            using var check = connection.CreateCommand();
            check.CommandText = "PRAGMA integrity_check";
            var result = Convert.ToString(check.ExecuteScalar(), CultureInfo.InvariantCulture);
            if (!string.Equals(result, "ok", StringComparison.Ordinal))
            {
                findings.Problems.Add($"round {round}: committed DynamoDB database {database} fails integrity_check: {result}");
                continue;
            }

            using var count = connection.CreateCommand();
            count.CommandText = "SELECT count(*) FROM items WHERE table_name = $table";
            count.Parameters.AddWithValue("$table", LoadGenerator.Table);
            items += Convert.ToInt64(count.ExecuteScalar(), CultureInfo.InvariantCulture);
        }

        if (items < acknowledged)
        {
            findings.Lost.Add($"round {round}: the committed DynamoDB databases hold {items} items of '{LoadGenerator.Table}', {acknowledged} were acknowledged");
        }
    }

    private string Hash(string file)
    {
        var key = (Path.GetFileName(file), new FileInfo(file).Length);
        if (!_hashes.TryGetValue(key, out var hash))
        {
            using var stream = File.OpenRead(file);
            hash = Convert.ToHexString(SHA256.HashData(stream));
            _hashes[key] = hash;
        }

        return hash;
    }
}
