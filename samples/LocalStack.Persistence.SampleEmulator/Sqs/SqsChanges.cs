namespace LocalStack.Persistence.SampleEmulator.Sqs;

/// <summary>
/// Where the handlers report each queue, message and FIFO deduplication record they create, change or remove, while
/// they change it (under the queue's lock, inside the request): the keys of <see cref="SqsStateProvider"/>'s records,
/// so that a save writes what changed. A change not reported here is not saved until the next full base.
/// </summary>
internal sealed class SqsChanges
{
    private Action<string> _mark = static _ => { };

    /// <summary>Sends every report to <paramref name="mark"/> (the provider's MarkChanged).</summary>
    public void Attach(Action<string> mark) => _mark = mark;

    /// <summary>The queue's own record (attributes, tags, timestamps, FIFO sequence counter, last purge).</summary>
    public void Queue(SqsQueue queue) => _mark(SqsRecordKeys.Queue(queue.AccountId, queue.Region, queue.Name));

    /// <summary>A message of the queue: sent, received, made visible or invisible, deleted, expired, moved.</summary>
    public void Message(SqsQueue queue, SqsMessage message) => _mark(SqsRecordKeys.Message(queue.AccountId, queue.Region, queue.Name, message.MessageId));

    /// <summary>A FIFO deduplication record of the queue, added or expired.</summary>
    public void Deduplication(SqsQueue queue, string deduplicationKey) => _mark(SqsRecordKeys.Deduplication(queue.AccountId, queue.Region, queue.Name, deduplicationKey));

    /// <summary>Every message of the queue (a purge or delete: costs the queue's length, as the bulk change does). Call under the queue's lock.</summary>
    public void AllMessages(SqsQueue queue)
    {
        foreach (var message in queue.Queued)
        {
            Message(queue, message);
        }
    }

    /// <summary>The queue, its messages and its deduplication records (a deleted queue). Call under the queue's lock.</summary>
    public void Everything(SqsQueue queue)
    {
        Queue(queue);
        AllMessages(queue);
        foreach (var key in queue.Deduplication.Keys)
        {
            Deduplication(queue, key);
        }
    }
}

/// <summary>
/// The keys of the SQS records: <c>queue/&lt;account&gt;/&lt;region&gt;/&lt;name&gt;</c>,
/// <c>msg/&lt;account&gt;/&lt;region&gt;/&lt;name&gt;/&lt;message id&gt;</c> and
/// <c>dedup/&lt;account&gt;/&lt;region&gt;/&lt;name&gt;/&lt;deduplication key&gt;</c>. Account ids, regions and queue
/// names hold no '/', so the first four parts split unambiguously; the deduplication key (which may) is the rest.
/// </summary>
internal static class SqsRecordKeys
{
    public const string QueuePrefix = "queue";
    public const string MessagePrefix = "msg";
    public const string DeduplicationPrefix = "dedup";

    public static string Queue(string accountId, string region, string name) => $"{QueuePrefix}/{accountId}/{region}/{name}";

    public static string Message(string accountId, string region, string name, string messageId) => $"{MessagePrefix}/{accountId}/{region}/{name}/{messageId}";

    public static string Deduplication(string accountId, string region, string name, string key) => $"{DeduplicationPrefix}/{accountId}/{region}/{name}/{key}";

    /// <summary>Splits a key; <see langword="false"/> when it has none of the three shapes.</summary>
    public static bool TryParse(string key, out ParsedKey parsed)
    {
        var parts = key.Split('/', 5);
        parsed = default;
        if (parts.Length < 4 || parts[1].Length == 0 || parts[2].Length == 0 || parts[3].Length == 0)
        {
            return false;
        }

        switch (parts[0])
        {
            case QueuePrefix when parts.Length == 4:
                parsed = new ParsedKey(parts[0], parts[1], parts[2], parts[3], null);
                return true;
            case MessagePrefix or DeduplicationPrefix when parts.Length == 5 && parts[4].Length > 0:
                parsed = new ParsedKey(parts[0], parts[1], parts[2], parts[3], parts[4]);
                return true;
            default:
                return false;
        }
    }

    /// <summary>A split key: its kind (prefix), its queue, and the message id or deduplication key (null for a queue).</summary>
    public readonly record struct ParsedKey(string Kind, string AccountId, string Region, string Name, string? Item);
}
