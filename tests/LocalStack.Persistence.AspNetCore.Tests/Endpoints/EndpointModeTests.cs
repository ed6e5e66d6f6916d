using System.Net;
using LocalStack.Persistence.AspNetCore.Tests.Support;

namespace LocalStack.Persistence.AspNetCore.Tests.Endpoints;

/// <summary>Persistence off (PERSISTENCE=0) and read-only: the endpoints answer 409 rather than pretend; reset works in every mode, as LocalStack's.</summary>
public sealed class EndpointModeTests
{
    [TestCase("/_localstack/state/s3/save")]
    [TestCase("/_localstack/state/s3/load")]
    [TestCase("/_localstack/state/s3/delete")]
    [TestCase("/_localstack/state/save")]
    [TestCase("/_localstack/state/load")]
    [TestCase("/_localstack/state/delete")]
    public async Task Disabled_persistence_is_409_with_a_clear_message(string path)
    {
        await using var host = await TestHost.StartAsync([new TestProvider("s3")], app => app.MapSnapshotEndpoints(), options => options.Enabled = false);

        using var response = await host.Client.PostAsync(path, null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        var body = await Json.ReadAsync(response);
        Assert.That((string?)body["status"], Is.EqualTo("error"));
        Assert.That((string?)body["message"], Does.StartWith("Persistence is disabled (PERSISTENCE=0)"));
        Assert.That(Directory.Exists(Path.Combine(host.StateDirectory, "api_states")), Is.False);
    }

    [Test]
    public async Task Disabled_persistence_still_answers_status_and_unknown_services()
    {
        await using var host = await TestHost.StartAsync([new TestProvider("s3")], app => app.MapSnapshotEndpoints(), options => options.Enabled = false);

        using var status = await host.Client.GetAsync("/_localstack/state");
        using var unknown = await host.Client.PostAsync("/_localstack/state/sns/save", null);

        var body = await Json.ReadAsync(status);
        Assert.That((string?)body["persistence"], Is.EqualTo("disabled"));
        Assert.That((string?)body["note"], Does.Contain("nothing is saved").And.Contain("PERSISTENCE=1"), "dirty:false must not read as saved");
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Status_with_persistence_on_has_no_note()
    {
        await using var host = await TestHost.StartAsync([new TestProvider("s3")], app => app.MapSnapshotEndpoints());

        using var status = await host.Client.GetAsync("/_localstack/state");

        Assert.That((await Json.ReadAsync(status)).AsObject().ContainsKey("note"), Is.False);
    }

    [TestCase("/_localstack/state/s3/reset", "application/json")]
    [TestCase("/_localstack/state/reset", "application/x-ndjson")]
    public async Task Disabled_persistence_still_resets_the_live_state(string path, string contentType)
    {
        var s3 = new TestProvider("s3");
        s3.Add("bucket");
        await using var host = await TestHost.StartAsync([s3], app => app.MapSnapshotEndpoints(), options => options.Enabled = false);

        using var response = await host.Client.PostAsync(path, null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo(contentType));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("\"status\":\"ok\""));
        Assert.That(s3.Items, Is.Empty);
        Assert.That(Directory.Exists(Path.Combine(host.StateDirectory, "api_states")), Is.False, "nothing is written");
    }

    [Test]
    public async Task Read_only_refuses_saves_but_loads()
    {
        var s3 = new TestProvider("s3");
        await using var host = await TestHost.StartAsync([s3], app => app.MapSnapshotEndpoints(), options => options.ReadOnly = true);

        using var save = await host.Client.PostAsync("/_localstack/state/s3/save", null);
        using var saveAll = await host.Client.PostAsync("/_localstack/state/save", null);
        using var delete = await host.Client.PostAsync("/_localstack/state/s3/delete", null);
        using var load = await host.Client.PostAsync("/_localstack/state/s3/load", null);

        Assert.That(save.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That((string?)(await Json.ReadAsync(save))["message"], Does.Contain("read-only"));
        Assert.That(saveAll.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(delete.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(load.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(s3.Writes, Is.Zero);
    }
}
