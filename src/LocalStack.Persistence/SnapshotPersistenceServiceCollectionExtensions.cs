using System.Diagnostics.Metrics;
using LocalStack.Persistence.Configuration;
using LocalStack.Persistence.Coordination;
using LocalStack.Persistence.Hosting;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Strategies;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LocalStack.Persistence;

/// <summary>Registers snapshot persistence in an <see cref="IServiceCollection"/>.</summary>
/// <remarks>
/// <para>
/// Registered: <see cref="SnapshotPersistenceOptions"/> (validated at start-up), <see cref="ISnapshotStore"/> (a
/// <see cref="FileSystemSnapshotStore"/> on <see cref="FileSystemSnapshotStoreOptions.StateDirectory"/>, created only when
/// persistence is enabled; <see langword="null"/> otherwise), <see cref="ISaveStrategy"/> and <see cref="ILoadStrategy"/>
/// (the built-in strategies the options name), <see cref="ISnapshotManager"/>, and a hosted lifecycle service that loads at
/// start-up, runs the save strategy and makes the final save after the host's other services have stopped. All are
/// singletons; calling the methods again adds nothing but the new configuration. The clock is the container's
/// <see cref="TimeProvider"/>, else <see cref="TimeProvider.System"/>.
/// </para>
/// <para>
/// Binding: the <c>SnapshotPersistence</c> section first, then LocalStack's names at the top level of the same
/// configuration, which win: <c>PERSISTENCE</c> (<c>1</c>, <c>0</c>, <c>true</c>, <c>false</c>),
/// <c>SNAPSHOT_SAVE_STRATEGY</c> (<c>ON_REQUEST</c>, <c>ON_SHUTDOWN</c>, <c>SCHEDULED</c>, <c>MANUAL</c>),
/// <c>SNAPSHOT_LOAD_STRATEGY</c> (<c>ON_REQUEST</c>, <c>ON_STARTUP</c>, <c>MANUAL</c>), <c>SNAPSHOT_FLUSH_INTERVAL</c>
/// (whole seconds) and <c>LOCALSTACK_VOLUME_DIR</c> (the state goes to <c>&lt;dir&gt;/state</c>). Values are
/// case-insensitive; an empty variable counts as unset. A value that cannot be read stops the host's start with an
/// <see cref="OptionsValidationException"/> naming the setting, the value and the allowed values.
/// </para>
/// </remarks>
public static class SnapshotPersistenceServiceCollectionExtensions
{
    /// <summary>
    /// Adds snapshot persistence, bound from the container's <see cref="IConfiguration"/> when one is registered (a host's
    /// configuration, where environment variables are top-level keys); with the defaults otherwise.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>A builder to register the services to persist and to replace built-in parts.</returns>
    public static SnapshotPersistenceBuilder AddSnapshotPersistence(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<SnapshotPersistenceOptions>, ConfigureFromHostConfiguration>());
        return AddCore(services);
    }

    /// <summary>
    /// Adds snapshot persistence bound as <see cref="AddSnapshotPersistence(IServiceCollection)"/> does, then configured by
    /// <paramref name="configure"/> (which therefore wins over configuration).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets options after binding.</param>
    /// <returns>A builder to register the services to persist and to replace built-in parts.</returns>
    public static SnapshotPersistenceBuilder AddSnapshotPersistence(this IServiceCollection services, Action<SnapshotPersistenceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = services.AddSnapshotPersistence();
        services.Configure(configure);
        return builder;
    }

    /// <summary>
    /// Adds snapshot persistence bound from <paramref name="configuration"/> instead of the container's configuration: its
    /// <c>SnapshotPersistence</c> section and LocalStack's names at its top level (pass a configuration root, not the section).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The configuration that holds the <c>SnapshotPersistence</c> section and LocalStack's names.</param>
    /// <returns>A builder to register the services to persist and to replace built-in parts.</returns>
    public static SnapshotPersistenceBuilder AddSnapshotPersistence(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton<IConfigureOptions<SnapshotPersistenceOptions>>(new ConfigureFromConfiguration(configuration));
        return AddCore(services);
    }

    private static SnapshotPersistenceBuilder AddCore(IServiceCollection services)
    {
        services.AddOptionsWithValidateOnStart<SnapshotPersistenceOptions, SnapshotPersistenceOptionsValidator>();
        services.TryAddSingleton(CreateStore);
        services.TryAddSingleton(CreateSaveStrategy);
        services.TryAddSingleton(CreateLoadStrategy);
        services.TryAddSingleton(CreateManager);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SnapshotPersistenceHostedService>(CreateHostedService));
        return new SnapshotPersistenceBuilder(services);
    }

    private static SnapshotPersistenceOptions OptionsOf(IServiceProvider services)
        => services.GetRequiredService<IOptions<SnapshotPersistenceOptions>>().Value;

    private static TimeProvider TimeOf(IServiceProvider services)
        => services.GetService<TimeProvider>() ?? TimeProvider.System;

    private static ISnapshotStore CreateStore(IServiceProvider services)
    {
        var options = OptionsOf(services);

        // Disabled: no folder, no lock. The manager is given no store; a direct resolve gets null.
        if (!options.Enabled)
        {
            return null!;
        }

        return new FileSystemSnapshotStore(
            new FileSystemSnapshotStoreOptions
            {
                StateDirectory = Path.GetFullPath(options.StateDirectory),
                Compression = options.Compression,
                MaxSnapshotBytes = options.MaxSnapshotBytes,
            },
            TimeOf(services));
    }

    private static ISaveStrategy CreateSaveStrategy(IServiceProvider services)
    {
        var options = OptionsOf(services);
        if (options.ReadOnly)
        {
            return new ManualSaveStrategy();
        }

        return options.SaveStrategy switch
        {
            SnapshotSaveStrategy.OnRequest => new OnRequestSaveStrategy(),
            SnapshotSaveStrategy.OnShutdown => new OnShutdownSaveStrategy(),
            SnapshotSaveStrategy.Manual => new ManualSaveStrategy(),
            _ => new ScheduledSaveStrategy(options.FlushInterval, TimeOf(services)),
        };
    }

    private static ILoadStrategy CreateLoadStrategy(IServiceProvider services)
        => OptionsOf(services).LoadStrategy switch
        {
            SnapshotLoadStrategy.OnStartup => new OnStartupLoadStrategy(),
            SnapshotLoadStrategy.Manual => new ManualLoadStrategy(),
            _ => new OnRequestLoadStrategy(),
        };

    private static ISnapshotManager CreateManager(IServiceProvider services)
    {
        var options = OptionsOf(services);
        return new SnapshotManager(
            services.GetServices<IServiceStateProvider>(),
            options.Enabled ? services.GetService<ISnapshotStore>() : null,
            services.GetRequiredService<ISaveStrategy>(),
            services.GetRequiredService<ILoadStrategy>(),
            TimeOf(services),
            services.GetService<ILoggerFactory>(),
            services.GetService<IMeterFactory>(),
            options.ReadOnly,
            options.CommitDelay);
    }

    private static SnapshotPersistenceHostedService CreateHostedService(IServiceProvider services)
    {
        var options = OptionsOf(services);
        var manager = services.GetRequiredService<ISnapshotManager>();
        var stateLocation = !options.Enabled
            ? string.Empty
            : services.GetService<ISnapshotStore>() switch
            {
                FileSystemSnapshotStore fileSystem => fileSystem.StateDirectory,
                { } store => store.GetType().FullName ?? store.GetType().Name,
                null => "no store",
            };
        var loggerFactory = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        return new SnapshotPersistenceHostedService(
            manager,
            services.GetRequiredService<ISaveStrategy>(),
            services.GetRequiredService<ILoadStrategy>(),
            options,
            stateLocation,
            TimeOf(services),
            loggerFactory.CreateLogger<SnapshotPersistenceHostedService>());
    }
}
