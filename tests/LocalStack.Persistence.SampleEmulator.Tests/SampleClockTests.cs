using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace LocalStack.Persistence.SampleEmulator.Tests;

/// <summary>The sample's clock: the system clock unless LSP_TEST_CLOCK_START starts a test clock at a given instant.</summary>
public sealed class SampleClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 13, 54, 17, TimeSpan.Zero);

    [Test]
    public void Without_the_setting_the_clock_is_the_system_clock()
    {
        Assert.That(SampleClock.FromConfiguration(Configuration(null)), Is.SameAs(TimeProvider.System));
        Assert.That(SampleClock.FromConfiguration(Configuration(" ")), Is.SameAs(TimeProvider.System), "an empty variable counts as unset");
    }

    [TestCase("2026-11-27T13:54:17Z")]
    [TestCase("2026-11-27T13:54:17.0000000+00:00")]
    [TestCase("2026-11-27T14:54:17+01:00")]
    [TestCase("2026-11-27T13:54:17")]
    public void The_test_clock_starts_at_the_instant_and_advances_with_real_time(string value)
    {
        var sinceBefore = Stopwatch.StartNew();
        var clock = SampleClock.FromConfiguration(Configuration(value));

        var now = clock.GetUtcNow();

        Assert.That(now, Is.InRange(Start, Start + sinceBefore.Elapsed), "no offset means UTC");
        Assert.That(now.Offset, Is.EqualTo(TimeSpan.Zero));
    }

    [Test]
    public void An_unreadable_instant_stops_start_up_with_the_setting_and_the_value()
    {
        var error = Assert.Throws<InvalidOperationException>(() => SampleClock.FromConfiguration(Configuration("next tuesday")));
        Assert.That(error!.Message, Does.Contain("LSP_TEST_CLOCK_START='next tuesday'").And.Contain("ISO-8601"));
    }

    private static IConfiguration Configuration(string? start) => new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { [SampleClock.StartSetting] = start })
        .Build();
}
