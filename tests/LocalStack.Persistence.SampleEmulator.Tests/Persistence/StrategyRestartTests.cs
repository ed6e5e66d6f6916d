using System.Net;
using Amazon.SQS.Model;
using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.Persistence;

/// <summary>
/// Issue 5's end-to-end proof: for every save strategy, state made through the real AWS SDKs survives the stop that
/// strategy is meant to survive (graceful stop for SCHEDULED and ON_SHUTDOWN, SIGKILL right after the acknowledgement
/// for ON_REQUEST, the save endpoint then SIGKILL for MANUAL), and comes back under every load strategy. Each restart
/// runs on its own copy of the stopped emulator's volume, so that one check's reads (SQS receives) cannot hide another's.
/// </summary>
[NonParallelizable]
public sealed class StrategyRestartTests
{
    private static readonly string[] LoadStrategies = ["ON_REQUEST", "ON_STARTUP", "MANUAL"];
    private static readonly string[] Services = ["s3", "sqs", "dynamodb"];

    [TestCase("ON_REQUEST")]
    [TestCase("ON_SHUTDOWN")]
    [TestCase("SCHEDULED")]
    [TestCase("MANUAL")]
    public async Task State_survives_the_stop_its_save_strategy_is_meant_for_under_every_load_strategy(string saveStrategy)
    {
        using var volume = new TempDirectory();
        var original = Path.Combine(volume.Path, "original");
        var workload = new PersistenceWorkload();

        await using (var emulator = await EmulatorProcess.StartAsync(original, Environment(saveStrategy, "ON_REQUEST")))
        {
            await workload.CreateAsync(emulator);
            switch (saveStrategy)
            {
                case "ON_REQUEST":
                    // Every acknowledged write is already durable: a crash right after the last answer loses nothing.
                    await emulator.KillAsync();
                    break;
                case "MANUAL":
                    await SaveWhileALongPollIsInFlightAsync(emulator);
                    await PersistenceWorkload.ChangeAfterSaveAsync(emulator);
                    await emulator.KillAsync();
                    break;
                default:
                    Assert.That(await emulator.StopAsync(), Is.Zero, emulator.Output);
                    Assert.That(emulator.Output, Does.Not.Contain("fail:"), "an error was logged");
                    break;
            }
        }

        foreach (var loadStrategy in LoadStrategies)
        {
            var copy = Path.Combine(volume.Path, loadStrategy);
            CopyDirectory(original, copy);
            await using var restarted = await EmulatorProcess.StartAsync(copy, Environment(saveStrategy, loadStrategy));
            if (loadStrategy == "MANUAL")
            {
                // Nothing is loaded until asked.
                await PersistenceWorkload.VerifyEmptyAsync(restarted);
                var (status, body) = await restarted.PostAsync("/_localstack/state/load");
                Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
                var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.That(lines, Has.Length.EqualTo(Services.Length), body);
                Assert.That(lines, Has.All.Contains("\"status\":\"ok\""), body);
            }

            try
            {
                await workload.VerifyAsync(restarted);
                if (saveStrategy == "MANUAL")
                {
                    await PersistenceWorkload.VerifyChangesAfterSaveAbsentAsync(restarted);
                }
            }
            catch (Exception e) when (e is not AssertionException)
            {
                throw new AssertionException($"save {saveStrategy}, load {loadStrategy}: {e}\nEmulator output:\n{restarted.Output}", e);
            }

            await restarted.KillAsync();
        }
    }

    /// <summary>A long poll steps out of the request scope: a save of SQS completes while the poll is still waiting.</summary>
    private static async Task SaveWhileALongPollIsInFlightAsync(EmulatorProcess emulator)
    {
        using var sqs = emulator.CreateSqsClient(PersistenceWorkload.AccountAccessKey);
        var url = (await sqs.CreateQueueAsync("long-poll-queue")).QueueUrl;
        var poll = sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = url, WaitTimeSeconds = 20 });

        foreach (var service in Services)
        {
            var (status, body) = await emulator.PostAsync($"/_localstack/state/{service}/save");
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        }

        Assert.That(poll.IsCompleted, Is.False, "the long poll ended before the saves returned: the test proves nothing");
        await sqs.SendMessageAsync(url, "wakes the poll");
        var received = await poll;
        Assert.That(received.Messages?.Select(m => m.Body), Is.EqualTo(new[] { "wakes the poll" }));
    }

    private static Dictionary<string, string?> Environment(string saveStrategy, string loadStrategy) => new()
    {
        ["SNAPSHOT_SAVE_STRATEGY"] = saveStrategy,
        ["SNAPSHOT_LOAD_STRATEGY"] = loadStrategy,
        ["SNAPSHOT_FLUSH_INTERVAL"] = "2",
    };

    private static void CopyDirectory(string source, string destination)
    {
        foreach (var directory in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(destination, Path.GetRelativePath(source, directory)));
        }

        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(destination, Path.GetRelativePath(source, file)));
        }
    }
}
