using System.Text.Json.Nodes;
using LocalStack.Persistence.SampleEmulator.DynamoDb.Expressions;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb;

/// <summary>One DynamoDB request: its JSON body, the account and region it addresses, and parameter helpers.</summary>
internal sealed record DynamoDbRequest(JsonObject Body, string AccountId, string Region, DateTimeOffset Now)
{
    public JsonObject? Names => Body["ExpressionAttributeNames"] as JsonObject;

    public JsonObject? Values => Body["ExpressionAttributeValues"] as JsonObject;

    public string TableName => RequiredString("TableName");

    /// <summary>The placeholders this request's expressions used so far.</summary>
    public PlaceholderUsage Usage { get; } = new();

    public string TableArn(string table) => $"arn:aws:dynamodb:{Region}:{AccountId}:table/{table}";

    public string RequiredString(string name)
        => OptionalString(name) is { Length: > 0 } value ? value : throw DynamoDbException.Validation($"1 validation error detected: Value null at '{Camel(name)}' failed to satisfy constraint: Member must not be null");

    public string? OptionalString(string name) => Body[name] is JsonValue value ? value.GetValue<string>() : null;

    public JsonObject RequiredObject(string name)
        => Body[name] as JsonObject ?? throw DynamoDbException.Validation($"1 validation error detected: Value null at '{Camel(name)}' failed to satisfy constraint: Member must not be null");

    public int? OptionalInt(string name) => Body[name] is JsonValue value ? value.GetValue<int>() : null;

    public bool OptionalBool(string name, bool fallback) => Body[name] is JsonValue value ? value.GetValue<bool>() : fallback;

    /// <summary>A condition or filter expression parameter, parsed, or <see langword="null"/> when absent.</summary>
    public Condition? Condition(string name)
        => OptionalString(name) is { Length: > 0 } expression ? ExpressionParser.ParseCondition(expression, Names, Values, Usage) : null;

    /// <summary>ConditionExpression, or the legacy Expected.</summary>
    public Condition? WriteCondition() => Condition("ConditionExpression") ?? LegacyParameters.Expected(Body);

    /// <summary>FilterExpression, or the legacy QueryFilter / ScanFilter.</summary>
    public Condition? Filter()
        => Condition("FilterExpression") ?? LegacyParameters.Conditions(Body, "QueryFilter") ?? LegacyParameters.Conditions(Body, "ScanFilter");

    /// <summary>KeyConditionExpression, or the legacy KeyConditions.</summary>
    public Condition? KeyCondition()
        => Condition("KeyConditionExpression") ?? LegacyParameters.Conditions(Body, "KeyConditions", alwaysAnd: true);

    /// <summary>ProjectionExpression, or the legacy AttributesToGet.</summary>
    public IReadOnlyList<DocumentPath>? Projection()
        => OptionalString("ProjectionExpression") is { Length: > 0 } expression
            ? ExpressionParser.ParseProjection(expression, Names, Usage)
            : LegacyParameters.AttributesToGet(Body);

    /// <summary>UpdateExpression, or the legacy AttributeUpdates.</summary>
    public IReadOnlyList<UpdateAction> Update()
        => OptionalString("UpdateExpression") is { Length: > 0 } expression
            ? ExpressionParser.ParseUpdate(expression, Names, Values, Usage)
            : LegacyParameters.AttributeUpdates(Body);

    /// <summary>Call once every expression of the request is parsed.</summary>
    public void ThrowIfUnusedPlaceholders() => Usage.ThrowIfUnused(Names, Values);

    private static string Camel(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}
