using System.Text.Json.Nodes;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb.Expressions;

/// <summary>Applies UpdateExpression actions: SET, REMOVE, ADD (numbers and sets), DELETE (from sets).</summary>
internal static class UpdateExpressions
{
    /// <param name="actions">The parsed actions.</param>
    /// <param name="old">The item before the update (operands read it, as DynamoDB does), or <see langword="null"/>.</param>
    /// <param name="item">The item being updated, changed in place.</param>
    /// <param name="table">The table, whose key attributes cannot be updated.</param>
    public static void Apply(IReadOnlyList<UpdateAction> actions, JsonObject? old, JsonObject item, TableDefinition table)
    {
        foreach (var action in actions)
        {
            if (table.IsKeyAttribute(action.Path.TopLevelName))
            {
                throw DynamoDbException.Validation($"One or more parameter values were invalid: Cannot update attribute {action.Path.TopLevelName}. This attribute is part of the key");
            }
        }

        // Every operand is evaluated against the item as it was before the update, then the results are written.
        var values = actions.Select(a => a.Value is null ? null : ExpressionEvaluator.Resolve(a.Value, old)).ToArray();
        for (var i = 0; i < actions.Count; i++)
        {
            var action = actions[i];
            var value = values[i];
            switch (action.Kind)
            {
                case UpdateActionKind.Set:
                    DocumentPaths.Set(item, action.Path, value ?? throw DynamoDbException.Validation("The provided expression refers to an attribute that does not exist in the item"));
                    break;
                case UpdateActionKind.Remove:
                    DocumentPaths.Remove(item, action.Path);
                    break;
                case UpdateActionKind.Add:
                    DocumentPaths.Set(item, action.Path, Add(DocumentPaths.Get(item, action.Path), value!));
                    break;
                case UpdateActionKind.Delete:
                    if (DeleteFromSet(DocumentPaths.Get(item, action.Path), value!) is { } remaining)
                    {
                        DocumentPaths.Set(item, action.Path, remaining);
                    }
                    else
                    {
                        DocumentPaths.Remove(item, action.Path);
                    }

                    break;
            }
        }
    }

    private static JsonNode Add(JsonNode? current, JsonNode value)
    {
        var type = AttributeValues.TypeOf(value);
        if (type is not ("N" or "SS" or "NS" or "BS"))
        {
            throw DynamoDbException.Validation($"Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: {type}");
        }

        if (current is null)
        {
            return value;
        }

        if (AttributeValues.TypeOf(current) != type)
        {
            throw DynamoDbException.Validation("An operand in the update expression has an incorrect data type");
        }

        if (type == "N")
        {
            return AttributeValues.Number(AttributeValues.ParseNumber(AttributeValues.Scalar(current)) + AttributeValues.ParseNumber(AttributeValues.Scalar(value)));
        }

        var union = AttributeValues.Payload(current).AsArray().Select(e => e!.GetValue<string>()).ToList();
        foreach (var element in AttributeValues.Payload(value).AsArray().Select(e => e!.GetValue<string>()))
        {
            if (!union.Any(existing => SameElement(type, existing, element)))
            {
                union.Add(element);
            }
        }

        return new JsonObject { [type] = new JsonArray(union.Select(e => (JsonNode)JsonValue.Create(e)).ToArray()) };
    }

    /// <summary>The set without the given elements, or <see langword="null"/> when nothing is left.</summary>
    private static JsonObject? DeleteFromSet(JsonNode? current, JsonNode value)
    {
        var type = AttributeValues.TypeOf(value);
        if (type is not ("SS" or "NS" or "BS"))
        {
            throw DynamoDbException.Validation($"Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: {type}");
        }

        if (current is null)
        {
            return null;
        }

        if (AttributeValues.TypeOf(current) != type)
        {
            throw DynamoDbException.Validation("An operand in the update expression has an incorrect data type");
        }

        var removed = AttributeValues.Payload(value).AsArray().Select(e => e!.GetValue<string>()).ToList();
        var remaining = AttributeValues.Payload(current).AsArray().Select(e => e!.GetValue<string>())
            .Where(e => !removed.Any(r => SameElement(type, e, r)))
            .ToArray();
        return remaining.Length == 0 ? null : new JsonObject { [type] = new JsonArray(remaining.Select(e => (JsonNode)JsonValue.Create(e)).ToArray()) };
    }

    private static bool SameElement(string setType, string left, string right)
        => setType == "NS"
            ? AttributeValues.SortableNumber(left) == AttributeValues.SortableNumber(right)
            : left == right;
}
