using System.Net;
using LocalStack.Persistence.AspNetCore.Requests;
using LocalStack.Persistence.AspNetCore.Tests.Support;
using LocalStack.Persistence.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace LocalStack.Persistence.AspNetCore.Tests.Requests;

/// <summary>
/// <c>UseSnapshotPersistence()</c> on a real server: lazy load before the handler, dirty marking, and under ON_REQUEST a
/// response held until the save is durable (a failed save becomes a 500).
/// </summary>
public sealed class SnapshotPersistenceMiddlewareTests
{
    private readonly List<TaskCompletionSource> _holds = [];
    private TestProvider _svc = null!;
    private TestHost? _host;

    private TestHost Host => _host!;

    [SetUp]
    public void CreateProvider() => _svc = new TestProvider("svc");

    [TearDown]
    public async Task Stop()
    {
        // A failed assertion must not leave a save held: the manager waits for it on shutdown.
        _holds.ForEach(h => h.TrySetResult());
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Test]
    public async Task Under_on_request_the_client_gets_no_response_before_the_save_is_durable()
    {
        await StartAsync(SnapshotSaveStrategy.OnRequest);
        var (writeStarted, release) = _svc.HoldWrites();
        _holds.Add(release);

        // Headers-read: the task completes as soon as the status line arrives, not when the body ends.
        var responseTask = Host.Client.SendAsync(
            HeaderResolver.Request(HttpMethod.Post, "/items/a", "svc", mutating: true),
            HttpCompletionOption.ResponseHeadersRead);

        // The handler has returned and the save is in its write phase: nothing may have reached the client.
        await writeStarted.Task.WaitAsync(TestHost.Patience);
        var first = await Task.WhenAny(responseTask, Task.Delay(TimeSpan.FromMilliseconds(300)));
        Assert.That(first, Is.Not.SameAs(responseTask), "the response arrived while the save was still writing");
        Assert.That(File.Exists(Host.SnapshotPath("svc")), Is.False);

        release.SetResult();
        using var response = await responseTask.WaitAsync(TestHost.Patience);
        Assert.That(File.Exists(Host.SnapshotPath("svc")), Is.True, "durable before the answer");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(response.Headers.GetValues("X-Handler"), Is.EqualTo(new[] { "items" }));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("added a"));
        Assert.That(response.Content.Headers.ContentLength, Is.EqualTo("added a".Length));
        Assert.That(Host.Manager.GetStatus("svc").Dirty, Is.False);
        Assert.That(await ReadStoredAsync(), Is.EqualTo(new[] { "a" }));
    }

    [Test]
    public async Task Under_on_request_a_failed_save_replaces_the_handlers_answer_with_a_500_line()
    {
        await StartAsync(SnapshotSaveStrategy.OnRequest);
        _svc.FailWrite = true;

        using var response = await Host.Client.SendAsync(HeaderResolver.Request(HttpMethod.Post, "/items/a", "svc", mutating: true));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That(response.Headers.Contains("X-Handler"), Is.False, "the handler's answer is dropped whole");
        var body = await Json.ReadAsync(response);
        Assert.That((string?)body["service"], Is.EqualTo("svc"));
        Assert.That((string?)body["status"], Is.EqualTo("error"));
        Assert.That((string?)body["message"], Does.Contain("simulated failure writing the snapshot of 'svc'"));
        Assert.That(Host.Manager.GetStatus("svc").Dirty, Is.True);
    }

    [Test]
    public async Task A_faulted_service_is_refused_with_503()
    {
        await StartAsync(SnapshotSaveStrategy.Manual);

        // A snapshot from a newer schema than the provider knows: the lazy load faults the service.
        await new ServiceSnapshotter(Host.App.Services.GetRequiredService<ISnapshotStore>()).SaveAsync(new TestProvider("svc", schemaVersion: 2));
        using var response = await Host.Client.SendAsync(HeaderResolver.Request(HttpMethod.Get, "/items", "svc", mutating: false));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        var body = await Json.ReadAsync(response);
        Assert.That((string?)body["service"], Is.EqualTo("svc"));
        Assert.That((string?)body["status"], Is.EqualTo("error"));
        Assert.That((string?)body["message"], Is.Not.Empty);
        Assert.That(Host.Manager.GetStatus("svc").Faulted, Is.True);
    }

    [Test]
    public async Task A_load_that_fails_for_now_is_a_503_and_the_next_request_tries_again()
    {
        await StartAsync(SnapshotSaveStrategy.Manual);
        var stored = new TestProvider("svc");
        stored.Add("from-disk");
        await new ServiceSnapshotter(Host.App.Services.GetRequiredService<ISnapshotStore>()).SaveAsync(stored);
        _svc.FailRestores = int.MaxValue;

        using var refused = await Host.Client.SendAsync(HeaderResolver.Request(HttpMethod.Get, "/items", "svc", mutating: false));
        _svc.FailRestores = 0;
        using var served = await Host.Client.SendAsync(HeaderResolver.Request(HttpMethod.Get, "/items", "svc", mutating: false));

        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That((string?)(await Json.ReadAsync(refused))["message"], Does.Contain("simulated transient failure reading the snapshot of 'svc'"));
        Assert.That(await served.Content.ReadAsStringAsync(), Is.EqualTo("scope:from-disk"));
    }

    [Test]
    public async Task A_mutating_204_without_a_body_keeps_its_status_under_on_request()
    {
        await StartAsync(SnapshotSaveStrategy.OnRequest);

        using var response = await Host.Client.SendAsync(HeaderResolver.Request(HttpMethod.Delete, "/items/a", "svc", mutating: true));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.Empty);
        Assert.That(File.Exists(Host.SnapshotPath("svc")), Is.True);
    }

    [Test]
    public async Task A_read_runs_after_the_lazy_load_inside_a_scope_and_leaves_the_service_clean()
    {
        await StartAsync(SnapshotSaveStrategy.Manual);
        var stored = new TestProvider("svc");
        stored.Add("from-disk");
        await new ServiceSnapshotter(Host.App.Services.GetRequiredService<ISnapshotStore>()).SaveAsync(stored);

        using var response = await Host.Client.SendAsync(HeaderResolver.Request(HttpMethod.Get, "/items", "svc", mutating: false));

        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("scope:from-disk"));
        var status = Host.Manager.GetStatus("svc");
        Assert.That(status.Loaded, Is.True);
        Assert.That(status.Dirty, Is.False);
    }

    [Test]
    public async Task A_mutating_request_marks_the_service_dirty_and_its_large_body_arrives_whole()
    {
        await StartAsync(SnapshotSaveStrategy.Manual);

        using var response = await Host.Client.SendAsync(HeaderResolver.Request(HttpMethod.Post, "/big", "svc", mutating: true));

        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body, Has.Length.EqualTo(BigBody.Length));
        Assert.That(body.AsSpan().SequenceEqual(BigBody), Is.True, "same bytes in the same order");
        Assert.That(Host.Manager.GetStatus("svc").Dirty, Is.True);
    }

    [Test]
    public async Task A_handler_that_throws_still_ends_the_scope()
    {
        await StartAsync(SnapshotSaveStrategy.Manual);

        using var response = await Host.Client.SendAsync(HeaderResolver.Request(HttpMethod.Post, "/throw", "svc", mutating: true));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That(Host.Manager.GetStatus("svc").Dirty, Is.True);

        // The gate was released: a save (exclusive) goes through.
        await Host.Manager.SaveAsync("svc").AsTask().WaitAsync(TestHost.Patience);
    }

    [Test]
    public async Task Concurrent_mutations_under_on_request_are_each_durable_before_their_answer()
    {
        await StartAsync(SnapshotSaveStrategy.OnRequest);
        var items = Enumerable.Range(0, 20).Select(i => "item-" + i).ToArray();

        var responses = await Task.WhenAll(items.Select(item =>
            Host.Client.SendAsync(HeaderResolver.Request(HttpMethod.Post, "/items/" + item, "svc", mutating: true))));

        Assert.That(responses.Select(r => r.StatusCode), Is.All.EqualTo(HttpStatusCode.Created));
        Assert.That(await ReadStoredAsync(), Is.EquivalentTo(items));
        Assert.That(_svc.Writes, Is.InRange(1, items.Length), "saves merge, never more than one per request");
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Test]
    public async Task A_long_poll_that_steps_out_of_its_scope_does_not_hold_up_a_save()
    {
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _holds.Add(finish);
        await StartAsync(SnapshotSaveStrategy.Manual, configure: app => app.MapGet("/poll", (RequestDelegate)(async context =>
        {
            await using (await context.GetSnapshotRequestScope()!.StepOutAsync(context.RequestAborted))
            {
                waiting.SetResult();
                await finish.Task;
            }

            await context.Response.WriteAsync("polled");
        })));
        _svc.Add("x");
        Host.Manager.MarkModified("svc");

        var poll = Host.Client.SendAsync(HeaderResolver.Request(HttpMethod.Get, "/poll", "svc", mutating: false));
        await waiting.Task.WaitAsync(TestHost.Patience);

        // The save needs the service's gate exclusively: it gets it while the poll waits outside its scope.
        await Host.Manager.SaveAsync("svc").AsTask().WaitAsync(TestHost.Patience);
        finish.SetResult();
        using var response = await poll.WaitAsync(TestHost.Patience);
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("polled"));
    }

    [TestCase(false, "svc")]
    [TestCase(true, "other")]
    public async Task Requests_outside_persistence_pass_through_without_a_scope(bool enabled, string service)
    {
        await StartAsync(SnapshotSaveStrategy.OnRequest, enabled);

        using var response = await Host.Client.SendAsync(HeaderResolver.Request(HttpMethod.Post, "/items/a", service, mutating: true));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(response.Headers.GetValues("X-Scope"), Is.EqualTo(new[] { "none" }));
        Assert.That(_svc.Writes, Is.Zero);
    }

    [Test]
    public async Task The_state_endpoints_are_left_alone_even_when_the_resolver_claims_them()
    {
        await StartAsync(SnapshotSaveStrategy.Manual);
        _svc.Add("x");
        Host.Manager.MarkModified("svc");

        // Were the save run inside a shared scope of "svc", it would wait for its own exclusive gate forever.
        using var response = await Host.Client.SendAsync(HeaderResolver.Request(HttpMethod.Post, "/admin/state/svc/save", "svc", mutating: true));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(File.Exists(Host.SnapshotPath("svc")), Is.True);
    }

    [Test]
    public async Task Endpoint_metadata_wins_over_the_resolver()
    {
        await StartAsync(SnapshotSaveStrategy.Manual, extra: [new TestProvider("other")]);

        using var response = await Host.Client.SendAsync(HeaderResolver.Request(HttpMethod.Post, "/declared", "other", mutating: true));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Host.Manager.GetStatus("svc").Dirty, Is.True);
        Assert.That(Host.Manager.GetStatus("other").Dirty, Is.False);
        Assert.That(Host.Manager.GetStatus("other").Loaded, Is.False);
    }

    private static readonly byte[] BigBody = [.. Enumerable.Range(0, 1 << 20).Select(i => (byte)(i * 31))];

    private async Task StartAsync(SnapshotSaveStrategy save, bool enabled = true, TestProvider[]? extra = null, Action<WebApplication>? configure = null)
    {
        _host = await TestHost.StartAsync(
            [_svc, .. extra ?? []],
            app =>
            {
                app.UseSnapshotPersistence();
                app.MapSnapshotEndpoints("/admin/state");
                app.MapPost("/items/{item}", (RequestDelegate)(async context =>
                {
                    var item = (string)context.GetRouteValue("item")!;
                    _svc.Add(item);
                    context.Response.StatusCode = StatusCodes.Status201Created;
                    context.Response.Headers["X-Handler"] = "items";
                    context.Response.Headers["X-Scope"] = context.GetSnapshotRequestScope() is null ? "none" : "open";
                    await context.Response.WriteAsync("added " + item);
                }));
                app.MapGet("/items", (RequestDelegate)(context => context.Response.WriteAsync(
                    (context.GetSnapshotRequestScope() is null ? "none:" : "scope:") + string.Join(',', _svc.Items))));
                app.MapPost("/big", (RequestDelegate)(async context =>
                {
                    // Written in pieces through both the stream and the pipe, as handlers do.
                    await context.Response.Body.WriteAsync(BigBody.AsMemory(0, BigBody.Length / 2));
                    await context.Response.BodyWriter.WriteAsync(BigBody.AsMemory(BigBody.Length / 2));
                }));
                app.MapDelete("/items/{item}", (RequestDelegate)(context =>
                {
                    context.Response.StatusCode = StatusCodes.Status204NoContent;
                    return Task.CompletedTask;
                }));
                app.MapPost("/throw", (RequestDelegate)(_ => throw new InvalidOperationException("handler failed")));
                app.MapPost("/declared", (RequestDelegate)(context => context.Response.WriteAsync("ok"))).WithServiceState("svc", mutating: true);
                configure?.Invoke(app);
            },
            options =>
            {
                options.SaveStrategy = save;
                options.Enabled = enabled;
            },
            (_, persistence) => persistence.UseServiceRequestResolver<HeaderResolver>());
    }

    private async Task<string[]> ReadStoredAsync()
    {
        var reader = new TestProvider("svc");
        await new ServiceSnapshotter(Host.App.Services.GetRequiredService<ISnapshotStore>()).LoadAsync(reader);
        return reader.Items;
    }
}
