using System.Text;
using LocalStack.Persistence.AspNetCore.Tests.Reliability;
using LocalStack.Persistence.AspNetCore.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace LocalStack.Persistence.AspNetCore.Tests.Requests;

/// <summary>
/// The middleware reads a request's body before the request's scope begins (issue 12): a client that sends its body
/// slowly holds up no save and no other request of the service; the bound refuses larger bodies with 413; a client that
/// goes away mid-body never reaches the service; an endpoint that streams its body itself is left to do so.
/// </summary>
public sealed class RequestBodyPreReadTests
{
    // Half of a body this size outlasts every wait here at Kestrel's minimum body data rate (240 B/s after 5 s), which
    // would otherwise end a stalled request with 408 and so release its gate by itself.
    private const int Limit = 64 * 1024;

    private readonly TestProvider _svc = new("svc");
    private readonly TaskCompletionSource _cutRequestDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<IAsyncDisposable> _connections = [];
    private TestHost? _host;

    private TestHost Host => _host!;

    [SetUp]
    public async Task StartAsync() => _host = await TestHost.StartAsync(
        [_svc],
        app =>
        {
            // Outermost: tells the test when the server is done with the request whose client went away.
            app.Use(async (context, next) =>
            {
                try
                {
                    await next(context);
                }
                finally
                {
                    if (context.Request.Path == "/cut")
                    {
                        _cutRequestDone.TrySetResult();
                    }
                }
            });
            app.UseSnapshotPersistence();
            app.MapPost("/echo", (RequestDelegate)EchoAsync);
            app.MapPost("/cut", (RequestDelegate)EchoAsync);
            app.MapPost("/streamed", (RequestDelegate)(async context =>
            {
                // Receives its body itself, out of the gate, as S3 uploads do.
                await using (await context.GetSnapshotRequestScope()!.StepOutAsync(context.RequestAborted))
                {
                    context.Response.Headers["X-Seekable"] = context.Request.Body.CanSeek ? "yes" : "no";
                    await EchoAsync(context);
                }
            })).WithStreamedRequestBody();
            app.MapGet("/items", (RequestDelegate)(context => context.Response.WriteAsync(string.Join(',', _svc.Items))));
        },
        options => options.SaveStrategy = SnapshotSaveStrategy.Manual,
        (builder, persistence) =>
        {
            persistence.UseServiceRequestResolver<HeaderResolver>();
            builder.Services.Configure<SnapshotPersistenceMiddlewareOptions>(o => o.MaxBufferedBodyBytes = Limit);
        });

    [TearDown]
    public async Task StopAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        await Host.DisposeAsync();
    }

    [Test]
    public async Task A_slow_body_on_a_mutating_request_holds_up_neither_a_save_nor_another_request_of_the_service()
    {
        var body = Body(Limit);
        var (stalled, _) = await StallAsync("/echo", body);
        _svc.Add("x");
        Host.Manager.MarkModified("svc");

        // The save needs the gate exclusively and the GET comes after it: neither waits for the stalled body.
        await Host.Manager.SaveAsync("svc").AsTask().WaitAsync(TestHost.Patience);
        using var read = await Host.Client.SendAsync(HeaderResolver.Request(HttpMethod.Get, "/items", "svc", mutating: false)).WaitAsync(TestHost.Patience);
        Assert.That(await read.Content.ReadAsStringAsync(), Is.EqualTo("x"));
        Assert.That(File.Exists(Host.SnapshotPath("svc")), Is.True);

        await stalled.SendAsync(body.AsMemory(body.Length / 2), CancellationToken.None);
        var answer = await stalled.ReadResponseAsync(CancellationToken.None).WaitAsync(TestHost.Patience);
        Assert.That(answer.Status, Is.EqualTo(200));
        Assert.That(answer.Body, Is.EqualTo(Encoding.ASCII.GetString(body)), "the handler reads the whole body, from its start");
        Assert.That(Host.Manager.GetStatus("svc").Dirty, Is.True, "the request ran as a mutation once its body was in");
    }

    [Test]
    public async Task A_client_that_disconnects_mid_body_is_not_counted_as_a_mutation()
    {
        var (stalled, _) = await StallAsync("/cut", Body(Limit));

        await stalled.DisposeAsync();
        await _cutRequestDone.Task.WaitAsync(TestHost.Patience);

        var status = Host.Manager.GetStatus("svc");
        Assert.That(status.Dirty, Is.False, "a request that never received its body changed nothing");
        Assert.That(status.Loaded, Is.False, "it did not even load the service");
    }

    [Test]
    public async Task A_body_larger_than_the_bound_is_refused_with_413_before_the_service_is_touched()
    {
        var announced = await PostAsync(Body(Limit + 1));

        await using var chunked = await RawHttp.ConnectAsync(Host.Client.BaseAddress!, CancellationToken.None);
        await chunked.SendHeadAsync("POST", "/echo", [.. Headers(), "Transfer-Encoding: chunked"], CancellationToken.None);
        var chunk = Body(Limit + 1);
        await chunked.SendAsync(Encoding.ASCII.GetBytes($"{chunk.Length:x}\r\n{Encoding.ASCII.GetString(chunk)}\r\n0\r\n\r\n"), CancellationToken.None);
        var streamed = await chunked.ReadResponseAsync(CancellationToken.None).WaitAsync(TestHost.Patience);

        var atTheBound = await PostAsync(Body(Limit));

        foreach (var refused in new[] { announced, streamed })
        {
            Assert.That(refused.Status, Is.EqualTo(413));
            Assert.That(refused.ContentType, Does.StartWith("application/json"));
            Assert.That(refused.Body, Does.Contain("\"service\":\"svc\"").And.Contain("\"status\":\"error\"").And.Contain($"larger than {Limit} bytes"));
        }

        Assert.That(atTheBound.Status, Is.EqualTo(200));
        Assert.That(atTheBound.Body, Has.Length.EqualTo(Limit));
        Assert.That(_svc.Writes, Is.Zero);
    }

    [Test]
    public async Task An_endpoint_that_streams_its_body_gets_it_unread_and_a_slow_one_holds_up_no_save()
    {
        var body = Body(4 * Limit); // over the bound: it is not read by the middleware, so not refused
        var (stalled, _) = await StallAsync("/streamed", body);
        _svc.Add("x");
        Host.Manager.MarkModified("svc");

        await Host.Manager.SaveAsync("svc").AsTask().WaitAsync(TestHost.Patience);

        await stalled.SendAsync(body.AsMemory(body.Length / 2), CancellationToken.None);
        var answer = await stalled.ReadResponseAsync(CancellationToken.None).WaitAsync(TestHost.Patience);
        Assert.That(answer.Status, Is.EqualTo(200));
        Assert.That(answer.Headers["x-seekable"], Is.EqualTo("no"), "the middleware did not buffer it");
        Assert.That(answer.Body, Is.EqualTo(Encoding.ASCII.GetString(body)));
    }

    private static async Task EchoAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body.ToArray(), context.RequestAborted);
    }

    /// <summary>Sends the head and half the body once the server has begun reading it (100 Continue), then stops.</summary>
    private async Task<(RawHttp Connection, byte[] Body)> StallAsync(string path, byte[] body)
    {
        var http = await RawHttp.ConnectAsync(Host.Client.BaseAddress!, CancellationToken.None);
        _connections.Add(http);
        await http.SendHeadAsync("POST", path, [.. Headers(), $"Content-Length: {body.Length}", "Expect: 100-continue"], CancellationToken.None);
        var interim = await http.ReadResponseAsync(CancellationToken.None).WaitAsync(TestHost.Patience);
        Assert.That(interim.Status, Is.EqualTo(100));
        await http.SendAsync(body.AsMemory(0, body.Length / 2), CancellationToken.None);
        return (http, body);
    }

    private async Task<RawResponse> PostAsync(byte[] body)
    {
        await using var http = await RawHttp.ConnectAsync(Host.Client.BaseAddress!, CancellationToken.None);
        await http.SendHeadAsync("POST", "/echo", [.. Headers(), $"Content-Length: {body.Length}"], CancellationToken.None);
        await http.SendAsync(body, CancellationToken.None);
        return await http.ReadResponseAsync(CancellationToken.None).WaitAsync(TestHost.Patience);
    }

    private static string[] Headers() => [$"{HeaderResolver.ServiceHeader}: svc", $"{HeaderResolver.MutatingHeader}: true"];

    private static byte[] Body(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)('a' + (i % 26)))];
}
