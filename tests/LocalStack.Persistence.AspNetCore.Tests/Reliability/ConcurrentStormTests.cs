using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using LocalStack.Persistence.AspNetCore.Requests;
using LocalStack.Persistence.AspNetCore.Tests.Support;
using LocalStack.Persistence.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LocalStack.Persistence.AspNetCore.Tests.Reliability;

/// <summary>
/// A storm on one service: 300 concurrent requests mixing its save/load/reset endpoints, the all-services endpoints,
/// status, health and mutating requests through the middleware. No deadlock (a 60 s deadline fails the test instead of
/// hanging); every answer is a 2xx with no error line (nothing here can fail: no fault is injected, so an error is a
/// bug, as a JSON 500 would be); after a final save a fresh store on the same folder loads exactly
/// the live state; no temp file and no <c>*.corrupt-*</c> copy is left.
/// </summary>
[NonParallelizable]
public sealed class ConcurrentStormTests
{
    private const int Requests = 300;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static readonly string[] Kinds =
    [
        "svc/save", "svc/load", "svc/reset", "all/save", "all/load", "all/reset", "status", "health",
        "mutate", "mutate", "mutate", "mutate",
    ];

    [TestCase(SnapshotSaveStrategy.Manual)]
    [TestCase(SnapshotSaveStrategy.OnRequest)]
    public async Task A_storm_on_one_service_never_deadlocks_answers_cleanly_and_leaves_a_loadable_snapshot_of_the_live_state(SnapshotSaveStrategy strategy)
    {
        using var stateRoot = new TempDirectory();
        var stateDirectory = Path.Combine(stateRoot.Path, "state");
        var svc = new TestProvider("svc");
        var other = new TestProvider("other");
        var host = await TestHost.StartAsync(
            [svc, other],
            app =>
            {
                app.UseSnapshotPersistence();
                app.MapSnapshotEndpoints();
                app.MapSnapshotHealth();
                app.MapPost("/items/{item}", (RequestDelegate)(context =>
                {
                    svc.Add((string)context.GetRouteValue("item")!);
                    context.Response.StatusCode = StatusCodes.Status201Created;
                    return Task.CompletedTask;
                })).WithServiceState("svc", mutating: true);
            },
            options =>
            {
                options.StateDirectory = stateDirectory;
                options.SaveStrategy = strategy;
            });

        string[] live;
        var outcomes = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        try
        {
            using var deadline = new CancellationTokenSource(Deadline);
            using var client = new HttpClient { BaseAddress = host.Client.BaseAddress, Timeout = Deadline };
            var random = new Random(7);
            var plan = Enumerable.Range(0, Requests).Select(i => (Index: i, Kind: Kinds[random.Next(Kinds.Length)])).ToArray();
            var storm = Task.WhenAll(plan.Select(step => Task.Run(async () =>
            {
                var (status, problem) = await SendAsync(client, step.Kind, step.Index, deadline.Token);
                outcomes.AddOrUpdate($"{step.Kind} {status}{problem}", 1, (_, n) => n + 1);
            })));
            await storm.WaitAsync(Deadline);
            var stormTime = clock.Elapsed;

            // The storm may well end on a reset; a few more items make "exactly the live state" a non-empty claim.
            for (var i = 0; i < 3; i++)
            {
                using var after = await client.PostAsync($"/items/after-the-storm-{i}", null, deadline.Token);
                Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            }

            using var final = await client.PostAsync("/_localstack/state/svc/save", null, deadline.Token);
            Assert.That(final.StatusCode, Is.EqualTo(HttpStatusCode.OK), await final.Content.ReadAsStringAsync());
            live = svc.Items;
            TestContext.Out.WriteLine($"{strategy}: {Requests} requests in {stormTime.TotalMilliseconds:F0} ms; {live.Length} live items; outcomes:");
            foreach (var (outcome, count) in outcomes.OrderBy(o => o.Key, StringComparer.Ordinal))
            {
                TestContext.Out.WriteLine($"  {outcome}: {count}");
            }
        }
        finally
        {
            await host.DisposeAsync();
        }

        Assert.That(outcomes.Keys.Where(k => k.Contains('!', StringComparison.Ordinal)), Is.Empty, "every answer is a 2xx without an error line");
        Assert.That(outcomes.Values.Sum(), Is.EqualTo(Requests));

        // The host is gone (its lock released): a fresh store on the same folder, whose read verifies the checksum.
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = stateDirectory });
        var reloaded = new TestProvider("svc");
        await new ServiceSnapshotter(store).LoadAsync(reloaded).AsTask().WaitAsync(TestHost.Patience);
        Assert.That(live, Has.Length.GreaterThanOrEqualTo(3));
        Assert.That(reloaded.Items, Is.EqualTo(live), "the fresh store loads exactly the live state of the host");
        Assert.That(Directory.GetFiles(stateDirectory, "*.tmp", SearchOption.AllDirectories), Is.Empty);
        Assert.That(Directory.GetFiles(stateDirectory, "*.corrupt-*", SearchOption.AllDirectories), Is.Empty);
    }

    /// <returns>The status, and a problem text starting with '!' when the answer is not a 2xx or carries an error line.</returns>
    private static async Task<(int Status, string Problem)> SendAsync(HttpClient client, string kind, int index, CancellationToken cancellationToken)
    {
        using var request = kind switch
        {
            "status" => new HttpRequestMessage(HttpMethod.Get, "/_localstack/state"),
            "health" => new HttpRequestMessage(HttpMethod.Get, "/_localstack/health"),
            "mutate" => new HttpRequestMessage(HttpMethod.Post, $"/items/i{index}"),
            _ when kind.StartsWith("all/", StringComparison.Ordinal) => new HttpRequestMessage(HttpMethod.Post, "/_localstack/state/" + kind[4..]),
            _ => new HttpRequestMessage(HttpMethod.Post, "/_localstack/state/" + kind),
        };
        using var response = await client.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            // The all-services answer is 200 at once; each line carries its service's own outcome.
            var errorLines = body.Split('\n').Count(line => line.Contains("\"status\":\"error\"", StringComparison.Ordinal));
            return (status, errorLines == 0 ? string.Empty : $" !with {errorLines} error line(s): {body}");
        }

        return (status, $" !{body}");
    }
}
