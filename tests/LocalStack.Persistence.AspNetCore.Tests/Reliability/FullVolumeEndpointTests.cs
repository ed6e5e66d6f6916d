using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json.Nodes;
using LocalStack.Persistence.AspNetCore.Tests.Support;
using LocalStack.Persistence.Tests.Reliability;

namespace LocalStack.Persistence.AspNetCore.Tests.Reliability;

/// <summary>
/// A running host whose state folder is on a real 2 MiB tmpfs that fills up (ENOSPC) or is read-only (EROFS), seen
/// through the save endpoint, <c>GET /_localstack/state</c>, the health endpoint and the failure metric.
/// </summary>
[NonParallelizable]
public sealed class FullVolumeEndpointTests
{
    private const string Service = "svc";
    private const string SavePath = "/_localstack/state/svc/save";

    private Tmpfs _tmpfs = null!; // stays null when the mount is refused: the teardown must not turn the ignore into a failure
    private TestHost? _host;
    private TestProvider _svc = null!;

    private string StateDirectory => Path.Combine(_tmpfs.Path, "state");

    private string StateFile => Path.Combine(StateDirectory, "api_states", Service, "store.state");

    private TestHost Host => _host!;

    [SetUp]
    public void Mount()
    {
        _tmpfs = Tmpfs.MountOrIgnore(2 * 1024 * 1024);
        _svc = new TestProvider(Service);
    }

    [TearDown]
    public async Task Unmount()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
            _host = null;
        }

        _tmpfs?.Dispose();
    }

    [Test]
    public async Task A_save_that_hits_ENOSPC_is_a_500_shown_in_status_and_metrics_while_health_answers_and_the_next_save_succeeds_once_space_is_back()
    {
        using var failures = new FailureCounter(Service);
        await StartHostAsync();
        _svc.Add("first-good-item");
        Host.Manager.MarkModified(Service);
        (await Host.Client.PostAsync(SavePath, null)).EnsureSuccessStatusCode();
        var lastGood = await File.ReadAllBytesAsync(StateFile);

        _tmpfs.Fill();
        _svc.Add(Incompressible(300 * 1024));
        Host.Manager.MarkModified(Service);

        using var failed = await Host.Client.PostAsync(SavePath, null);
        var error = await Json.ReadAsync(failed);
        using var status = await Host.Client.GetAsync("/_localstack/state");
        var line = ServiceLine(await Json.ReadAsync(status));
        using var health = await Host.Client.GetAsync("/_localstack/health");

        Assert.Multiple(() =>
        {
            Assert.That(failed.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
            Assert.That((string?)error["status"], Is.EqualTo("error"));
            Assert.That((string?)error["message"], Does.Contain("No space left on device"));
            Assert.That((string?)line["lastError"], Does.Contain("No space left on device"));
            Assert.That((bool?)line["dirty"], Is.True);
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(failures.Operations, Is.EqualTo(new object?[] { "save" }), "localstack.persistence.failures counted it once");
            Assert.That(File.ReadAllBytes(StateFile), Is.EqualTo(lastGood), "the last good snapshot is byte-identical");
            Assert.That(TempFiles(), Is.Empty);
        });

        File.Delete(_tmpfs.FillerPath);
        using var retried = await Host.Client.PostAsync(SavePath, null);
        using var after = await Host.Client.GetAsync("/_localstack/state");
        var recovered = ServiceLine(await Json.ReadAsync(after));

        Assert.That(retried.StatusCode, Is.EqualTo(HttpStatusCode.OK), await retried.Content.ReadAsStringAsync());
        Assert.That((string?)recovered["lastError"], Is.Null);
        Assert.That((bool?)recovered["dirty"], Is.False);
        Assert.That(TempFiles(), Is.Empty);
        Assert.That(failures.Operations, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task The_all_services_save_on_a_full_disk_reports_the_error_on_the_services_line()
    {
        await StartHostAsync();
        _tmpfs.Fill();
        _svc.Add("cannot be written");
        Host.Manager.MarkModified(Service);

        using var response = await Host.Client.PostAsync("/_localstack/state/save", null);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(text => JsonNode.Parse(text)).ToArray();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the status is sent before the first service finishes");
        Assert.That(lines, Has.Length.EqualTo(1));
        Assert.That((string?)lines[0]!["status"], Is.EqualTo("error"));
        Assert.That((string?)lines[0]!["message"], Does.Contain("No space left on device"));
    }

    [Test]
    public async Task A_running_host_keeps_its_volume_writable_so_read_only_takes_a_restart_which_then_loads_and_refuses_saves_with_EROFS()
    {
        await StartHostAsync();
        _svc.Add("saved-while-writable");
        Host.Manager.MarkModified(Service);
        (await Host.Client.PostAsync(SavePath, null)).EnsureSuccessStatusCode();

        // The store holds .lock open for writing: the kernel refuses to make the file system read-only under it.
        var (remounted, output) = _tmpfs.TryRemountReadOnly();
        Assert.That(remounted, Is.False, "remount,ro under a running host was expected to be refused (EBUSY)");
        Assert.That(output, Does.Contain("busy"));

        await Host.DisposeAsync();
        _host = null;
        _tmpfs.RemountReadOnly();
        _svc = new TestProvider(Service);
        await StartHostAsync();

        using var load = await Host.Client.PostAsync("/_localstack/state/svc/load", null);
        Assert.That(load.StatusCode, Is.EqualTo(HttpStatusCode.OK), await load.Content.ReadAsStringAsync());
        Assert.That(_svc.Items, Is.EqualTo(new[] { "saved-while-writable" }));

        _svc.Add("cannot be saved");
        Host.Manager.MarkModified(Service);
        using var save = await Host.Client.PostAsync(SavePath, null);
        var error = await Json.ReadAsync(save);
        using var status = await Host.Client.GetAsync("/_localstack/state");
        var statusBody = await Json.ReadAsync(status);
        using var health = await Host.Client.GetAsync("/_localstack/health");

        Assert.Multiple(() =>
        {
            // Read-only *mode* (a baseline) is a 409; a save the file system refuses is a failed save: 500, naming EROFS.
            Assert.That(save.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
            Assert.That((string?)error["message"], Does.Contain("Read-only file system"));
            Assert.That((bool?)statusBody["readOnly"], Is.False, "read-only mode is a configuration, not the state of the disk");
            Assert.That((string?)ServiceLine(statusBody)["lastError"], Does.Contain("Read-only file system"));
            Assert.That((bool?)ServiceLine(statusBody)["dirty"], Is.True);
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    private async Task StartHostAsync()
        => _host = await TestHost.StartAsync([_svc], app =>
        {
            app.MapSnapshotEndpoints();
            app.MapSnapshotHealth();
        }, options => options.StateDirectory = StateDirectory);

    private static JsonNode ServiceLine(JsonNode status)
        => status["services"]!.AsArray().Single(s => (string?)s!["service"] == Service)!;

    private static string Incompressible(int bytes)
    {
        var data = new byte[bytes * 3 / 4];
        new Random(1).NextBytes(data);
        return Convert.ToBase64String(data);
    }

    private string[] TempFiles() => Directory.GetFiles(StateDirectory, "*.tmp", SearchOption.AllDirectories);

    /// <summary>Listens to <c>localstack.persistence.failures</c> of one service (every manager's meter has the same name).</summary>
    private sealed class FailureCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<object?> _operations = new();

        public FailureCounter(string service)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == SnapshotTelemetry.MeterName && instrument.Name == "localstack.persistence.failures")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
            {
                object? operation = null;
                var ours = false;
                foreach (var tag in tags)
                {
                    ours |= tag.Key == "service" && Equals(tag.Value, service);
                    operation = tag.Key == "operation" ? tag.Value : operation;
                }

                if (ours)
                {
                    _operations.Enqueue(operation);
                }
            });
            _listener.Start();
        }

        public IReadOnlyList<object?> Operations => [.. _operations];

        public void Dispose() => _listener.Dispose();
    }
}
