using System.Net;
using LocalStack.Persistence.AspNetCore.Tests.Support;

namespace LocalStack.Persistence.AspNetCore.Tests.Endpoints;

/// <summary><c>POST {prefix}/{service}/save|load|reset|delete</c> and every error shape, against a real server.</summary>
public sealed class OneServiceEndpointTests
{
    private TestProvider _s3 = null!;
    private TestHost _host = null!;

    [SetUp]
    public async Task Start()
    {
        _s3 = new TestProvider("s3");
        _host = await TestHost.StartAsync([_s3, new TestProvider("sqs")], app => app.MapSnapshotEndpoints());
    }

    [TearDown]
    public async Task Stop() => await _host.DisposeAsync();

    [Test]
    public async Task Save_answers_ok_once_the_snapshot_is_on_disk()
    {
        _s3.Add("bucket-a");
        _host.Manager.MarkModified("s3");

        using var response = await _host.Client.PostAsync("/_localstack/state/s3/save", null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("""{"service":"s3","status":"ok"}"""));
        Assert.That(File.Exists(_host.SnapshotPath("s3")), Is.True);
        Assert.That(_host.Manager.GetStatus("s3").Dirty, Is.False);
    }

    [Test]
    public async Task Load_brings_back_the_saved_state_reset_empties_it_and_delete_removes_the_snapshot()
    {
        _s3.Add("bucket-a");
        _host.Manager.MarkModified("s3");
        (await _host.Client.PostAsync("/_localstack/state/s3/save", null)).EnsureSuccessStatusCode();
        _s3.Add("bucket-b");

        using var load = await _host.Client.PostAsync("/_localstack/state/s3/load", null);
        Assert.That(load.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await load.Content.ReadAsStringAsync(), Is.EqualTo("""{"service":"s3","status":"ok"}"""));
        Assert.That(_s3.Items, Is.EqualTo(new[] { "bucket-a" }));

        using var reset = await _host.Client.PostAsync("/_localstack/state/s3/reset", null);
        Assert.That(reset.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(_s3.Items, Is.Empty);
        Assert.That(File.Exists(_host.SnapshotPath("s3")), Is.True, "a reset keeps the snapshot until the strategy saves (MANUAL here)");
        Assert.That(_host.Manager.GetStatus("s3").Dirty, Is.True, "the empty state is a change to persist");

        // Reset between tests, then load: back to the last save.
        (await _host.Client.PostAsync("/_localstack/state/s3/load", null)).EnsureSuccessStatusCode();
        Assert.That(_s3.Items, Is.EqualTo(new[] { "bucket-a" }));

        using var delete = await _host.Client.PostAsync("/_localstack/state/s3/delete", null);
        Assert.That(delete.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await delete.Content.ReadAsStringAsync(), Is.EqualTo("""{"service":"s3","status":"ok"}"""));
        Assert.That(File.Exists(_host.SnapshotPath("s3")), Is.False);
        Assert.That(_s3.Items, Is.EqualTo(new[] { "bucket-a" }), "delete leaves the live state alone");
        Assert.That(_host.Manager.GetStatus("s3").Generation, Is.Zero);
    }

    [Test]
    public async Task A_failing_save_is_a_500_error_line_with_the_message()
    {
        _s3.Add("bucket-a");
        _s3.FailWrite = true;
        _host.Manager.MarkModified("s3");

        using var response = await _host.Client.PostAsync("/_localstack/state/s3/save", null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
        var body = await Json.ReadAsync(response);
        Assert.That((string?)body["service"], Is.EqualTo("s3"));
        Assert.That((string?)body["status"], Is.EqualTo("error"));
        Assert.That((string?)body["message"], Does.Contain("simulated failure writing the snapshot of 's3'"));
        Assert.That(File.Exists(_host.SnapshotPath("s3")), Is.False);
    }

    [Test]
    public async Task An_unknown_service_is_404_with_a_json_error()
    {
        using var response = await _host.Client.PostAsync("/_localstack/state/lambda/save", null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("Unknown service 'lambda'"), "readable in a terminal, no \\u0027");
        var body = await Json.ReadAsync(response);
        Assert.That((string?)body["service"], Is.EqualTo("lambda"));
        Assert.That((string?)body["status"], Is.EqualTo("error"));
        Assert.That((string?)body["message"], Does.Contain("Unknown service 'lambda'").And.Contain("s3, sqs"));
    }

    [TestCase("A%20B", "A B")]
    [TestCase("S3", "S3")]
    [TestCase("..%2F", "..%2F")]
    [TestCase("...", "...")]
    [TestCase("s3%2F..%2F..", "s3%2F..%2F..")]
    [TestCase("con", "con")]
    [TestCase("a%0Ab", "a\nb")]
    public async Task An_invalid_service_name_is_400_and_touches_nothing(string segment, string seenByTheServer)
    {
        using var response = await _host.Client.PostAsync($"/_localstack/state/{segment}/save", null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var body = await Json.ReadAsync(response);
        Assert.That((string?)body["service"], Is.EqualTo(seenByTheServer));
        Assert.That((string?)body["status"], Is.EqualTo("error"));
        Assert.That((string?)body["message"], Does.StartWith("Invalid service name"));
        Assert.That(Directory.Exists(Path.Combine(_host.StateDirectory, "api_states")), Is.False);
    }

    [Test]
    public async Task A_nul_byte_in_the_name_never_reaches_a_service()
    {
        using var response = await _host.Client.PostAsync("/_localstack/state/s3%00/save", null);

        // Kestrel itself refuses a decoded NUL in the path, before routing: a bare 400.
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.Empty);
        Assert.That(_s3.Writes, Is.Zero);
    }

    [Test]
    public async Task Dot_segments_are_resolved_before_routing_and_never_reach_a_service()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/_localstack/state/%2E%2E/save");
        using var response = await _host.Client.SendAsync(request);

        // "/_localstack/state/../save" is "/_localstack/save": not a state endpoint at all.
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.Empty);
    }

    [TestCase("/_localstack/state/s3/backup")]
    [TestCase("/_localstack/state/backup")]
    [TestCase("/_localstack/state/s3")]
    public async Task An_unknown_operation_is_404_with_a_json_error(string path)
    {
        using var response = await _host.Client.PostAsync(path, null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var body = await Json.ReadAsync(response);
        Assert.That((string?)body["status"], Is.EqualTo("error"));
        Assert.That((string?)body["message"], Does.StartWith("Unknown operation").And.Contain("expected save, load, reset or delete"));
        Assert.That(body.AsObject().ContainsKey("service"), Is.False, "an unknown operation concerns no service");
    }

    [TestCase("GET", "/_localstack/state/s3/save", "POST")]
    [TestCase("PUT", "/_localstack/state/s3/load", "POST")]
    [TestCase("DELETE", "/_localstack/state/s3/reset", "POST")]
    [TestCase("GET", "/_localstack/state/save", "POST")]
    [TestCase("POST", "/_localstack/state", "GET")]
    [TestCase("DELETE", "/_localstack/state", "GET")]
    public async Task A_wrong_method_is_405_with_an_allow_header(string method, string path, string allowed)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        using var response = await _host.Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
        Assert.That(response.Content.Headers.Allow, Is.EqualTo(new[] { allowed }));
        var body = await Json.ReadAsync(response);
        Assert.That((string?)body["status"], Is.EqualTo("error"));
        Assert.That((string?)body["message"], Does.Contain($"use {allowed}"));
        Assert.That(_s3.Writes, Is.Zero);
    }
}
