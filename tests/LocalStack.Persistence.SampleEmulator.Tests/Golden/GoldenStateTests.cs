using System.Net;
using System.Text.Json;
using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.Golden;

/// <summary>
/// Reliability catalogue case 5: every committed golden set (state made by an earlier emulator) still loads into
/// today's emulator, whole and exact, through the real AWS SDK clients. One emulator per set, on a copy of the set;
/// each test reads one service. The emulator's clock starts <see cref="LoadedAfter"/> after the set was made (the
/// instant its snapshot headers record), never at today's date: retention, visibility and deduplication windows
/// behave as they did right after the set was recorded, on any machine date (2027, 2038 or later).
/// </summary>
[TestFixtureSource(nameof(Sets))]
[NonParallelizable]
public sealed class GoldenStateTests(string set)
{
    private GoldenSetEmulator? _golden;
    private GoldenExpectation _expected = null!;

    /// <summary>
    /// How long after the set was made its emulator lives: past the 5-minute FIFO deduplication window, far inside the
    /// workload's 1-day retention and 12-hour visibility timeout; and late enough that anything the emulator re-made
    /// would carry a timestamp after <see cref="GoldenSets.MadeAtAsync"/>.
    /// </summary>
    public static readonly TimeSpan LoadedAfter = TimeSpan.FromMinutes(10);

    public static string[] Sets() => GoldenSets.Names();

    private GoldenSetEmulator Golden => _golden ?? throw new InvalidOperationException("not started");

    private EmulatorProcess Emulator => Golden.Emulator;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _expected = GoldenSets.ReadExpected(set);
        _golden = await GoldenSetEmulator.StartAsync(set, LoadedAfter);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_golden is not null)
        {
            await _golden.DisposeAsync();
        }
    }

    [Test]
    public async Task Every_service_of_the_set_loads_without_a_fault()
    {
        using var http = new HttpClient { BaseAddress = new Uri(Emulator.ServiceUrl) };
        using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri("/_localstack/state", UriKind.Relative)));
        foreach (var line in document.RootElement.GetProperty("services").EnumerateArray())
        {
            var service = line.GetProperty("service").GetString();
            Assert.That(line.GetProperty("faulted").GetBoolean(), Is.False, $"{service}: {line}");
            Assert.That(line.GetProperty("loaded").GetBoolean(), Is.True, $"{service}: {line}");
            Assert.That(line.GetProperty("generation").GetInt64(), Is.Positive, $"{service}: {line}");
        }
    }

    [Test]
    public Task S3_objects_metadata_and_the_in_progress_upload_are_exact() => Guarded(() => GoldenWorkload.VerifyS3Async(Emulator, _expected.UploadId, Golden.MadeAt));

    [Test]
    public Task Sqs_queues_messages_attributes_and_the_in_flight_message_are_exact() => Guarded(() => GoldenSqsWorkload.VerifyAsync(Emulator, _expected.InFlightReceiptHandle, Golden.MadeAt));

    [Test]
    public Task DynamoDb_table_index_and_items_are_exact() => Guarded(() => GoldenDynamoDbWorkload.VerifyAsync(Emulator));

    [Test]
    public async Task The_loaded_set_saves_again_under_todays_schema()
    {
        foreach (var service in GoldenSets.Services)
        {
            var (status, body) = await Emulator.PostAsync($"/_localstack/state/{service}/save");
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        }
    }

    private async Task Guarded(Func<Task> verify)
    {
        try
        {
            await verify();
        }
        catch (Exception e) when (e is not AssertionException and not MultipleAssertException)
        {
            throw new AssertionException($"golden set {set}: {e}\nEmulator output:\n{Emulator.Output}", e);
        }
    }
}
