using System.Globalization;
using LocalStack.Persistence.State;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

/// <summary>
/// Checks a restored SQS state before it goes live. The payload's checksum proves it is what was written, not that it
/// is a state the handlers can serve: a null, a missing attribute or a digest that does not match its message would
/// turn every later request on that queue into a 500. Such a snapshot is refused (the service is faulted) instead.
/// </summary>
internal static class SqsStateValidator
{
    /// <summary>The first problem found, or <see langword="null"/> when the state can be served.</summary>
    public static string? FindProblem(AccountRegionStore<SqsStore> state)
    {
        foreach (var entry in state)
        {
            if (entry.Store?.Queues is not { } queues)
            {
                return $"account {entry.AccountId} region {entry.Region} has no queue list";
            }

            foreach (var (name, queue) in queues)
            {
                var problem = queue is null ? "is null" : FindQueueProblem(name, queue, entry.AccountId, entry.Region);
                if (problem is not null)
                {
                    return $"queue '{name}' of account {entry.AccountId} in {entry.Region} {problem}";
                }
            }
        }

        return null;
    }

    private static string? FindQueueProblem(string name, SqsQueue queue, string accountId, string region)
    {
        if (queue.Name != name || queue.AccountId != accountId || queue.Region != region)
        {
            return $"names itself '{queue.Name}' of account '{queue.AccountId}' in '{queue.Region}'";
        }

        if (queue.Attributes is null || queue.Tags is null || queue.MessagesMissing || queue.Deduplication is null)
        {
            return "lacks its attributes, tags, messages or deduplication records";
        }

        var fifo = name.EndsWith(".fifo", StringComparison.Ordinal);
        if (queue.IsFifo != fifo)
        {
            return "has a FifoQueue attribute that does not match its name";
        }

        if (queue.Attributes.Values.Any(v => v is null) || queue.Tags.Values.Any(v => v is null))
        {
            return "has a null attribute or tag value";
        }

        var missing = SqsAttributes.Defaults(fifo).Keys.Where(k => !queue.Attributes.ContainsKey(k)).ToArray();
        if (missing.Length > 0)
        {
            return $"lacks the attribute(s) {string.Join(", ", missing)}";
        }

        try
        {
            SqsAttributes.Validate(queue.Attributes.Where(a => a.Key != "SqsManagedSseEnabled").ToDictionary(), fifo, creating: true);
        }
        catch (SqsException e)
        {
            return $"has an invalid attribute: {e.Message}";
        }

        if (queue.SequenceCounter < 0 || queue.Deduplication.Values.Any(d => d is null || d.MessageId is null))
        {
            return "has an invalid sequence counter or deduplication record";
        }

        // Messages are found (and saved as records) by id: two with one id would serve and save as one.
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var message in queue.Queued)
        {
            var problem = message is null ? "is null" : FindMessageProblem(message, fifo) ?? (ids.Add(message.MessageId) ? null : "shares its id with another message of the queue");
            if (problem is not null)
            {
                return $"has a message ({message?.MessageId}) that {problem}";
            }
        }

        return null;
    }

    private static string? FindMessageProblem(SqsMessage message, bool fifo)
    {
        if (message.MessageId is null || message.Body is null || message.SenderId is null)
        {
            return "lacks its id, body or sender";
        }

        if (message.ReceiveCount < 0 || message.SentTimestamp < 0 || message.VisibleAt < 0)
        {
            return "has a negative receive count or time";
        }

        if (message.Md5OfBody != SqsChecksums.Md5OfBody(message.Body))
        {
            return "has a body whose MD5 is not the one recorded";
        }

        if (message.MessageAttributes is { } attributes
            && (attributes.Any(a => a.Value is null || string.IsNullOrEmpty(a.Value.DataType)) || message.Md5OfMessageAttributes != SqsChecksums.Md5OfAttributes(attributes)))
        {
            return "has message attributes that are null or do not match their recorded MD5";
        }

        if (message.Md5OfMessageSystemAttributes != SqsChecksums.Md5OfSystemAttributes(message.AwsTraceHeader))
        {
            return "has system attributes that do not match their recorded MD5";
        }

        if (fifo && (message.MessageGroupId is null || !decimal.TryParse(message.SequenceNumber, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            return "lacks its FIFO group or sequence number";
        }

        return null;
    }
}
