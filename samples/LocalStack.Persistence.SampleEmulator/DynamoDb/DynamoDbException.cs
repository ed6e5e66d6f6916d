namespace LocalStack.Persistence.SampleEmulator.DynamoDb;

/// <summary>A DynamoDB client error, answered as <c>{"__type":"com.amazonaws.dynamodb.v20120810#&lt;Code&gt;"}</c>.</summary>
internal sealed class DynamoDbException(string code, string message, int statusCode = StatusCodes.Status400BadRequest) : Exception(message)
{
    /// <summary>More members of the error body: the item a failed condition saw, a cancelled transaction's reasons.</summary>
    public System.Text.Json.Nodes.JsonObject? Details { get; init; }

    public string Code { get; } = code;

    public int StatusCode { get; } = statusCode;

    public static DynamoDbException Validation(string message) => new("ValidationException", message);

    public static DynamoDbException TableNotFound(string? table = null)
        => new("ResourceNotFoundException", table is null ? "Cannot do operations on a non-existent table" : $"Requested resource not found: Table: {table} not found");

    public static DynamoDbException ConditionFailed(System.Text.Json.Nodes.JsonObject? item = null)
        => new("ConditionalCheckFailedException", "The conditional request failed") { Details = item is null ? null : new() { ["Item"] = item.DeepClone() } };
}
