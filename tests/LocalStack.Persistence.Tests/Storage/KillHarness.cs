using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Tests.Storage;

/// <summary>What a run of the kill harness saw.</summary>
internal sealed class KillHarnessResult
{
    public int Kills { get; set; }

    /// <summary>Kills after which a temp file was found: the kill landed between the temp file's creation and its rename.</summary>
    public int KillsDuringWrite { get; set; }

    /// <summary>Loads that returned the save in flight at the kill (committed, not yet acknowledged).</summary>
    public int CommittedButUnacknowledged { get; set; }

    /// <summary>Loads that failed or returned an incomplete or inconsistent snapshot.</summary>
    public int TornLoads { get; set; }

    /// <summary>Loads older than the last acknowledged save (or no snapshot after one was acknowledged).</summary>
    public int OlderThanAcknowledged { get; set; }

    /// <summary>Temp files still there after the next store opened.</summary>
    public int TempFilesAfterOpen { get; set; }

    /// <summary>Saves acknowledged by the children, in all rounds.</summary>
    public long Acknowledged { get; set; }

    public TimeSpan Duration { get; set; }

    public List<string> Failures { get; } = [];

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"kills={Kills} killsDuringWrite={KillsDuringWrite} committedButUnacknowledged={CommittedButUnacknowledged} tornLoads={TornLoads} olderThanAcknowledged={OlderThanAcknowledged} tempFilesAfterOpen={TempFilesAfterOpen} acknowledgedSaves={Acknowledged} duration={Duration.TotalSeconds:F1}s");
}

/// <summary>
/// Reliability cases 1 and 2: starts a crash child that saves in a loop, SIGKILLs it at a random moment, then loads in
/// this process and checks the snapshot: it must load, be complete and self-consistent, and be no older than the last
/// save the child acknowledged; no temp file may survive the next start. Repeated for many rounds on one state folder.
/// </summary>
internal static class KillHarness
{
    public const string ServiceName = "crash";

    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs <paramref name="rounds"/> kills in <paramref name="lanes"/> independent lanes at once, each on its own state
    /// folder under <paramref name="root"/>: while one lane sleeps before its kill, another starts its child.
    /// </summary>
    /// <param name="mode">The crash child's mode: <c>store-save-loop</c>, or the control <c>inplace-save-loop</c>.</param>
    /// <param name="root">The folder that holds the lanes' state folders.</param>
    /// <param name="rounds">How many times to start and kill a child, in all.</param>
    /// <param name="seed">Seeds the kill delays and the children's payloads.</param>
    /// <param name="lanes">How many lanes run at once.</param>
    public static Task<KillHarnessResult> RunAsync(string mode, string root, int rounds, int seed, int lanes = 2)
        => RunAsync(mode, root, rounds, seed, ServiceName, LoadAsync, lanes);

    /// <summary>As above, for a child that saves service <paramref name="serviceName"/>, checked by <paramref name="load"/>.</summary>
    /// <param name="load">Loads the service from a freshly opened store: the save it holds, or what is wrong with it.</param>
    public static async Task<KillHarnessResult> RunAsync(string mode, string root, int rounds, int seed, string serviceName, Func<FileSystemSnapshotStore, Task<(long Save, string? Problem)>> load, int lanes = 2)
    {
        var clock = Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, lanes).Select(lane => Task.Run(() => RunLaneAsync(
            mode,
            serviceName,
            load,
            Path.Combine(root, $"lane{lane}", "state"),
            (rounds / lanes) + (lane < rounds % lanes ? 1 : 0),
            seed + (lane * 1_000_000)))));

        var total = new KillHarnessResult { Duration = clock.Elapsed };
        foreach (var (lane, result) in results.Select((r, i) => (i, r)))
        {
            total.Kills += result.Kills;
            total.KillsDuringWrite += result.KillsDuringWrite;
            total.CommittedButUnacknowledged += result.CommittedButUnacknowledged;
            total.TornLoads += result.TornLoads;
            total.OlderThanAcknowledged += result.OlderThanAcknowledged;
            total.TempFilesAfterOpen += result.TempFilesAfterOpen;
            total.Acknowledged += result.Acknowledged;
            total.Failures.AddRange(result.Failures.Select(f => $"lane {lane}, {f}"));
        }

        return total;
    }

    /// <remarks>After a torn load the service is reset, so that the run goes on (the control tears almost every round) and reports all figures.</remarks>
    private static async Task<KillHarnessResult> RunLaneAsync(string mode, string serviceName, Func<FileSystemSnapshotStore, Task<(long Save, string? Problem)>> load, string stateDirectory, int rounds, int seed)
    {
        var result = new KillHarnessResult();
        var random = new Random(seed);
        long floor = 0; // the newest save known durable: acknowledged by a child, or loaded by this process

        for (var round = 0; round < rounds; round++)
        {
            long start;
            long acknowledged;
            using (var child = CrashChildProcess.Start(mode, stateDirectory, (seed + round).ToString(CultureInfo.InvariantCulture)))
            {
                if (await child.TryReadLineAsync(ChildTimeout) is not { } ready)
                {
                    result.Failures.Add($"round {round}: the child did not start: {child.StandardError}");
                    break;
                }

                start = long.Parse(ready.AsSpan("ready ".Length), CultureInfo.InvariantCulture);

                // A real child must be given time to run; the delay decides in which phase of a save the kill lands.
                await Task.Delay(KillDelay(random));
                await child.KillAsync();
                result.Kills++;
                if (child.ExitCode != 128 + 9)
                {
                    result.Failures.Add($"round {round}: the child exited with {child.ExitCode} before the kill: {child.StandardError}");
                    continue;
                }

                acknowledged = child.LastAcknowledged;
            }

            floor = Math.Max(floor, acknowledged);
            result.Acknowledged += Math.Max(0, acknowledged - start);
            var newestAttempted = Math.Max(start, acknowledged) + 1;

            if (TempFiles(stateDirectory, serviceName).Count > 0)
            {
                result.KillsDuringWrite++;
            }

            using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = stateDirectory });
            if (TempFiles(stateDirectory, serviceName) is { Count: > 0 } left)
            {
                result.TempFilesAfterOpen++;
                result.Failures.Add($"round {round}: temp files survived the start-up: {string.Join(", ", left)}");
            }

            var (loaded, problem) = await load(store);
            if (problem is not null)
            {
                result.TornLoads++;
                result.Failures.Add($"round {round}: torn load (acknowledged {floor}): {problem}");
                await store.DeleteAsync(serviceName);
                floor = 0;

                continue;
            }

            if (loaded < floor)
            {
                result.OlderThanAcknowledged++;
                result.Failures.Add($"round {round}: loaded save {loaded} but save {floor} was acknowledged");
                continue;
            }

            if (loaded > newestAttempted)
            {
                result.Failures.Add($"round {round}: loaded save {loaded}, newer than any save attempted ({newestAttempted})");
            }

            if (loaded == acknowledged + 1 && acknowledged > 0)
            {
                result.CommittedButUnacknowledged++;
            }

            floor = loaded;
        }

        return result;
    }

    /// <summary>Loads the snapshot and checks it: returns the save number, or what is wrong with it.</summary>
    internal static async Task<(long Save, string? Problem)> LoadAsync(FileSystemSnapshotStore store)
    {
        try
        {
            await using var reader = await store.OpenReadAsync(ServiceName);
            if (reader is null)
            {
                return (0, null);
            }

            using var buffer = new MemoryStream();
            await reader.Payload.CopyToAsync(buffer);
            return Check(buffer.ToArray(), reader.Metadata.Generation);
        }
        catch (SnapshotException ex)
        {
            return (0, ex.Message);
        }
    }

    private static (long Save, string? Problem) Check(byte[] payload, long generation)
    {
        try
        {
            using var json = JsonDocument.Parse(payload);
            var root = json.RootElement;
            var save = root.GetProperty("i").GetInt64();
            var content = root.GetProperty("content").GetString() ?? string.Empty;
            var bytes = Encoding.UTF8.GetBytes(content);
            if (bytes.Length != root.GetProperty("length").GetInt32())
            {
                return (save, $"content of save {save} is {bytes.Length} bytes, its header says {root.GetProperty("length").GetInt32()}");
            }

            if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != root.GetProperty("sha256").GetString())
            {
                return (save, $"content of save {save} does not match its hash");
            }

            return save != generation
                ? (save, $"payload of save {save} under a header of generation {generation}")
                : (save, null);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return (0, $"payload is not the JSON a save wrote: {ex.Message}");
        }
    }

    /// <summary>
    /// A mix of delays so that kills land in every phase of a save (15 to 50 ms each for 64 KB to 1 MB; the child has
    /// already JITted the write path when it says "ready"): in the first save, and before, inside and after later ones.
    /// </summary>
    private static TimeSpan KillDelay(Random random) => random.Next(10) switch
    {
        < 2 => TimeSpan.FromMilliseconds(random.Next(0, 20)),
        < 6 => TimeSpan.FromMilliseconds(random.Next(20, 80)),
        _ => TimeSpan.FromMilliseconds(random.Next(80, 200)),
    };

    internal static List<string> TempFiles(string stateDirectory, string serviceName = ServiceName)
    {
        var folder = Path.Combine(stateDirectory, "api_states", serviceName);
        return Directory.Exists(folder) ? [.. Directory.EnumerateFiles(folder, "*.tmp")] : [];
    }
}
