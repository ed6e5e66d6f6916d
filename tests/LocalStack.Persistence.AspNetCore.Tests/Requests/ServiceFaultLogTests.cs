using System.Net;
using LocalStack.Persistence.AspNetCore.Tests.Support;
using LocalStack.Persistence.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace LocalStack.Persistence.AspNetCore.Tests.Requests;

/// <summary>
/// A faulted service's refusals are logged once in full (per service, per fault), then at most one line per interval on
/// the app's clock; a request that gets through ends the fault, so that the next one is logged in full again.
/// </summary>
public sealed class ServiceFaultLogTests : IDisposable
{
    private const int FaultEventId = 200;
    private const int ReminderEventId = 202;
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    private CapturingLoggerProvider _logs = new();
    private FakeTimeProvider _clock = new();
    private TestProvider _svc = null!;
    private TestHost _host = null!;

    [SetUp]
    public async Task Start()
    {
        // NUnit shares one instance across the tests of a fixture: each test starts afresh.
        _svc = new TestProvider("svc");
        _logs = new CapturingLoggerProvider();
        _clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        _host = await TestHost.StartAsync(
            [_svc, new TestProvider("other")],
            app =>
            {
                app.UseSnapshotPersistence();
                app.MapGet("/items", (RequestDelegate)(context => context.Response.WriteAsync(string.Join(',', _svc.Items))));
            },
            configureServices: (builder, persistence) =>
            {
                builder.Logging.AddProvider(_logs);
                builder.Services.AddSingleton<TimeProvider>(_clock);
                builder.Services.Configure<SnapshotPersistenceMiddlewareOptions>(o => o.FaultLogInterval = Interval);
                persistence.UseServiceRequestResolver<HeaderResolver>();
            });
    }

    [TearDown]
    public async Task Stop() => await _host.DisposeAsync();

    [Test]
    public async Task A_fault_is_logged_once_with_its_exception_then_one_line_per_interval()
    {
        // Before: every refused request logged the error with its full stack trace.
        await FaultAsync("svc");

        await RefuseAsync("svc", times: 10);
        Assert.That(_logs.WithEventId(FaultEventId), Has.Count.EqualTo(1));
        Assert.That(_logs.WithEventId(FaultEventId)[0].Exception, Is.InstanceOf<ServiceFaultedException>());
        Assert.That(_logs.WithEventId(ReminderEventId), Is.Empty, "within the interval");

        _clock.Advance(Interval);
        await RefuseAsync("svc", times: 3);
        var reminders = _logs.WithEventId(ReminderEventId);
        Assert.That(reminders, Has.Count.EqualTo(1));
        Assert.That(reminders[0].Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(reminders[0].Exception, Is.Null, "one line, no stack trace");
        Assert.That(reminders[0].Message, Does.Contain("svc").And.Contain("(10 since the last line)").And.Contain("is unavailable because its snapshot could not be loaded"));
        Assert.That(reminders[0].Message, Does.Not.Contain("\n"));
        Assert.That(_logs.WithEventId(FaultEventId), Has.Count.EqualTo(1));
    }

    public void Dispose() => _logs.Dispose();

    [Test]
    public async Task Each_service_and_each_new_fault_after_a_success_is_logged_in_full()
    {
        await FaultAsync("svc");
        await FaultAsync("other");
        await RefuseAsync("svc", times: 3);
        await RefuseAsync("other", times: 3);
        Assert.That(_logs.WithEventId(FaultEventId).Select(l => l.Message), Has.Exactly(1).Contain("svc").And.Exactly(1).Contain("other"));

        // Reset clears the fault; a request gets through; then the snapshot is bad again.
        await _host.Manager.ResetAsync("svc");
        using (var served = await _host.Client.SendAsync(HeaderResolver.Request(HttpMethod.Get, "/items", "svc", mutating: false)))
        {
            Assert.That(served.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        await FaultAsync("svc");
        await RefuseAsync("svc", times: 3);

        Assert.That(_logs.WithEventId(FaultEventId), Has.Count.EqualTo(3), "svc, other, and svc's new fault");
    }

    [Test]
    public async Task A_load_that_fails_for_now_is_logged_once_until_a_request_gets_through()
    {
        var stored = new TestProvider("svc");
        stored.Add("from-disk");
        await new ServiceSnapshotter(_host.App.Services.GetRequiredService<ISnapshotStore>()).SaveAsync(stored);
        _svc.FailRestores = int.MaxValue;

        await RefuseAsync("svc", times: 5);
        _svc.FailRestores = 0;
        using var served = await _host.Client.SendAsync(HeaderResolver.Request(HttpMethod.Get, "/items", "svc", mutating: false));

        Assert.That(await served.Content.ReadAsStringAsync(), Is.EqualTo("from-disk"));
        Assert.That(_logs.WithEventId(FaultEventId), Has.Count.EqualTo(1));
        Assert.That(_logs.WithEventId(FaultEventId)[0].Exception!.Message, Does.Contain("simulated transient failure"));
    }

    /// <summary>Stores a snapshot from a newer schema than the provider reads and loads it: the service is faulted.</summary>
    private async Task FaultAsync(string serviceName)
    {
        await new ServiceSnapshotter(_host.App.Services.GetRequiredService<ISnapshotStore>()).SaveAsync(new TestProvider(serviceName, schemaVersion: 2));
        Assert.That(async () => await _host.Manager.LoadAsync(serviceName), Throws.InstanceOf<ServiceFaultedException>());
    }

    private async Task RefuseAsync(string serviceName, int times)
    {
        for (var i = 0; i < times; i++)
        {
            using var response = await _host.Client.SendAsync(HeaderResolver.Request(HttpMethod.Get, "/items", serviceName, mutating: false));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        }
    }
}
