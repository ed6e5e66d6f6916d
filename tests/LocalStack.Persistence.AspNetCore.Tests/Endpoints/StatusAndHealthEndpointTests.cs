using System.Net;
using LocalStack.Persistence.AspNetCore.Tests.Support;

namespace LocalStack.Persistence.AspNetCore.Tests.Endpoints;

/// <summary><c>GET {prefix}</c> and LocalStack's <c>/_localstack/health</c>.</summary>
public sealed class StatusAndHealthEndpointTests
{
    [Test]
    public async Task Status_reports_mode_strategies_and_every_service()
    {
        var s3 = new TestProvider("s3");
        var sqs = new TestProvider("sqs") { FailWrite = true };
        await using var host = await TestHost.StartAsync(
            [s3, sqs],
            app => app.MapSnapshotEndpoints(),
            options => options.SaveStrategy = SnapshotSaveStrategy.OnShutdown);
        s3.Add("bucket");
        host.Manager.MarkModified("s3");
        sqs.Add("queue");
        host.Manager.MarkModified("sqs");
        (await host.Client.PostAsync("/_localstack/state/s3/save", null)).EnsureSuccessStatusCode();
        await host.Client.PostAsync("/_localstack/state/sqs/save", null);

        using var response = await host.Client.GetAsync("/_localstack/state");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var body = await Json.ReadAsync(response);
        Assert.That((string?)body["persistence"], Is.EqualTo("initialized"));
        Assert.That((bool?)body["readOnly"], Is.False);
        Assert.That((string?)body["saveStrategy"], Is.EqualTo("ON_SHUTDOWN"));
        Assert.That((string?)body["loadStrategy"], Is.EqualTo("ON_REQUEST"));
        var services = body["services"]!.AsArray();
        Assert.That(services.Select(s => (string?)s!["service"]), Is.EqualTo(new[] { "s3", "sqs" }));

        var saved = services[0]!;
        var expected = host.Manager.GetStatus("s3");
        Assert.That((bool?)saved["dirty"], Is.False);
        Assert.That((bool?)saved["faulted"], Is.False);
        Assert.That((long?)saved["generation"], Is.EqualTo(expected.Generation).And.GreaterThan(0));
        Assert.That((long?)saved["storedSize"], Is.EqualTo(new FileInfo(host.SnapshotPath("s3")).Length));
        Assert.That(DateTimeOffset.Parse((string)saved["lastSaved"]!, System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(expected.LastSavedAt));
        Assert.That(saved["lastError"], Is.Null);
        Assert.That(saved.AsObject().ContainsKey("loaded"), Is.True);

        var failed = services[1]!;
        Assert.That((bool?)failed["dirty"], Is.True);
        Assert.That((long?)failed["generation"], Is.Zero);
        Assert.That(failed["lastSaved"], Is.Null);
        Assert.That((string?)failed["lastError"], Does.Contain("simulated failure writing the snapshot of 'sqs'"));
    }

    [TestCase(true, "initialized")]
    [TestCase(false, "disabled")]
    public async Task Health_reports_the_persistence_feature_as_localstack_does(bool enabled, string feature)
    {
        var s3 = new TestProvider("s3");
        await using var host = await TestHost.StartAsync(
            [s3, new TestProvider("sqs")],
            app => app.MapSnapshotHealth(version: "4.0.0-test"),
            options => options.Enabled = enabled);

        using var response = await host.Client.GetAsync("/_localstack/health");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var body = await Json.ReadAsync(response);
        Assert.That(body["features"]!.ToJsonString(), Is.EqualTo($$"""{"persistence":"{{feature}}"}"""));
        Assert.That((string?)body["edition"], Is.EqualTo("community"));
        Assert.That((string?)body["version"], Is.EqualTo("4.0.0-test"));
        Assert.That(body["services"]!.AsObject().Select(p => p.Key), Is.EqualTo(new[] { "s3", "sqs" }));
        Assert.That(SnapshotHealth.GetPersistenceFeature(host.Manager), Is.EqualTo(feature));
    }

    [Test]
    public async Task Health_shows_a_service_running_once_it_is_loaded()
    {
        await using var host = await TestHost.StartAsync(
            [new TestProvider("s3"), new TestProvider("sqs")],
            app =>
            {
                app.MapSnapshotHealth();
                app.MapSnapshotEndpoints();
            });

        (await host.Client.PostAsync("/_localstack/state/sqs/load", null)).EnsureSuccessStatusCode();
        using var response = await host.Client.GetAsync("/_localstack/health");

        var body = await Json.ReadAsync(response);
        Assert.That(body["services"]!.ToJsonString(), Is.EqualTo("""{"s3":"available","sqs":"running"}"""));
    }
}
