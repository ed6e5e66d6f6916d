using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using LocalStack.Persistence.AspNetCore.Requests;
using LocalStack.Persistence.AspNetCore.Tests.Support;
using LocalStack.Persistence.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace LocalStack.Persistence.AspNetCore.Tests.Reliability;

/// <summary>
/// A storm whose clients give up: two services with an asset each (<see cref="AssetItemsProvider"/>), real Kestrel,
/// concurrent save/load/reset of one service and of all, mutating and reading requests, most of them cancelled by the
/// client at a seeded random moment (before sending, while waiting, after the headers). Then: every service is either
/// faulted or serves a complete state (its items and its working file agree, and no save captured a partial one); after
/// a final save a fresh store loads, for each service, a snapshot whose asset matches its state and equals the live
/// state; no temp file and no uncommitted generation is left.
/// </summary>
/// <remarks>
/// <c>LSP_CANCEL_STORM_ROUNDS</c> sets the rounds per strategy (default 3), <c>LSP_CANCEL_STORM_SEED</c> the seed
/// (default random, printed). A round that fails names its seed.
/// </remarks>
[NonParallelizable]
public sealed class CancellingStormTests
{
    private const int Requests = 240;
    private const int DefaultRounds = 6;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private static readonly string[] Services = ["alpha", "beta"];

    // Loads are the operations that rebuild a state step by step, so they come often; resets rarely, or every round
    // would end empty. Each service starts with SeedItems items so that a restore has many steps to be cut between.
    private const int SeedItems = 1000;

    // So that the states saved after a reset (an empty state, once a save persists it) soon have many steps again.
    private const int ItemsPerMutation = 20;

    private static readonly string[] Kinds =
    [
        "svc/save", "svc/save", "svc/load", "svc/load", "svc/load", "svc/reset", "all/save", "all/load", "all/load", "all/reset",
        "status", "read", "read", "read", "read", "mutate", "mutate", "mutate", "mutate", "mutate", "mutate",
    ];

    [TestCase(SnapshotSaveStrategy.Manual)]
    [TestCase(SnapshotSaveStrategy.OnRequest)]
    public async Task Cancelled_requests_never_leave_a_service_healthy_with_a_partial_state_and_the_stored_snapshots_stay_whole(SnapshotSaveStrategy strategy)
    {
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("LSP_CANCEL_STORM_ROUNDS"), CultureInfo.InvariantCulture, out var r) && r > 0 ? r : DefaultRounds;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("LSP_CANCEL_STORM_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next();
        TestContext.Out.WriteLine($"{strategy}: {rounds} rounds from seed {seed} (LSP_CANCEL_STORM_SEED)");

        var failures = new List<string>();
        for (var round = 0; round < rounds; round++)
        {
            var problems = await RoundAsync(strategy, seed + round);
            failures.AddRange(problems.Select(p => $"round {round} (seed {seed + round}): {p}"));
        }

        TestContext.Out.WriteLine($"{strategy}: {failures.Count} problem(s) in {rounds} rounds");
        Assert.That(failures, Is.Empty);
    }

    private static async Task<List<string>> RoundAsync(SnapshotSaveStrategy strategy, int seed)
    {
        using var stateRoot = new TempDirectory();
        var stateDirectory = Path.Combine(stateRoot.Path, "state");
        var providers = Services.ToDictionary(n => n, n => new AssetItemsProvider(n), StringComparer.Ordinal);
        var host = await TestHost.StartAsync(
            providers.Values,
            app =>
            {
                app.UseSnapshotPersistence();
                app.MapSnapshotEndpoints();
                foreach (var (name, provider) in providers)
                {
                    app.MapPost($"/{name}/items/{{item}}", (RequestDelegate)(context =>
                    {
                        var working = context.RequestServices.GetRequiredService<ISnapshotStore>().GetWorkingDirectory(name);
                        var item = (string)context.GetRouteValue("item")!;
                        foreach (var i in Enumerable.Range(0, ItemsPerMutation))
                        {
                            provider.Add(working, $"{item}.{i}");
                        }

                        context.Response.StatusCode = StatusCodes.Status201Created;
                        return Task.CompletedTask;
                    })).WithServiceState(name, mutating: true);
                    app.MapPost($"/{name}/seed", (RequestDelegate)(context =>
                    {
                        var working = context.RequestServices.GetRequiredService<ISnapshotStore>().GetWorkingDirectory(name);
                        foreach (var i in Enumerable.Range(0, SeedItems))
                        {
                            provider.Add(working, $"seed{i}");
                        }

                        return Task.CompletedTask;
                    })).WithServiceState(name, mutating: true);
                    app.MapGet($"/{name}/items", (RequestDelegate)(async context =>
                    {
                        var working = context.RequestServices.GetRequiredService<ISnapshotStore>().GetWorkingDirectory(name);
                        var (items, problem) = provider.ConsistentView(working);
                        await context.Response.WriteAsJsonAsync(new ItemsView(items, problem), StormJson.Default.ItemsView);
                    })).WithServiceState(name, mutating: false);
                }
            },
            options =>
            {
                options.StateDirectory = stateDirectory;
                options.SaveStrategy = strategy;
            });

        var problems = new List<string>();
        var outcomes = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var live = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var faulted = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var deadline = new CancellationTokenSource(Deadline);
            using var client = new HttpClient { BaseAddress = host.Client.BaseAddress, Timeout = Deadline };
            foreach (var name in Services)
            {
                using var seeded = await client.PostAsync($"/{name}/seed", null, deadline.Token);
                Assert.That(seeded.IsSuccessStatusCode, $"seeding {name}: {(int)seeded.StatusCode}");
            }

            using (var saved = await client.PostAsync("/_localstack/state/save", null, deadline.Token))
            {
                Assert.That(await saved.Content.ReadAsStringAsync(deadline.Token), Does.Not.Contain("\"error\""), "the save before the storm");
            }

            var random = new Random(seed);
            var plan = Enumerable.Range(0, Requests).Select(i => new Step(
                i,
                Kinds[random.Next(Kinds.Length)],
                Services[random.Next(Services.Length)],
                (CancelMode)random.Next(4),
                random.Next(0, 100))).ToArray();
            await Task.WhenAll(plan.Select(step => Task.Run(async () =>
            {
                var outcome = await SendAsync(client, step, deadline.Token);
                outcomes.AddOrUpdate($"{step.Kind} {step.Cancel}: {outcome}", 1, (_, n) => n + 1);
            }))).WaitAsync(Deadline);

            // Each service's save takes its exclusive gate after every request still holding it (a cancelled one may
            // still run on the server); a faulted service refuses it, which is allowed here.
            foreach (var name in Services)
            {
                using var save = await client.PostAsync($"/_localstack/state/{name}/save", null, deadline.Token);
                using var status = JsonDocument.Parse(await client.GetStringAsync(new Uri("/_localstack/state", UriKind.Relative), deadline.Token));
                var line = status.RootElement.GetProperty("services").EnumerateArray().Single(l => l.GetProperty("service").GetString() == name);
                if (line.GetProperty("faulted").GetBoolean())
                {
                    faulted.Add(name);
                    continue;
                }

                if (!save.IsSuccessStatusCode)
                {
                    problems.Add($"{name} is not faulted but its save after the storm answered {(int)save.StatusCode}: {await save.Content.ReadAsStringAsync(deadline.Token)}");
                }

                using var read = await client.GetAsync(new Uri($"/{name}/items", UriKind.Relative), deadline.Token);
                var body = await read.Content.ReadAsStringAsync(deadline.Token);
                if (!read.IsSuccessStatusCode)
                {
                    problems.Add($"{name} is not faulted but a read after the storm answered {(int)read.StatusCode}: {body}");
                    continue;
                }

                var view = JsonSerializer.Deserialize(body, StormJson.Default.ItemsView)!;
                if (view.Problem is { } partial)
                {
                    problems.Add($"{name} is served healthy with a partial state: {partial}");
                }

                live[name] = view.Items;
            }

            problems.AddRange(outcomes.Keys.Where(o => o.Contains('!', StringComparison.Ordinal)).Select(o => $"during the storm: {o}"));
            foreach (var (name, provider) in providers)
            {
                problems.AddRange(provider.InconsistentCaptures.Select(c => $"a save captured a partial state: {c}"));
            }

            // One more change (the storm often ends on a reset), then the final save of what is served, for the fresh
            // store below.
            foreach (var name in live.Keys.ToArray())
            {
                using var after = await client.PostAsync($"/{name}/items/after-the-storm", null, deadline.Token);
                using var save = await client.PostAsync($"/_localstack/state/{name}/save", null, deadline.Token);
                if (!after.IsSuccessStatusCode || !save.IsSuccessStatusCode)
                {
                    problems.Add($"{name}: the change after the storm answered {(int)after.StatusCode}, the final save {(int)save.StatusCode}: {await save.Content.ReadAsStringAsync(deadline.Token)}");
                }

                var view = JsonSerializer.Deserialize(await client.GetStringAsync(new Uri($"/{name}/items", UriKind.Relative), deadline.Token), StormJson.Default.ItemsView)!;
                live[name] = view.Items;
            }

            TestContext.Out.WriteLine($"seed {seed}: faulted [{string.Join(", ", faulted)}], live {string.Join(", ", live.Select(l => $"{l.Key}={l.Value.Length} items"))}; outcomes:");
            foreach (var (outcome, count) in outcomes.OrderBy(o => o.Key, StringComparer.Ordinal))
            {
                TestContext.Out.WriteLine($"  {outcome}: {count}");
            }
        }
        finally
        {
            await host.DisposeAsync();
        }

        // A fresh store (the host is gone, its lock released): every stored snapshot is whole, its asset matches its
        // state (the provider's restore checks it), and a healthy service's snapshot is its live state.
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = stateDirectory });
        var snapshotter = new ServiceSnapshotter(store);
        foreach (var name in Services)
        {
            var fresh = new AssetItemsProvider(name);
            try
            {
                await snapshotter.LoadAsync(fresh).AsTask().WaitAsync(TestHost.Patience);
            }
            catch (SnapshotException e)
            {
                problems.Add($"{name}: a fresh store cannot load its snapshot: {e.Message}");
                continue;
            }

            var (items, problem) = fresh.ConsistentView(store.GetWorkingDirectory(name));
            if (problem is not null)
            {
                problems.Add($"{name}: the fresh load is partial: {problem}");
            }

            if (live.TryGetValue(name, out var expected) && !items.SequenceEqual(expected, StringComparer.Ordinal))
            {
                problems.Add($"{name}: a fresh store loads {items.Length} items, the host served {expected.Length}");
            }

            if (live.ContainsKey(name))
            {
                var generations = Directory.Exists(Path.Combine(stateDirectory, name))
                    ? Directory.GetDirectories(Path.Combine(stateDirectory, name)).Select(Path.GetFileName).Where(f => f != "working").ToArray()
                    : [];
                if (generations.Length > 1)
                {
                    problems.Add($"{name}: {generations.Length} generation folders after the final save: {string.Join(", ", generations)}");
                }
            }
        }

        problems.AddRange(Directory.GetFiles(stateDirectory, "*.tmp", SearchOption.AllDirectories).Select(f => $"temp file left: {f}"));
        return problems;
    }

    /// <returns>What happened: the status (with " error line(s)" for an all-services answer carrying errors), or "cancelled"; "!" marks a partial state served to a read.</returns>
    private static async Task<string> SendAsync(HttpClient client, Step step, CancellationToken deadline)
    {
        using var request = step.Kind switch
        {
            "status" => new HttpRequestMessage(HttpMethod.Get, "/_localstack/state"),
            "read" => new HttpRequestMessage(HttpMethod.Get, $"/{step.Service}/items"),
            "mutate" => new HttpRequestMessage(HttpMethod.Post, $"/{step.Service}/items/m{step.Index}"),
            _ when step.Kind.StartsWith("all/", StringComparison.Ordinal) => new HttpRequestMessage(HttpMethod.Post, "/_localstack/state/" + step.Kind[4..]),
            _ => new HttpRequestMessage(HttpMethod.Post, $"/_localstack/state/{step.Service}/{step.Kind[4..]}"),
        };
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(deadline);
        switch (step.Cancel)
        {
            case CancelMode.BeforeSending:
                cancel.Cancel();
                break;
            case CancelMode.AfterDelay:
                // A seeded moment: it only picks where the cancellation lands, no assertion depends on it.
                cancel.CancelAfter(TimeSpan.FromMilliseconds(step.DelayMilliseconds));
                break;
        }

        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            if (step.Cancel == CancelMode.AfterHeaders)
            {
                // Give up while the body (an all-services answer streams one line per service) may still be coming.
                cancel.Cancel();
                return $"{(int)response.StatusCode} headers, then cancelled";
            }

            var body = await response.Content.ReadAsStringAsync(cancel.Token);
            if (step.Kind == "read" && response.IsSuccessStatusCode)
            {
                var view = JsonSerializer.Deserialize(body, StormJson.Default.ItemsView)!;
                if (view.Problem is { } partial)
                {
                    return $"!served a partial state: {partial}";
                }
            }

            var errorLines = body.Split('\n').Count(l => l.Contains("\"status\":\"error\"", StringComparison.Ordinal));
            return errorLines == 0 ? $"{(int)response.StatusCode}" : $"{(int)response.StatusCode} with error line(s)";
        }
        catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
        {
            return "cancelled";
        }
        catch (HttpRequestException e) when (step.Cancel != CancelMode.None)
        {
            return $"aborted ({e.HttpRequestError})";
        }
    }

    private enum CancelMode
    {
        None,
        BeforeSending,
        AfterDelay,
        AfterHeaders,
    }

    private sealed record Step(int Index, string Kind, string Service, CancelMode Cancel, int DelayMilliseconds);
}

internal sealed record ItemsView(string[] Items, string? Problem);

[System.Text.Json.Serialization.JsonSerializable(typeof(ItemsView))]
internal sealed partial class StormJson : System.Text.Json.Serialization.JsonSerializerContext;
