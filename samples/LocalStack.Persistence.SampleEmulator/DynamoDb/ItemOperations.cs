using System.Text.Json.Nodes;
using LocalStack.Persistence.SampleEmulator.DynamoDb.Expressions;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb;

/// <summary>PutItem, GetItem, UpdateItem, DeleteItem: one item, read and written under the database's lock.</summary>
internal static class ItemOperations
{
    private const int MaxItemBytes = 400 * 1024;

    public static JsonObject PutItem(DynamoDbDatabase database, DynamoDbRequest request)
    {
        var table = database.Table(request.TableName);
        var item = request.RequiredObject("Item");
        ValidateItem(item);
        var (pk, sk) = table.KeyOf(item, exact: false);
        var condition = request.WriteCondition();
        request.ThrowIfUnusedPlaceholders();
        var returnValues = ReturnValues(request, "NONE", "ALL_OLD");
        var old = condition is not null || returnValues != "NONE" ? database.GetItem(table.Name, pk, sk) : null;
        CheckCondition(condition, old, request);
        database.PutItem(table.Name, pk, sk, item);
        return returnValues == "ALL_OLD" && old is not null ? new JsonObject { ["Attributes"] = old } : [];
    }

    public static JsonObject GetItem(DynamoDbDatabase database, DynamoDbRequest request)
    {
        var table = database.Table(request.TableName);
        var (pk, sk) = table.KeyOf(request.RequiredObject("Key"), exact: true);
        var projection = request.Projection();
        request.ThrowIfUnusedPlaceholders();
        if (database.GetItem(table.Name, pk, sk) is not { } item)
        {
            return [];
        }

        return new JsonObject { ["Item"] = projection is null ? item : DocumentPaths.Project(item, projection) };
    }

    public static JsonObject DeleteItem(DynamoDbDatabase database, DynamoDbRequest request)
    {
        var table = database.Table(request.TableName);
        var (pk, sk) = table.KeyOf(request.RequiredObject("Key"), exact: true);
        var condition = request.WriteCondition();
        request.ThrowIfUnusedPlaceholders();
        var returnValues = ReturnValues(request, "NONE", "ALL_OLD");
        var old = database.GetItem(table.Name, pk, sk);
        CheckCondition(condition, old, request);
        if (old is not null)
        {
            database.DeleteItem(table.Name, pk, sk);
        }

        return returnValues == "ALL_OLD" && old is not null ? new JsonObject { ["Attributes"] = old } : [];
    }

    public static JsonObject UpdateItem(DynamoDbDatabase database, DynamoDbRequest request)
    {
        var table = database.Table(request.TableName);
        var key = request.RequiredObject("Key");
        var (pk, sk) = table.KeyOf(key, exact: true);
        var actions = request.Update();
        var condition = request.WriteCondition();
        request.ThrowIfUnusedPlaceholders();
        var returnValues = ReturnValues(request, "NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW");

        var old = database.GetItem(table.Name, pk, sk);
        CheckCondition(condition, old, request);
        var updated = Updated(table, key, old, actions);
        database.PutItem(table.Name, pk, sk, updated);

        var changed = actions.Select(a => a.Path.TopLevelName).ToHashSet(StringComparer.Ordinal);
        JsonObject? attributes = returnValues switch
        {
            "ALL_OLD" => old,
            "ALL_NEW" => updated,
            "UPDATED_OLD" => old is null ? null : Only(old, changed),
            "UPDATED_NEW" => Only(updated, changed),
            _ => null,
        };
        return attributes is { Count: > 0 } ? new JsonObject { ["Attributes"] = attributes.DeepClone() } : [];
    }

    /// <summary>The item after an update: the old item (or the key alone) with the actions applied, validated.</summary>
    public static JsonObject Updated(TableDefinition table, JsonObject key, JsonObject? old, IReadOnlyList<UpdateAction> actions)
    {
        var updated = old?.DeepClone().AsObject() ?? key.DeepClone().AsObject();
        UpdateExpressions.Apply(actions, old, updated, table);
        ValidateItem(updated);
        return updated;
    }

    /// <summary>Throws ConditionalCheckFailedException when <paramref name="condition"/> does not hold for <paramref name="item"/>.</summary>
    public static void CheckCondition(Condition? condition, JsonObject? item, DynamoDbRequest request)
    {
        if (condition is not null && !ExpressionEvaluator.Matches(condition, item))
        {
            throw DynamoDbException.ConditionFailed(request.OptionalString("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" ? item : null);
        }
    }

    /// <summary>Rejects what DynamoDB rejects in stored items (malformed values, empty sets) and writes numbers in canonical form.</summary>
    public static void ValidateItem(JsonObject item)
    {
        foreach (var (name, value) in item.ToArray())
        {
            item[name] = Normalize(value ?? throw DynamoDbException.Validation($"Supplied AttributeValue is empty, must contain exactly one of the supported datatypes; attribute: {name}"));
        }

        if (AttributeValues.ItemSize(item) > MaxItemBytes)
        {
            throw DynamoDbException.Validation("Item size has exceeded the maximum allowed size");
        }
    }

    private static JsonNode Normalize(JsonNode value)
    {
        var type = AttributeValues.TypeOf(value);
        switch (type)
        {
            case "N":
                return AttributeValues.Number(AttributeValues.CanonicalNumber(AttributeValues.Scalar(value)));
            case "SS" or "NS" or "BS":
                var elements = AttributeValues.Payload(value).AsArray().Select(e => e!.GetValue<string>()).ToArray();
                if (elements.Length == 0)
                {
                    throw DynamoDbException.Validation("One or more parameter values were invalid: An number set  may not be empty");
                }

                if (type == "NS")
                {
                    elements = elements.Select(AttributeValues.CanonicalNumber).ToArray();
                }

                if (elements.Distinct(StringComparer.Ordinal).Count() != elements.Length)
                {
                    throw DynamoDbException.Validation("One or more parameter values were invalid: Input collection contains duplicates");
                }

                return new JsonObject { [type] = new JsonArray(elements.Select(e => (JsonNode)JsonValue.Create(e)).ToArray()) };
            case "L":
                var list = AttributeValues.Payload(value).AsArray();
                return new JsonObject { ["L"] = new JsonArray(list.Select(e => Normalize(e!)).ToArray()) };
            case "M":
                var map = new JsonObject();
                foreach (var (key, inner) in AttributeValues.Payload(value).AsObject())
                {
                    map[key] = Normalize(inner!);
                }

                return new JsonObject { ["M"] = map };
            default:
                return value.DeepClone();
        }
    }

    private static string ReturnValues(DynamoDbRequest request, params string[] allowed)
    {
        var value = request.OptionalString("ReturnValues") ?? "NONE";
        return allowed.Contains(value, StringComparer.Ordinal)
            ? value
            : throw DynamoDbException.Validation($"ReturnValues can only be {string.Join(", ", allowed)}; got {value}");
    }

    private static JsonObject Only(JsonObject item, HashSet<string> names)
    {
        var result = new JsonObject();
        foreach (var (name, value) in item)
        {
            if (names.Contains(name) && value is not null)
            {
                result[name] = value.DeepClone();
            }
        }

        return result;
    }
}
