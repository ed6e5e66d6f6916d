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
    public async Task A_save_of_an_unknown_service_is_answered_404()
    {
        using var volume = new TempDirectory();
        await using var emulator = await EmulatorProcess.StartAsync(volume.Path);
        var (status, _) = await emulator.PostAsync("/_localstack/state/nosuchservice/save");
        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
