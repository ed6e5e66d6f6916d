using System.Text.Json.Serialization;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

/// <summary>The queues of one account in one region. The dictionary is guarded by <see cref="Sync"/>.</summary>
internal sealed class SqsStore
{
    [JsonIgnore]
    public Lock Sync { get; } = new();

    public Dictionary<string, SqsQueue> Queues { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// One queue with everything a restart must keep: its attributes, every message (visible, delayed and in flight with
/// its receipt handle and deadline) and the FIFO bookkeeping. Times are absolute Unix milliseconds, so an in-flight
/// message stays invisible across a restart until its deadline. Guarded by <see cref="Sync"/>.
/// </summary>
internal sealed class SqsQueue
{
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _messagesMissing;

    // Deduplication keys by the end of their interval; null until the first DropExpired.
    private PriorityQueue<string, long>? _deduplicationByExpiry;

    public string Name { get; set; } = "";

    public string AccountId { get; set; } = "";

    public string Region { get; set; } = "";

    /// <summary>The settable attributes, defaults included (read-only ones are computed).</summary>
    public Dictionary<string, string> Attributes { get; set; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Tags { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Unix seconds, as AWS reports them.</summary>
    public long CreatedTimestamp { get; set; }

    /// <summary>Unix seconds.</summary>
    public long LastModifiedTimestamp { get; set; }

    /// <summary>
    /// The snapshot's form of <see cref="Queued"/>: a copy, in send order (for FIFO queues, sequence order). A JSON
    /// <c>null</c> reads back as <see langword="null"/> for <see cref="SqsStateValidator"/> to refuse.
    /// </summary>
    public List<SqsMessage> Messages
    {
        get => _messagesMissing ? null! : [.. Queued];
        set
        {
            _messagesMissing = value is null;
            Queued = new SqsMessageList(value ?? []);
        }
    }

    /// <summary>
    /// The live messages, indexed for expiry. Guarded by <see cref="Sync"/>. Internal rather than ignored: the schema
    /// fingerprint of the golden sets lists every public property, ignored ones included, and the schema is unchanged.
    /// </summary>
    internal SqsMessageList Queued { get; private set; } = new();

    /// <summary>Replaces the messages with restored ones (a keyed snapshot's, in their order). Call before the queue is live.</summary>
    internal void RestoreMessages(IEnumerable<SqsMessage> messages)
    {
        _messagesMissing = false;
        Queued = new SqsMessageList(messages);
    }

    /// <summary>Whether the snapshot this queue was read from had <c>"messages": null</c> (checked without copying <see cref="Messages"/>).</summary>
    internal bool MessagesMissing => _messagesMissing;

    /// <summary>FIFO deduplication records by key (the deduplication id, prefixed by the group when scoped per group).</summary>
    public Dictionary<string, SqsDeduplicationRecord> Deduplication { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The last FIFO sequence number handed out.</summary>
    public long SequenceCounter { get; set; }

    /// <summary>Unix milliseconds of the last purge (AWS allows one purge per 60 seconds).</summary>
    public long? LastPurgeTimestamp { get; set; }

    [JsonIgnore]
    public Lock Sync { get; } = new();

    /// <summary>Set when the queue is deleted (or replaced by a load), so that a request holding it stops using it.</summary>
    [JsonIgnore]
    public bool Deleted { get; set; }

    [JsonIgnore]
    public bool IsFifo => Attributes.TryGetValue(SqsAttributes.FifoQueue, out var fifo) && fifo == "true";

    [JsonIgnore]
    public string Arn => $"arn:aws:sqs:{Region}:{AccountId}:{Name}";

    /// <summary>Completes at the next change that may make a message receivable. Read under <see cref="Sync"/>.</summary>
    [JsonIgnore]
    public Task Changed => _changed.Task;

    /// <summary>Wakes the long polls waiting on this queue. Call under <see cref="Sync"/>.</summary>
    public void NotifyChanged()
    {
        var previous = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        previous.TrySetResult();
    }

    /// <summary>Records a FIFO deduplication id until its interval ends. Call under <see cref="Sync"/>.</summary>
    public void AddDeduplication(string key, SqsDeduplicationRecord record)
    {
        Deduplication[key] = record;
        _deduplicationByExpiry?.Enqueue(key, record.ExpiresAt);
    }

    /// <summary>
    /// Drops the messages older than the retention period (the current one, for every message, as AWS applies a changed
    /// period) and the deduplication records whose interval ended, at the cost of what is dropped, reporting each to
    /// <paramref name="changes"/>. Call under <see cref="Sync"/>.
    /// </summary>
    public void DropExpired(long now, SqsChanges changes)
    {
        Queued.RemoveSentAtOrBefore(now - (IntAttribute(SqsAttributes.MessageRetentionPeriod) * 1000L), message => changes.Message(this, message));

        // Built at first use, from what a restore read; kept with the dictionary by AddDeduplication since.
        var byExpiry = _deduplicationByExpiry ??= new(Deduplication.Select(d => (d.Key, d.Value.ExpiresAt)));
        while (byExpiry.TryPeek(out var key, out var expiresAt) && expiresAt <= now)
        {
            byExpiry.Dequeue();
            if (Deduplication.TryGetValue(key, out var record) && record.ExpiresAt <= now)
            {
                Deduplication.Remove(key);
                changes.Deduplication(this, key);
            }
        }
    }

    public int IntAttribute(string name) => int.Parse(Attributes[name], System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>One message. <see cref="VisibleAt"/> is the end of its delay before the first receive, then its visibility deadline.</summary>
internal sealed class SqsMessage
{
    public string MessageId { get; set; } = "";

    public string Body { get; set; } = "";

    public string Md5OfBody { get; set; } = "";

    public Dictionary<string, SqsMessageAttribute>? MessageAttributes { get; set; }

    public string? Md5OfMessageAttributes { get; set; }

    /// <summary>The <c>AWSTraceHeader</c> system attribute, the only one a sender may set.</summary>
    public string? AwsTraceHeader { get; set; }

    public string? Md5OfMessageSystemAttributes { get; set; }

    public string SenderId { get; set; } = "";

    /// <summary>Unix milliseconds.</summary>
    public long SentTimestamp { get; set; }

    /// <summary>Unix milliseconds: not receivable before.</summary>
    public long VisibleAt { get; set; }

    public int ReceiveCount { get; set; }

    /// <summary>Unix milliseconds.</summary>
    public long? FirstReceiveTimestamp { get; set; }

    /// <summary>The receipt handle of the latest receive; only it deletes the message.</summary>
    public string? ReceiptHandle { get; set; }

    public string? MessageGroupId { get; set; }

    public string? MessageDeduplicationId { get; set; }

    public string? SequenceNumber { get; set; }

    /// <summary>Set when the message was moved here by a redrive policy.</summary>
    public string? DeadLetterQueueSourceArn { get; set; }

    /// <summary>
    /// The message's place in its queue's order (rising as messages are added; <see cref="SqsMessageList"/> sets it).
    /// Internal: not part of the JSON document; a keyed snapshot stores it in the message's record.
    /// </summary>
    internal long Order { get; set; }

    public bool IsVisible(long now) => VisibleAt <= now;

    public bool IsInFlight(long now) => ReceiveCount > 0 && VisibleAt > now;

    public bool IsDelayed(long now) => ReceiveCount == 0 && VisibleAt > now;
}

internal sealed class SqsMessageAttribute
{
    public string DataType { get; set; } = "";

    public string? StringValue { get; set; }

    public byte[]? BinaryValue { get; set; }

    [JsonIgnore]
    public bool IsBinary => DataType.StartsWith("Binary", StringComparison.Ordinal);
}

internal sealed class SqsDeduplicationRecord
{
    public string MessageId { get; set; } = "";

    public string? SequenceNumber { get; set; }

    /// <summary>Unix milliseconds: the end of the 5-minute deduplication interval.</summary>
    public long ExpiresAt { get; set; }
}
