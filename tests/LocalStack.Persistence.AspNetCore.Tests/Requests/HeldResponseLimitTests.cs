using System.Net;
using LocalStack.Persistence.AspNetCore.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LocalStack.Persistence.AspNetCore.Tests.Requests;

/// <summary>
/// A mutating request's held response is bounded (memory, then a temp file, up to MaxHeldResponseBytes): a handler that
/// writes past it fails its write, and the client gets a 500 that names the limit and the setting.
/// </summary>
public sealed class HeldResponseLimitTests
{
    private const int Limit = 1000;
    private TestProvider _svc = null!;
    private TestHost? _host;
    private Exception? _handlerSaw;

    private TestHost Host => _host!;

    [SetUp]
    public async Task Start()
    {
        _svc = new TestProvider("svc");
        _handlerSaw = null;
        _host = await TestHost.StartAsync(
            [_svc],
            app =>
            {
                app.UseSnapshotPersistence(new SnapshotPersistenceMiddlewareOptions { MaxHeldResponseBytes = Limit, HeldResponseMemoryThreshold = 100 });
                app.MapPost("/stream/{n:int}", (RequestDelegate)(async context =>
                {
                    _svc.Add("written");
                    var n = int.Parse((string)context.Request.RouteValues["n"]!, System.Globalization.CultureInfo.InvariantCulture);
                    var body = Bytes(n);
                    for (var sent = 0; sent < n; sent += 300)
                    {
                        await context.Response.Body.WriteAsync(body.AsMemory(sent, Math.Min(300, n - sent)));
                    }
                }));
                app.MapPost("/pipe", (RequestDelegate)(async context =>
                {
                    // Into the pipe without a flush: the limit is met when the middleware completes the pipe.
                    Bytes(Limit + 1).CopyTo(context.Response.BodyWriter.GetMemory(Limit + 1));
                    context.Response.BodyWriter.Advance(Limit + 1);
                    await Task.CompletedTask;
                }));
                app.MapPost("/swallow", (RequestDelegate)(async context =>
                {
                    await context.Response.WriteAsync("partial answer ");
                    try
                    {
                        await context.Response.Body.WriteAsync(Bytes(Limit));
                    }
                    catch (IOException e)
                    {
                        _handlerSaw = e;
                    }
                }));
            },
            options => options.SaveStrategy = SnapshotSaveStrategy.OnRequest,
            (_, persistence) => persistence.UseServiceRequestResolver<HeaderResolver>());
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

    [TestCase(Limit - 1)]
    [TestCase(Limit)]
    public async Task A_response_up_to_the_limit_is_held_and_arrives_whole(int size)
    {
        using var response = await Host.Client.SendAsync(HeaderResolver.Request(HttpMethod.Post, $"/stream/{size}", "svc", mutating: true));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(Bytes(size)));
    }

    [TestCase("/stream/1001")]
    [TestCase("/stream/5000")]
    [TestCase("/pipe")]
    [TestCase("/swallow")]
    public async Task A_response_past_the_limit_becomes_a_500_naming_the_limit_and_the_setting(string path)
    {
        using var response = await Host.Client.SendAsync(HeaderResolver.Request(HttpMethod.Post, path, "svc", mutating: true));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
        var body = await Json.ReadAsync(response);
        Assert.That((string?)body["service"], Is.EqualTo("svc"));
        Assert.That((string?)body["status"], Is.EqualTo("error"));
        Assert.That((string?)body["message"], Does.Contain("1000-byte limit").And.Contain("SnapshotPersistenceMiddlewareOptions.MaxHeldResponseBytes"));

        // The scope still ended: the save ran (ON_REQUEST) and the gate is free for the next request.
        Assert.That(File.Exists(Host.SnapshotPath("svc")), Is.True);
        using var next = await Host.Client.SendAsync(HeaderResolver.Request(HttpMethod.Post, "/stream/10", "svc", mutating: true));
        Assert.That(next.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task The_handler_sees_its_write_fail_with_the_limit_in_the_message()
    {
        using var response = await Host.Client.SendAsync(HeaderResolver.Request(HttpMethod.Post, "/swallow", "svc", mutating: true));

        Assert.That(_handlerSaw, Is.InstanceOf<IOException>());
        Assert.That(_handlerSaw!.Message, Does.Contain("MaxHeldResponseBytes"));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Not.Contain("partial answer"), "a cut answer is not sent");
    }

    [Test]
    public async Task Out_of_range_options_are_refused_when_the_middleware_is_added()
    {
        await using var app = WebApplication.CreateSlimBuilder().Build();
        var options = new SnapshotPersistenceMiddlewareOptions { MaxHeldResponseBytes = 0 };

        Assert.That(() => app.UseSnapshotPersistence(options), Throws.InstanceOf<Microsoft.Extensions.Options.OptionsValidationException>()
            .With.Message.Contain("MaxHeldResponseBytes"));
    }

    private static byte[] Bytes(int count) => [.. Enumerable.Range(0, count).Select(i => (byte)(i % 251))];
}
