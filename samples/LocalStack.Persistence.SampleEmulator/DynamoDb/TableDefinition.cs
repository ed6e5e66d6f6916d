using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb;

internal sealed record AttributeDefinition(string Name, string Type);

/// <summary>A global or local secondary index: its key schema and which attributes it projects.</summary>
internal sealed record IndexDefinition(string Name, bool Global, string HashKey, string? RangeKey, string ProjectionType, IReadOnlyList<string>? NonKeyAttributes)
{
    /// <summary>The attributes an index entry holds, given the table's keys: everything (ALL), or keys (and included attributes).</summary>
    public JsonObject Project(JsonObject item, TableDefinition table)
    {
        if (ProjectionType == "ALL")
        {
            return item;
        }

        var projected = new JsonObject();
        foreach (var (name, value) in item)
        {
            if (table.IsKeyAttribute(name) || name == HashKey || name == RangeKey || (NonKeyAttributes?.Contains(name) ?? false))
            {
                projected[name] = value?.DeepClone();
            }
        }

        return projected;
    }
}

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
    long WriteCapacityUnits,
    IReadOnlyList<IndexDefinition>? Indexes = null)
{
    public IndexDefinition Index(string name)
        => Indexes?.FirstOrDefault(i => i.Name == name)
            ?? throw DynamoDbException.Validation($"The table does not have the specified index: {name}");

    /// <summary>The index's key schema as a table definition, to validate and evaluate key conditions on it.</summary>
    public TableDefinition KeysOf(IndexDefinition index) => this with { HashKey = index.HashKey, RangeKey = index.RangeKey };

    /// <summary>Rejects an item whose index key attributes have the wrong type (DynamoDB checks them on every write).</summary>
    public void ValidateIndexKeys(JsonObject item)
    {
        foreach (var index in Indexes ?? [])
        {
            foreach (var key in (ReadOnlySpan<string?>)[index.HashKey, index.RangeKey])
            {
                if (key is not null && item[key] is { } value && AttributeValues.TypeOf(value) is var actual && actual != TypeOf(key))
                {
                    throw DynamoDbException.Validation($"One or more parameter values were invalid: Type mismatch for Index Key {key} Expected: {TypeOf(key)} Actual: {actual} IndexName: {index.Name}");
                }
            }
        }
    }

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
        if (!exact)
        {
            ValidateIndexKeys(item);
        }

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
[JsonSerializable(typeof(IndexDefinition))]
[JsonSerializable(typeof(DynamoDbSnapshotState))]
internal sealed partial class DynamoDbJsonContext : JsonSerializerContext;
