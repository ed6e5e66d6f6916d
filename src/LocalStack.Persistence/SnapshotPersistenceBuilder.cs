using System.Diagnostics.CodeAnalysis;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LocalStack.Persistence;

/// <summary>
/// Registers the services to persist and replaces built-in parts of snapshot persistence; returned by
/// <see cref="SnapshotPersistenceServiceCollectionExtensions.AddSnapshotPersistence(IServiceCollection)"/>.
/// </summary>
public sealed class SnapshotPersistenceBuilder
{
    internal SnapshotPersistenceBuilder(IServiceCollection services)
    {
        Services = services;
    }

    /// <summary>The service collection persistence is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Persists a service: registers <typeparamref name="TProvider"/> as a singleton and the same instance as an
    /// <see cref="IServiceStateProvider"/>. Registering the same provider type again does nothing.
    /// </summary>
    /// <remarks>
    /// The emulator resolves <typeparamref name="TProvider"/> to reach the live state. A provider whose constructor needs
    /// values the container cannot supply can be registered beforehand (for example with a factory); that registration is kept.
    /// </remarks>
    /// <typeparam name="TProvider">The service's state provider.</typeparam>
    /// <returns>This builder.</returns>
    public SnapshotPersistenceBuilder AddServiceState<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TProvider>()
        where TProvider : class, IServiceStateProvider
    {
        Services.TryAddSingleton<TProvider>();

        // The factory's result type identifies the registration, so TryAddEnumerable keeps one per provider type.
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceStateProvider, TProvider>(static sp => sp.GetRequiredService<TProvider>()));
        return this;
    }

    /// <summary>Stores snapshots in <typeparamref name="TStore"/> (a singleton) instead of the file-system store.</summary>
    /// <remarks>The store is created only when persistence is enabled.</remarks>
    /// <typeparam name="TStore">The store.</typeparam>
    /// <returns>This builder.</returns>
    public SnapshotPersistenceBuilder UseSnapshotStore<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TStore>()
        where TStore : class, ISnapshotStore
    {
        Services.RemoveAll<ISnapshotStore>();
        Services.AddSingleton<ISnapshotStore, TStore>();
        return this;
    }

    /// <summary>Decides when services are saved with <typeparamref name="TStrategy"/> (a singleton) instead of the strategy the options name.</summary>
    /// <remarks>In read-only mode the snapshot manager still refuses every save.</remarks>
    /// <typeparam name="TStrategy">The save strategy.</typeparam>
    /// <returns>This builder.</returns>
    public SnapshotPersistenceBuilder UseSaveStrategy<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TStrategy>()
        where TStrategy : class, ISaveStrategy
    {
        Services.RemoveAll<ISaveStrategy>();
        Services.AddSingleton<ISaveStrategy, TStrategy>();
        return this;
    }

    /// <summary>Decides when services are loaded with <typeparamref name="TStrategy"/> (a singleton) instead of the strategy the options name.</summary>
    /// <typeparam name="TStrategy">The load strategy.</typeparam>
    /// <returns>This builder.</returns>
    public SnapshotPersistenceBuilder UseLoadStrategy<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TStrategy>()
        where TStrategy : class, ILoadStrategy
    {
        Services.RemoveAll<ILoadStrategy>();
        Services.AddSingleton<ILoadStrategy, TStrategy>();
        return this;
    }
}
