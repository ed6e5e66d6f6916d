namespace LocalStack.Persistence.SampleEmulator.Sqs;

/// <summary>
/// An SQS error: <see cref="Code"/> is the JSON protocol's code (<c>__type</c> after <c>#</c>), <see cref="QueryCode"/>
/// the older query protocol's code, sent in <c>x-amzn-query-error</c> (AWS keeps both for compatibility).
/// </summary>
internal sealed class SqsException(string code, string message, string? queryCode = null, int statusCode = StatusCodes.Status400BadRequest)
    : Exception(message)
{
    public string Code { get; } = code;

    public string QueryCode { get; } = queryCode ?? code;

    public int StatusCode { get; } = statusCode;

    public static SqsException QueueDoesNotExist() => new(
        "QueueDoesNotExist", "The specified queue does not exist.", "AWS.SimpleQueueService.NonExistentQueue");

    public static SqsException QueueNameExists(string name) => new(
        "QueueNameExists", $"A queue already exists with the same name and a different value for attribute(s) of queue {name}.", "QueueAlreadyExists");

    public static SqsException InvalidParameterValue(string message) => new("InvalidParameterValue", message);

    public static SqsException MissingParameter(string name) => new("MissingParameter", $"The request must contain the parameter {name}.");

    public static SqsException InvalidAttributeName(string name) => new("InvalidAttributeName", $"Unknown Attribute {name}.");

    public static SqsException InvalidAttributeValue(string message) => new("InvalidAttributeValue", message);

    public static SqsException ReceiptHandleIsInvalid(string handle) => new(
        "ReceiptHandleIsInvalid", $"The input receipt handle \"{handle}\" is not a valid receipt handle.");

    public static SqsException MessageNotInflight() => new(
        "MessageNotInflight", "The message referred to isn't in flight.", "AWS.SimpleQueueService.MessageNotInflight");

    public static SqsException EmptyBatchRequest() => new(
        "EmptyBatchRequest", "There should be at least one SendMessageBatchRequestEntry in the request.", "AWS.SimpleQueueService.EmptyBatchRequest");

    public static SqsException TooManyEntriesInBatchRequest(int count) => new(
        "TooManyEntriesInBatchRequest", $"Maximum number of entries per request are 10. You have sent {count}.", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest");

    public static SqsException BatchEntryIdsNotDistinct(string id) => new(
        "BatchEntryIdsNotDistinct", $"Id {id} repeated.", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct");

    public static SqsException InvalidBatchEntryId() => new(
        "InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.", "AWS.SimpleQueueService.InvalidBatchEntryId");

    public static SqsException BatchRequestTooLong(int size, int max) => new(
        "BatchRequestTooLong", $"Batch requests cannot be longer than {max} bytes. You have sent {size} bytes.", "AWS.SimpleQueueService.BatchRequestTooLong");

    public static SqsException PurgeQueueInProgress(string name) => new(
        "PurgeQueueInProgress", $"Only one PurgeQueue operation on {name} is allowed every 60 seconds.", "AWS.SimpleQueueService.PurgeQueueInProgress");

    public static SqsException InvalidMessageContents(string message) => new("InvalidMessageContents", message);

    public static SqsException InvalidAddress(string url) => new("InvalidAddress", $"The address {url} is not valid for this endpoint.");

    public static SqsException UnsupportedOperation(string message) => new(
        "UnsupportedOperation", message, "AWS.SimpleQueueService.UnsupportedOperation");

    /// <summary>A request that names its operation more than once, so that it could be run as one and counted as another.</summary>
    public static SqsException AmbiguousOperation(string message) => new("InvalidParameterCombination", message);

    public static SqsException InvalidAction(string? operation) => new(
        "InvalidAction", $"The action {operation} is not valid for this endpoint.");
}
