using System.Text.Json;
using LocalStack.Persistence.AspNetCore;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

/// <summary>ReceiveMessage: visibility, FIFO group order, redrive, and long polling outside the snapshot gate.</summary>
internal sealed partial class SqsHandler
{
    private const int MaxWaitTimeSeconds = 20;

    private static readonly string[] SystemAttributeNames =
    [
        "SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
        "SequenceNumber", "MessageDeduplicationId", "MessageGroupId", "AWSTraceHeader", "DeadLetterQueueSourceArn",
    ];

    private async Task ReceiveMessageAsync(SqsCall call, Utf8JsonWriter json)
    {
        var queue = Queue(call);
        var max = call.Body.Int("MaxNumberOfMessages") ?? 1;
        if (max is < 1 or > 10)
        {
            throw SqsException.InvalidParameterValue($"Value {max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.");
        }

        var visibility = call.Body.Int("VisibilityTimeout");
        if (visibility is < 0 or > MaxVisibilityTimeout)
        {
            throw SqsException.InvalidParameterValue($"Value {visibility} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.");
        }

        var wait = call.Body.Int("WaitTimeSeconds");
        if (wait is < 0 or > MaxWaitTimeSeconds)
        {
            throw SqsException.InvalidParameterValue($"Value {wait} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.");
        }

        var systemNames = call.Body.StringList("AttributeNames").Concat(call.Body.StringList("MessageSystemAttributeNames")).ToHashSet(StringComparer.Ordinal);
        var attributeNames = call.Body.StringList("MessageAttributeNames");
        var ct = call.Context.Aborted;

        long deadline;
        lock (queue.Sync)
        {
            ThrowIfDeleted(queue);
            deadline = backend.NowMilliseconds + ((wait ?? queue.IntAttribute(SqsAttributes.ReceiveMessageWaitTimeSeconds)) * 1000L);
        }

        while (true)
        {
            ct.ThrowIfCancellationRequested();
            List<SqsMessage> taken;
            List<SqsMessage> deadLetters;
            string? deadLetterArn;
            Task changed;
            long now;
            long nextChange;
            lock (queue.Sync)
            {
                ThrowIfDeleted(queue);
                now = backend.NowMilliseconds;
                (taken, deadLetters, deadLetterArn) = Take(queue, Changes, max, visibility ?? queue.IntAttribute(SqsAttributes.VisibilityTimeout), now);
                changed = queue.Changed;
                nextChange = queue.Queued.Where(m => m.VisibleAt > now).Select(m => m.VisibleAt).DefaultIfEmpty(long.MaxValue).Min();
                if (taken.Count > 0 || now >= deadline)
                {
                    WriteMessages(json, queue, taken, systemNames, attributeNames);
                }
            }

            MoveToDeadLetterQueue(queue, deadLetterArn, deadLetters);
            if (taken.Count > 0 || now >= deadline)
            {
                return;
            }

            // Long poll: wait outside the snapshot gate (a save must not wait for us) until a message arrives, one
            // becomes visible, or the wait ends; then step back in and look again.
            var until = Math.Min(deadline, nextChange);
            var scope = call.Context.Http.GetSnapshotRequestScope();
            await using (scope is null ? null : await scope.StepOutAsync(ct))
            {
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var timer = Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, until - now)), Time, stop.Token);
                await Task.WhenAny(changed, timer);
                await stop.CancelAsync();
            }

            // A load or reset replaces the queue object: continue with the live one (or fail as AWS would if it is gone).
            if (queue.Deleted)
            {
                queue = Queue(call);
            }
        }
    }

    /// <summary>
    /// Takes up to <paramref name="max"/> receivable messages in order, making them invisible. In a FIFO queue a group
    /// with a message in flight (or not yet visible) delivers nothing after it. Messages past the redrive policy's
    /// receive count are removed and returned separately for the dead-letter queue. Call under the queue's lock.
    /// </summary>
    private static (List<SqsMessage> Taken, List<SqsMessage> DeadLetters, string? DeadLetterArn) Take(SqsQueue queue, SqsChanges changes, int max, int visibilityTimeout, long now)
    {
        queue.DropExpired(now, changes);
        var redrive = queue.Attributes.TryGetValue(SqsAttributes.RedrivePolicy, out var policy) && policy.Length > 0
            ? SqsAttributes.ParseRedrivePolicy(policy)
            : ((string TargetArn, int MaxReceiveCount)?)null;
        var taken = new List<SqsMessage>();
        var deadLetters = new List<SqsMessage>();
        var blockedGroups = queue.IsFifo ? new HashSet<string>(StringComparer.Ordinal) : null;
        for (LinkedListNode<SqsMessage>? node = queue.Queued.First, next; node is not null && taken.Count < max; node = next)
        {
            next = node.Next;
            var message = node.Value;

            var group = message.MessageGroupId ?? "";
            if (blockedGroups is not null && blockedGroups.Contains(group))
            {
                continue;
            }

            if (!message.IsVisible(now))
            {
                blockedGroups?.Add(group);
                continue;
            }

            if (redrive is { } r && message.ReceiveCount >= r.MaxReceiveCount)
            {
                deadLetters.Add(message);
                queue.Queued.Remove(node);
                changes.Message(queue, message);
                continue;
            }

            message.ReceiveCount++;
            message.FirstReceiveTimestamp ??= now;
            message.VisibleAt = now + (visibilityTimeout * 1000L);
            message.ReceiptHandle = SqsReceiptHandle.Create(queue, message);
            changes.Message(queue, message);
            taken.Add(message);
        }

        return (taken, deadLetters, redrive?.TargetArn);
    }

    private void MoveToDeadLetterQueue(SqsQueue source, string? targetArn, List<SqsMessage> messages)
    {
        if (messages.Count == 0 || targetArn is null || backend.FindByArn(targetArn) is not { } target)
        {
            return;
        }

        lock (target.Sync)
        {
            var now = backend.NowMilliseconds;
            foreach (var message in messages)
            {
                message.DeadLetterQueueSourceArn = source.Arn;
                message.ReceiptHandle = null;
                message.VisibleAt = now;
                target.Queued.Add(message);
                Changes.Message(target, message);
            }

            target.NotifyChanged();
        }
    }

    private static void WriteMessages(Utf8JsonWriter json, SqsQueue queue, List<SqsMessage> messages, HashSet<string> systemNames, List<string> attributeNames)
    {
        if (messages.Count == 0)
        {
            return;
        }

        var allSystem = systemNames.Contains("All");
        json.WriteStartArray("Messages");
        foreach (var message in messages)
        {
            json.WriteStartObject();
            json.WriteString("MessageId", message.MessageId);
            json.WriteString("ReceiptHandle", message.ReceiptHandle);
            json.WriteString("MD5OfBody", message.Md5OfBody);
            json.WriteString("Body", message.Body);

            var system = SystemAttributes(queue, message).Where(a => allSystem || systemNames.Contains(a.Key)).ToList();
            if (system.Count > 0)
            {
                WriteStringMap(json, "Attributes", system);
            }

            var attributes = message.MessageAttributes?
                .Where(a => IsRequested(a.Key, attributeNames))
                .ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
            if (attributes is { Count: > 0 })
            {
                json.WriteString("MD5OfMessageAttributes", SqsChecksums.Md5OfAttributes(attributes));
                json.WriteStartObject("MessageAttributes");
                foreach (var (name, attribute) in attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
                {
                    json.WriteStartObject(name);
                    json.WriteString("DataType", attribute.DataType);
                    if (attribute.IsBinary)
                    {
                        json.WriteBase64String("BinaryValue", attribute.BinaryValue);
                    }
                    else
                    {
                        json.WriteString("StringValue", attribute.StringValue);
                    }

                    json.WriteEndObject();
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static IEnumerable<KeyValuePair<string, string>> SystemAttributes(SqsQueue queue, SqsMessage message)
    {
        yield return new("SenderId", message.SenderId);
        yield return new("SentTimestamp", Invariant(message.SentTimestamp));
        yield return new("ApproximateReceiveCount", Invariant(message.ReceiveCount));
        yield return new("ApproximateFirstReceiveTimestamp", Invariant(message.FirstReceiveTimestamp ?? message.SentTimestamp));
        if (queue.IsFifo)
        {
            yield return new("SequenceNumber", message.SequenceNumber ?? "");
            yield return new("MessageDeduplicationId", message.MessageDeduplicationId ?? "");
        }

        if (message.MessageGroupId is not null)
        {
            yield return new("MessageGroupId", message.MessageGroupId);
        }

        if (message.AwsTraceHeader is not null)
        {
            yield return new("AWSTraceHeader", message.AwsTraceHeader);
        }

        if (message.DeadLetterQueueSourceArn is not null)
        {
            yield return new("DeadLetterQueueSourceArn", message.DeadLetterQueueSourceArn);
        }
    }

    /// <summary><c>All</c>, <c>.*</c>, <c>prefix.*</c> or an exact name.</summary>
    private static bool IsRequested(string name, List<string> requested)
    {
        foreach (var pattern in requested)
        {
            if (pattern is "All" or ".*" || pattern == name
                || (pattern.EndsWith(".*", StringComparison.Ordinal) && name.StartsWith(pattern[..^1], StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }
}
