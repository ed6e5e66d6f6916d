using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using LocalStack.Persistence.SampleEmulator.Sqs;
using LocalStack.Persistence.SampleEmulator.Tests.Support;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Testing;
using Microsoft.Extensions.Time.Testing;

namespace LocalStack.Persistence.SampleEmulator.Tests.Golden;

/// <summary>
/// The committed golden sets (<c>Golden/Sets/&lt;name&gt;/state</c>, copied next to the tests) and how a new one is
/// made: the fixed workload through the real emulator, a save of every service, a graceful stop, then the state tree
/// without the lock and the working folders. A set is named by the schema versions it holds, e.g.
/// <c>s3-v1_sqs-v1_dynamodb-v1</c>.
/// </summary>
internal static class GoldenSets
{
    public const string RegenerateVariable = "LSP_REGENERATE_GOLDEN";
    public const string ExpectedFileName = "expected.json";
    public static readonly string[] Services = ["s3", "sqs", "dynamodb"];

    /// <summary>The sets copied to the test output, in name order.</summary>
    public static string[] Names() => Directory.Exists(OutputRoot)
        ? [.. Directory.EnumerateDirectories(OutputRoot).Select(Path.GetFileName).Order(StringComparer.Ordinal)!]
        : [];

    public static string OutputRoot => Path.Combine(AppContext.BaseDirectory, "Golden", "Sets");

    /// <summary>The source folder of the sets (where a regeneration writes), found from this file's path at build time.</summary>
    public static string SourceRoot => Path.Combine(Path.GetDirectoryName(ThisFile())!, "Sets");

    public static bool Regenerating => Environment.GetEnvironmentVariable(RegenerateVariable) == "1";

    public static string NameFor(IReadOnlyDictionary<string, int> versions)
        => string.Join("_", Services.Select(s => $"{s}-v{versions[s]}"));

    /// <summary>Copies a set's state tree to <c>&lt;volume&gt;/state</c>.</summary>
    public static void CopyTo(string setName, string volume)
        => CopyTree(Path.Combine(OutputRoot, setName, "state"), Path.Combine(volume, "state"), static _ => true);

    public static GoldenExpectation ReadExpected(string setName)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(OutputRoot, setName, ExpectedFileName)));
        var root = document.RootElement;
        return new GoldenExpectation(root.GetProperty("uploadId").GetString()!, root.GetProperty("inFlightReceiptHandle").GetString()!);
    }

    /// <summary>The schema version in the header of every service's snapshot under <paramref name="stateDirectory"/>.</summary>
    public static async Task<Dictionary<string, int>> ReadSchemaVersionsAsync(string stateDirectory)
        => (await ReadHeadersAsync(stateDirectory)).ToDictionary(m => m.ServiceName, m => m.SchemaVersion, StringComparer.Ordinal);

    /// <summary>
    /// The instant a set was made, as the set itself records it: the latest created-at in its snapshot headers, stamped
    /// by the emulator's clock at the saves that ended the workload. The tests run the set's emulator relative to it,
    /// never to today's date.
    /// </summary>
    public static async Task<DateTimeOffset> MadeAtAsync(string setName)
        => (await ReadHeadersAsync(Path.Combine(OutputRoot, setName, "state"))).Max(m => m.CreatedAt);

    /// <summary>
    /// The header of every service's snapshot under <paramref name="stateDirectory"/>, also of a running emulator (read
    /// from a copy of the snapshot files: opening a store takes its lock).
    /// </summary>
    public static async Task<List<SnapshotMetadata>> ReadHeadersAsync(string stateDirectory)
    {
        using var copy = new TempDirectory();
        CopyTree(stateDirectory, copy.Path, IsPartOfASnapshot);
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = copy.Path });
        var headers = new List<SnapshotMetadata>();
        await foreach (var metadata in store.ListAsync())
        {
            headers.Add(metadata);
        }

        return headers;
    }

    /// <summary>
    /// Runs the workload on a fresh emulator whose volume is <paramref name="volume"/>, saves every service and stops it.
    /// </summary>
    public static async Task<GoldenExpectation> MakeAsync(string volume)
    {
        GoldenExpectation expected;
        await using (var emulator = await EmulatorProcess.StartAsync(volume, new Dictionary<string, string?> { ["SNAPSHOT_SAVE_STRATEGY"] = "MANUAL" }))
        {
            var uploadId = await GoldenWorkload.CreateS3Async(emulator);
            var receiptHandle = await GoldenSqsWorkload.CreateAsync(emulator);
            await GoldenDynamoDbWorkload.CreateAsync(emulator);
            foreach (var service in Services)
            {
                var (status, body) = await emulator.PostAsync($"/_localstack/state/{service}/save");
                Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
            }

            Assert.That(await emulator.StopAsync(), Is.Zero, emulator.Output);
            Assert.That(emulator.Output, Does.Not.Contain("fail:"), "an error was logged");
            expected = new GoldenExpectation(uploadId, receiptHandle);
        }

        await MoveInFlightDeadlineAsync(Path.Combine(volume, "state"));
        return expected;
    }

    /// <summary>Copies a made volume's state tree into <c>&lt;root&gt;/&lt;name&gt;</c>, never over an existing set.</summary>
    public static string Commit(string volume, string root, string name, GoldenExpectation expected)
    {
        var target = Path.Combine(root, name);
        if (Directory.Exists(target))
        {
            throw new InvalidOperationException($"Golden set '{target}' exists. A golden set is never overwritten: a schema change adds a migration and a new set (see Golden/Sets/README.md).");
        }

        CopyTree(Path.Combine(volume, "state"), Path.Combine(target, "state"), IsPartOfASnapshot);
        File.WriteAllText(
            Path.Combine(target, ExpectedFileName),
            new JsonObject { ["uploadId"] = expected.UploadId, ["inFlightReceiptHandle"] = expected.InFlightReceiptHandle }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return target;
    }

    /// <summary>
    /// The API caps a visibility timeout at 12 hours; a golden set must hold a message in flight for years. So the
    /// in-flight message's deadline in the snapshot the emulator wrote is moved to 2100: loaded into a provider, changed,
    /// and saved again as a full base (same schema version and created-at: the set's <see cref="MadeAtAsync"/> stays
    /// the emulator's time; the next generation).
    /// </summary>
    private static async Task MoveInFlightDeadlineAsync(string stateDirectory)
    {
        // The SQS snapshot is keyed records: load it into a provider, move the deadline, and save a full base again.
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = stateDirectory }, clock);
        var snapshotter = new ServiceSnapshotter(store);
        var backend = new SqsBackend(clock);
        var provider = new SqsStateProvider(backend);
        var metadata = await snapshotter.LoadAsync(provider) ?? throw new InvalidOperationException("no SQS snapshot");
        clock.SetUtcNow(metadata.CreatedAt);

        var moved = 0;
        foreach (var entry in backend.Stores)
        {
            foreach (var queue in entry.Store.Queues.Values)
            {
                foreach (var message in queue.Queued.Where(m => m.Body == GoldenSqsWorkload.InFlightBody))
                {
                    message.VisibleAt = GoldenSqsWorkload.FarFutureVisibleAt;
                    moved++;
                }
            }
        }

        Assert.That(moved, Is.EqualTo(1), "the in-flight message must be in the SQS snapshot exactly once");
        provider.MarkAllChanged();
        var saved = await snapshotter.SaveAsync(provider);
        Assert.That(saved.SchemaVersion, Is.EqualTo(metadata.SchemaVersion));
    }

    private static bool IsPartOfASnapshot(string relativePath) => ProviderGoldenSets.IsPartOfASnapshot(relativePath);

    public static void CopyTree(string source, string destination, Func<string, bool> include) => ProviderHarness.CopyTree(source, destination, include);

    private static string ThisFile([CallerFilePath] string path = "") => path;
}

/// <summary>The ids of a golden set the emulator drew at random when it was made.</summary>
internal sealed record GoldenExpectation(string UploadId, string InFlightReceiptHandle);
