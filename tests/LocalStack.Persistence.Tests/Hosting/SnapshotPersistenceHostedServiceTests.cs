using LocalStack.Persistence.Strategies;
using LocalStack.Persistence.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace LocalStack.Persistence.Tests.Hosting;

/// <summary>The hosted lifecycle with a real host: load at start, background strategy, final save after the host's services stop.</summary>
public sealed class SnapshotPersistenceHostedServiceTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private TempDirectory _dir = null!;
    private CapturingLoggerProvider _logs = null!;

    [SetUp]
    public void CreateFolder()
    {
        _dir = new TempDirectory();
        _logs = new CapturingLoggerProvider();
    }

    [TearDown]
    public void Dispose()
    {
        _dir.Dispose();
        _logs.Dispose();
    }

    private string StateFile(string serviceName) => Path.Combine(_dir.Path, "api_states", serviceName, "store.state");

    // Registered before persistence, the probe starts first: only a load in StartingAsync is done by then.
    [TestCase(true)]
    [TestCase(false)]
    public async Task ON_STARTUP_loads_before_any_hosted_service_starts(bool probeRegisteredFirst)
    {
        await TestHosts.SeedAsync(_dir.Path, new AlphaState { Value = "from the last run" });
        var builder = TestHosts.CreateBuilder(TestHosts.Enabled(_dir.Path, loadStrategy: "ON_STARTUP"));
        builder.Services.AddSingleton<StartProbe>();
        if (probeRegisteredFirst)
        {
            builder.Services.AddHostedService(sp => sp.GetRequiredService<StartProbe>());
        }

        builder.Services.AddSnapshotPersistence().AddServiceState<AlphaState>();
        if (!probeRegisteredFirst)
        {
            builder.Services.AddHostedService(sp => sp.GetRequiredService<StartProbe>());
        }

        var host = builder.Build();

        await host.StartAsync();
        var seen = host.Services.GetRequiredService<StartProbe>().SeenAtStart;
        await host.StopAsync();
        await TestHosts.DisposeAsync(host);

        Assert.That(seen, Is.EqualTo("from the last run"));
    }

    [Test]
    public async Task ON_REQUEST_loads_nothing_at_start()
    {
        await TestHosts.SeedAsync(_dir.Path, new AlphaState { Value = "from the last run" });
        var builder = TestHosts.CreateBuilder(TestHosts.Enabled(_dir.Path, loadStrategy: "ON_REQUEST"));
        builder.Services.AddSnapshotPersistence().AddServiceState<AlphaState>();
        builder.Services.AddSingleton<StartProbe>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StartProbe>());
        var host = builder.Build();

        await host.StartAsync();
        var seen = host.Services.GetRequiredService<StartProbe>().SeenAtStart;
        var manager = host.Services.GetRequiredService<ISnapshotManager>();
        string afterFirstRequest;
        await using (await manager.BeginRequestAsync("alpha", mutating: false))
        {
            afterFirstRequest = host.Services.GetRequiredService<AlphaState>().Value;
        }

        await host.StopAsync();
        await TestHosts.DisposeAsync(host);

        Assert.That(seen, Is.Empty);
        Assert.That(afterFirstRequest, Is.EqualTo("from the last run"));
    }

    [Test]
    public async Task A_custom_load_strategy_gets_the_manager_at_start()
    {
        var builder = TestHosts.CreateBuilder(TestHosts.Enabled(_dir.Path));
        builder.Services.AddSnapshotPersistence().AddServiceState<AlphaState>().UseLoadStrategy<RecordingLoadStrategy>().UseSaveStrategy<RecordingSaveStrategy>();
        var host = builder.Build();

        await host.StartAsync();
        await host.StopAsync();

        var manager = host.Services.GetRequiredService<ISnapshotManager>();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(((RecordingLoadStrategy)host.Services.GetRequiredService<ILoadStrategy>()).StartedWith, Is.SameAs(manager));
            Assert.That(((RecordingSaveStrategy)host.Services.GetRequiredService<ISaveStrategy>()).StoppedWith, Is.SameAs(manager));
        }

        await TestHosts.DisposeAsync(host);
    }

    [Test]
    public async Task A_failed_start_up_load_stops_the_host_and_is_logged()
    {
        var builder = TestHosts.CreateBuilder(TestHosts.Enabled(_dir.Path), _logs);
        builder.Services.AddSnapshotPersistence().AddServiceState<AlphaState>().UseLoadStrategy<FailingLoadStrategy>();
        var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        await TestHosts.DisposeAsync(host);

        Assert.That(error!.Message, Is.EqualTo(FailingLoadStrategy.FailureMessage));
        Assert.That(_logs.WithEventId(103).Single().Level, Is.EqualTo(LogLevel.Error));
    }

    [TestCase("SCHEDULED")]
    [TestCase("ON_SHUTDOWN")]
    public async Task Stopping_the_host_saves_the_last_change(string saveStrategy)
    {
        var builder = TestHosts.CreateBuilder(TestHosts.Enabled(_dir.Path, saveStrategy));
        builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider()); // no scheduled tick: the save comes from the shutdown
        builder.Services.AddSnapshotPersistence().AddServiceState<AlphaState>().AddServiceState<BetaState>();
        var host = builder.Build();
        await host.StartAsync();
        var manager = host.Services.GetRequiredService<ISnapshotManager>();
        var alpha = host.Services.GetRequiredService<AlphaState>();

        await using (await manager.BeginRequestAsync("alpha", mutating: true))
        {
            alpha.Value = "first";
        }

        await using (await manager.BeginRequestAsync("alpha", mutating: true))
        {
            alpha.Value = "last";
        }

        var savedBeforeStop = File.Exists(StateFile("alpha"));
        await host.StopAsync();
        await TestHosts.DisposeAsync(host);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(savedBeforeStop, Is.False);
            Assert.That(await TestHosts.ReadStoredAsync<AlphaState>(_dir.Path), Is.EqualTo("last"));
        }
    }

    [Test]
    public async Task The_final_save_comes_after_the_other_hosted_services_have_stopped()
    {
        var builder = TestHosts.CreateBuilder(TestHosts.Enabled(_dir.Path, "ON_SHUTDOWN"));

        // Stands for the web server, which ASP.NET Core registers before the application's services, so that it stops
        // after them (hosted services stop in reverse order); its StopAsync drains a request that still changes state.
        builder.Services.AddHostedService(sp => new DrainingServer(sp.GetRequiredService<ISnapshotManager>(), sp.GetRequiredService<AlphaState>()));
        builder.Services.AddSnapshotPersistence().AddServiceState<AlphaState>();
        var host = builder.Build();
        await host.StartAsync();

        await host.StopAsync();
        await TestHosts.DisposeAsync(host);

        Assert.That(await TestHosts.ReadStoredAsync<AlphaState>(_dir.Path), Is.EqualTo(DrainingServer.DrainedValue));
    }

    [Test]
    public async Task A_service_that_fails_to_save_at_shutdown_is_logged_and_the_others_are_saved()
    {
        var builder = TestHosts.CreateBuilder(TestHosts.Enabled(_dir.Path, "ON_SHUTDOWN"), _logs);
        builder.Services.AddSnapshotPersistence().AddServiceState<AlphaState>().AddServiceState<FailingState>().AddServiceState<BetaState>();
        var host = builder.Build();
        await host.StartAsync();
        var manager = host.Services.GetRequiredService<ISnapshotManager>();
        foreach (var service in manager.ServiceNames)
        {
            await using (await manager.BeginRequestAsync(service, mutating: true))
            {
                ((TextState)host.Services.GetServices<LocalStack.Persistence.State.IServiceStateProvider>().Single(p => p.ServiceName == service)).Value = $"{service} saved";
            }
        }

        await host.StopAsync();
        await TestHosts.DisposeAsync(host);

        var notSaved = _logs.WithEventId(109).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await TestHosts.ReadStoredAsync<AlphaState>(_dir.Path), Is.EqualTo("alpha saved"));
            Assert.That(await TestHosts.ReadStoredAsync<BetaState>(_dir.Path), Is.EqualTo("beta saved"));
            Assert.That(File.Exists(StateFile("failing")), Is.False);
            Assert.That(notSaved, Has.Count.EqualTo(1));
            Assert.That(notSaved[0].Level, Is.EqualTo(LogLevel.Error));
            Assert.That(notSaved[0].Message, Does.Contain("failing").And.Contain(FailingState.FailureMessage));
        }
    }

    [Test]
    public async Task Under_MANUAL_unsaved_changes_are_reported_at_shutdown_and_not_saved()
    {
        var builder = TestHosts.CreateBuilder(TestHosts.Enabled(_dir.Path, "MANUAL"), _logs);
        builder.Services.AddSnapshotPersistence().AddServiceState<AlphaState>().AddServiceState<BetaState>();
        var host = builder.Build();
        await host.StartAsync();
        var manager = host.Services.GetRequiredService<ISnapshotManager>();
        await using (await manager.BeginRequestAsync("alpha", mutating: true))
        {
            host.Services.GetRequiredService<AlphaState>().Value = "never saved";
        }

        await host.StopAsync();
        await TestHosts.DisposeAsync(host);

        var warnings = _logs.WithEventId(110).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(File.Exists(StateFile("alpha")), Is.False);
            Assert.That(warnings, Has.Count.EqualTo(1), "beta was not modified");
            Assert.That(warnings[0].Message, Does.Contain("alpha").And.Contain("MANUAL"));
        }
    }

    [Test]
    public async Task The_final_save_is_cut_off_by_the_hosts_shutdown_timeout_and_logged()
    {
        var builder = TestHosts.CreateBuilder(TestHosts.Enabled(_dir.Path), _logs);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(200));
        builder.Services.AddSnapshotPersistence().AddServiceState<AlphaState>().UseSaveStrategy<HangingSaveStrategy>();
        var host = builder.Build();
        await host.StartAsync();
        var strategy = (HangingSaveStrategy)host.Services.GetRequiredService<ISaveStrategy>();

        // Only the host's token can end the final save; a broken hand-over would hang here until Patience.
        await host.StopAsync().WaitAsync(Patience);
        await TestHosts.DisposeAsync(host);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(strategy.TokenCouldCancel, Is.True);
            Assert.That(strategy.Cancelled, Is.True);
            Assert.That(_logs.WithEventId(107).Single().Message, Does.Contain("HANGING"));
        }
    }

    [Test]
    public async Task The_scheduled_strategy_runs_on_the_containers_clock_at_the_configured_interval()
    {
        var clock = new TimerSpyTimeProvider(new FakeTimeProvider());
        var configuration = TestHosts.Enabled(_dir.Path, "SCHEDULED");
        configuration["SNAPSHOT_FLUSH_INTERVAL"] = "5";
        var builder = TestHosts.CreateBuilder(configuration);
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddSnapshotPersistence().AddServiceState<AlphaState>();
        var host = builder.Build();
        await host.StartAsync();
        var manager = host.Services.GetRequiredService<ISnapshotManager>();
        var alpha = host.Services.GetRequiredService<AlphaState>();
        await using (await manager.BeginRequestAsync("alpha", mutating: true))
        {
            alpha.Value = "scheduled";
        }

        using var patience = new CancellationTokenSource(Patience);
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(5), patience.Token);
        clock.Fake.Advance(TimeSpan.FromSeconds(5));
        await alpha.Saved.WaitAsync(patience.Token);
        var savedWhileRunning = File.Exists(StateFile("alpha"));

        await host.StopAsync();
        await TestHosts.DisposeAsync(host);

        Assert.That(savedWhileRunning, Is.True);
        Assert.That(await TestHosts.ReadStoredAsync<AlphaState>(_dir.Path), Is.EqualTo("scheduled"));
    }

    [Test]
    public async Task A_failing_background_strategy_is_logged_and_the_final_save_still_runs()
    {
        var builder = TestHosts.CreateBuilder(TestHosts.Enabled(_dir.Path), _logs);
        builder.Services.AddSnapshotPersistence().AddServiceState<AlphaState>().UseSaveStrategy<FailingRunSaveStrategy>();
        var host = builder.Build();
        await host.StartAsync();
        var strategy = (FailingRunSaveStrategy)host.Services.GetRequiredService<ISaveStrategy>();

        await host.StopAsync();
        await TestHosts.DisposeAsync(host);

        var failure = _logs.WithEventId(104).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(failure.Exception?.Message, Is.EqualTo(FailingRunSaveStrategy.FailureMessage));
            Assert.That(strategy.FinalSaveRan, Is.True);
        }
    }

    [Test]
    public async Task Start_up_logs_the_strategies_the_state_folder_and_the_flush_interval()
    {
        var builder = TestHosts.CreateBuilder(TestHosts.Enabled(_dir.Path, "ON_SHUTDOWN", "ON_STARTUP"), _logs);
        builder.Services.AddSnapshotPersistence().AddServiceState<AlphaState>();
        var host = builder.Build();

        await host.StartAsync();
        await host.StopAsync();
        await TestHosts.DisposeAsync(host);

        var enabled = _logs.WithEventId(100).Single();
        Assert.That(enabled.Message, Does.Contain("ON_SHUTDOWN").And.Contain("ON_STARTUP").And.Contain(_dir.Path).And.Contain("00:00:15"));
    }

    [Test]
    public async Task Disabled_persistence_creates_no_state_folder_and_says_so()
    {
        var stateDirectory = Path.Combine(_dir.Path, "state");
        var configuration = TestHosts.Enabled(stateDirectory, "ON_SHUTDOWN", "ON_STARTUP");
        configuration["PERSISTENCE"] = "0";
        var builder = TestHosts.CreateBuilder(configuration, _logs);
        builder.Services.AddSnapshotPersistence().AddServiceState<AlphaState>();
        var host = builder.Build();

        await host.StartAsync();
        var manager = host.Services.GetRequiredService<ISnapshotManager>();
        await using (await manager.BeginRequestAsync("alpha", mutating: true))
        {
            host.Services.GetRequiredService<AlphaState>().Value = "in memory only";
        }

        await host.StopAsync();
        await TestHosts.DisposeAsync(host);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Directory.Exists(stateDirectory), Is.False);
            Assert.That(_logs.WithEventId(101).Count(), Is.EqualTo(1));
            Assert.That(_logs.WithEventId(100), Is.Empty);
        }
    }

    [Test]
    public async Task Read_only_mode_loads_the_baseline_and_leaves_it_untouched()
    {
        await TestHosts.SeedAsync(_dir.Path, new AlphaState { Value = "baseline" });
        var configuration = TestHosts.Enabled(_dir.Path, "ON_SHUTDOWN", "ON_STARTUP");
        configuration["SnapshotPersistence:ReadOnly"] = "true";
        var builder = TestHosts.CreateBuilder(configuration);
        builder.Services.AddSnapshotPersistence().AddServiceState<AlphaState>();
        var host = builder.Build();
        await host.StartAsync();
        var alpha = host.Services.GetRequiredService<AlphaState>();
        var loaded = alpha.Value;
        await using (await host.Services.GetRequiredService<ISnapshotManager>().BeginRequestAsync("alpha", mutating: true))
        {
            alpha.Value = "changed by a test";
        }

        await host.StopAsync();
        await TestHosts.DisposeAsync(host);

        Assert.That(loaded, Is.EqualTo("baseline"));
        Assert.That(await TestHosts.ReadStoredAsync<AlphaState>(_dir.Path), Is.EqualTo("baseline"));
    }

    [Test]
    public async Task A_second_host_on_the_same_state_folder_fails_to_start()
    {
        var first = TestHosts.CreateBuilder(TestHosts.Enabled(_dir.Path));
        first.Services.AddSnapshotPersistence().AddServiceState<AlphaState>();
        var running = first.Build();
        await running.StartAsync();

        var second = TestHosts.CreateBuilder(TestHosts.Enabled(_dir.Path));
        second.Services.AddSnapshotPersistence().AddServiceState<AlphaState>();
        var blocked = second.Build();

        await Assert.ThrowsAsync<StateDirectoryLockedException>(() => blocked.StartAsync());
        await TestHosts.DisposeAsync(blocked);
        await running.StopAsync();
        await TestHosts.DisposeAsync(running);
    }

    private sealed class StartProbe(AlphaState alpha) : IHostedService
    {
        public string? SeenAtStart { get; private set; }

        public Task StartAsync(CancellationToken cancellationToken)
        {
            SeenAtStart = alpha.Value;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class DrainingServer(ISnapshotManager manager, AlphaState alpha) : IHostedService
    {
        public const string DrainedValue = "changed by the last drained request";

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            await using (await manager.BeginRequestAsync("alpha", mutating: true, cancellationToken))
            {
                alpha.Value = DrainedValue;
            }
        }
    }
}
