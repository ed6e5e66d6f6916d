using LocalStack.Persistence.Configuration;
using LocalStack.Persistence.Tests.Hosting;
using Microsoft.Extensions.Options;

namespace LocalStack.Persistence.Tests.Configuration;

public sealed class SnapshotPersistenceOptionsValidatorTests
{
    private readonly SnapshotPersistenceOptionsValidator _validator = new();

    [Test]
    public void The_defaults_are_valid()
        => Assert.That(_validator.Validate(null, new SnapshotPersistenceOptions()).Succeeded, Is.True);

    [TestCase(0)]
    [TestCase(-1000)]
    [TestCase(86_400_001)]
    public void A_flush_interval_outside_1_ms_to_1_day_is_rejected(int milliseconds)
        => AssertRejected(new SnapshotPersistenceOptions { FlushInterval = TimeSpan.FromMilliseconds(milliseconds) }, nameof(SnapshotPersistenceOptions.FlushInterval));

    [TestCase(-1)]
    [TestCase(1001)]
    public void A_commit_delay_outside_0_to_1_second_is_rejected(int milliseconds)
        => AssertRejected(new SnapshotPersistenceOptions { CommitDelay = TimeSpan.FromMilliseconds(milliseconds) }, nameof(SnapshotPersistenceOptions.CommitDelay));

    [TestCase(0)]
    [TestCase(1000)]
    public void The_commit_delay_bounds_are_accepted(int milliseconds)
        => Assert.That(_validator.Validate(null, new SnapshotPersistenceOptions { CommitDelay = TimeSpan.FromMilliseconds(milliseconds) }).Succeeded, Is.True);

    [TestCase(1)]
    [TestCase(86_400_000)]
    public void The_flush_interval_bounds_are_accepted(int milliseconds)
        => Assert.That(_validator.Validate(null, new SnapshotPersistenceOptions { FlushInterval = TimeSpan.FromMilliseconds(milliseconds) }).Succeeded, Is.True);

    [TestCase("")]
    [TestCase("   ")]
    public void An_empty_state_directory_is_rejected(string directory)
        => AssertRejected(new SnapshotPersistenceOptions { StateDirectory = directory }, nameof(SnapshotPersistenceOptions.StateDirectory));

    [TestCase(0L)]
    [TestCase(-1L)]
    public void A_maximum_snapshot_size_of_zero_or_less_is_rejected(long bytes)
        => AssertRejected(new SnapshotPersistenceOptions { MaxSnapshotBytes = bytes }, nameof(SnapshotPersistenceOptions.MaxSnapshotBytes));

    [Test]
    public void Undefined_enum_values_are_rejected()
    {
        AssertRejected(new SnapshotPersistenceOptions { SaveStrategy = (SnapshotSaveStrategy)42 }, nameof(SnapshotPersistenceOptions.SaveStrategy));
        AssertRejected(new SnapshotPersistenceOptions { LoadStrategy = (SnapshotLoadStrategy)42 }, nameof(SnapshotPersistenceOptions.LoadStrategy));
        AssertRejected(new SnapshotPersistenceOptions { Compression = (SnapshotCompression)42 }, nameof(SnapshotPersistenceOptions.Compression));
    }

    [Test]
    public async Task An_invalid_option_set_in_code_stops_start_up()
    {
        var builder = TestHosts.CreateBuilder();
        builder.Services.AddSnapshotPersistence(o => o.FlushInterval = TimeSpan.Zero);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.Message, Does.Contain(nameof(SnapshotPersistenceOptions.FlushInterval)));
    }

    [Test]
    public async Task An_empty_state_directory_in_the_section_stops_start_up()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string?> { ["SnapshotPersistence:StateDirectory"] = "" });
        builder.Services.AddSnapshotPersistence();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.Message, Does.Contain(nameof(SnapshotPersistenceOptions.StateDirectory)));
    }

    private void AssertRejected(SnapshotPersistenceOptions options, string member)
    {
        var result = _validator.Validate(null, options);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Failed, Is.True, $"{member} should be rejected");
            Assert.That(result.FailureMessage, Does.Contain(member));
        }
    }
}
