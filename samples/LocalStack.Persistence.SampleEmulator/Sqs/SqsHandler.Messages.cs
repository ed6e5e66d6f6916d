using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

/// <summary>Sending, deleting, changing visibility and purging.</summary>
internal sealed partial class SqsHandler
{
    private const int MaxBatchEntries = 10;
    private const int MaxMessageAttributes = 10;
    private const int MaxDelaySeconds = 900;
    private const int MaxVisibilityTimeout = 43_200;
    private const long DeduplicationIntervalMilliseconds = 5 * 60 * 1000;
    private const long PurgeIntervalMilliseconds = 60 * 1000;

    private void SendMessage(SqsCall call, Utf8JsonWriter json)
    {
        var queue = Queue(call);
        var sent = Send(queue, call.Body, call.Context.AccountId);
        WriteSent(json, sent);
    }

    private void SendMessageBatch(SqsCall call, Utf8JsonWriter json)
    {
        var queue = Queue(call);
        var entries = BatchEntries(call.Body);
        var size = entries.Sum(e => Encoding.UTF8.GetByteCount(e.String("MessageBody") ?? ""));
        if (size > SqsAttributes.MaxMessageSizeLimit)
        {
            throw SqsException.BatchRequestTooLong(size, SqsAttributes.MaxMessageSizeLimit);
        }

        var successful = new List<(string Id, SentMessage Sent)>();
        var failed = new List<(string Id, SqsException Error)>();
        foreach (var entry in entries)
        {
            var id = entry.String("Id")!;
            try
            {
                successful.Add((id, Send(queue, entry, call.Context.AccountId)));
            }
            catch (SqsException e) when (e.Code != "QueueDoesNotExist")
            {
                failed.Add((id, e));
            }
        }

        json.WriteStartArray("Successful");
        foreach (var (id, sent) in successful)
        {
            json.WriteStartObject();
            json.WriteString("Id", id);
            WriteSent(json, sent);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        WriteFailed(json, failed);
    }

    private static void WriteSent(Utf8JsonWriter json, SentMessage sent)
    {
        json.WriteString("MessageId", sent.MessageId);
        json.WriteString("MD5OfMessageBody", sent.Md5OfBody);
        if (sent.Md5OfMessageAttributes is not null)
        {
            json.WriteString("MD5OfMessageAttributes", sent.Md5OfMessageAttributes);
        }

        if (sent.Md5OfMessageSystemAttributes is not null)
        {
            json.WriteString("MD5OfMessageSystemAttributes", sent.Md5OfMessageSystemAttributes);
        }

        if (sent.SequenceNumber is not null)
        {
            json.WriteString("SequenceNumber", sent.SequenceNumber);
        }
    }

    private static void WriteFailed(Utf8JsonWriter json, List<(string Id, SqsException Error)> failed)
    {
        json.WriteStartArray("Failed");
        foreach (var (id, error) in failed)
        {
            json.WriteStartObject();
            json.WriteString("Id", id);
            json.WriteBoolean("SenderFault", error.StatusCode < 500);
            json.WriteString("Code", error.Code);
            json.WriteString("Message", error.Message);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    /// <summary>Validates and enqueues one message (or, on a FIFO queue, recognises a duplicate).</summary>
    private SentMessage Send(SqsQueue queue, SqsJsonRequest entry, string senderId)
    {
        var body = entry.String("MessageBody");
        if (string.IsNullOrEmpty(body))
        {
            throw SqsException.MissingParameter("MessageBody");
        }

        ValidateContents(body);
        var attributes = entry.MessageAttributes("MessageAttributes");
        ValidateMessageAttributes(attributes);
        var traceHeader = SystemTraceHeader(entry);
        var delay = entry.Int("DelaySeconds");
        if (delay is < 0 or > MaxDelaySeconds)
        {
            throw SqsException.InvalidParameterValue($"Value {delay} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.");
        }

        var groupId = entry.String("MessageGroupId");
        var deduplicationId = entry.String("MessageDeduplicationId");
        ValidateFifoId("MessageGroupId", groupId);
        ValidateFifoId("MessageDeduplicationId", deduplicationId);
        var md5OfBody = SqsChecksums.Md5OfBody(body);
        var md5OfAttributes = SqsChecksums.Md5OfAttributes(attributes);
        var md5OfSystem = SqsChecksums.Md5OfSystemAttributes(traceHeader);
        var size = Encoding.UTF8.GetByteCount(body) + (attributes?.Sum(a => Encoding.UTF8.GetByteCount(a.Key) + Encoding.UTF8.GetByteCount(a.Value.DataType)
            + (a.Value.BinaryValue?.Length ?? Encoding.UTF8.GetByteCount(a.Value.StringValue ?? ""))) ?? 0);

        lock (queue.Sync)
        {
            ThrowIfDeleted(queue);
            var now = backend.NowMilliseconds;
            queue.DropExpired(now, Changes);
            var maxSize = queue.IntAttribute(SqsAttributes.MaximumMessageSize);
            if (size > maxSize)
            {
                throw SqsException.InvalidParameterValue($"One or more parameters are invalid. Reason: Message must be shorter than {maxSize} bytes.");
            }

            string? sequenceNumber = null;
            string? deduplicationKey = null;
            if (queue.IsFifo)
            {
                if (delay is not null && delay != 0)
                {
                    throw SqsException.InvalidParameterValue($"Value {delay} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.");
                }

                if (string.IsNullOrEmpty(groupId))
                {
                    throw SqsException.MissingParameter("MessageGroupId");
                }

                if (string.IsNullOrEmpty(deduplicationId))
                {
                    deduplicationId = queue.Attributes.GetValueOrDefault(SqsAttributes.ContentBasedDeduplication) == "true"
                        ? SqsChecksums.Sha256OfBody(body)
                        : throw SqsException.InvalidParameterValue("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly");
                }

                deduplicationKey = queue.Attributes.GetValueOrDefault(SqsAttributes.DeduplicationScope) == "messageGroup"
                    ? groupId + "\n" + deduplicationId
                    : deduplicationId;
                if (queue.Deduplication.TryGetValue(deduplicationKey, out var duplicate))
                {
                    // Accepted again but not enqueued: the original id and sequence number, as AWS answers.
                    return new SentMessage(duplicate.MessageId, md5OfBody, md5OfAttributes, md5OfSystem, duplicate.SequenceNumber);
                }

                sequenceNumber = (++queue.SequenceCounter).ToString("D20", CultureInfo.InvariantCulture);
                Changes.Queue(queue);
            }
            else if (deduplicationId is not null)
            {
                throw SqsException.InvalidParameterValue("The request includes parameter MessageDeduplicationId that is not valid for this queue type.");
            }

            var message = new SqsMessage
            {
                MessageId = Guid.NewGuid().ToString(),
                Body = body,
                Md5OfBody = md5OfBody,
                MessageAttributes = attributes,
                Md5OfMessageAttributes = md5OfAttributes,
                AwsTraceHeader = traceHeader,
                Md5OfMessageSystemAttributes = md5OfSystem,
                SenderId = senderId,
                SentTimestamp = now,
                VisibleAt = now + ((delay ?? queue.IntAttribute(SqsAttributes.DelaySeconds)) * 1000L),
                MessageGroupId = string.IsNullOrEmpty(groupId) ? null : groupId,
                MessageDeduplicationId = queue.IsFifo ? deduplicationId : null,
                SequenceNumber = sequenceNumber,
            };
            queue.Queued.Add(message);
            Changes.Message(queue, message);
            if (deduplicationKey is not null)
            {
                queue.AddDeduplication(deduplicationKey, new SqsDeduplicationRecord
                {
                    MessageId = message.MessageId,
                    SequenceNumber = sequenceNumber,
                    ExpiresAt = now + DeduplicationIntervalMilliseconds,
                });
                Changes.Deduplication(queue, deduplicationKey);
            }

            queue.NotifyChanged();
            return new SentMessage(message.MessageId, md5OfBody, md5OfAttributes, md5OfSystem, sequenceNumber);
        }
    }

    /// <summary>
    /// AWS's rule for group and deduplication ids: up to 128 alphanumeric or punctuation characters. It also bounds the
    /// key of a deduplication record (<see cref="SqsRecordKeys"/>), checked here before anything changes.
    /// </summary>
    private static void ValidateFifoId(string parameter, string? value)
    {
        if (value is { Length: > 0 } && (value.Length > 128 || !value.All(c => c is >= '!' and <= '~')))
        {
            throw SqsException.InvalidParameterValue($"Value {(value.Length > 128 ? value[..128] + "..." : value)} for parameter {parameter} is invalid. Reason: it must be 1 to 128 alphanumeric or punctuation characters.");
        }
    }

    private static void ValidateContents(string body)
    {
        // The characters the SQS documentation allows: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
        foreach (var rune in body.EnumerateRunes())
        {
            var v = rune.Value;
            if (!(v is 0x9 or 0xA or 0xD || (v >= 0x20 && v <= 0xD7FF) || (v >= 0xE000 && v <= 0xFFFD) || v >= 0x10000))
            {
                throw SqsException.InvalidMessageContents("Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF");
            }
        }
    }

    private static void ValidateMessageAttributes(Dictionary<string, SqsMessageAttribute>? attributes)
    {
        if (attributes is null)
        {
            return;
        }

        if (attributes.Count > MaxMessageAttributes)
        {
            throw SqsException.InvalidParameterValue($"Number of message attributes [{attributes.Count}] exceeds the allowed maximum [{MaxMessageAttributes}].");
        }

        foreach (var (name, attribute) in attributes)
        {
            if (name.Length is 0 or > 256 || name.StartsWith('.') || name.EndsWith('.') || name.Contains("..", StringComparison.Ordinal)
                || name.StartsWith("AWS.", StringComparison.OrdinalIgnoreCase) || name.StartsWith("Amazon.", StringComparison.OrdinalIgnoreCase)
                || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            {
                throw SqsException.InvalidParameterValue($"Message attribute name '{name}' is invalid.");
            }

            var type = attribute.DataType;
            var baseType = type.Split('.', 2)[0];
            if (baseType is not ("String" or "Number" or "Binary") || (type.Length > baseType.Length && type.Length == baseType.Length + 1))
            {
                throw SqsException.InvalidParameterValue($"The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.");
            }

            if (baseType == "Binary" ? attribute.BinaryValue is null : attribute.StringValue is null)
            {
                throw SqsException.InvalidParameterValue($"The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{type}'.");
            }

            if (baseType == "Number" && !decimal.TryParse(attribute.StringValue, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                throw SqsException.InvalidParameterValue($"Can't cast the value of message (user) attribute '{name}' to a number.");
            }
        }
    }

    private static string? SystemTraceHeader(SqsJsonRequest entry)
    {
        if (entry.Element.ValueKind != JsonValueKind.Object || !entry.Element.TryGetProperty("MessageSystemAttributes", out var system) || system.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var property in system.EnumerateObject())
        {
            if (property.Name != "AWSTraceHeader")
            {
                throw SqsException.InvalidParameterValue($"Message system attribute name '{property.Name}' is invalid.");
            }
        }

        return system.TryGetProperty("AWSTraceHeader", out var trace) ? new SqsJsonRequest(trace).String("StringValue") : null;
    }

    /// <summary>The entries of a batch request, checked as AWS checks them (1 to 10, distinct well-formed ids).</summary>
    private static List<SqsJsonRequest> BatchEntries(SqsJsonRequest body)
    {
        var entries = body.Entries("Entries").ToList();
        if (entries.Count == 0)
        {
            throw SqsException.EmptyBatchRequest();
        }

        if (entries.Count > MaxBatchEntries)
        {
            throw SqsException.TooManyEntriesInBatchRequest(entries.Count);
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var id = entry.String("Id");
            if (string.IsNullOrEmpty(id) || id.Length > 80 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                throw SqsException.InvalidBatchEntryId();
            }

            if (!ids.Add(id))
            {
                throw SqsException.BatchEntryIdsNotDistinct(id);
            }
        }

        return entries;
    }

    private void DeleteMessage(SqsCall call)
    {
        var queue = Queue(call);
        Delete(queue, call.Body.RequiredString("ReceiptHandle"));
    }

    private void DeleteMessageBatch(SqsCall call, Utf8JsonWriter json)
        => RunBatch(call, json, (queue, entry) => Delete(queue, entry.RequiredString("ReceiptHandle")));

    /// <summary>Applies one action per batch entry; an entry's error goes to <c>Failed</c> while the others go on.</summary>
    private void RunBatch(SqsCall call, Utf8JsonWriter json, Action<SqsQueue, SqsJsonRequest> apply)
    {
        var queue = Queue(call);
        var successful = new List<string>();
        var failed = new List<(string Id, SqsException Error)>();
        foreach (var entry in BatchEntries(call.Body))
        {
            var id = entry.String("Id")!;
            try
            {
                apply(queue, entry);
                successful.Add(id);
            }
            catch (SqsException e) when (e.Code != "QueueDoesNotExist")
            {
                failed.Add((id, e));
            }
        }

        WriteIds(json, successful);
        WriteFailed(json, failed);
    }

    /// <summary>Deletes the message when the handle is its latest receipt; an older handle succeeds without deleting, as in AWS.</summary>
    private void Delete(SqsQueue queue, string receiptHandle)
    {
        var messageId = SqsReceiptHandle.MessageIdFor(queue, receiptHandle);
        lock (queue.Sync)
        {
            ThrowIfDeleted(queue);
            if (queue.Queued.Find(messageId) is { } node && node.Value.ReceiptHandle == receiptHandle)
            {
                queue.Queued.Remove(node);
                Changes.Message(queue, node.Value);

                // A FIFO group whose in-flight message is gone may deliver its next message.
                queue.NotifyChanged();
            }
        }
    }

    private void ChangeMessageVisibility(SqsCall call)
    {
        var queue = Queue(call);
        ChangeVisibility(queue, call.Body.RequiredString("ReceiptHandle"), call.Body.Int("VisibilityTimeout") ?? throw SqsException.MissingParameter("VisibilityTimeout"));
    }

    private void ChangeMessageVisibilityBatch(SqsCall call, Utf8JsonWriter json)
        => RunBatch(call, json, (queue, entry) => ChangeVisibility(
            queue,
            entry.RequiredString("ReceiptHandle"),
            entry.Int("VisibilityTimeout") ?? throw SqsException.MissingParameter("VisibilityTimeout")));

    private void ChangeVisibility(SqsQueue queue, string receiptHandle, int visibilityTimeout)
    {
        if (visibilityTimeout is < 0 or > MaxVisibilityTimeout)
        {
            throw SqsException.InvalidParameterValue($"Value {visibilityTimeout} for parameter VisibilityTimeout is invalid. Reason: VisibilityTimeout must be an integer between 0 and 43200.");
        }

        var messageId = SqsReceiptHandle.MessageIdFor(queue, receiptHandle);
        lock (queue.Sync)
        {
            ThrowIfDeleted(queue);
            var now = backend.NowMilliseconds;
            var message = queue.Queued.Find(messageId)?.Value;
            if (message is null || message.ReceiptHandle != receiptHandle)
            {
                throw SqsException.ReceiptHandleIsInvalid(receiptHandle);
            }

            if (!message.IsInFlight(now))
            {
                throw SqsException.MessageNotInflight();
            }

            message.VisibleAt = now + (visibilityTimeout * 1000L);
            Changes.Message(queue, message);
            queue.NotifyChanged();
        }
    }

    private static void WriteIds(Utf8JsonWriter json, List<string> ids)
    {
        json.WriteStartArray("Successful");
        foreach (var id in ids)
        {
            json.WriteStartObject();
            json.WriteString("Id", id);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private void PurgeQueue(SqsCall call)
    {
        var queue = Queue(call);
        lock (queue.Sync)
        {
            ThrowIfDeleted(queue);
            var now = backend.NowMilliseconds;
            if (queue.LastPurgeTimestamp is { } last && now - last < PurgeIntervalMilliseconds)
            {
                throw SqsException.PurgeQueueInProgress(queue.Name);
            }

            queue.LastPurgeTimestamp = now;
            Changes.Queue(queue);
            Changes.AllMessages(queue);
            queue.Queued.Clear();
            queue.NotifyChanged();
        }
    }

    private sealed record SentMessage(string MessageId, string Md5OfBody, string? Md5OfMessageAttributes, string? Md5OfMessageSystemAttributes, string? SequenceNumber);
}
