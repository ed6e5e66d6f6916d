using System.Globalization;
using System.Text.Json;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

/// <summary>Queue attribute names, defaults, validation, and the read-only attributes computed from the messages.</summary>
internal static class SqsAttributes
{
    public const string DelaySeconds = "DelaySeconds";
    public const string MaximumMessageSize = "MaximumMessageSize";
    public const string MessageRetentionPeriod = "MessageRetentionPeriod";
    public const string ReceiveMessageWaitTimeSeconds = "ReceiveMessageWaitTimeSeconds";
    public const string VisibilityTimeout = "VisibilityTimeout";
    public const string RedrivePolicy = "RedrivePolicy";
    public const string FifoQueue = "FifoQueue";
    public const string ContentBasedDeduplication = "ContentBasedDeduplication";
    public const string DeduplicationScope = "DeduplicationScope";
    public const string FifoThroughputLimit = "FifoThroughputLimit";

    public const int MaxMessageSizeLimit = 1_048_576;

    /// <summary>Settable on every queue, with their range when numeric.</summary>
    private static readonly Dictionary<string, (int Min, int Max)?> Settable = new(StringComparer.Ordinal)
    {
        [DelaySeconds] = (0, 900),
        [MaximumMessageSize] = (1024, MaxMessageSizeLimit),
        [MessageRetentionPeriod] = (60, 1_209_600),
        [ReceiveMessageWaitTimeSeconds] = (0, 20),
        [VisibilityTimeout] = (0, 43_200),
        [RedrivePolicy] = null,
        ["RedriveAllowPolicy"] = null,
        ["Policy"] = null,
        ["KmsMasterKeyId"] = null,
        ["KmsDataKeyReusePeriodSeconds"] = (60, 86_400),
        ["SqsManagedSseEnabled"] = null,
    };

    private static readonly string[] FifoOnly = [FifoQueue, ContentBasedDeduplication, DeduplicationScope, FifoThroughputLimit];

    private static readonly string[] Computed =
    [
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed",
        "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn",
    ];

    public static Dictionary<string, string> Defaults(bool fifo)
    {
        var defaults = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [DelaySeconds] = "0",
            [MaximumMessageSize] = MaxMessageSizeLimit.ToString(CultureInfo.InvariantCulture),
            [MessageRetentionPeriod] = "345600",
            [ReceiveMessageWaitTimeSeconds] = "0",
            [VisibilityTimeout] = "30",
            ["SqsManagedSseEnabled"] = "true",
        };
        if (fifo)
        {
            defaults[FifoQueue] = "true";
            defaults[ContentBasedDeduplication] = "false";
            defaults[DeduplicationScope] = "queue";
            defaults[FifoThroughputLimit] = "perQueue";
        }

        return defaults;
    }

    /// <summary>Checks attributes given to CreateQueue or SetQueueAttributes.</summary>
    public static void Validate(IReadOnlyDictionary<string, string> attributes, bool fifo, bool creating)
    {
        foreach (var (name, value) in attributes)
        {
            if (Settable.TryGetValue(name, out var range))
            {
                if (range is { } r && (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < r.Min || number > r.Max))
                {
                    throw SqsException.InvalidAttributeValue($"Invalid value for the parameter {name}.");
                }

                if (name == RedrivePolicy && value.Length > 0)
                {
                    _ = ParseRedrivePolicy(value);
                }

                continue;
            }

            if (Array.IndexOf(FifoOnly, name) < 0)
            {
                throw SqsException.InvalidAttributeName(name);
            }

            if (!fifo)
            {
                // FifoQueue=false on a new standard queue says nothing new (the caller drops it); other FIFO attributes do not apply.
                if (name == FifoQueue && value == "false" && creating)
                {
                    continue;
                }

                throw SqsException.InvalidAttributeName(name);
            }

            var valid = name switch
            {
                FifoQueue => creating && value == "true",
                ContentBasedDeduplication => value is "true" or "false",
                DeduplicationScope => value is "queue" or "messageGroup",
                _ => value is "perQueue" or "perMessageGroupId",
            };
            if (!valid)
            {
                throw SqsException.InvalidAttributeValue($"Invalid value for the parameter {name}.");
            }
        }
    }

    /// <summary>The dead-letter queue ARN and receive limit of a redrive policy.</summary>
    public static (string TargetArn, int MaxReceiveCount) ParseRedrivePolicy(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var arn = root.GetProperty("deadLetterTargetArn").GetString();
            var max = root.GetProperty("maxReceiveCount");
            var count = max.ValueKind == JsonValueKind.String ? int.Parse(max.GetString()!, CultureInfo.InvariantCulture) : max.GetInt32();
            if (string.IsNullOrEmpty(arn) || count < 1 || count > 1000)
            {
                throw new FormatException();
            }

            return (arn, count);
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException or OverflowException)
        {
            throw SqsException.InvalidAttributeValue("Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map of deadLetterTargetArn and maxReceiveCount.");
        }
    }

    /// <summary>Every attribute of the queue, computed ones included, as <c>GetQueueAttributes</c> with <c>All</c> returns them. Call under the queue's lock.</summary>
    public static Dictionary<string, string> All(SqsQueue queue, long now)
    {
        var all = new Dictionary<string, string>(queue.Attributes, StringComparer.Ordinal);
        int visible = 0, inFlight = 0, delayed = 0;
        foreach (var message in queue.Queued)
        {
            if (message.IsInFlight(now))
            {
                inFlight++;
            }
            else if (message.IsDelayed(now))
            {
                delayed++;
            }
            else
            {
                visible++;
            }
        }

        all["ApproximateNumberOfMessages"] = visible.ToString(CultureInfo.InvariantCulture);
        all["ApproximateNumberOfMessagesNotVisible"] = inFlight.ToString(CultureInfo.InvariantCulture);
        all["ApproximateNumberOfMessagesDelayed"] = delayed.ToString(CultureInfo.InvariantCulture);
        all["CreatedTimestamp"] = queue.CreatedTimestamp.ToString(CultureInfo.InvariantCulture);
        all["LastModifiedTimestamp"] = queue.LastModifiedTimestamp.ToString(CultureInfo.InvariantCulture);
        all["QueueArn"] = queue.Arn;
        return all;
    }

    /// <summary>Whether <paramref name="name"/> is an attribute GetQueueAttributes may ask for.</summary>
    public static bool IsKnown(string name)
        => Settable.ContainsKey(name) || Array.IndexOf(FifoOnly, name) >= 0 || Array.IndexOf(Computed, name) >= 0;
}
