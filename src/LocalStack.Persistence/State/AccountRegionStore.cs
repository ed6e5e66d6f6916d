using System.Collections;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace LocalStack.Persistence.State;

/// <summary>One store of an <see cref="AccountRegionStore{TStore}"/>: the state of one account in one region.</summary>
/// <typeparam name="TStore">The per-account, per-region state.</typeparam>
/// <param name="AccountId">The 12-digit AWS account id.</param>
/// <param name="Region">The region name, for example <c>us-east-1</c>.</param>
/// <param name="Store">The state of that account in that region.</param>
public sealed record AccountRegionEntry<TStore>(string AccountId, string Region, TStore Store);

/// <summary>
/// State partitioned by AWS account and region, created on first use (LocalStack's <c>AccountRegionBundle</c>).
/// Thread-safe; every account id and region name is validated (<see cref="AccountRegionNames"/>).
/// </summary>
/// <remarks>
/// <para>
/// The store of an account and region is created by the factory the first time it is asked for, exactly once even
/// when many requests ask at the same time. Enumeration is a point-in-time copy ordered by account id, then region
/// (ordinal), so serialized snapshots are deterministic.
/// </para>
/// <para>
/// Serialize it with <see cref="AccountRegionStoreJsonConverter{TStore}"/> in LocalStack's shape,
/// <c>{"000000000000":{"us-east-1":{...}}}</c>; restore a deserialized copy into the live one with
/// <see cref="ReplaceAll"/>.
/// </para>
/// </remarks>
/// <typeparam name="TStore">The per-account, per-region state.</typeparam>
public sealed class AccountRegionStore<TStore> : IEnumerable<AccountRegionEntry<TStore>>
{
    private readonly Func<string, string, TStore> _factory;

    // Replaced as a whole by Reset and ReplaceAll, so that a reader never sees half of the old and half of the new contents.
    private volatile ConcurrentDictionary<(string AccountId, string Region), Cell> _stores = new();

    /// <summary>Creates an empty store.</summary>
    /// <param name="factory">Creates the empty state of an account id and region; called at most once per pair.</param>
    public AccountRegionStore(Func<string, string, TStore> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _factory = factory;
    }

    /// <summary>The number of account and region pairs that have a store.</summary>
    public int Count
    {
        get
        {
            var count = 0;
            foreach (var (_, cell) in _stores)
            {
                count += cell.IsCreated ? 1 : 0;
            }

            return count;
        }
    }

    /// <summary>The store of an account in a region, created on first use.</summary>
    /// <param name="accountId">The 12-digit account id.</param>
    /// <param name="region">The region name.</param>
    /// <returns>The store.</returns>
    /// <exception cref="ArgumentException">The account id or region is invalid.</exception>
    public TStore this[string accountId, string region] => GetOrCreate(accountId, region);

    /// <summary>Returns the store of an account in a region, creating it on first use (exactly once under concurrency).</summary>
    /// <param name="accountId">The 12-digit account id.</param>
    /// <param name="region">The region name.</param>
    /// <returns>The store.</returns>
    /// <exception cref="ArgumentException">The account id or region is invalid.</exception>
    public TStore GetOrCreate(string accountId, string region)
    {
        AccountRegionNames.ThrowIfInvalidAccountId(accountId);
        AccountRegionNames.ThrowIfInvalidRegion(region);
        return _stores.GetOrAdd((accountId, region), static _ => new Cell()).GetOrCreate(_factory, accountId, region);
    }

    /// <summary>Returns the store of an account in a region when it exists, without creating it.</summary>
    /// <param name="accountId">The 12-digit account id.</param>
    /// <param name="region">The region name.</param>
    /// <param name="store">The store, when found.</param>
    /// <returns><see langword="true"/> when the store exists.</returns>
    /// <exception cref="ArgumentException">The account id or region is invalid.</exception>
    public bool TryGet(string accountId, string region, [MaybeNullWhen(false)] out TStore store)
    {
        AccountRegionNames.ThrowIfInvalidAccountId(accountId);
        AccountRegionNames.ThrowIfInvalidRegion(region);
        if (_stores.TryGetValue((accountId, region), out var cell) && cell.IsCreated)
        {
            store = cell.Value;
            return true;
        }

        store = default;
        return false;
    }

    /// <summary>Removes the store of an account in a region.</summary>
    /// <param name="accountId">The 12-digit account id.</param>
    /// <param name="region">The region name.</param>
    /// <returns><see langword="true"/> when a store was removed.</returns>
    /// <exception cref="ArgumentException">The account id or region is invalid.</exception>
    public bool Remove(string accountId, string region)
    {
        AccountRegionNames.ThrowIfInvalidAccountId(accountId);
        AccountRegionNames.ThrowIfInvalidRegion(region);
        return _stores.TryRemove((accountId, region), out var cell) && cell.IsCreated;
    }

    /// <summary>Removes every store: the service's empty initial state.</summary>
    public void Reset() => _stores = new();

    /// <summary>
    /// Replaces all contents at once with <paramref name="entries"/> (for example a copy deserialized from a snapshot).
    /// Every entry is validated first; on error nothing changes.
    /// </summary>
    /// <param name="entries">The new contents; each account and region at most once.</param>
    /// <exception cref="ArgumentException">An account id or region is invalid, or a pair appears twice.</exception>
    public void ReplaceAll(IEnumerable<AccountRegionEntry<TStore>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var replacement = new ConcurrentDictionary<(string AccountId, string Region), Cell>();
        foreach (var entry in entries)
        {
            ArgumentNullException.ThrowIfNull(entry, nameof(entries));
            Add(replacement, entry.AccountId, entry.Region, entry.Store);
        }

        _stores = replacement;
    }

    /// <summary>Returns the stores, ordered by account id and then region.</summary>
    /// <returns>A point-in-time copy of the entries.</returns>
    public IEnumerator<AccountRegionEntry<TStore>> GetEnumerator()
    {
        var entries = new List<AccountRegionEntry<TStore>>(_stores.Count);
        foreach (var (key, cell) in _stores)
        {
            // A store whose factory is still running (or failed) is not part of the state yet.
            if (cell.IsCreated)
            {
                entries.Add(new AccountRegionEntry<TStore>(key.AccountId, key.Region, cell.Value));
            }
        }

        entries.Sort(static (a, b) =>
        {
            var byAccount = string.CompareOrdinal(a.AccountId, b.AccountId);
            return byAccount != 0 ? byAccount : string.CompareOrdinal(a.Region, b.Region);
        });
        return entries.GetEnumerator();
    }

    /// <inheritdoc />
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The factory of new stores, so that a deserialized copy can create stores as the live one does.</summary>
    internal Func<string, string, TStore> Factory => _factory;

    /// <summary>Adds an existing store while building a deserialized copy.</summary>
    internal void AddExisting(string accountId, string region, TStore store) => Add(_stores, accountId, region, store);

    private static void Add(ConcurrentDictionary<(string AccountId, string Region), Cell> target, string accountId, string region, TStore store)
    {
        AccountRegionNames.ThrowIfInvalidAccountId(accountId);
        AccountRegionNames.ThrowIfInvalidRegion(region);
        if (!target.TryAdd((accountId, region), new Cell(store)))
        {
            throw new ArgumentException($"Account '{accountId}' in region '{region}' appears twice.", nameof(accountId));
        }
    }

    /// <summary>
    /// Holds one store, created once under a per-cell lock. Unlike <see cref="Lazy{T}"/> it does not cache a factory
    /// exception (the next caller tries again) and needs no trimming annotations.
    /// </summary>
    private sealed class Cell
    {
        private readonly Lock _lock = new();
        private TStore _value = default!;
        private volatile bool _created;

        public Cell()
        {
        }

        public Cell(TStore value)
        {
            _value = value;
            _created = true;
        }

        public bool IsCreated => _created;

        public TStore Value => _value;

        public TStore GetOrCreate(Func<string, string, TStore> factory, string accountId, string region)
        {
            if (!_created)
            {
                lock (_lock)
                {
                    if (!_created)
                    {
                        _value = factory(accountId, region);
                        _created = true;
                    }
                }
            }

            return _value;
        }
    }
}
