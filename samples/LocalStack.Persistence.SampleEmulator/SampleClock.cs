using System.Globalization;

namespace LocalStack.Persistence.SampleEmulator;

/// <summary>
/// The one clock of the sample, registered as the app's <see cref="TimeProvider"/>: every time the sample and the
/// library use (SQS retention, visibility, delays, deduplication windows and timestamps, S3 LastModified, DynamoDB
/// CreationDateTime, snapshot created-at and lastSaved, the scheduled saves) comes from it. It is the system clock,
/// unless <c>LSP_TEST_CLOCK_START</c> is set (tests only): then it starts at that instant and advances with real
/// elapsed time, so that state recorded on one date (the golden sets) behaves the same on any later date.
/// </summary>
internal static partial class SampleClock
{
    /// <summary>The test-only setting: an ISO-8601 instant, e.g. <c>2026-11-27T13:54:17Z</c> (no offset means UTC).</summary>
    public const string StartSetting = "LSP_TEST_CLOCK_START";

    /// <summary>The system clock, or the test clock when <see cref="StartSetting"/> is set (an unreadable value stops start-up).</summary>
    public static TimeProvider FromConfiguration(IConfiguration configuration)
    {
        var value = configuration[StartSetting];
        if (string.IsNullOrWhiteSpace(value))
        {
            return TimeProvider.System;
        }

        if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var start))
        {
            throw new InvalidOperationException($"{StartSetting}='{value}' is not an ISO-8601 instant, e.g. 2026-11-27T13:54:17Z. Unset it to use the system clock.");
        }

        return new TestClock(start);
    }

    /// <summary>Warns at start when the test clock is on: a production emulator must never run on it.</summary>
    public static void WarnIfTestClock(TimeProvider clock, ILogger logger)
    {
        if (clock is TestClock test)
        {
            TestClockOn(logger, StartSetting, test.Start, test.GetUtcNow());
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "{Setting} is set: TEST CLOCK ON, started at {Start:O} (now {Now:O}) instead of the system time. Every timestamp, retention, visibility and deduplication window follows it. For tests only.")]
    private static partial void TestClockOn(ILogger logger, string setting, DateTimeOffset start, DateTimeOffset now);

    /// <summary><see cref="Start"/> plus the real time elapsed since this clock was made; timers and timestamps are the system's.</summary>
    internal sealed class TestClock(DateTimeOffset start) : TimeProvider
    {
        private readonly long _created = TimeProvider.System.GetTimestamp();

        public DateTimeOffset Start { get; } = start.ToUniversalTime();

        public override DateTimeOffset GetUtcNow() => Start + TimeProvider.System.GetElapsedTime(_created);
    }
}
