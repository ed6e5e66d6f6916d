using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Tests.Storage;

namespace LocalStack.Persistence.Tests.Reliability;

/// <summary>
/// Reliability cases 3 and 4 as a fuzzer, in the spirit of Redis's corrupt-dump fuzzer: real snapshots (both codecs,
/// several sizes, written by the real store) are damaged at random and loaded through the real store and
/// <see cref="ServiceSnapshotter"/> (and through the header-only metadata and listing paths). The only outcomes allowed are a typed <see cref="SnapshotCorruptException"/> naming the
/// file, a <see cref="SnapshotVersionException"/>, or a load of a file that is byte-for-byte a valid snapshot returning
/// exactly its payload; never another exception, never a change to the file, never a hang, never an allocation beyond
/// 1 MiB plus the file size.
/// </summary>
/// <remarks>
/// Runs for <c>LSP_FUZZ_SECONDS</c> seconds (default 10; the <c>--long</c> mode is <c>LSP_FUZZ_SECONDS=600</c>) with the
/// seed <c>LSP_FUZZ_SEED</c> (default: random); the seed is printed and named in every failure, and the failing input is
/// attached to the test result.
/// </remarks>
[NonParallelizable]
public sealed class CorruptionFuzzTests
{
    private const string Service = "fuzz";
    private const int DefaultSeconds = 10;
    private const long AllocationAllowance = 1024 * 1024;
    private const long RemeasureThreshold = 256 * 1024;
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(10);
    private static readonly int[] PayloadSizes = [0, 300, 5_000, 200_000];

    private string _root = null!;

    [SetUp]
    public void CreateRoot()
    {
        // fsyncs of the evidence copies are free on a tmpfs, so more cases fit the time budget; any folder works.
        var parent = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        _root = Directory.CreateDirectory(Path.Combine(parent, "lsp-fuzz-" + Guid.NewGuid().ToString("N"))).FullName;
    }

    [TearDown]
    public void DeleteRoot() => Directory.Delete(_root, recursive: true);

    [Test]
    public async Task Damaged_snapshots_only_ever_fail_with_a_typed_exception_or_load_a_valid_file()
    {
        var seed = EnvironmentInt("LSP_FUZZ_SEED") ?? RandomNumberGenerator.GetInt32(int.MaxValue);
        var budget = TimeSpan.FromSeconds(EnvironmentInt("LSP_FUZZ_SECONDS") ?? DefaultSeconds);
        await TestContext.Out.WriteLineAsync($"corruption fuzzer: seed {seed} (LSP_FUZZ_SEED={seed} reproduces it), budget {budget.TotalSeconds} s");

        var bases = await WriteBaseSnapshotsAsync();
        var files = bases.Select(b => b.File).ToList();
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = Path.Combine(_root, "fuzz") });
        var snapshotter = new ServiceSnapshotter(store);
        var folder = Path.Combine(store.StateDirectory, "api_states", Service);
        var statePath = Path.Combine(folder, "store.state");
        Directory.CreateDirectory(folder);

        var random = new Random(seed);
        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var reasons = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var mutations = new SortedDictionary<string, int>(StringComparer.Ordinal);
        long maxAllocationOverFile = long.MinValue;
        var maxAllocationCase = "";
        var remeasured = new List<string>();
        var slowest = TimeSpan.Zero;
        var cases = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < budget)
        {
            cases++;
            var original = bases[random.Next(bases.Count)];
            var (bytes, description) = SnapshotMutator.Mutate(random, original.File, files);
            foreach (var kind in description.Split(" + ").Select(d => d.Split('(')[0]))
            {
                mutations[kind] = mutations.GetValueOrDefault(kind) + 1;
            }

            await File.WriteAllBytesAsync(statePath, bytes);
            var context = $"seed {seed}, case {cases}, base {original.Name}, mutation {description}";
            var (provider, loaded, error, allocated, elapsed) = await LoadOnceAsync(snapshotter, bytes, context);
            if (allocated > RemeasureThreshold + bytes.Length)
            {
                // The first run of a code path allocates once (type loading, resource strings); only a second, identical
                // load tells whether the allocation belongs to this input.
                DeleteCorruptCopies(folder);
                var first = allocated;
                (provider, loaded, error, allocated, elapsed) = await LoadOnceAsync(snapshotter, bytes, context);
                remeasured.Add($"{first}->{allocated}");
            }

            slowest = elapsed > slowest ? elapsed : slowest;
            if (allocated - bytes.Length > maxAllocationOverFile)
            {
                maxAllocationOverFile = allocated - bytes.Length;
                maxAllocationCase = $"{context}, {bytes.Length} bytes, {error?.GetType().Name ?? "loaded"}";
            }

            if (allocated > AllocationAllowance + bytes.Length)
            {
                Fail(bytes, context, $"the load allocated {allocated} bytes for a {bytes.Length}-byte file");
            }

            string outcome;
            switch (error)
            {
                case null:
                    var valid = bases.FirstOrDefault(b => b.File.AsSpan().SequenceEqual(bytes));
                    if (valid is null)
                    {
                        Fail(bytes, context, "damage went undetected: a file that is no valid snapshot loaded");
                    }

                    if (!provider.PayloadHash.AsSpan().SequenceEqual(valid!.PayloadHash) || loaded?.Generation != valid.Generation)
                    {
                        Fail(bytes, context, $"a valid file loaded as something else (generation {loaded?.Generation}, expected {valid.Generation})");
                    }

                    outcome = "loaded a valid file";
                    break;
                case SnapshotCorruptException corrupt:
                    if (corrupt.Path != statePath || string.IsNullOrWhiteSpace(corrupt.Reason))
                    {
                        Fail(bytes, context, $"the corruption error does not name the file and a reason: {corrupt.Message}");
                    }

                    outcome = nameof(SnapshotCorruptException);
                    var reason = ReasonShape(corrupt.Reason);
                    reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
                    break;
                case SnapshotVersionException:
                    outcome = nameof(SnapshotVersionException);
                    break;
                default:
                    Fail(bytes, context, $"unexpected {error.GetType().FullName}: {error}");
                    throw new UnreachableException();
            }

            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            if (!(await File.ReadAllBytesAsync(statePath)).AsSpan().SequenceEqual(bytes))
            {
                Fail(bytes, context, "the load changed the snapshot file");
            }

            await CheckHeaderPathsAsync(store, bytes, context);

            DeleteCorruptCopies(folder);
        }

        var histogram = string.Join(", ", outcomes.Select(o => $"{o.Key}={o.Value}"));
        await TestContext.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"corruption fuzzer: {cases} cases in {clock.Elapsed.TotalSeconds:F1} s; outcomes: {histogram}"));
        await TestContext.Out.WriteLineAsync($"  mutations: {string.Join(", ", mutations.Select(m => $"{m.Key}={m.Value}"))}");
        await TestContext.Out.WriteLineAsync($"  corruption reasons: {string.Join("; ", reasons.OrderByDescending(r => r.Value).Select(r => $"{r.Key} ×{r.Value}"))}");
        await TestContext.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  largest allocation beyond the file size: {maxAllocationOverFile} bytes ({maxAllocationCase}); slowest case {slowest.TotalMilliseconds:F1} ms"));
        await TestContext.Out.WriteLineAsync($"  re-measured {remeasured.Count} cases over {RemeasureThreshold} bytes beyond the file size (first->second): {string.Join(", ", remeasured.Take(10))}");
        Assert.That(cases, Is.GreaterThan(100), "the fuzzer must actually run cases");
        Assert.That(outcomes.GetValueOrDefault(nameof(SnapshotCorruptException)), Is.GreaterThan(cases / 2), "most damage is reported as corruption");
    }

    /// <summary>One load of the damaged file with its allocation (all threads: the load is asynchronous) and duration.</summary>
    private static async Task<(DrainingProvider Provider, SnapshotMetadata? Loaded, Exception? Error, long Allocated, TimeSpan Elapsed)> LoadOnceAsync(ServiceSnapshotter snapshotter, byte[] bytes, string context)
    {
        var provider = new DrainingProvider();
        var started = Stopwatch.GetTimestamp();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        Exception? error = null;
        SnapshotMetadata? loaded = null;
        try
        {
            loaded = await snapshotter.LoadAsync(provider).AsTask().WaitAsync(CaseTimeout);
        }
        catch (TimeoutException)
        {
            Fail(bytes, context, $"the load did not finish within {CaseTimeout.TotalSeconds} s (a hang)");
        }
        catch (Exception ex)
        {
            error = ex;
        }

        return (provider, loaded, error, GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore, Stopwatch.GetElapsedTime(started));
    }

    private static void DeleteCorruptCopies(string folder)
    {
        foreach (var copy in Directory.EnumerateFiles(folder, "store.state.corrupt-*"))
        {
            File.Delete(copy);
        }
    }

    /// <summary>
    /// The header-only paths (metadata, listing; a save reads the header the same way before it replaces a file) give
    /// metadata or a typed error, and the listing skips a damaged file instead of throwing.
    /// </summary>
    private static async Task CheckHeaderPathsAsync(FileSystemSnapshotStore store, byte[] bytes, string context)
    {
        try
        {
            await store.GetMetadataAsync(Service).AsTask().WaitAsync(CaseTimeout);
        }
        catch (Exception ex) when (ex is SnapshotCorruptException or SnapshotVersionException)
        {
            // A damaged header is reported with a typed error; a damaged payload is not the header's business.
        }
        catch (Exception ex)
        {
            Fail(bytes, context, $"reading the header threw {ex.GetType().FullName}: {ex}");
        }

        try
        {
            await store.ListAsync().ToListAsync().AsTask().WaitAsync(CaseTimeout);
        }
        catch (Exception ex)
        {
            Fail(bytes, context, $"listing threw {ex.GetType().FullName}: {ex}");
        }
    }

    private static void Fail(byte[] bytes, string context, string what)
    {
        var path = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"fuzz-failure-{Guid.NewGuid():N}.state");
        File.WriteAllBytes(path, bytes);
        TestContext.AddTestAttachment(path, context);
        Assert.Fail($"{what} ({context}); input saved to {path}");
    }

    /// <summary>The kind of a reason: its text up to the first colon or parenthesis, numbers replaced by <c>#</c>.</summary>
    private static string ReasonShape(string reason)
    {
        var kind = Regex.Replace(reason, "0x[0-9A-Fa-f]+|[0-9]+", "#");
        var end = kind.IndexOfAny([':', '(']);
        return (end > 0 ? kind[..end] : kind).Trim().TrimEnd(',');
    }

    private static int? EnvironmentInt(string name)
        => int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : null;

    /// <summary>One snapshot per codec and payload size, each written by the real store.</summary>
    private async Task<List<BaseSnapshot>> WriteBaseSnapshotsAsync()
    {
        var bases = new List<BaseSnapshot>();
        foreach (var codec in Enum.GetValues<SnapshotCompression>())
        {
            using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = Path.Combine(_root, "bases-" + codec), Compression = codec });
            var generation = 0L;
            foreach (var size in PayloadSizes)
            {
                var payload = size == 0 ? [] : StoreTestData.Json($"{codec}-{size}", size);
                var metadata = await store.WriteAsync(Service, ++generation, payload);
                bases.Add(new BaseSnapshot($"{codec}/{size}", await File.ReadAllBytesAsync(metadata.Location), SHA256.HashData(payload), metadata.Generation));
            }
        }

        return bases;
    }

    private sealed record BaseSnapshot(string Name, byte[] File, byte[] PayloadHash, long Generation);

    /// <summary>Reads the whole payload through a fixed buffer (nothing proportional to it) and hashes it.</summary>
    private sealed class DrainingProvider : IServiceStateProvider
    {
        private readonly byte[] _buffer = new byte[16 * 1024];

        public string ServiceName => Service;

        public int SchemaVersion => 1;

        public byte[] PayloadHash { get; private set; } = [];

        public ValueTask<IStateCapture> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken = default)
            => throw new NotSupportedException("The fuzzer only loads.");

        public async ValueTask RestoreAsync(SnapshotPayload payload, SnapshotContext context, CancellationToken cancellationToken = default)
        {
            if (payload.SchemaVersion > SchemaVersion)
            {
                throw new SnapshotVersionException(payload.Metadata.Location, "schema", payload.SchemaVersion, SchemaVersion);
            }

            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            int read;
            while ((read = await payload.Content.ReadAsync(_buffer, cancellationToken)) > 0)
            {
                hash.AppendData(_buffer, 0, read);
            }

            PayloadHash = hash.GetHashAndReset();
        }

        public ValueTask ResetAsync(SnapshotContext context, CancellationToken cancellationToken = default)
            => throw new NotSupportedException("The fuzzer never resets.");
    }
}
