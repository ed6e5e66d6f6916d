using LocalStack.Persistence.State;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

/// <summary>The live SQS state, shared by the request handler and the state provider: queues per account and region.</summary>
internal sealed class SqsBackend(TimeProvider time)
{
    private volatile AccountRegionStore<SqsStore> _stores = new((_, _) => new SqsStore());

    public TimeProvider Time { get; } = time;

    public AccountRegionStore<SqsStore> Stores => _stores;

    public long NowMilliseconds => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The queue, or <see cref="SqsException.QueueDoesNotExist"/>.</summary>
    public SqsQueue GetQueue(string accountId, string region, string name)
    {
        if (_stores.TryGet(accountId, region, out var store))
        {
            lock (store.Sync)
            {
                if (store.Queues.TryGetValue(name, out var queue))
                {
                    return queue;
                }
            }
        }

        throw SqsException.QueueDoesNotExist();
    }

    /// <summary>A queue by ARN in the same account and region, or <see langword="null"/> (redrive targets).</summary>
    public SqsQueue? FindByArn(string arn)
    {
        var parts = arn.Split(':');
        if (parts.Length != 6 || parts[0] != "arn" || parts[2] != "sqs"
            || !AccountRegionNames.IsValidAccountId(parts[4]) || !AccountRegionNames.IsValidRegion(parts[3]))
        {
            return null;
        }

        try
        {
            return GetQueue(parts[4], parts[3], parts[5]);
        }
        catch (SqsException)
        {
            return null;
        }
    }

    /// <summary>Replaces the whole state (a load, or an empty one for a reset) and wakes the long polls of the old queues.</summary>
    public void Replace(AccountRegionStore<SqsStore>? restored)
    {
        var old = _stores;
        if (restored is null)
        {
            _stores = new AccountRegionStore<SqsStore>((_, _) => new SqsStore());
        }
        else
        {
            // Keep the live factory, so that stores created after the load behave as before it.
            var fresh = new AccountRegionStore<SqsStore>((_, _) => new SqsStore());
            fresh.ReplaceAll(restored);
            _stores = fresh;
        }

        foreach (var entry in old)
        {
            lock (entry.Store.Sync)
            {
                foreach (var queue in entry.Store.Queues.Values)
                {
                    lock (queue.Sync)
                    {
                        queue.Deleted = true;
                        queue.NotifyChanged();
                    }
                }
            }
        }
    }
}
