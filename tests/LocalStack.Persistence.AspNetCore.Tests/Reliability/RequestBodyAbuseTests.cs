using System.Text;
using LocalStack.Persistence.AspNetCore.Endpoints;
using LocalStack.Persistence.AspNetCore.Tests.Support;
using LocalStack.Persistence.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace LocalStack.Persistence.AspNetCore.Tests.Reliability;

/// <summary>
/// Bodies nobody should send to a state endpoint (50 MB, a chunked body that never ends, a Content-Length that is never
/// reached, garbage under odd content types): the save answers as soon as the snapshot is durable, without reading or
/// buffering the body, and the snapshot is on disk.
/// </summary>
[NonParallelizable]
public sealed class RequestBodyAbuseTests
{
    private const string SavePath = "/_localstack/state/svc/save";
    private const long FiftyMegabytes = 50L * 1024 * 1024;

    private TestProvider _svc = null!;
    private TestHost _host = null!;

    [SetUp]
    public Task Start() => StartAsync(unlimitedBodies: false);

    [TearDown]
    public async Task Stop() => await _host.DisposeAsync();

    /// <param name="unlimitedBodies">Kestrel's default 30 MB request limit, or none (as the sample emulator runs: Kestrel then drains all 50 MB after the answer).</param>
    [TestCase(false)]
    [TestCase(true)]
    public async Task A_50_MB_body_is_answered_without_being_read_or_buffered(bool unlimitedBodies)
    {
        if (unlimitedBodies)
        {
            await _host.DisposeAsync();
            await StartAsync(unlimitedBodies);
        }

        using var deadline = new CancellationTokenSource(TestHost.Patience);
        await using var http = await RawHttp.ConnectAsync(_host.Client.BaseAddress!, deadline.Token);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        await http.SendHeadAsync("POST", SavePath, [$"Content-Length: {FiftyMegabytes}", "Content-Type: application/json"], deadline.Token);

        var sent = 0L;
        var sending = Task.Run(async () =>
        {
            var chunk = new byte[64 * 1024];
            chunk.AsSpan().Fill((byte)'x');
            try
            {
                while (sent < FiftyMegabytes)
                {
                    await http.SendAsync(chunk, deadline.Token);
                    sent += chunk.Length;
                }
            }
            catch (IOException)
            {
                // The server closed the connection after its answer: the rest of the body is never wanted.
            }
        });

        var response = await http.ReadResponseAsync(deadline.Token);
        var sentBeforeTheAnswer = sent;

        // The rest of the body goes on until Kestrel has drained it or dropped the connection: neither may buffer it.
        await sending.WaitAsync(TestHost.Patience);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        TestContext.Out.WriteLine($"50 MB body (limit {(unlimitedBodies ? "none" : "30 MB")}): answer {response.Status} after {sentBeforeTheAnswer / 1024} KiB of the body; {sent / 1024} KiB sent in all; {allocated / 1024} KiB allocated by the whole process");
        Assert.That(response.Status, Is.EqualTo(200), response.Body);
        Assert.That(response.Body, Is.EqualTo("""{"service":"svc","status":"ok"}"""));
        Assert.That(allocated, Is.LessThan(FiftyMegabytes / 5), "the body must not be read into memory");
        await AssertSavedAsync();
    }

    /// <param name="framing">A chunked body without its last chunk, or a Content-Length the client never reaches.</param>
    [TestCase("Transfer-Encoding: chunked", "10\r\n{\"never\":\"ends\"\r\n")]
    [TestCase("Content-Length: 1000000", "{\"only\":\"a few bytes of a million\"")]
    public async Task A_body_that_never_ends_still_gets_its_answer(string framing, string firstBytes)
    {
        using var deadline = new CancellationTokenSource(TestHost.Patience);
        await using var http = await RawHttp.ConnectAsync(_host.Client.BaseAddress!, deadline.Token);
        await http.SendHeadAsync("POST", SavePath, [framing, "Content-Type: application/json"], deadline.Token);
        await http.SendAsync(Encoding.ASCII.GetBytes(firstBytes), deadline.Token);

        // The connection stays open, the body unfinished: the answer must not wait for it.
        var response = await http.ReadResponseAsync(deadline.Token);

        Assert.That(response.Status, Is.EqualTo(200), response.Body);
        Assert.That(response.Body, Is.EqualTo("""{"service":"svc","status":"ok"}"""));
        await AssertSavedAsync();
    }

    [TestCase("{\"service\": ", "application/json")]
    [TestCase("not json at all", "application/json; charset=utf-8")]
    [TestCase("{}", "application/json; charset=utf-32")]
    [TestCase("\u0000\u0001\u00ff\u00fe", "application/octet-stream")]
    [TestCase("<save service=\"other\"/>", "text/xml")]
    [TestCase("service=other&operation=reset", "application/x-www-form-urlencoded")]
    [TestCase("--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n", "multipart/form-data; boundary=b")]
    [TestCase("x", ";;;/\u0001")]
    [TestCase("x", null)]
    public async Task A_garbage_body_under_any_content_type_is_ignored_and_the_save_happens(string body, string? contentType)
    {
        using var deadline = new CancellationTokenSource(TestHost.Patience);

        var response = await RawHttp.SendAsync(_host.Client.BaseAddress!, "POST", SavePath, Encoding.Latin1.GetBytes(body), contentType, deadline.Token);

        Assert.That(response.Status, Is.EqualTo(200), response.Body);
        Assert.That(response.ContentType, Does.StartWith("application/json"));
        Assert.That(response.Body, Is.EqualTo("""{"service":"svc","status":"ok"}"""));
        await AssertSavedAsync();
    }

    [Test]
    public async Task A_garbage_body_on_the_all_services_endpoint_is_ignored_too()
    {
        using var deadline = new CancellationTokenSource(TestHost.Patience);

        var response = await RawHttp.SendAsync(_host.Client.BaseAddress!, "POST", "/_localstack/state/save", Encoding.ASCII.GetBytes("{\"services\":[\"../../etc\"]"), "application/json", deadline.Token);

        Assert.That(response.Status, Is.EqualTo(200), response.Body);
        Assert.That(response.ContentType, Is.EqualTo(SnapshotStateHandlers.NdjsonContentType));
        Assert.That(response.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EquivalentTo(new[]
        {
            """{"service":"svc","status":"ok"}""",
            """{"service":"other","status":"ok"}""",
        }));
        await AssertSavedAsync();
    }

    private async Task StartAsync(bool unlimitedBodies)
    {
        _svc = new TestProvider("svc");
        _host = await TestHost.StartAsync(
            [_svc, new TestProvider("other")],
            app => app.MapSnapshotEndpoints(),
            configureServices: (builder, _) => builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = unlimitedBodies ? null : kestrel.Limits.MaxRequestBodySize));
        _svc.Add("item-before-the-abuse");
        _host.Manager.MarkModified("svc");
    }

    private async Task AssertSavedAsync()
    {
        Assert.That(_host.Manager.GetStatus("svc").Dirty, Is.False);
        var reader = new TestProvider("svc");
        await new ServiceSnapshotter(_host.App.Services.GetRequiredService<ISnapshotStore>()).LoadAsync(reader).AsTask().WaitAsync(TestHost.Patience);
        Assert.That(reader.Items, Is.EqualTo(new[] { "item-before-the-abuse" }));
    }
}
