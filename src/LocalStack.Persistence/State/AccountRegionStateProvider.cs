using System.Text.Json.Serialization.Metadata;

namespace LocalStack.Persistence.State;

/// <summary>
/// The provider of a service whose state is an <see cref="AccountRegionStore{TStore}"/>, persisted in LocalStack's
/// shape <c>{"000000000000":{"us-east-1":{...store...}}}</c>: give it the service name, the live store and the
/// source-generated metadata of <typeparamref name="TStore"/>; it captures, restores and resets the live store.
/// </summary>
/// <remarks>
/// <para>
/// A restore replaces every store of the live <see cref="AccountRegionStore{TStore}"/> at once with the deserialized
/// ones (<see cref="AccountRegionStore{TStore}.ReplaceAll"/>) and a reset removes them all; the live object and its
/// factory stay, so code holding it sees the new contents. Each store that leaves the live state is then passed to
/// <see cref="OnStoreDiscarded"/>, for example to wake requests still waiting on it.
/// </para>
/// <para>
/// The live store is serialized under the service's gate (<see cref="JsonServiceStateProvider{TState}.CaptureIsImmutable"/>
/// is <see langword="false"/>). To check a restored state before it goes live, override
/// <see cref="JsonServiceStateProvider{TState}.RestoreAsync"/>, throw <see cref="SnapshotCorruptException"/> for a
/// state the service cannot serve, and otherwise call the base.
/// </para>
/// </remarks>
/// <typeparam name="TStore">The per-account, per-region state.</typeparam>
public abstract class AccountRegionStateProvider<TStore> : JsonServiceStateProvider<AccountRegionStore<TStore>>
{
    /// <summary>Creates the provider.</summary>
    /// <param name="serviceName">The service name, for example <c>sqs</c>; see <see cref="ServiceNameRules"/>.</param>
    /// <param name="stores">The live state; the provider captures it, and restores and resets it in place.</param>
    /// <param name="storeTypeInfo">The source-generated serialization metadata of <typeparamref name="TStore"/>; its options also write the payload.</param>
    /// <param name="schemaVersion">The current version of the payload's shape; at least 1.</param>
    /// <param name="migrations">
    /// One step for every version from 1 to <paramref name="schemaVersion"/> - 1, in any order; none when the version is 1.
    /// </param>
    /// <exception cref="ArgumentException">
    /// The service name is invalid, or the migration chain has a gap, a duplicate or a step beyond <paramref name="schemaVersion"/>.
    /// </exception>
    protected AccountRegionStateProvider(string serviceName, AccountRegionStore<TStore> stores, JsonTypeInfo<TStore> storeTypeInfo, int schemaVersion = 1, IEnumerable<ISchemaMigration>? migrations = null)
        : base(serviceName, CreateTypeInfo(stores, storeTypeInfo), schemaVersion, migrations)
    {
        Stores = stores;
    }

    /// <summary>The live state, as passed to the constructor.</summary>
    protected AccountRegionStore<TStore> Stores { get; }

    /// <summary>Returns the live store, serialized before the gate is released.</summary>
    /// <returns>The live store.</returns>
    protected sealed override AccountRegionStore<TStore> Capture() => Stores;

    /// <summary>Replaces every store of the live state with the restored ones, then passes each previous store to <see cref="OnStoreDiscarded"/>.</summary>
    /// <param name="state">The deserialized state.</param>
    protected sealed override void Restore(AccountRegionStore<TStore> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var previous = Stores.ToArray();
        Stores.ReplaceAll(state);
        Discard(previous);
    }

    /// <summary>Removes every store of the live state, then passes each of them to <see cref="OnStoreDiscarded"/>.</summary>
    protected sealed override void Reset()
    {
        var previous = Stores.ToArray();
        Stores.Reset();
        Discard(previous);
    }

    /// <summary>
    /// Called after a restore or a reset for every store that was live before it and no longer is (the restored state
    /// brings its own store objects). Called with the service's gate held exclusively; does nothing by default.
    /// </summary>
    /// <param name="entry">The discarded store, with its account id and region.</param>
    protected virtual void OnStoreDiscarded(AccountRegionEntry<TStore> entry)
    {
    }

    private void Discard(AccountRegionEntry<TStore>[] previous)
    {
        foreach (var entry in previous)
        {
            OnStoreDiscarded(entry);
        }
    }

    // The converter writes each store with its own metadata; the state's metadata wraps the converter alone, so the
    // context need not declare AccountRegionStore<TStore>. A deserialized copy creates stores as the live one does.
    private static JsonTypeInfo<AccountRegionStore<TStore>> CreateTypeInfo(AccountRegionStore<TStore> stores, JsonTypeInfo<TStore> storeTypeInfo)
    {
        ArgumentNullException.ThrowIfNull(stores);
        ArgumentNullException.ThrowIfNull(storeTypeInfo);
        var converter = new AccountRegionStoreJsonConverter<TStore>(stores.Factory, storeTypeInfo);
        return JsonMetadataServices.CreateValueInfo<AccountRegionStore<TStore>>(storeTypeInfo.Options, converter);
    }
}
