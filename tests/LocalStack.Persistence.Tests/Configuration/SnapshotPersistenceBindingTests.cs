using LocalStack.Persistence.Tests.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LocalStack.Persistence.Tests.Configuration;

public sealed class SnapshotPersistenceBindingTests
{
    [Test]
    public void Nothing_set_gives_the_defaults()
    {
        var options = Bind([]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(options.Enabled, Is.False);
            Assert.That(options.SaveStrategy, Is.EqualTo(SnapshotSaveStrategy.Scheduled));
            Assert.That(options.LoadStrategy, Is.EqualTo(SnapshotLoadStrategy.OnRequest));
            Assert.That(options.FlushInterval, Is.EqualTo(TimeSpan.FromSeconds(15)));
            Assert.That(options.StateDirectory, Is.EqualTo("volume/state"));
            Assert.That(options.Compression, Is.EqualTo(SnapshotCompression.Lz4));
            Assert.That(options.MaxSnapshotBytes, Is.EqualTo(4L * 1024 * 1024 * 1024));
            Assert.That(options.ReadOnly, Is.False);
        }
    }

    [Test]
    public void The_section_alone_binds_every_option()
    {
        var options = Bind(new()
        {
            ["SnapshotPersistence:Enabled"] = "true",
            ["SnapshotPersistence:SaveStrategy"] = "OnShutdown",
            ["SnapshotPersistence:LoadStrategy"] = "OnStartup",
            ["SnapshotPersistence:FlushInterval"] = "00:00:05",
            ["SnapshotPersistence:StateDirectory"] = "/data/state",
            ["SnapshotPersistence:Compression"] = "None",
            ["SnapshotPersistence:MaxSnapshotBytes"] = "1048576",
            ["SnapshotPersistence:ReadOnly"] = "true",
            ["SnapshotPersistence:CommitDelay"] = "00:00:00.002",
        });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(options.Enabled, Is.True);
            Assert.That(options.SaveStrategy, Is.EqualTo(SnapshotSaveStrategy.OnShutdown));
            Assert.That(options.LoadStrategy, Is.EqualTo(SnapshotLoadStrategy.OnStartup));
            Assert.That(options.FlushInterval, Is.EqualTo(TimeSpan.FromSeconds(5)));
            Assert.That(options.StateDirectory, Is.EqualTo("/data/state"));
            Assert.That(options.Compression, Is.EqualTo(SnapshotCompression.None));
            Assert.That(options.MaxSnapshotBytes, Is.EqualTo(1048576));
            Assert.That(options.ReadOnly, Is.True);
            Assert.That(options.CommitDelay, Is.EqualTo(TimeSpan.FromMilliseconds(2)));
        }
    }

    [TestCase("ON_REQUEST", SnapshotSaveStrategy.OnRequest)]
    [TestCase("on_shutdown", SnapshotSaveStrategy.OnShutdown)]
    [TestCase("Scheduled", SnapshotSaveStrategy.Scheduled)]
    [TestCase("manual", SnapshotSaveStrategy.Manual)]
    [TestCase("onrequest", SnapshotSaveStrategy.OnRequest)]
    public void The_section_takes_LocalStack_names_and_enum_names_for_the_save_strategy(string value, SnapshotSaveStrategy expected)
        => Assert.That(Bind(new() { ["SnapshotPersistence:SaveStrategy"] = value }).SaveStrategy, Is.EqualTo(expected));

    [TestCase("ON_STARTUP", SnapshotLoadStrategy.OnStartup)]
    [TestCase("OnRequest", SnapshotLoadStrategy.OnRequest)]
    [TestCase("MANUAL", SnapshotLoadStrategy.Manual)]
    public void The_section_takes_LocalStack_names_and_enum_names_for_the_load_strategy(string value, SnapshotLoadStrategy expected)
        => Assert.That(Bind(new() { ["SnapshotPersistence:LoadStrategy"] = value }).LoadStrategy, Is.EqualTo(expected));

    [TestCase("1", true)]
    [TestCase("0", false)]
    [TestCase("true", true)]
    [TestCase("false", false)]
    [TestCase("TRUE", true)]
    [TestCase("False", false)]
    public void PERSISTENCE_turns_persistence_on_and_off(string value, bool expected)
    {
        // Against the opposite section value, so that the variable is seen to decide.
        var options = Bind(new() { ["SnapshotPersistence:Enabled"] = (!expected).ToString(), ["PERSISTENCE"] = value });

        Assert.That(options.Enabled, Is.EqualTo(expected));
    }

    [TestCase("ON_REQUEST", SnapshotSaveStrategy.OnRequest)]
    [TestCase("ON_SHUTDOWN", SnapshotSaveStrategy.OnShutdown)]
    [TestCase("SCHEDULED", SnapshotSaveStrategy.Scheduled)]
    [TestCase("MANUAL", SnapshotSaveStrategy.Manual)]
    [TestCase("on_request", SnapshotSaveStrategy.OnRequest)]
    public void SNAPSHOT_SAVE_STRATEGY_picks_the_save_strategy(string value, SnapshotSaveStrategy expected)
        => Assert.That(Bind(new() { ["SNAPSHOT_SAVE_STRATEGY"] = value }).SaveStrategy, Is.EqualTo(expected));

    [TestCase("ON_REQUEST", SnapshotLoadStrategy.OnRequest)]
    [TestCase("ON_STARTUP", SnapshotLoadStrategy.OnStartup)]
    [TestCase("MANUAL", SnapshotLoadStrategy.Manual)]
    [TestCase("On_Startup", SnapshotLoadStrategy.OnStartup)]
    public void SNAPSHOT_LOAD_STRATEGY_picks_the_load_strategy(string value, SnapshotLoadStrategy expected)
        => Assert.That(Bind(new() { ["SNAPSHOT_LOAD_STRATEGY"] = value }).LoadStrategy, Is.EqualTo(expected));

    [Test]
    public void SNAPSHOT_FLUSH_INTERVAL_is_in_seconds()
        => Assert.That(Bind(new() { ["SNAPSHOT_FLUSH_INTERVAL"] = "5" }).FlushInterval, Is.EqualTo(TimeSpan.FromSeconds(5)));

    [Test]
    public void LOCALSTACK_VOLUME_DIR_puts_the_state_in_its_state_folder()
        => Assert.That(Bind(new() { ["LOCALSTACK_VOLUME_DIR"] = "/x" }).StateDirectory, Is.EqualTo(Path.Combine("/x", "state")));

    [Test]
    public void LocalStack_names_win_over_the_section()
    {
        var options = Bind(new()
        {
            ["SnapshotPersistence:Enabled"] = "false",
            ["SnapshotPersistence:SaveStrategy"] = "Manual",
            ["SnapshotPersistence:LoadStrategy"] = "Manual",
            ["SnapshotPersistence:FlushInterval"] = "00:01:00",
            ["SnapshotPersistence:StateDirectory"] = "/from/section",
            ["PERSISTENCE"] = "1",
            ["SNAPSHOT_SAVE_STRATEGY"] = "ON_REQUEST",
            ["SNAPSHOT_LOAD_STRATEGY"] = "ON_STARTUP",
            ["SNAPSHOT_FLUSH_INTERVAL"] = "7",
            ["LOCALSTACK_VOLUME_DIR"] = "/from/variable",
        });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(options.Enabled, Is.True);
            Assert.That(options.SaveStrategy, Is.EqualTo(SnapshotSaveStrategy.OnRequest));
            Assert.That(options.LoadStrategy, Is.EqualTo(SnapshotLoadStrategy.OnStartup));
            Assert.That(options.FlushInterval, Is.EqualTo(TimeSpan.FromSeconds(7)));
            Assert.That(options.StateDirectory, Is.EqualTo(Path.Combine("/from/variable", "state")));
        }
    }

    [Test]
    public void An_empty_LocalStack_variable_counts_as_unset()
    {
        var options = Bind(new()
        {
            ["SnapshotPersistence:Enabled"] = "true",
            ["SnapshotPersistence:StateDirectory"] = "/from/section",
            ["PERSISTENCE"] = "",
            ["SNAPSHOT_SAVE_STRATEGY"] = " ",
            ["LOCALSTACK_VOLUME_DIR"] = "",
        });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(options.Enabled, Is.True);
            Assert.That(options.SaveStrategy, Is.EqualTo(SnapshotSaveStrategy.Scheduled));
            Assert.That(options.StateDirectory, Is.EqualTo("/from/section"));
        }
    }

    [Test]
    public void The_configure_action_wins_over_configuration()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string?> { ["PERSISTENCE"] = "1", ["SNAPSHOT_FLUSH_INTERVAL"] = "5" });
        builder.Services.AddSnapshotPersistence(o => o.FlushInterval = TimeSpan.FromSeconds(2));
        using var host = builder.Build();

        var options = host.Services.GetRequiredService<IOptions<SnapshotPersistenceOptions>>().Value;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(options.Enabled, Is.True, "configuration is still bound");
            Assert.That(options.FlushInterval, Is.EqualTo(TimeSpan.FromSeconds(2)));
        }
    }

    [Test]
    public void The_configuration_overload_binds_from_the_given_configuration_instead_of_the_hosts()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string?> { ["PERSISTENCE"] = "1", ["SNAPSHOT_SAVE_STRATEGY"] = "MANUAL" });
        var given = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["SNAPSHOT_LOAD_STRATEGY"] = "ON_STARTUP" }).Build();
        builder.Services.AddSnapshotPersistence(given);
        using var host = builder.Build();

        var options = host.Services.GetRequiredService<IOptions<SnapshotPersistenceOptions>>().Value;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(options.LoadStrategy, Is.EqualTo(SnapshotLoadStrategy.OnStartup));
            Assert.That(options.Enabled, Is.False, "the host's configuration is not read");
            Assert.That(options.SaveStrategy, Is.EqualTo(SnapshotSaveStrategy.Scheduled));
        }
    }

    [Test]
    public void Without_a_configuration_in_the_container_the_defaults_apply()
    {
        var services = new ServiceCollection();
        services.AddSnapshotPersistence();
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<SnapshotPersistenceOptions>>().Value;

        Assert.That(options.Enabled, Is.False);
    }

    [TestCase("PERSISTENCE", "yes", "1, 0, true, false")]
    [TestCase("SNAPSHOT_SAVE_STRATEGY", "sometimes", "ON_REQUEST, ON_SHUTDOWN, SCHEDULED, MANUAL")]
    [TestCase("SNAPSHOT_SAVE_STRATEGY", "OnRequest", "ON_REQUEST, ON_SHUTDOWN, SCHEDULED, MANUAL")]
    [TestCase("SNAPSHOT_LOAD_STRATEGY", "later", "ON_REQUEST, ON_STARTUP, MANUAL")]
    [TestCase("SNAPSHOT_FLUSH_INTERVAL", "-1", "a whole number of seconds from 1 to 86400")]
    [TestCase("SNAPSHOT_FLUSH_INTERVAL", "abc", "a whole number of seconds from 1 to 86400")]
    [TestCase("SNAPSHOT_FLUSH_INTERVAL", "0", "a whole number of seconds from 1 to 86400")]
    [TestCase("SNAPSHOT_FLUSH_INTERVAL", "1.5", "a whole number of seconds from 1 to 86400")]
    [TestCase("SNAPSHOT_FLUSH_INTERVAL", "86401", "a whole number of seconds from 1 to 86400")]
    [TestCase("SnapshotPersistence:Enabled", "yes", "1, 0, true, false")]
    [TestCase("SnapshotPersistence:SaveStrategy", "2", "ON_REQUEST, ON_SHUTDOWN, SCHEDULED, MANUAL (or OnRequest, OnShutdown, Scheduled, Manual)")]
    [TestCase("SnapshotPersistence:LoadStrategy", "eventually", "ON_REQUEST, ON_STARTUP, MANUAL (or OnRequest, OnStartup, Manual)")]
    [TestCase("SnapshotPersistence:FlushInterval", "soon", "a time span (hh:mm:ss)")]
    [TestCase("SnapshotPersistence:Compression", "zip", "None, Lz4")]
    [TestCase("SnapshotPersistence:MaxSnapshotBytes", "-5", "a whole number of bytes greater than 0")]
    [TestCase("SnapshotPersistence:ReadOnly", "maybe", "1, 0, true, false")]
    public async Task A_bad_value_stops_start_up_naming_the_setting_the_value_and_the_allowed_values(string key, string value, string allowed)
    {
        var error = await StartFails(new() { [key] = value });

        Assert.That(error.Message, Does.Contain($"{key}='{value}' is not valid; allowed values: {allowed}"));
    }

    [Test]
    public async Task Every_bad_value_is_reported_at_once()
    {
        var error = await StartFails(new() { ["PERSISTENCE"] = "yes", ["SNAPSHOT_LOAD_STRATEGY"] = "later" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(error.Failures.Count(), Is.EqualTo(2));
            Assert.That(error.Message, Does.Contain("PERSISTENCE='yes'"));
            Assert.That(error.Message, Does.Contain("SNAPSHOT_LOAD_STRATEGY='later'"));
        }
    }

    [Test]
    public async Task A_bad_value_stops_start_up_before_any_hosted_service_starts()
    {
        var started = false;
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string?> { ["SNAPSHOT_SAVE_STRATEGY"] = "sometimes" });
        builder.Services.AddSnapshotPersistence();
        builder.Services.AddHostedService(_ => new StartProbe(() => started = true));
        using var host = builder.Build();

        await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.That(started, Is.False);
    }

    private static SnapshotPersistenceOptions Bind(Dictionary<string, string?> configuration)
    {
        var builder = TestHosts.CreateBuilder(configuration);
        builder.Services.AddSnapshotPersistence();
        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<SnapshotPersistenceOptions>>().Value;
    }

    private static async Task<OptionsValidationException> StartFails(Dictionary<string, string?> configuration)
    {
        var builder = TestHosts.CreateBuilder(configuration);
        builder.Services.AddSnapshotPersistence();
        using var host = builder.Build();
        return (await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync()))!;
    }

    private sealed class StartProbe(Action onStart) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            onStart();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
