using System.Text;
using System.Text.Json.Nodes;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb.Expressions;

/// <summary>Evaluates parsed expressions against an item (a JSON object of attribute name → attribute value).</summary>
internal static class ExpressionEvaluator
{
    /// <summary>Whether <paramref name="condition"/> holds for <paramref name="item"/> (<see langword="null"/>: no item).</summary>
    public static bool Matches(Condition condition, JsonObject? item) => condition switch
    {
        AndCondition and => Matches(and.Left, item) && Matches(and.Right, item),
        OrCondition or => Matches(or.Left, item) || Matches(or.Right, item),
        NotCondition not => !Matches(not.Inner, item),
        ComparisonCondition c => Compare(c.Operator, Resolve(c.Left, item), Resolve(c.Right, item)),
        BetweenCondition b => Resolve(b.Value, item) is { } value && Resolve(b.Low, item) is { } low && Resolve(b.High, item) is { } high
            && AttributeValues.Compare(value, low) >= 0 && AttributeValues.Compare(value, high) <= 0,
        InCondition i => Resolve(i.Value, item) is { } value && i.Candidates.Any(c => Resolve(c, item) is { } candidate && AttributeValues.AreEqual(value, candidate)),
        FunctionCondition f => Function(f, item),
        _ => throw new InvalidOperationException($"Unknown condition {condition}"),
    };

    /// <summary>The value of an operand, or <see langword="null"/> when a path it names does not exist.</summary>
    public static JsonNode? Resolve(Operand operand, JsonObject? item)
    {
        switch (operand)
        {
            case ValueOperand value:
                return value.Value;
            case PathOperand path:
                return DocumentPaths.Get(item, path.Path);
            case FunctionOperand { Name: "size" } size:
                return Resolve(size.Arguments[0], item) is { } sized ? AttributeValues.Number(AttributeValues.Size(sized)) : null;
            case FunctionOperand { Name: "if_not_exists" } ifNotExists:
                return Resolve(ifNotExists.Arguments[0], item) ?? Resolve(ifNotExists.Arguments[1], item);
            case FunctionOperand { Name: "list_append" } append:
                var first = Resolve(append.Arguments[0], item);
                var second = Resolve(append.Arguments[1], item);
                if (first is null || second is null || AttributeValues.TypeOf(first) != "L" || AttributeValues.TypeOf(second) != "L")
                {
                    throw DynamoDbException.Validation("Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: not a list");
                }

                var list = new JsonArray();
                foreach (var element in AttributeValues.Payload(first).AsArray().Concat(AttributeValues.Payload(second).AsArray()))
                {
                    list.Add(element!.DeepClone());
                }

                return new JsonObject { ["L"] = list };
            case ArithmeticOperand arithmetic:
                var left = Resolve(arithmetic.Left, item);
                var right = Resolve(arithmetic.Right, item);
                if (left is null || right is null)
                {
                    throw DynamoDbException.Validation("The provided expression refers to an attribute that does not exist in the item");
                }

                if (AttributeValues.TypeOf(left) != "N" || AttributeValues.TypeOf(right) != "N")
                {
                    throw DynamoDbException.Validation($"An operand in the update expression has an incorrect data type; operator: {arithmetic.Operator}");
                }

                var a = AttributeValues.ParseNumber(AttributeValues.Scalar(left));
                var b = AttributeValues.ParseNumber(AttributeValues.Scalar(right));
                return AttributeValues.Number(arithmetic.Operator == '+' ? a + b : a - b);
            default:
                throw new InvalidOperationException($"Unknown operand {operand}");
        }
    }

    private static bool Compare(string op, JsonNode? left, JsonNode? right)
    {
        if (left is null || right is null)
        {
            // A missing attribute equals nothing, so it differs from everything.
            return op == "<>";
        }

        switch (op)
        {
            case "=":
                return AttributeValues.AreEqual(left, right);
            case "<>":
                return !AttributeValues.AreEqual(left, right);
        }

        if (AttributeValues.Compare(left, right) is not { } order)
        {
            return false;
        }

        return op switch
        {
            "<" => order < 0,
            "<=" => order <= 0,
            ">" => order > 0,
            _ => order >= 0,
        };
    }

    private static bool Function(FunctionCondition function, JsonObject? item)
    {
        var subject = Resolve(function.Arguments[0], item);
        switch (function.Name)
        {
            case "attribute_exists":
                return subject is not null;
            case "attribute_not_exists":
                return subject is null;
        }

        var argument = Resolve(function.Arguments[1], item);
        if (subject is null || argument is null)
        {
            return false;
        }

        var subjectType = AttributeValues.TypeOf(subject);
        var argumentType = AttributeValues.TypeOf(argument);
        switch (function.Name)
        {
            case "attribute_type":
                return argumentType == "S" && subjectType == AttributeValues.Scalar(argument);
            case "begins_with" when subjectType == "S" && argumentType == "S":
                return Encoding.UTF8.GetBytes(AttributeValues.Scalar(subject)).AsSpan().StartsWith(Encoding.UTF8.GetBytes(AttributeValues.Scalar(argument)));
            case "begins_with" when subjectType == "B" && argumentType == "B":
                return Convert.FromBase64String(AttributeValues.Scalar(subject)).AsSpan().StartsWith(Convert.FromBase64String(AttributeValues.Scalar(argument)));
            case "contains" when subjectType == "S" && argumentType == "S":
                return AttributeValues.Scalar(subject).Contains(AttributeValues.Scalar(argument), StringComparison.Ordinal);
            case "contains" when subjectType is "SS" or "NS" or "BS" && subjectType == argumentType + "S":
                return AttributeValues.Payload(subject).AsArray().Any(e => AttributeValues.AreEqual(new JsonObject { [argumentType] = e!.DeepClone() }, argument));
            case "contains" when subjectType == "L":
                return AttributeValues.Payload(subject).AsArray().Any(e => AttributeValues.AreEqual(e!, argument));
            default:
                return false;
        }
    }
}
