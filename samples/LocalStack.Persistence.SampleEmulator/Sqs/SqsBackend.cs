using LocalStack.Persistence.State;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

/// <summary>The live SQS state, shared by the request handler and the state provider: queues per account and region.</summary>
internal sealed class SqsBackend(TimeProvider time)
{
    public TimeProvider Time { get; } = time;

    /// <summary>The live state; loads and resets replace its contents in place (<see cref="SqsStateProvider"/>).</summary>
    public AccountRegionStore<SqsStore> Stores { get; } = new(NewStore);

    /// <summary>The empty store of an account and region.</summary>
    public static SqsStore NewStore(string accountId, string region) => new();

    /// <summary>Where the handlers report what they change, for the provider's incremental saves.</summary>
    public SqsChanges Changes { get; } = new();

    public long NowMilliseconds => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The queue, or <see cref="SqsException.QueueDoesNotExist"/>.</summary>
    public SqsQueue GetQueue(string accountId, string region, string name)
    {
        if (Stores.TryGet(accountId, region, out var store))
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

    /// <summary>
    /// Marks the queues of a store that left the live state (a load or a reset replaced it) as deleted and wakes their
    /// long polls, which then answer from no queue instead of waiting on one that no request can reach.
    /// </summary>
    public static void Retire(SqsStore store)
    {
        lock (store.Sync)
        {
            foreach (var queue in store.Queues.Values)
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
