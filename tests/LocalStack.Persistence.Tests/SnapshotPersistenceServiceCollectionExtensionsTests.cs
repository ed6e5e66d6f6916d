using LocalStack.Persistence.Hosting;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Strategies;
using LocalStack.Persistence.Tests.Hosting;
using LocalStack.Persistence.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LocalStack.Persistence.Tests;

public sealed class SnapshotPersistenceServiceCollectionExtensionsTests : IDisposable
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void CreateFolder() => _dir = new TempDirectory();

    [TearDown]
    public void Dispose() => _dir.Dispose();

    [Test]
    public async Task Calling_it_twice_registers_one_hosted_service_one_manager_and_one_of_each_part()
    {
        var services = new ServiceCollection();
        services.AddSnapshotPersistence();
        services.AddSnapshotPersistence(o => o.StateDirectory = _dir.Path);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(services.Count(d => d.ServiceType == typeof(IHostedService)), Is.EqualTo(1));
            Assert.That(services.Count(d => d.ServiceType == typeof(ISnapshotManager)), Is.EqualTo(1));
            Assert.That(services.Count(d => d.ServiceType == typeof(ISnapshotStore)), Is.EqualTo(1));
            Assert.That(services.Count(d => d.ServiceType == typeof(ISaveStrategy)), Is.EqualTo(1));
            Assert.That(services.Count(d => d.ServiceType == typeof(ILoadStrategy)), Is.EqualTo(1));
            Assert.That(services.Count(d => d.ServiceType == typeof(IValidateOptions<SnapshotPersistenceOptions>)), Is.EqualTo(1));
        }

        await using var provider = services.BuildServiceProvider();
        Assert.That(provider.GetServices<IHostedService>().OfType<SnapshotPersistenceHostedService>().Count(), Is.EqualTo(1));
        Assert.That(provider.GetRequiredService<IOptions<SnapshotPersistenceOptions>>().Value.StateDirectory, Is.EqualTo(_dir.Path), "both calls' configuration applies");
    }

    [Test]
    public async Task A_service_state_is_one_singleton_resolvable_as_itself_and_as_a_provider_even_when_added_twice()
    {
        var services = new ServiceCollection();
        services.AddSnapshotPersistence().AddServiceState<AlphaState>().AddServiceState<AlphaState>().AddServiceState<BetaState>();
        services.AddSnapshotPersistence().AddServiceState<AlphaState>();
        await using var provider = services.BuildServiceProvider();

        var providers = provider.GetServices<IServiceStateProvider>().ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(providers.Select(p => p.ServiceName), Is.EqualTo(new[] { "alpha", "beta" }));
            Assert.That(providers[0], Is.SameAs(provider.GetRequiredService<AlphaState>()));
            Assert.That(providers[1], Is.SameAs(provider.GetRequiredService<BetaState>()));
            Assert.That(provider.GetRequiredService<ISnapshotManager>().ServiceNames, Is.EqualTo(new[] { "alpha", "beta" }));
        }
    }

    [Test]
    public async Task A_provider_registered_beforehand_is_kept()
    {
        var own = new AlphaState();
        var services = new ServiceCollection();
        services.AddSingleton(own);
        services.AddSnapshotPersistence().AddServiceState<AlphaState>();
        await using var provider = services.BuildServiceProvider();

        Assert.That(provider.GetServices<IServiceStateProvider>().Single(), Is.SameAs(own));
    }

    [TestCase(SnapshotSaveStrategy.Scheduled, typeof(ScheduledSaveStrategy))]
    [TestCase(SnapshotSaveStrategy.OnRequest, typeof(OnRequestSaveStrategy))]
    [TestCase(SnapshotSaveStrategy.OnShutdown, typeof(OnShutdownSaveStrategy))]
    [TestCase(SnapshotSaveStrategy.Manual, typeof(ManualSaveStrategy))]
    public async Task The_save_strategy_is_the_built_in_one_the_options_name(SnapshotSaveStrategy strategy, Type expected)
    {
        await using var provider = Build(o => o.SaveStrategy = strategy);

        Assert.That(provider.GetRequiredService<ISaveStrategy>(), Is.TypeOf(expected));
    }

    [TestCase(SnapshotLoadStrategy.OnRequest, typeof(OnRequestLoadStrategy))]
    [TestCase(SnapshotLoadStrategy.OnStartup, typeof(OnStartupLoadStrategy))]
    [TestCase(SnapshotLoadStrategy.Manual, typeof(ManualLoadStrategy))]
    public async Task The_load_strategy_is_the_built_in_one_the_options_name(SnapshotLoadStrategy strategy, Type expected)
    {
        await using var provider = Build(o => o.LoadStrategy = strategy);

        Assert.That(provider.GetRequiredService<ILoadStrategy>(), Is.TypeOf(expected));
    }

    [TestCase(SnapshotSaveStrategy.OnRequest)]
    [TestCase(SnapshotSaveStrategy.Scheduled)]
    public async Task Read_only_mode_never_saves_on_its_own(SnapshotSaveStrategy strategy)
    {
        await using var provider = Build(o =>
        {
            o.SaveStrategy = strategy;
            o.ReadOnly = true;
        });

        Assert.That(provider.GetRequiredService<ISaveStrategy>(), Is.TypeOf<ManualSaveStrategy>());
    }

    [Test]
    public async Task Custom_strategies_replace_the_built_in_ones_even_when_persistence_is_added_again()
    {
        var services = new ServiceCollection();
        services.AddSnapshotPersistence(o => o.SaveStrategy = SnapshotSaveStrategy.OnRequest)
            .UseSaveStrategy<RecordingSaveStrategy>()
            .UseLoadStrategy<RecordingLoadStrategy>();
        services.AddSnapshotPersistence();
        await using var provider = services.BuildServiceProvider();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(provider.GetRequiredService<ISaveStrategy>(), Is.TypeOf<RecordingSaveStrategy>());
            Assert.That(provider.GetRequiredService<ILoadStrategy>(), Is.TypeOf<RecordingLoadStrategy>());
            Assert.That(services.Count(d => d.ServiceType == typeof(ISaveStrategy)), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task A_custom_store_replaces_the_file_system_store_and_the_manager_saves_through_it()
    {
        var services = new ServiceCollection();
        services.AddSnapshotPersistence(o =>
        {
            o.Enabled = true;
            o.StateDirectory = _dir.Path;
        }).UseSnapshotStore<CountingStore>().AddServiceState<AlphaState>();
        await using var provider = services.BuildServiceProvider();
        var manager = provider.GetRequiredService<ISnapshotManager>();
        provider.GetRequiredService<AlphaState>().Value = "custom";

        await manager.SaveAsync("alpha");

        var store = provider.GetRequiredService<ISnapshotStore>();
        Assert.That(store, Is.TypeOf<CountingStore>());
        Assert.That(((CountingStore)store).Writes, Is.EqualTo(1));
    }

    [Test]
    public async Task When_enabled_the_store_is_the_file_system_store_on_the_full_state_path()
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, Path.Combine(_dir.Path, "state"));
        await using var provider = Build(o =>
        {
            o.Enabled = true;
            o.StateDirectory = relative;
        });

        var store = provider.GetRequiredService<ISnapshotStore>();

        Assert.That(store, Is.TypeOf<FileSystemSnapshotStore>());
        Assert.That(((FileSystemSnapshotStore)store).StateDirectory, Is.EqualTo(Path.Combine(_dir.Path, "state")));
    }

    [Test]
    public async Task When_disabled_no_store_is_created_and_the_manager_still_serves_requests()
    {
        var stateDirectory = Path.Combine(_dir.Path, "state");
        var services = new ServiceCollection();
        services.AddSnapshotPersistence(o => o.StateDirectory = stateDirectory).AddServiceState<AlphaState>();
        await using var provider = services.BuildServiceProvider();

        var manager = provider.GetRequiredService<ISnapshotManager>();
        await using (await manager.BeginRequestAsync("alpha", mutating: true))
        {
            provider.GetRequiredService<AlphaState>().Value = "in memory only";
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(provider.GetService<ISnapshotStore>(), Is.Null);
            Assert.That(Directory.Exists(stateDirectory), Is.False);
        }
    }

    [Test]
    public async Task The_containers_time_provider_stamps_the_snapshots()
    {
        var now = new DateTimeOffset(2001, 2, 3, 4, 5, 6, TimeSpan.Zero);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(now));
        services.AddSnapshotPersistence(o =>
        {
            o.Enabled = true;
            o.StateDirectory = _dir.Path;
        }).AddServiceState<AlphaState>();
        await using var provider = services.BuildServiceProvider();

        var metadata = await provider.GetRequiredService<ISnapshotManager>().SaveAsync("alpha");

        Assert.That(metadata.CreatedAt, Is.EqualTo(now));
    }

    [Test]
    public async Task Without_a_time_provider_in_the_container_the_system_clock_stamps_the_snapshots()
    {
        await using var provider = Build(o =>
        {
            o.Enabled = true;
            o.StateDirectory = _dir.Path;
        });
        // The system clock is the subject here: two readings of it bracket the save, so this holds on any date.
        var before = TimeProvider.System.GetUtcNow();

        var metadata = await provider.GetRequiredService<ISnapshotManager>().SaveAsync("alpha");

        // The header keeps milliseconds.
        Assert.That(metadata.CreatedAt, Is.InRange(before.AddMilliseconds(-1), TimeProvider.System.GetUtcNow()));
    }

    [Test]
    public async Task The_compression_option_reaches_the_store()
    {
        await using var provider = Build(o =>
        {
            o.Enabled = true;
            o.StateDirectory = _dir.Path;
            o.Compression = SnapshotCompression.None;
        });

        var metadata = await provider.GetRequiredService<ISnapshotManager>().SaveAsync("alpha");

        Assert.That(metadata.Compression, Is.EqualTo(SnapshotCompression.None));
    }

    [Test]
    public async Task The_maximum_snapshot_size_reaches_the_store()
    {
        await using var provider = Build(o =>
        {
            o.Enabled = true;
            o.StateDirectory = _dir.Path;
            o.Compression = SnapshotCompression.None;
            o.MaxSnapshotBytes = 8;
        });
        provider.GetRequiredService<AlphaState>().Value = "more than eight bytes";

        var error = await Assert.CatchAsync(async () => await provider.GetRequiredService<ISnapshotManager>().SaveAsync("alpha"));

        Assert.That(Chain(error).OfType<SnapshotException>().Any(e => e.Message.Contains("MaxSnapshotBytes", StringComparison.Ordinal)), Is.True, error!.ToString());
    }

    private static ServiceProvider Build(Action<SnapshotPersistenceOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddSnapshotPersistence(configure).AddServiceState<AlphaState>();
        return services.BuildServiceProvider();
    }

    private static IEnumerable<Exception> Chain(Exception? error)
    {
        for (; error is not null; error = error.InnerException)
        {
            yield return error;
        }
    }
}
