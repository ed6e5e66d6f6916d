using System.Text.Json.Nodes;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb.Expressions;

/// <summary>
/// The <c>#name</c> and <c>:value</c> placeholders the expressions of one request used: DynamoDB rejects a request whose
/// ExpressionAttributeNames or ExpressionAttributeValues hold entries no expression uses.
/// </summary>
internal sealed class PlaceholderUsage
{
    public HashSet<string> Names { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Values { get; } = new(StringComparer.Ordinal);

    public void ThrowIfUnused(JsonObject? names, JsonObject? values)
    {
        var unusedNames = names?.Select(p => p.Key).Where(k => !Names.Contains(k)).ToArray() ?? [];
        if (unusedNames.Length > 0)
        {
            throw DynamoDbException.Validation($"Value provided in ExpressionAttributeNames unused in expressions: keys: {{{string.Join(", ", unusedNames)}}}");
        }

        var unusedValues = values?.Select(p => p.Key).Where(k => !Values.Contains(k)).ToArray() ?? [];
        if (unusedValues.Length > 0)
        {
            throw DynamoDbException.Validation($"Value provided in ExpressionAttributeValues unused in expressions: keys: {{{string.Join(", ", unusedValues)}}}");
        }
    }
}
