using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LocalStack.Persistence.SampleEmulator.Tests.Golden;
using LocalStack.Persistence.SampleEmulator.Tests.Support;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Testing;

namespace LocalStack.Persistence.SampleEmulator.Tests.PayloadFuzz;

/// <summary>
/// Reliability catalogue case 7 for the sample's own payloads: snapshots whose header and checksum are valid (written
/// through <see cref="FileSystemSnapshotStore.WriteAsync"/>) but whose JSON is hostile. Each round starts the real
/// emulator on a golden set in which one or two services' payloads are replaced; the others stay valid. A hostile
/// payload must either be refused (503 JSON naming the snapshot, faulted in <c>GET /_localstack/state</c>, the file
/// kept byte for byte through saves and shutdown, cleared by a reset) or be accepted into a service that answers every
/// request as AWS would. The process never dies, the valid services keep working, and no file appears outside the volume.
/// </summary>
/// <remarks>Seeded; <c>LSP_PAYLOAD_FUZZ_CASES</c> raises the number of hostile payloads (default 10) and lifts the time budget.</remarks>
[NonParallelizable]
public sealed class PayloadFuzzTests
{
    private const int Seed = 20_261_127;
    private const int DefaultCases = 10;
    private static readonly TimeSpan DefaultBudget = TimeSpan.FromSeconds(25);

    [Test]
    public async Task Hostile_payloads_with_a_valid_checksum_are_refused_or_served_correctly_never_crash_or_escape()
    {
        var configured = Environment.GetEnvironmentVariable("LSP_PAYLOAD_FUZZ_CASES");
        var cases = configured is { Length: > 0 } ? int.Parse(configured, CultureInfo.InvariantCulture) : DefaultCases;
        var budget = configured is { Length: > 0 } ? TimeSpan.MaxValue : DefaultBudget;
        var hugeStringBytes = configured is { Length: > 0 } ? 50 * 1024 * 1024 : 4 * 1024 * 1024;
        var set = GoldenSets.Names().Last();
        var baselines = await ReadBaselinesAsync(set);

        var problems = new List<string>();
        var log = new StringBuilder();
        var clock = Stopwatch.StartNew();
        var done = 0;
        int refused = 0, accepted = 0;
        for (var round = 0; done < cases && (round < 2 || clock.Elapsed < budget); round++)
        {
            var random = new Random(Seed + round);
            var mutator = new PayloadMutator(random, hugeStringBytes);
            var hostile = GoldenSets.Services.OrderBy(_ => random.Next()).Take(Math.Min(random.Next(1, 3), cases - done)).ToArray();
            var hostileCases = hostile.ToDictionary(s => s, s => mutator.Mutate(baselines[s]), StringComparer.Ordinal);
            done += hostile.Length;

            var outcome = await RunRoundAsync(round, set, hostileCases);
            problems.AddRange(outcome.Problems.Select(p => $"seed {Seed}+{round}: {p}"));
            refused += outcome.Refused;
            accepted += outcome.Accepted;
            log.AppendLine(CultureInfo.InvariantCulture, $"round {round} ({clock.Elapsed.TotalSeconds:F1} s): {string.Join(" | ", hostileCases.Select(c => $"{c.Key}: {c.Value.Description}"))}");
        }

        TestContext.Out.WriteLine($"{done} hostile payloads in {clock.Elapsed.TotalSeconds:F1} s: {refused} refused, {accepted} accepted.\n{log}");
        Assert.That(problems, Is.Empty, string.Join("\n", problems) + "\n" + log);
    }

    /// <summary>
    /// The payloads the fuzzer found accepted into a broken service before the sample checked its restored state: each
    /// one was a 500 on a later request, a wrong digest served to clients, or a load that failed without faulting the service.
    /// </summary>
    [TestCase(0, TestName = "Refused: S3 object attributes null (was a 500 on ListObjectsV2); SQS VisibilityTimeout 'abc' (was a 500 on ReceiveMessage); DynamoDB database name null (was not faulted)")]
    [TestCase(1, TestName = "Refused: S3 object size not its file's; SQS body without its MD5 (was served with a digest the SDK rejects); DynamoDB database name '../../x.db' (was not faulted)")]
    [TestCase(2, TestName = "Refused: S3 upload part number 0; SQS message list null; DynamoDB database name with SQL characters (was not faulted)")]
    public async Task Known_hostile_payloads_are_refused(int round)
    {
        var set = GoldenSets.Names().Last();
        var baselines = await ReadBaselinesAsync(set);
        Action<JsonNode>[][] edits =
        [
            [b => b["Accounts"]![0]!["Buckets"]![0]!["Objects"]![0]!["Attributes"] = null, b => SqsQueue(b, "golden-queue")["attributes"]!["VisibilityTimeout"] = "abc", b => b["Databases"]![0] = null],
            [b => b["Accounts"]![0]!["Buckets"]![0]!["Objects"]![1]!["Size"] = 999, b => SqsQueue(b, "golden-queue")["messages"]![2]!["body"] = "changed", b => b["Databases"]![0] = "../../lsp-fuzz-escape.db"],
            [b => b["Accounts"]![0]!["Buckets"]![0]!["Uploads"]![0]!["Parts"]![0]!["PartNumber"] = 0, b => SqsQueue(b, "golden-queue.fifo")["messages"] = null, b => b["Databases"]![0] = "111122223333_us-east-1.db'; DROP TABLE items; --"],
        ];
        var cases = GoldenSets.Services.Select((service, i) =>
        {
            var payload = baselines[service].DeepClone();
            edits[round][i](payload);
            return (service, new HostilePayload(Encoding.UTF8.GetBytes(payload.ToJsonString()), $"known case {round}"));
        }).ToDictionary(c => c.service, c => c.Item2, StringComparer.Ordinal);

        var outcome = await RunRoundAsync(round, set, cases);
        Assert.That(outcome.Problems, Is.Empty, string.Join("\n", outcome.Problems));
        Assert.That(outcome.Refused, Is.EqualTo(3), "every payload of this round is one the emulator cannot serve");
    }

    private static JsonNode SqsQueue(JsonNode payload, string name) => payload[GoldenWorkload.AccessKey]![GoldenWorkload.Region]!["queues"]![name]!;

    private sealed record RoundOutcome(List<string> Problems, int Refused, int Accepted);

    private static async Task<RoundOutcome> RunRoundAsync(int round, string set, Dictionary<string, HostilePayload> hostileCases)
    {
        // The volume sits three folders down: a path that climbs out of it lands where the check below sees it.
        using var root = new TempDirectory();
        var volume = Path.Combine(root.Path, "a", "b", "c", "volume");
        GoldenSets.CopyTo(set, volume);
        var state = Path.Combine(volume, "state");
        var written = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using (var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = state }))
        {
            foreach (var (service, (payload, _)) in hostileCases)
            {
                // Generation 1 is the golden set's: the asset files the payload may name are there.
                await store.WriteAsync(new SnapshotWriteRequest(service, 1, 1), (stream, ct) => stream.WriteAsync(payload, ct));
                written[service] = await File.ReadAllBytesAsync(StateFile(state, service));
            }
        }

        var problems = new List<string>();
        int refusedCount = 0, acceptedCount = 0;
        var environment = new Dictionary<string, string?>
        {
            ["SNAPSHOT_LOAD_STRATEGY"] = round % 2 == 0 ? "ON_STARTUP" : "ON_REQUEST",
            ["SNAPSHOT_SAVE_STRATEGY"] = round % 2 == 0 ? "ON_REQUEST" : "SCHEDULED",
            ["SNAPSHOT_FLUSH_INTERVAL"] = "1",
        };
        await using var emulator = await EmulatorProcess.StartAsync(volume, environment);
        using var http = new HttpClient { BaseAddress = new Uri(emulator.ServiceUrl), Timeout = TimeSpan.FromSeconds(30) };
        var refused = new List<string>();
        foreach (var (service, (_, description)) in hostileCases)
        {
            var what = $"{service} [{description}]";
            using var response = await http.SendAsync(ServiceProbes.RawRequest(service));
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                refused.Add(service);
                refusedCount++;
                problems.AddRange(CheckRefusal(what, service, body, await ServiceLineAsync(http, service)));
                continue;
            }

            acceptedCount++;
            var probes = new ServiceProbes(emulator);
            await probes.RunAsync(service);
            problems.AddRange(probes.Problems.Select(p => $"{what} was accepted but {p}"));
            var (saveStatus, saveBody) = await emulator.PostAsync($"/_localstack/state/{service}/save");
            if (saveStatus != HttpStatusCode.OK)
            {
                problems.Add($"{what} was accepted but its save answered {(int)saveStatus}: {saveBody}");
            }
        }

        foreach (var service in GoldenSets.Services.Except(hostileCases.Keys))
        {
            var probes = new ServiceProbes(emulator);
            await probes.RunAsync(service);
            problems.AddRange(probes.Problems.Select(p => $"valid {service} beside hostile ones: {p}"));
            var line = await ServiceLineAsync(http, service);
            if (line.GetProperty("faulted").GetBoolean() || !line.GetProperty("loaded").GetBoolean())
            {
                problems.Add($"valid {service} beside hostile ones is not loaded: {line}");
            }
        }

        // Saves of everything must leave a refused snapshot as it was.
        await emulator.PostAsync("/_localstack/state/save");
        problems.AddRange(refused.Where(s => !SameBytes(state, s, written[s])).Select(s => $"{s} [{hostileCases[s].Description}]: a save overwrote the refused snapshot"));

        if (emulator.HasExited)
        {
            problems.Add($"the emulator died: {emulator.Output}");
            return new RoundOutcome(problems, refusedCount, acceptedCount);
        }

        if (round % 2 == 0)
        {
            foreach (var service in refused)
            {
                problems.AddRange(await CheckResetAsync(emulator, http, service, hostileCases[service].Description));
            }
        }
        else
        {
            var exit = await emulator.StopAsync();
            if (exit != 0)
            {
                problems.Add($"graceful stop exited with {exit}: {emulator.Output}");
            }

            problems.AddRange(refused.Where(s => !SameBytes(state, s, written[s])).Select(s => $"{s} [{hostileCases[s].Description}]: the shutdown save overwrote the refused snapshot"));
        }

        problems.AddRange(FilesOutside(root.Path, volume).Select(f => $"a file appeared outside the volume: {f} ({string.Join(" | ", hostileCases.Select(c => c.Value.Description))})"));
        return new RoundOutcome(problems, refusedCount, acceptedCount);
    }

    private static IEnumerable<string> CheckRefusal(string what, string service, string body, JsonElement line)
    {
        JsonElement error;
        try
        {
            error = JsonDocument.Parse(body).RootElement;
        }
        catch (JsonException)
        {
            return [$"{what}: the 503 is not JSON: {body}"];
        }

        return CheckRefusal(what, service, body, error, line);
    }

    private static IEnumerable<string> CheckRefusal(string what, string service, string body, JsonElement error, JsonElement line)
    {

        var message = error.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "";
        if (!error.TryGetProperty("service", out var s) || s.GetString() != service || !error.TryGetProperty("status", out var st) || st.GetString() != "error")
        {
            yield return $"{what}: the 503 does not name the service: {body}";
        }

        // The library names the state file when its JSON does not parse; a provider's own check names it too
        // (SnapshotContext.SnapshotLocation, or the payload's location).
        if (!message.Contains($"Snapshot '", StringComparison.Ordinal) || !message.Contains(Path.Combine("api_states", service, "store.state") + "'", StringComparison.Ordinal))
        {
            yield return $"{what}: the 503 does not name the snapshot: {body}";
        }

        if (!line.GetProperty("faulted").GetBoolean() || line.GetProperty("lastError").ValueKind != JsonValueKind.String)
        {
            yield return $"{what}: refused but not reported faulted in /_localstack/state: {line}";
        }
    }

    private static async Task<List<string>> CheckResetAsync(EmulatorProcess emulator, HttpClient http, string service, string description)
    {
        var problems = new List<string>();
        var (status, body) = await emulator.PostAsync($"/_localstack/state/{service}/reset");
        if (status != HttpStatusCode.OK)
        {
            problems.Add($"{service} [{description}]: reset answered {(int)status}: {body}");
            return problems;
        }

        using var response = await http.SendAsync(ServiceProbes.RawRequest(service));
        if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
        {
            problems.Add($"{service} [{description}]: still refused after a reset: {await response.Content.ReadAsStringAsync()}");
        }

        var line = await ServiceLineAsync(http, service);
        if (line.GetProperty("faulted").GetBoolean())
        {
            problems.Add($"{service} [{description}]: still faulted after a reset: {line}");
        }

        var probes = new ServiceProbes(emulator);
        await probes.RunAsync(service);
        problems.AddRange(probes.Problems.Select(p => $"{service} [{description}] after reset: {p}"));
        return problems;
    }

    private static async Task<JsonElement> ServiceLineAsync(HttpClient http, string service)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri("/_localstack/state", UriKind.Relative)));
        return document.RootElement.GetProperty("services").EnumerateArray().Single(l => l.GetProperty("service").GetString() == service).Clone();
    }

    private static async Task<Dictionary<string, JsonNode>> ReadBaselinesAsync(string set)
    {
        using var copy = new TempDirectory();
        GoldenSets.CopyTo(set, copy.Path);
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = Path.Combine(copy.Path, "state") });
        var baselines = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        foreach (var service in GoldenSets.Services)
        {
            await using var reader = await store.OpenReadAsync(service) ?? throw new InvalidOperationException($"golden set {set} has no {service} snapshot");
            baselines[service] = await JsonNode.ParseAsync(reader.Payload) ?? throw new InvalidOperationException("null payload");
        }

        return baselines;
    }

    private static string StateFile(string state, string service) => Path.Combine(state, "api_states", service, "store.state");

    private static bool SameBytes(string state, string service, byte[] expected)
        => File.Exists(StateFile(state, service)) && File.ReadAllBytes(StateFile(state, service)).AsSpan().SequenceEqual(expected);

    private static IEnumerable<string> FilesOutside(string root, string volume)
        => Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Where(p => !p.StartsWith(volume, StringComparison.Ordinal) && !volume.StartsWith(p + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Concat(Directory.EnumerateFileSystemEntries("/tmp", "lsp-fuzz-absolute*")); // the absolute path among the hostile strings
}
