using System.Net;
using System.Text.Json.Nodes;
using LocalStack.Persistence.AspNetCore.Tests.Support;

namespace LocalStack.Persistence.AspNetCore.Tests.Endpoints;

/// <summary><c>POST {prefix}/save|load|reset|delete</c>: NDJSON, one line per service, each flushed as that service finishes.</summary>
public sealed class AllServicesEndpointTests
{
    private TestProvider _fast = null!;
    private TestProvider _slow = null!;
    private TestProvider _broken = null!;
    private TestHost _host = null!;

    [SetUp]
    public async Task Start()
    {
        _fast = new TestProvider("fast");
        _slow = new TestProvider("slow");
        _broken = new TestProvider("broken");
        _host = await TestHost.StartAsync([_fast, _slow, _broken], app => app.MapSnapshotEndpoints());
        foreach (var provider in new[] { _fast, _slow, _broken })
        {
            provider.Add("item-of-" + provider.ServiceName);
            _host.Manager.MarkModified(provider.ServiceName);
        }
    }

    [TearDown]
    public async Task Stop() => await _host.DisposeAsync();

    [Test]
    public async Task The_first_line_arrives_while_a_slow_service_is_still_saving()
    {
        var (slowStarted, releaseSlow) = _slow.HoldWrites();
        _broken.FailWrite = true;
        try
        {
            await SaveAllWhileSlowIsHeldAsync(slowStarted, releaseSlow);
        }
        finally
        {
            // A failed assertion must not leave the save held: the manager waits for it on shutdown.
            releaseSlow.TrySetResult();
        }
    }

    private async Task SaveAllWhileSlowIsHeldAsync(TaskCompletionSource slowStarted, TaskCompletionSource releaseSlow)
    {

        using var response = await _host.Client.SendAsync(
            new HttpRequestMessage(HttpMethod.Post, "/_localstack/state/save"),
            HttpCompletionOption.ResponseHeadersRead);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/x-ndjson"));
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        // Two lines (fast, broken) must arrive while "slow" is provably still inside its write.
        await slowStarted.Task.WaitAsync(TestHost.Patience);
        var earlyLines = new[]
        {
            (await reader.ReadLineAsync().WaitAsync(TestHost.Patience))!,
            (await reader.ReadLineAsync().WaitAsync(TestHost.Patience))!,
        };
        var early = earlyLines.Select(line => JsonNode.Parse(line)!).ToList();
        Assert.That(releaseSlow.Task.IsCompleted, Is.False);
        Assert.That(_host.Manager.GetStatus("slow").Dirty, Is.True, "slow has not finished saving");

        releaseSlow.SetResult();
        var last = JsonNode.Parse((await reader.ReadLineAsync().WaitAsync(TestHost.Patience))!)!;
        Assert.That(await reader.ReadLineAsync().WaitAsync(TestHost.Patience), Is.Null, "one line per service");

        var fast = early.Single(l => (string?)l["service"] == "fast");
        Assert.That(fast.ToJsonString(), Is.EqualTo("""{"service":"fast","status":"ok"}"""));
        var broken = early.Single(l => (string?)l["service"] == "broken");
        Assert.That((string?)broken["status"], Is.EqualTo("error"));
        Assert.That((string?)broken["message"], Does.Contain("simulated failure writing the snapshot of 'broken'"));
        Assert.That(earlyLines, Has.Some.Contains("'broken'"), "readable in a terminal, no \\u0027");
        Assert.That(last.ToJsonString(), Is.EqualTo("""{"service":"slow","status":"ok"}"""));
        Assert.That(File.Exists(_host.SnapshotPath("slow")), Is.True);
        Assert.That(File.Exists(_host.SnapshotPath("broken")), Is.False);
    }

    [Test]
    public async Task Load_reset_and_delete_answer_one_ok_line_per_service()
    {
        (await _host.Client.PostAsync("/_localstack/state/save", null)).EnsureSuccessStatusCode();
        _fast.Add("after-save");

        var load = await PostLinesAsync("/_localstack/state/load");
        Assert.That(load.Select(l => l.ToJsonString()), Is.EquivalentTo(new[]
        {
            """{"service":"broken","status":"ok"}""",
            """{"service":"fast","status":"ok"}""",
            """{"service":"slow","status":"ok"}""",
        }));
        Assert.That(_fast.Items, Is.EqualTo(new[] { "item-of-fast" }));

        var reset = await PostLinesAsync("/_localstack/state/reset");
        Assert.That(reset.Select(l => (string?)l["status"]), Is.EqualTo(new[] { "ok", "ok", "ok" }));
        Assert.That(_fast.Items, Is.Empty);
        Assert.That(File.Exists(_host.SnapshotPath("fast")), Is.True, "reset empties the live state; the snapshot stays until a save");

        var delete = await PostLinesAsync("/_localstack/state/delete");
        Assert.That(delete.Select(l => (string?)l["status"]), Is.EqualTo(new[] { "ok", "ok", "ok" }));
        Assert.That(File.Exists(_host.SnapshotPath("fast")), Is.False);
    }

    private async Task<List<JsonNode>> PostLinesAsync(string path)
    {
        using var response = await _host.Client.PostAsync(path, null);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(text, Does.EndWith("\n"));
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!)];
    }
}
