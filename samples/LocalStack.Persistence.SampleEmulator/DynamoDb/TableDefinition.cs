using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb;

internal sealed record AttributeDefinition(string Name, string Type);

/// <summary>A table's schema as CreateTable declared it; stored as JSON in the database's <c>tables</c> table.</summary>
internal sealed record TableDefinition(
    string Name,
    string HashKey,
    string? RangeKey,
    IReadOnlyList<AttributeDefinition> AttributeDefinitions,
    double CreatedAt,
    string TableId,
    string BillingMode,
    long ReadCapacityUnits,
    long WriteCapacityUnits)
{
    public string TypeOf(string attribute) => AttributeDefinitions.First(a => a.Name == attribute).Type;

    public bool IsKeyAttribute(string attribute) => attribute == HashKey || attribute == RangeKey;

    /// <summary>The sortable key bytes of an item or key; <paramref name="exact"/> demands that nothing but key attributes is present.</summary>
    public (byte[] Pk, byte[] Sk) KeyOf(JsonObject item, bool exact)
    {
        if (exact && item.Count != (RangeKey is null ? 1 : 2))
        {
            throw DynamoDbException.Validation("The provided key element does not match the schema");
        }

        var pk = KeyPart(item, HashKey, exact);
        var sk = RangeKey is null ? [] : KeyPart(item, RangeKey, exact);
        return (pk, sk);
    }

    /// <summary>The key attributes of an item, as a new key object (LastEvaluatedKey, batch keys).</summary>
    public JsonObject KeyAttributes(JsonObject item)
    {
        var key = new JsonObject { [HashKey] = item[HashKey]!.DeepClone() };
        if (RangeKey is not null)
        {
            key[RangeKey] = item[RangeKey]!.DeepClone();
        }

        return key;
    }

    private byte[] KeyPart(JsonObject item, string attribute, bool exact)
    {
        if (item[attribute] is not { } value)
        {
            throw DynamoDbException.Validation(exact
                ? "The provided key element does not match the schema"
                : $"One or more parameter values were invalid: Missing the key {attribute} in the item");
        }

        var expected = TypeOf(attribute);
        var actual = AttributeValues.TypeOf(value);
        if (actual != expected)
        {
            throw DynamoDbException.Validation(exact
                ? "The provided key element does not match the schema"
                : $"One or more parameter values were invalid: Type mismatch for key {attribute} expected: {expected} actual: {actual}");
        }

        var bytes = AttributeValues.KeyBytes(value);
        if (bytes.Length == 0 && expected != "N")
        {
            throw DynamoDbException.Validation($"One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {expected} value. Key: {attribute}");
        }

        return bytes;
    }
}

/// <summary>The payload of a DynamoDB snapshot: the SQLite databases (assets) it consists of.</summary>
internal sealed record DynamoDbSnapshotState(IReadOnlyList<string> Databases);

[JsonSerializable(typeof(TableDefinition))]
[JsonSerializable(typeof(DynamoDbSnapshotState))]
internal sealed partial class DynamoDbJsonContext : JsonSerializerContext;
