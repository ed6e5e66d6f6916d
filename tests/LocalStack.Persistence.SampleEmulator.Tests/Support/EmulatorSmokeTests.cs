using System.Net;

namespace LocalStack.Persistence.SampleEmulator.Tests.Support;

public sealed class EmulatorSmokeTests
{
    [Test]
    public async Task The_emulator_starts_reports_persistence_and_stops_on_SIGTERM()
    {
        using var volume = new TempDirectory();
        await using var emulator = await EmulatorProcess.StartAsync(volume.Path);

        using var http = new HttpClient { BaseAddress = new Uri(emulator.ServiceUrl) };
        var health = await http.GetStringAsync(new Uri("/_localstack/health", UriKind.Relative));
        Assert.That(health, Does.Contain("\"persistence\":\"initialized\""));

        var exitCode = await emulator.StopAsync();
        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.Zero, emulator.Output);
            Assert.That(emulator.Output, Does.Contain("Snapshot persistence is enabled: save strategy"));
            Assert.That(Directory.Exists(Path.Combine(volume.Path, "state")), Is.True);
        });
    }

    [Test]
    public async Task With_PERSISTENCE_0_the_services_work_in_memory_and_nothing_is_written()
    {
        using var volume = new TempDirectory();
        await using var emulator = await EmulatorProcess.StartAsync(volume.Path, new Dictionary<string, string?> { ["PERSISTENCE"] = "0" });

        using var s3 = emulator.CreateS3Client();
        await s3.PutBucketAsync("in-memory");
        Assert.That((await s3.ListBucketsAsync()).Buckets?.Select(b => b.BucketName), Is.EqualTo(new[] { "in-memory" }));

        using var http = new HttpClient { BaseAddress = new Uri(emulator.ServiceUrl) };
        Assert.That(await http.GetStringAsync(new Uri("/_localstack/health", UriKind.Relative)), Does.Contain("\"persistence\":\"disabled\""));
        var (status, body) = await emulator.PostAsync("/_localstack/state/s3/save");
        Assert.That(status, Is.EqualTo(HttpStatusCode.Conflict), body);

        Assert.That(await emulator.StopAsync(), Is.Zero, emulator.Output);
        Assert.That(Directory.Exists(Path.Combine(volume.Path, "state")), Is.False, "a state folder was created with persistence off");
    }

    [Test]
    public async Task A_save_of_an_unknown_service_is_answered_404()
    {
        using var volume = new TempDirectory();
        await using var emulator = await EmulatorProcess.StartAsync(volume.Path);
        var (status, _) = await emulator.PostAsync("/_localstack/state/nosuchservice/save");
        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
