using System.Globalization;
using System.Net;
using System.Text.Json;
using Amazon.S3.Model;
using Amazon.SQS.Model;
using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.Golden;

/// <summary>
/// The emulator's clock, not the machine's date, decides what of a golden set is still alive and how new state is
/// stamped. <see cref="GoldenStateTests"/> runs each set <see cref="GoldenStateTests.LoadedAfter"/> after it was made;
/// here the same set runs 400 days after, as <see cref="GoldenStateTests"/> did on the system clock once a day had passed
/// since the set was made: every message is past its retention (1 day on the standard queue, the default 4 days on the
/// FIFO one) and gone, in flight or not.
/// </summary>
[TestFixtureSource(typeof(GoldenStateTests), nameof(GoldenStateTests.Sets))]
[NonParallelizable]
public sealed class GoldenClockTests(string set)
{
    private static readonly TimeSpan LongAfter = TimeSpan.FromDays(400);
    private GoldenSetEmulator? _golden;

    private EmulatorProcess Emulator => _golden?.Emulator ?? throw new InvalidOperationException("not started");

    [OneTimeSetUp]
    public async Task StartAsync() => _golden = await GoldenSetEmulator.StartAsync(set, LongAfter);

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_golden is not null)
        {
            await _golden.DisposeAsync();
        }
    }

    [Test]
    public async Task Four_hundred_days_after_the_set_was_made_every_message_is_past_its_retention()
    {
        using var sqs = Emulator.CreateSqsClient(GoldenWorkload.AccessKey, GoldenWorkload.Region);
        foreach (var queue in new[] { GoldenSqsWorkload.Queue, GoldenSqsWorkload.FifoQueue })
        {
            var url = (await sqs.GetQueueUrlAsync(queue)).QueueUrl;
            var attributes = (await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = url, AttributeNames = ["All"] })).Attributes;
            using (Assert.EnterMultipleScope())
            {
                Assert.That(attributes["ApproximateNumberOfMessages"], Is.EqualTo("0"), $"{queue}: {Emulator.Output}");
                Assert.That(attributes["ApproximateNumberOfMessagesNotVisible"], Is.EqualTo("0"), $"{queue}: {Emulator.Output}");
                Assert.That(attributes["ApproximateNumberOfMessagesDelayed"], Is.EqualTo("0"), $"{queue}: {Emulator.Output}");
            }
        }
    }

    [Test]
    public async Task New_state_and_its_snapshot_are_stamped_by_the_test_clock_and_the_emulator_warns_of_it()
    {
        var start = Emulator.ClockStart!.Value;
        using var s3 = Emulator.CreateS3Client(GoldenWorkload.AccessKey, GoldenWorkload.Region);
        using var sqs = Emulator.CreateSqsClient(GoldenWorkload.AccessKey, GoldenWorkload.Region);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = GoldenWorkload.Bucket, Key = "clock.txt", ContentBody = "now" });
        var url = (await sqs.GetQueueUrlAsync(GoldenSqsWorkload.Queue)).QueueUrl;
        await sqs.SendMessageAsync(url, "now");
        var (status, body) = await Emulator.PostAsync("/_localstack/state/sqs/save");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);

        var lastModified = (await s3.GetObjectMetadataAsync(GoldenWorkload.Bucket, "clock.txt")).LastModified;
        var sent = (await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = url, MessageSystemAttributeNames = ["SentTimestamp"] })).Messages.Single().Attributes["SentTimestamp"];
        using var http = new HttpClient { BaseAddress = new Uri(Emulator.ServiceUrl) };
        using var state = JsonDocument.Parse(await http.GetStringAsync(new Uri("/_localstack/state", UriKind.Relative)));
        var lastSaved = state.RootElement.GetProperty("services").EnumerateArray().Single(s => s.GetProperty("service").GetString() == "sqs").GetProperty("lastSaved").GetDateTimeOffset();
        var createdAt = (await GoldenSets.ReadHeadersAsync(Path.Combine(Emulator.VolumeDirectory, "state"))).Single(m => m.ServiceName == "sqs").CreatedAt;
        var end = Emulator.ClockUpperBound();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Emulator.Output, Does.Contain("TEST CLOCK ON"), "the emulator warns that it runs on a test clock");

            // S3 keeps whole seconds.
            Assert.That(lastModified, Is.InRange(start.UtcDateTime.AddSeconds(-1), end.UtcDateTime), "S3 LastModified");
            Assert.That(long.Parse(sent, CultureInfo.InvariantCulture), Is.InRange(start.ToUnixTimeMilliseconds(), end.ToUnixTimeMilliseconds()), "SQS SentTimestamp");
            Assert.That(lastSaved, Is.InRange(start, end), "the library's lastSaved");
            Assert.That(createdAt, Is.InRange(start.AddMilliseconds(-1), end), "the snapshot header's created-at (milliseconds)");
        }
    }
}
