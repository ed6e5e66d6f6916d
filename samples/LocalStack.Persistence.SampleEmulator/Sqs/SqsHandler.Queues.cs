using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

/// <summary>Queue operations: create, find, list, delete, attributes and tags.</summary>
internal sealed partial class SqsHandler
{
    private const int MaxQueueNameLength = 80;

    private void CreateQueue(SqsCall call, Utf8JsonWriter json)
    {
        var name = call.Body.RequiredString("QueueName");
        var attributes = call.Body.StringMap("Attributes");
        var tags = call.Body.StringMap("tags");
        foreach (var (key, value) in call.Body.StringMap("Tags"))
        {
            tags[key] = value;
        }

        var fifo = name.EndsWith(".fifo", StringComparison.Ordinal);
        if (!IsValidQueueName(name, fifo))
        {
            throw SqsException.InvalidParameterValue("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
        }

        var fifoAttribute = attributes.GetValueOrDefault(SqsAttributes.FifoQueue);
        if (fifo != (fifoAttribute == "true"))
        {
            throw SqsException.InvalidParameterValue(fifo
                ? "The name of a FIFO queue needs the attribute FifoQueue=true."
                : "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.");
        }

        SqsAttributes.Validate(attributes, fifo, creating: true);
        if (!fifo)
        {
            attributes.Remove(SqsAttributes.FifoQueue);
        }

        var store = backend.Stores.GetOrCreate(call.Context.AccountId, call.Context.Region);
        SqsQueue queue;
        lock (store.Sync)
        {
            if (store.Queues.TryGetValue(name, out var existing))
            {
                lock (existing.Sync)
                {
                    // Idempotent only when every given attribute has the existing value (AWS compares what is given).
                    foreach (var (key, value) in attributes)
                    {
                        if (existing.Attributes.GetValueOrDefault(key) != value)
                        {
                            throw SqsException.QueueNameExists(name);
                        }
                    }
                }

                queue = existing;
            }
            else
            {
                var now = Time.GetUtcNow().ToUnixTimeSeconds();
                queue = new SqsQueue
                {
                    Name = name,
                    AccountId = call.Context.AccountId,
                    Region = call.Context.Region,
                    Attributes = SqsAttributes.Defaults(fifo),
                    Tags = tags,
                    CreatedTimestamp = now,
                    LastModifiedTimestamp = now,
                };
                foreach (var (key, value) in attributes)
                {
                    queue.Attributes[key] = value;
                }

                store.Queues.Add(name, queue);
                Changes.Queue(queue);
            }
        }

        json.WriteString("QueueUrl", QueueUrl(call, queue));
    }

    private static bool IsValidQueueName(string name, bool fifo)
    {
        var stem = fifo ? name[..^".fifo".Length] : name;
        return stem.Length > 0 && name.Length <= MaxQueueNameLength && stem.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
    }

    private void GetQueueUrl(SqsCall call, Utf8JsonWriter json)
    {
        var name = call.Body.RequiredString("QueueName");
        var owner = call.Body.String("QueueOwnerAWSAccountId") is { Length: > 0 } o ? o : call.Context.AccountId;
        if (!LocalStack.Persistence.State.AccountRegionNames.IsValidAccountId(owner))
        {
            throw SqsException.QueueDoesNotExist();
        }

        json.WriteString("QueueUrl", QueueUrl(call, backend.GetQueue(owner, call.Context.Region, name)));
    }

    private void ListQueues(SqsCall call, Utf8JsonWriter json)
    {
        var prefix = call.Body.String("QueueNamePrefix") ?? "";
        var max = call.Body.Int("MaxResults");
        if (max is < 1 or > 1000)
        {
            throw SqsException.InvalidParameterValue("Value for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.");
        }

        var after = DecodeToken(call.Body.String("NextToken"));
        List<SqsQueue> queues = [];
        if (backend.Stores.TryGet(call.Context.AccountId, call.Context.Region, out var store))
        {
            lock (store.Sync)
            {
                queues = [.. store.Queues.Values
                    .Where(q => q.Name.StartsWith(prefix, StringComparison.Ordinal) && (after is null || string.CompareOrdinal(q.Name, after) > 0))
                    .OrderBy(q => q.Name, StringComparer.Ordinal)];
            }
        }

        // Without MaxResults AWS returns up to 1000 queues and no token.
        var page = queues.Take(max ?? 1000).ToList();
        if (page.Count > 0)
        {
            json.WriteStartArray("QueueUrls");
            foreach (var queue in page)
            {
                json.WriteStringValue(QueueUrl(call, queue));
            }

            json.WriteEndArray();
        }

        if (max is not null && queues.Count > page.Count)
        {
            json.WriteString("NextToken", Convert.ToBase64String(Encoding.UTF8.GetBytes(page[^1].Name)));
        }
    }

    private static string? DecodeToken(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(token));
        }
        catch (FormatException)
        {
            throw SqsException.InvalidParameterValue("Invalid NextToken.");
        }
    }

    private void DeleteQueue(SqsCall call)
    {
        var queue = Queue(call);
        if (backend.Stores.TryGet(queue.AccountId, queue.Region, out var store))
        {
            lock (store.Sync)
            {
                if (store.Queues.TryGetValue(queue.Name, out var current) && ReferenceEquals(current, queue))
                {
                    store.Queues.Remove(queue.Name);
                }
            }
        }

        lock (queue.Sync)
        {
            // Its records go (a queue of the same name created later has its own); once deleted nothing changes it.
            if (!queue.Deleted)
            {
                Changes.Everything(queue);
            }

            queue.Deleted = true;
            queue.NotifyChanged();
        }
    }

    private void GetQueueAttributes(SqsCall call, Utf8JsonWriter json)
    {
        var queue = Queue(call);
        var names = call.Body.StringList("AttributeNames");
        foreach (var name in names)
        {
            if (name != "All" && !SqsAttributes.IsKnown(name))
            {
                throw SqsException.InvalidAttributeName(name);
            }
        }

        Dictionary<string, string> all;
        lock (queue.Sync)
        {
            ThrowIfDeleted(queue);
            queue.DropExpired(backend.NowMilliseconds, Changes);
            all = SqsAttributes.All(queue, backend.NowMilliseconds);
        }

        var selected = names.Contains("All") ? all : all.Where(a => names.Contains(a.Key));
        var list = selected.OrderBy(a => a.Key, StringComparer.Ordinal).ToList();
        if (list.Count > 0)
        {
            WriteStringMap(json, "Attributes", list);
        }
    }

    private void SetQueueAttributes(SqsCall call)
    {
        var queue = Queue(call);
        var attributes = call.Body.StringMap("Attributes");
        lock (queue.Sync)
        {
            ThrowIfDeleted(queue);
            SqsAttributes.Validate(attributes, queue.IsFifo, creating: false);
            foreach (var (key, value) in attributes)
            {
                if (value.Length == 0 && key is SqsAttributes.RedrivePolicy or "Policy" or "RedriveAllowPolicy")
                {
                    queue.Attributes.Remove(key);
                }
                else
                {
                    queue.Attributes[key] = value;
                }
            }

            queue.LastModifiedTimestamp = Time.GetUtcNow().ToUnixTimeSeconds();
            Changes.Queue(queue);
            queue.NotifyChanged();
        }
    }

    private void TagQueue(SqsCall call)
    {
        var queue = Queue(call);
        var tags = call.Body.StringMap("Tags");
        lock (queue.Sync)
        {
            ThrowIfDeleted(queue);
            foreach (var (key, value) in tags)
            {
                queue.Tags[key] = value;
            }

            Changes.Queue(queue);
        }
    }

    private void UntagQueue(SqsCall call)
    {
        var queue = Queue(call);
        var keys = call.Body.StringList("TagKeys");
        lock (queue.Sync)
        {
            ThrowIfDeleted(queue);
            foreach (var key in keys)
            {
                queue.Tags.Remove(key);
            }

            Changes.Queue(queue);
        }
    }

    private void ListQueueTags(SqsCall call, Utf8JsonWriter json)
    {
        var queue = Queue(call);
        List<KeyValuePair<string, string>> tags;
        lock (queue.Sync)
        {
            ThrowIfDeleted(queue);
            tags = [.. queue.Tags.OrderBy(t => t.Key, StringComparer.Ordinal)];
        }

        if (tags.Count > 0)
        {
            WriteStringMap(json, "Tags", tags);
        }
    }

    /// <summary>The queues of the same account and region whose redrive policy targets this queue.</summary>
    private void ListDeadLetterSourceQueues(SqsCall call, Utf8JsonWriter json)
    {
        var target = Queue(call);
        List<SqsQueue> candidates = [];
        if (backend.Stores.TryGet(target.AccountId, target.Region, out var store))
        {
            lock (store.Sync)
            {
                candidates = [.. store.Queues.Values.OrderBy(q => q.Name, StringComparer.Ordinal)];
            }
        }

        var sources = new List<string>();
        foreach (var queue in candidates)
        {
            lock (queue.Sync)
            {
                if (queue.Attributes.TryGetValue(SqsAttributes.RedrivePolicy, out var policy) && policy.Length > 0
                    && SqsAttributes.ParseRedrivePolicy(policy).TargetArn == target.Arn)
                {
                    sources.Add(QueueUrl(call, queue));
                }
            }
        }

        json.WriteStartArray("queueUrls");
        foreach (var url in sources)
        {
            json.WriteStringValue(url);
        }

        json.WriteEndArray();
    }

    private static void ThrowIfDeleted(SqsQueue queue)
    {
        if (queue.Deleted)
        {
            throw SqsException.QueueDoesNotExist();
        }
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
