using System.Net;
using LocalStack.Persistence.AspNetCore.Requests;
using LocalStack.Persistence.AspNetCore.Tests.Support;
using LocalStack.Persistence.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace LocalStack.Persistence.AspNetCore.Tests.Endpoints;

/// <summary>
/// Through real HTTP: a client that disconnects in the middle of a load or reset does not cut it in half (the operation
/// runs to its end), and a provider that fails half-way leaves the service faulted (status, 503 for its requests, saves
/// refused, the snapshot untouched) until a load succeeds.
/// </summary>
public sealed class InterruptedOperationEndpointTests
{
    private static readonly string[] Saved = ["new-0", "new-1", "new-2"];
    private static readonly string[] Old = ["old-0", "old-1", "old-2"];

    private readonly TaskCompletionSource _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TestHost _host = null!;
    private StepwiseProvider _svc = null!;

    [SetUp]
    public async Task Start()
    {
        _host = await TestHost.StartAsync(
            [],
            app =>
            {
                // Tells the test when the server has seen the client go away.
                app.Use(async (context, next) =>
                {
                    using var registration = context.RequestAborted.Register(() => _aborted.TrySetResult());
                    await next(context);
                });
                app.UseSnapshotPersistence();
                app.MapSnapshotEndpoints();
                app.MapGet("/items", (StepwiseProvider svc) => string.Join(",", svc.Items)).WithServiceState("svc", mutating: false);
            },
            configureServices: (builder, _) => builder.Services.AddSingleton(sp => new StepwiseProvider("svc", sp.GetRequiredService<ISnapshotStore>().GetWorkingDirectory("svc")))
                .AddSingleton<LocalStack.Persistence.State.IServiceStateProvider>(sp => sp.GetRequiredService<StepwiseProvider>()));
        _svc = _host.App.Services.GetRequiredService<StepwiseProvider>();

        // A saved snapshot (Saved) and a different live state (Old).
        await _host.Manager.EnsureLoadedAsync("svc");
        _svc.Set(Saved);
        _host.Manager.MarkModified("svc");
        (await _host.Client.PostAsync("/_localstack/state/svc/save", null)).EnsureSuccessStatusCode();
        _svc.Set(Old);
        _host.Manager.MarkModified("svc");
    }

    [TearDown]
    public async Task Stop() => await _host.DisposeAsync();

    [TestCase("load")]
    [TestCase("reset")]
    public async Task A_client_that_disconnects_half_way_does_not_cut_the_operation_in_half(string operation)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var providerOperation = operation == "load" ? "restore" : "reset";
        _svc.OnStep = async (op, step) =>
        {
            if (op == providerOperation && step == 1)
            {
                reached.TrySetResult();
                await release.Task;
            }
        };
        var snapshot = await File.ReadAllBytesAsync(_host.SnapshotPath("svc"));
        using var client = new CancellationTokenSource();

        var call = _host.Client.PostAsync($"/_localstack/state/svc/{operation}", null, client.Token);
        await reached.Task.WaitAsync(TestHost.Patience);
        await client.CancelAsync();
        Assert.That(async () => await call, Throws.InstanceOf<OperationCanceledException>());
        await _aborted.Task.WaitAsync(TestHost.Patience);
        release.SetResult();

        // The operation finishes on its own: the gate is free again once it has, so a read request gets through.
        using var read = await _host.Client.GetAsync("/items");
        var expected = operation == "load" ? Saved : [];
        Assert.That(await read.Content.ReadAsStringAsync(), Is.EqualTo(string.Join(",", expected)));
        Assert.That(_svc.Items, Is.EqualTo(expected));
        Assert.That(_svc.WorkingAsset, Is.EqualTo(operation == "load" ? string.Join(",", Saved) : null));
        var status = _host.Manager.GetStatus("svc");
        Assert.That((status.Loaded, status.Faulted, status.Dirty), Is.EqualTo((true, false, operation == "reset")));
        Assert.That(await File.ReadAllBytesAsync(_host.SnapshotPath("svc")), Is.EqualTo(snapshot));
    }

    [Test]
    public async Task A_load_that_fails_half_way_faults_the_service_until_a_load_succeeds()
    {
        var snapshot = await File.ReadAllBytesAsync(_host.SnapshotPath("svc"));
        _svc.FailAt("restore", 2, StepFailure.Throw, null);

        using var load = await _host.Client.PostAsync("/_localstack/state/svc/load", null);
        Assert.That(load.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That((string?)(await Json.ReadAsync(load))["message"], Does.Contain("load stopped half-way").And.Contain("simulated failure at restore step 2"));

        using var statusResponse = await _host.Client.GetAsync("/_localstack/state");
        var line = (await Json.ReadAsync(statusResponse))["services"]!.AsArray().Single()!;
        Assert.That(((bool?)line["loaded"], (bool?)line["faulted"]), Is.EqualTo(((bool?)false, (bool?)true)));

        using var refused = await _host.Client.GetAsync("/items");
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), "the request's own retry fails the same way: the mix is never served");
        using var save = await _host.Client.PostAsync("/_localstack/state/svc/save", null);
        Assert.That(save.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That(await File.ReadAllBytesAsync(_host.SnapshotPath("svc")), Is.EqualTo(snapshot), "a faulted service never overwrites its snapshot");

        _svc.FailAt(null, 0, StepFailure.Throw, null);
        using var again = await _host.Client.PostAsync("/_localstack/state/svc/load", null);
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var served = await _host.Client.GetAsync("/items");
        Assert.That(await served.Content.ReadAsStringAsync(), Is.EqualTo(string.Join(",", Saved)));
    }
}
