using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

/// <summary>
/// Saves the SQS state as keyed records, so that a save writes the queues, messages and FIFO deduplication records
/// that changed since the last one (reported by the handlers through <see cref="SqsChanges"/>), not every message:
/// <list type="bullet">
/// <item><c>queue/&lt;account&gt;/&lt;region&gt;/&lt;name&gt;</c>: <see cref="SqsQueueRecord"/>, everything of the queue but its messages and deduplication records;</item>
/// <item><c>msg/&lt;account&gt;/&lt;region&gt;/&lt;name&gt;/&lt;message id&gt;</c>: <see cref="SqsMessageRecord"/>, the message and its place in the queue's order;</item>
/// <item><c>dedup/&lt;account&gt;/&lt;region&gt;/&lt;name&gt;/&lt;deduplication key&gt;</c>: <see cref="SqsDeduplicationRecord"/>.</item>
/// </list>
/// A load gathers the records by queue, orders each queue's messages, checks the whole with <see cref="SqsStateValidator"/>
/// and only then makes the queues live. A snapshot written before the state was keyed (LocalStack's JSON shape
/// <c>{"&lt;account&gt;":{"&lt;region&gt;":{"queues":{...}}}}</c>, <see cref="Document"/>) still loads; the next save converts it.
/// Captures run under the service's exclusive gate, when no request is changing a queue (long polls wait outside the
/// gate and touch no state there), so records are read as they are.
/// </summary>
internal sealed class SqsStateProvider : KeyedStateProvider
{
    private readonly SqsBackend _backend;

    // The records of the load being applied, by queue; put together by OnRestoredAsync.
    private readonly Dictionary<(string AccountId, string Region, string Name), RestoringQueue> _restoring = [];

    public SqsStateProvider(SqsBackend backend)
        : base(SqsModule.ServiceName)
    {
        _backend = backend;
        backend.Changes.Attach(MarkChanged);
    }

    private AccountRegionStore<SqsStore> Stores => _backend.Stores;

    /// <summary>The JSON document of a whole state: the form of snapshots written before the state was keyed.</summary>
    public static JsonTypeInfo<AccountRegionStore<SqsStore>> Document { get; } = JsonMetadataServices.CreateValueInfo<AccountRegionStore<SqsStore>>(
        SqsJsonContext.Default.Options,
        new AccountRegionStoreJsonConverter<SqsStore>(SqsBackend.NewStore, SqsJsonContext.Default.SqsStore));

    protected override IEnumerable<string> GetKeys()
    {
        // Keyed by where the queue is (as the handlers mark it: a live queue's name, account and region are where it is).
        foreach (var entry in Stores)
        {
            foreach (var (name, queue) in entry.Store.Queues)
            {
                yield return SqsRecordKeys.Queue(entry.AccountId, entry.Region, name);
                foreach (var message in queue.Queued)
                {
                    yield return SqsRecordKeys.Message(entry.AccountId, entry.Region, name, message.MessageId);
                }

                foreach (var key in queue.Deduplication.Keys)
                {
                    yield return SqsRecordKeys.Deduplication(entry.AccountId, entry.Region, name, key);
                }
            }
        }
    }

    protected override bool TryWriteValue(string key, KeyedValueWriter writer)
    {
        if (!SqsRecordKeys.TryParse(key, out var parsed) || !TryGetLiveQueue(parsed, out var queue))
        {
            return false;
        }

        switch (parsed.Kind)
        {
            case SqsRecordKeys.QueuePrefix:
                JsonSerializer.Serialize(writer.Json, SqsQueueRecord.From(queue), SqsJsonContext.Default.SqsQueueRecord);
                return true;
            case SqsRecordKeys.MessagePrefix when queue.Queued.Find(parsed.Item!) is { } node:
                JsonSerializer.Serialize(writer.Json, new SqsMessageRecord { Order = node.Value.Order, Message = node.Value }, SqsJsonContext.Default.SqsMessageRecord);
                return true;
            case SqsRecordKeys.DeduplicationPrefix when queue.Deduplication.TryGetValue(parsed.Item!, out var record):
                JsonSerializer.Serialize(writer.Json, record, SqsJsonContext.Default.SqsDeduplicationRecord);
                return true;
            default:
                return false;
        }
    }

    protected override void Clear()
    {
        _restoring.Clear();
        var previous = Stores.ToArray();
        Stores.Reset();
        Retire(previous);
    }

    protected override void ApplyValue(string key, ReadOnlySpan<byte> utf8Json, SnapshotContext context)
    {
        var parsed = Parse(key, context);
        var queue = Restoring(parsed);
        try
        {
            switch (parsed.Kind)
            {
                case SqsRecordKeys.QueuePrefix:
                    queue.Queue = (JsonSerializer.Deserialize(utf8Json, SqsJsonContext.Default.SqsQueueRecord) ?? throw Corrupt(context, key, "is null")).ToQueue();
                    break;
                case SqsRecordKeys.MessagePrefix:
                    var record = JsonSerializer.Deserialize(utf8Json, SqsJsonContext.Default.SqsMessageRecord);
                    if (record?.Message is not { } message || message.MessageId != parsed.Item)
                    {
                        throw Corrupt(context, key, "does not hold the message its key names");
                    }

                    message.Order = record.Order;
                    queue.Messages[parsed.Item] = message;
                    break;
                default:
                    queue.Deduplication[parsed.Item!] = JsonSerializer.Deserialize(utf8Json, SqsJsonContext.Default.SqsDeduplicationRecord) ?? throw Corrupt(context, key, "is null");
                    break;
            }
        }
        catch (JsonException e)
        {
            throw new SnapshotCorruptException(Location(context), $"the value of record '{key}' does not match its kind: {e.Message}", e);
        }
    }

    protected override void ApplyRemoval(string key, SnapshotContext context)
    {
        var parsed = Parse(key, context);
        var queue = Restoring(parsed);
        _ = parsed.Kind switch
        {
            SqsRecordKeys.QueuePrefix => (queue.Queue = null) is null,
            SqsRecordKeys.MessagePrefix => queue.Messages.Remove(parsed.Item!),
            _ => queue.Deduplication.Remove(parsed.Item!),
        };
    }

    protected override ValueTask OnRestoredAsync(SnapshotContext context, CancellationToken cancellationToken)
    {
        try
        {
            var state = new AccountRegionStore<SqsStore>(SqsBackend.NewStore);
            foreach (var ((accountId, region, name), restoring) in _restoring)
            {
                if (restoring.Queue is not { } queue)
                {
                    if (restoring.Messages.Count > 0 || restoring.Deduplication.Count > 0)
                    {
                        throw new SnapshotCorruptException(Location(context), $"it holds messages or deduplication records of queue '{name}' of account {accountId} in {region}, but not the queue.");
                    }

                    continue;
                }

                queue.RestoreMessages(restoring.Messages.Values.OrderBy(m => m.Order));
                queue.Deduplication = restoring.Deduplication;
                state.GetOrCreate(accountId, region).Queues[name] = queue;
            }

            if (SqsStateValidator.FindProblem(state) is { } problem)
            {
                throw new SnapshotCorruptException(Location(context), problem + ".");
            }

            // Clear() emptied the live state before the records were applied; a refused load leaves it empty (the service is faulted).
            Stores.ReplaceAll(state);
            return ValueTask.CompletedTask;
        }
        finally
        {
            _restoring.Clear();
        }
    }

    protected override async ValueTask RestoreWholeStateAsync(SnapshotPayload payload, SnapshotContext context, CancellationToken cancellationToken)
    {
        var location = Location(context);
        if (payload.SchemaVersion > SchemaVersion)
        {
            throw new SnapshotVersionException(location, "schema", payload.SchemaVersion, SchemaVersion);
        }

        AccountRegionStore<SqsStore>? state;
        try
        {
            state = await JsonSerializer.DeserializeAsync(payload.Content, Document, cancellationToken);
        }
        catch (JsonException e)
        {
            throw new SnapshotCorruptException(location, $"its payload (schema version {payload.SchemaVersion}) does not match the state of service '{ServiceName}': {e.Message}", e);
        }

        if (state is null)
        {
            throw new SnapshotCorruptException(location, $"its payload is JSON null; service '{ServiceName}' expects a state object.");
        }

        // A payload that deserializes is not yet a state the handlers can serve: refuse it whole (the service is faulted).
        if (SqsStateValidator.FindProblem(state) is { } problem)
        {
            throw new SnapshotCorruptException(location, problem + ".");
        }

        var previous = Stores.ToArray();
        Stores.ReplaceAll(state);
        Retire(previous);
    }

    // The queues of a replaced store are gone: their long polls must not wait for messages that cannot arrive.
    private static void Retire(AccountRegionEntry<SqsStore>[] entries)
    {
        foreach (var entry in entries)
        {
            SqsBackend.Retire(entry.Store);
        }
    }

    private static string Location(SnapshotContext context) => context.SnapshotLocation ?? $"{context.ServiceName} snapshot (generation {context.Generation})";

    private static SnapshotCorruptException Corrupt(SnapshotContext context, string key, string problem)
        => new(Location(context), $"the record '{key}' {problem}.");

    private static SqsRecordKeys.ParsedKey Parse(string key, SnapshotContext context)
        => SqsRecordKeys.TryParse(key, out var parsed) && AccountRegionNames.IsValidAccountId(parsed.AccountId) && AccountRegionNames.IsValidRegion(parsed.Region)
            ? parsed
            : throw Corrupt(context, key, "has a key that names no SQS queue, message or deduplication record");

    private RestoringQueue Restoring(SqsRecordKeys.ParsedKey key)
    {
        if (!_restoring.TryGetValue((key.AccountId, key.Region, key.Name), out var queue))
        {
            queue = new RestoringQueue();
            _restoring.Add((key.AccountId, key.Region, key.Name), queue);
        }

        return queue;
    }

    private bool TryGetLiveQueue(SqsRecordKeys.ParsedKey key, out SqsQueue queue)
    {
        queue = null!;
        return AccountRegionNames.IsValidAccountId(key.AccountId) && AccountRegionNames.IsValidRegion(key.Region)
            && Stores.TryGet(key.AccountId, key.Region, out var store) && store.Queues.TryGetValue(key.Name, out queue!);
    }

    /// <summary>The records of one queue read so far by a load.</summary>
    private sealed class RestoringQueue
    {
        public SqsQueue? Queue { get; set; }

        public Dictionary<string, SqsMessage> Messages { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, SqsDeduplicationRecord> Deduplication { get; } = new(StringComparer.Ordinal);
    }
}

/// <summary>The record of a queue: <see cref="SqsQueue"/> without its messages and deduplication records (records of their own).</summary>
internal sealed class SqsQueueRecord
{
    public string Name { get; set; } = "";

    public string AccountId { get; set; } = "";

    public string Region { get; set; } = "";

    public Dictionary<string, string> Attributes { get; set; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Tags { get; set; } = new(StringComparer.Ordinal);

    public long CreatedTimestamp { get; set; }

    public long LastModifiedTimestamp { get; set; }

    public long SequenceCounter { get; set; }

    public long? LastPurgeTimestamp { get; set; }

    public static SqsQueueRecord From(SqsQueue queue) => new()
    {
        Name = queue.Name,
        AccountId = queue.AccountId,
        Region = queue.Region,
        Attributes = queue.Attributes,
        Tags = queue.Tags,
        CreatedTimestamp = queue.CreatedTimestamp,
        LastModifiedTimestamp = queue.LastModifiedTimestamp,
        SequenceCounter = queue.SequenceCounter,
        LastPurgeTimestamp = queue.LastPurgeTimestamp,
    };

    public SqsQueue ToQueue() => new()
    {
        Name = Name,
        AccountId = AccountId,
        Region = Region,
        Attributes = Attributes,
        Tags = Tags,
        CreatedTimestamp = CreatedTimestamp,
        LastModifiedTimestamp = LastModifiedTimestamp,
        SequenceCounter = SequenceCounter,
        LastPurgeTimestamp = LastPurgeTimestamp,
    };
}

/// <summary>The record of a message: the message and its place in its queue's order (<see cref="SqsMessage.Order"/>).</summary>
internal sealed class SqsMessageRecord
{
    public long Order { get; set; }

    public SqsMessage? Message { get; set; }
}
