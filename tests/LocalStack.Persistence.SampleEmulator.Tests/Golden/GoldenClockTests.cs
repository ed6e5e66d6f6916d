using Amazon.SQS.Model;
using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.Golden;

/// <summary>
/// The emulator's clock, not the machine's date, decides what of a golden set is still alive. <see cref="GoldenStateTests"/>
/// runs each set <see cref="GoldenStateTests.LoadedAfter"/> after it was made; here the same set runs 400 days after, as
/// <see cref="GoldenStateTests"/> did on the system clock once a day had passed since the set was made: every message is
/// past its retention (1 day on the standard queue, the default 4 days on the FIFO one) and gone, in flight or not.
/// </summary>
[TestFixtureSource(typeof(GoldenStateTests), nameof(GoldenStateTests.Sets))]
[NonParallelizable]
public sealed class GoldenClockTests(string set)
{
    private static readonly TimeSpan LongAfter = TimeSpan.FromDays(400);

    [Test]
    public async Task Four_hundred_days_after_the_set_was_made_every_message_is_past_its_retention()
    {
        using var volume = new TempDirectory();
        GoldenSets.CopyTo(set, volume.Path);
        var madeAt = await GoldenSets.MadeAtAsync(set);
        await using var emulator = await EmulatorProcess.StartAsync(volume.Path, madeAt + LongAfter, new Dictionary<string, string?> { ["SNAPSHOT_LOAD_STRATEGY"] = "ON_STARTUP" });
        using var sqs = emulator.CreateSqsClient(GoldenWorkload.AccessKey, GoldenWorkload.Region);

        Assert.That(emulator.Output, Does.Contain("TEST CLOCK ON"), "the emulator warns that it runs on a test clock");
        foreach (var queue in new[] { GoldenSqsWorkload.Queue, GoldenSqsWorkload.FifoQueue })
        {
            var url = (await sqs.GetQueueUrlAsync(queue)).QueueUrl;
            var attributes = (await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = url, AttributeNames = ["All"] })).Attributes;
            using (Assert.EnterMultipleScope())
            {
                Assert.That(attributes["ApproximateNumberOfMessages"], Is.EqualTo("0"), $"{queue}: {emulator.Output}");
                Assert.That(attributes["ApproximateNumberOfMessagesNotVisible"], Is.EqualTo("0"), $"{queue}: {emulator.Output}");
                Assert.That(attributes["ApproximateNumberOfMessagesDelayed"], Is.EqualTo("0"), $"{queue}: {emulator.Output}");
            }
        }
    }
}
