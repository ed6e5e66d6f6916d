using System.Text.Json.Nodes;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb.Expressions;

/// <summary>
/// DynamoDB's legacy (pre-expression) parameters, translated into expressions: KeyConditions, QueryFilter, ScanFilter,
/// Expected (with ConditionalOperator), AttributeUpdates and AttributesToGet. The .NET SDK's document model and
/// DynamoDBContext still send several of them.
/// </summary>
internal static class LegacyParameters
{
    /// <summary>A <c>{attribute: {ComparisonOperator, AttributeValueList}}</c> map as one condition, or <see langword="null"/>.</summary>
    public static Condition? Conditions(JsonObject body, string parameter, bool alwaysAnd = false)
    {
        if (body[parameter] is not JsonObject { Count: > 0 } map)
        {
            return null;
        }

        var conditions = map.Select(p => Comparison(p.Key, p.Value as JsonObject ?? [])).ToList();
        return Combine(conditions, alwaysAnd ? null : body["ConditionalOperator"]?.GetValue<string>());
    }

    /// <summary>The legacy <c>Expected</c> map as one condition, or <see langword="null"/>.</summary>
    public static Condition? Expected(JsonObject body)
    {
        if (body["Expected"] is not JsonObject { Count: > 0 } expected)
        {
            return null;
        }

        var conditions = new List<Condition>();
        foreach (var (attribute, node) in expected)
        {
            var entry = node as JsonObject ?? [];
            if (entry["ComparisonOperator"] is not null)
            {
                conditions.Add(Comparison(attribute, entry));
            }
            else if (entry["Exists"]?.GetValue<bool>() == false)
            {
                conditions.Add(new FunctionCondition("attribute_not_exists", [Path(attribute)]));
            }
            else if (entry["Value"] is { } value)
            {
                conditions.Add(new ComparisonCondition("=", Path(attribute), new ValueOperand(value)));
            }
            else
            {
                throw DynamoDbException.Validation($"One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: {attribute}");
            }
        }

        return Combine(conditions, body["ConditionalOperator"]?.GetValue<string>());
    }

    /// <summary>The legacy <c>AttributeUpdates</c> map as update actions.</summary>
    public static IReadOnlyList<UpdateAction> AttributeUpdates(JsonObject body)
    {
        if (body["AttributeUpdates"] is not JsonObject updates)
        {
            return [];
        }

        var actions = new List<UpdateAction>();
        foreach (var (attribute, node) in updates)
        {
            var value = node?["Value"];
            var action = node?["Action"]?.GetValue<string>() ?? "PUT";
            var path = new DocumentPath([new PathElement(attribute, 0)]);
            actions.Add(action switch
            {
                "PUT" => new UpdateAction(UpdateActionKind.Set, path, new ValueOperand(value ?? throw DynamoDbException.Validation($"One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified; attribute: {attribute}"))),
                "DELETE" when value is null => new UpdateAction(UpdateActionKind.Remove, path, null),
                "DELETE" => new UpdateAction(UpdateActionKind.Delete, path, new ValueOperand(value)),
                "ADD" => new UpdateAction(UpdateActionKind.Add, path, new ValueOperand(value ?? throw DynamoDbException.Validation($"One or more parameter values were invalid: ADD needs a value; attribute: {attribute}"))),
                _ => throw DynamoDbException.Validation($"Unknown AttributeUpdates action {action}"),
            });
        }

        return actions;
    }

    /// <summary>The legacy <c>AttributesToGet</c> list as projection paths, or <see langword="null"/>.</summary>
    public static IReadOnlyList<DocumentPath>? AttributesToGet(JsonObject body)
        => body["AttributesToGet"] is JsonArray { Count: > 0 } names
            ? names.Select(n => new DocumentPath([new PathElement(n!.GetValue<string>(), 0)])).ToArray()
            : null;

    private static Condition Combine(List<Condition> conditions, string? conditionalOperator)
        => conditions.Aggregate((left, right) => conditionalOperator == "OR" ? new OrCondition(left, right) : new AndCondition(left, right));

    private static PathOperand Path(string attribute) => new(new DocumentPath([new PathElement(attribute, 0)]));

    private static Condition Comparison(string attribute, JsonObject entry)
    {
        var op = entry["ComparisonOperator"]?.GetValue<string>() ?? "EQ";
        var values = (entry["AttributeValueList"] as JsonArray ?? []).Select(v => (Operand)new ValueOperand(v!)).ToArray();
        var path = Path(attribute);
        int expected = op switch
        {
            "NULL" or "NOT_NULL" => 0,
            "BETWEEN" => 2,
            "IN" => -1,
            _ => 1,
        };
        if ((expected >= 0 && values.Length != expected) || (expected < 0 && values.Length == 0))
        {
            throw DynamoDbException.Validation($"One or more parameter values were invalid: Invalid number of argument(s) for the {op} ComparisonOperator");
        }

        return op switch
        {
            "EQ" => new ComparisonCondition("=", path, values[0]),
            "NE" => new ComparisonCondition("<>", path, values[0]),
            "LT" => new ComparisonCondition("<", path, values[0]),
            "LE" => new ComparisonCondition("<=", path, values[0]),
            "GT" => new ComparisonCondition(">", path, values[0]),
            "GE" => new ComparisonCondition(">=", path, values[0]),
            "BETWEEN" => new BetweenCondition(path, values[0], values[1]),
            "IN" => new InCondition(path, values),
            "BEGINS_WITH" => new FunctionCondition("begins_with", [path, values[0]]),
            "CONTAINS" => new FunctionCondition("contains", [path, values[0]]),
            "NOT_CONTAINS" => new AndCondition(new FunctionCondition("attribute_exists", [path]), new NotCondition(new FunctionCondition("contains", [path, values[0]]))),
            "NULL" => new FunctionCondition("attribute_not_exists", [path]),
            "NOT_NULL" => new FunctionCondition("attribute_exists", [path]),
            _ => throw DynamoDbException.Validation($"Unsupported ComparisonOperator {op}"),
        };
    }
}
