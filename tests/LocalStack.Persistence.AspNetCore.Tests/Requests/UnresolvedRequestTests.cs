using System.Net;
using LocalStack.Persistence.AspNetCore.Requests;
using LocalStack.Persistence.AspNetCore.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LocalStack.Persistence.AspNetCore.Tests.Requests;

/// <summary>
/// A request that belongs to no registered service (a web app that forgot <c>.WithServiceState(...)</c>): one warning per
/// route, and in strict mode a 500 that names the route and the fix.
/// </summary>
public sealed class UnresolvedRequestTests : IDisposable
{
    private const int NoServiceEventId = 203;
    private CapturingLoggerProvider _logs = new();
    private TestProvider _todo = null!;
    private int _forgottenRuns;
    private TestHost? _host;

    private TestHost Host => _host!;

    [SetUp]
    public void CreateProvider()
    {
        // NUnit shares one instance across the tests of a fixture: each test starts afresh.
        _todo = new TestProvider("todo");
        _logs = new CapturingLoggerProvider();
        _forgottenRuns = 0;
    }

    [TearDown]
    public async Task Stop()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
            _host = null;
        }
    }

    public void Dispose() => _logs.Dispose();

    [Test]
    public async Task Many_requests_to_a_route_without_a_service_log_one_warning_naming_the_route()
    {
        // Before: such requests passed through with no word in the log.
        await StartAsync(strict: false);

        for (var i = 0; i < 25; i++)
        {
            using var response = await Host.Client.PostAsync(new Uri($"/forgotten/{i}", UriKind.Relative), null);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "passes through");
        }

        using (await Host.Client.GetAsync(new Uri("/other-forgotten", UriKind.Relative)))
        {
        }

        var warnings = _logs.WithEventId(NoServiceEventId);
        Assert.That(warnings, Has.Count.EqualTo(2), "one per route, not one per request");
        Assert.That(warnings.Select(w => w.Level), Is.All.EqualTo(LogLevel.Warning));
        Assert.That(warnings[0].Message, Does.Contain("/forgotten/{i}").And.Contain("POST /forgotten/0").And.Contain(".WithServiceState(").And.Contain("IServiceRequestResolver"));
        Assert.That(warnings[1].Message, Does.Contain("/other-forgotten"));
        Assert.That(_forgottenRuns, Is.EqualTo(25));
        Assert.That(Host.Manager.GetStatus("todo").Dirty, Is.False, "nothing was persisted");
    }

    [Test]
    public async Task Declared_exempt_and_state_endpoints_and_disabled_persistence_are_not_reported()
    {
        await StartAsync(strict: false);
        using (await Host.Client.PostAsync(new Uri("/todos/a", UriKind.Relative), null))
        using (await Host.Client.GetAsync(new Uri("/todos", UriKind.Relative)))
        using (await Host.Client.GetAsync(new Uri("/healthz", UriKind.Relative)))
        using (await Host.Client.PostAsync(new Uri("/admin/state/todo/save", UriKind.Relative), null))
        {
        }

        Assert.That(_logs.WithEventId(NoServiceEventId), Is.Empty);
        await Host.DisposeAsync();
        _host = null;

        await StartAsync(strict: true, enabled: false);
        using var response = await Host.Client.PostAsync(new Uri("/forgotten/1", UriKind.Relative), null);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "with persistence off nothing is refused");
        Assert.That(_logs.WithEventId(NoServiceEventId), Is.Empty);
    }

    [Test]
    public async Task Strict_mode_refuses_a_route_without_a_service_with_a_500_naming_the_route_and_the_fix()
    {
        await StartAsync(strict: true);

        using var refused = await Host.Client.PostAsync(new Uri("/forgotten/1", UriKind.Relative), null);
        using var alsoRefused = await Host.Client.PostAsync(new Uri("/forgotten/2", UriKind.Relative), null);

        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That(refused.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        var body = await Json.ReadAsync(refused);
        Assert.That((string?)body["status"], Is.EqualTo("error"));
        Assert.That(body.AsObject().ContainsKey("service"), Is.False);
        Assert.That((string?)body["message"], Does.Contain("/forgotten/{i}")
            .And.Contain("RequireServiceForEveryRequest")
            .And.Contain(".WithServiceState(\"<service>\", mutating: true|false)")
            .And.Contain("IServiceRequestResolver")
            .And.Contain(".WithoutServiceState()"));
        Assert.That(alsoRefused.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That(_forgottenRuns, Is.Zero, "the handler never ran");
        Assert.That(_logs.WithEventId(NoServiceEventId), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Strict_mode_serves_declared_exempt_and_state_endpoints()
    {
        await StartAsync(strict: true);

        using var created = await Host.Client.PostAsync(new Uri("/todos/a", UriKind.Relative), null);
        using var listed = await Host.Client.GetAsync(new Uri("/todos", UriKind.Relative));
        using var health = await Host.Client.GetAsync(new Uri("/healthz", UriKind.Relative));
        using var saved = await Host.Client.PostAsync(new Uri("/admin/state/todo/save", UriKind.Relative), null);

        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(await listed.Content.ReadAsStringAsync(), Is.EqualTo("a"));
        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(saved.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(File.Exists(Host.SnapshotPath("todo")), Is.True);
    }

    [Test]
    public async Task A_resolver_naming_an_unregistered_service_is_reported_with_that_name()
    {
        await StartAsync(strict: true);

        using var request = HeaderResolver.Request(HttpMethod.Post, "/forgotten/1", "kinesis", mutating: true);
        using var refused = await Host.Client.SendAsync(request);

        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That((string?)(await Json.ReadAsync(refused))["message"], Does.Contain("service 'kinesis', which is not registered (registered: todo)"));
    }

    [Test]
    public void The_memory_of_reported_routes_is_bounded()
    {
        var log = new UnresolvedRouteLog();

        var outcomes = Enumerable.Range(0, UnresolvedRouteLog.MaxRoutes + 50).Select(i => log.Seen("route " + i)).ToList();
        var again = log.Seen("route 0");

        Assert.That(outcomes.Count(o => o.First), Is.EqualTo(UnresolvedRouteLog.MaxRoutes));
        Assert.That(outcomes.Count(o => o.NowFull), Is.EqualTo(1), "one last warning that further routes go unreported");
        Assert.That(again, Is.EqualTo((false, false)));
    }

    private async Task StartAsync(bool strict, bool enabled = true)
    {
        _host = await TestHost.StartAsync(
            [_todo],
            app =>
            {
                app.UseSnapshotPersistence(new SnapshotPersistenceMiddlewareOptions { RequireServiceForEveryRequest = strict });
                app.MapSnapshotEndpoints("/admin/state");

                // The README's shape: a route group whose writes mutate "todo", a read, and a health check that keeps no state.
                var todos = app.MapGroup("/todos");
                todos.MapPost("/{id}", (RequestDelegate)(context =>
                {
                    _todo.Add((string)context.Request.RouteValues["id"]!);
                    context.Response.StatusCode = StatusCodes.Status201Created;
                    return Task.CompletedTask;
                })).WithServiceState("todo", mutating: true);
                todos.MapGet("/", (RequestDelegate)(context => context.Response.WriteAsync(string.Join(',', _todo.Items)))).WithServiceState("todo", mutating: false);
                app.MapGet("/healthz", (RequestDelegate)(context => context.Response.WriteAsync("ok"))).WithoutServiceState();

                // Forgotten: no .WithServiceState, and the resolver knows nothing of it.
                app.MapPost("/forgotten/{i}", (RequestDelegate)(_ =>
                {
                    Interlocked.Increment(ref _forgottenRuns);
                    return Task.CompletedTask;
                }));
                app.MapGet("/other-forgotten", (RequestDelegate)(_ => Task.CompletedTask));
            },
            options => options.Enabled = enabled,
            (builder, persistence) =>
            {
                builder.Logging.AddProvider(_logs);
                persistence.UseServiceRequestResolver<HeaderResolver>();
            });
    }
}
