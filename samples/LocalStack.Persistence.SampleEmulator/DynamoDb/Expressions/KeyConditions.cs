namespace LocalStack.Persistence.SampleEmulator.DynamoDb.Expressions;

/// <summary>
/// Turns a KeyConditionExpression (<c>pk = :v</c>, optionally AND one sort key condition: <c>=, &lt;, &lt;=, &gt;, &gt;=</c>,
/// <c>BETWEEN</c>, <c>begins_with</c>) into a range over the sortable key bytes.
/// </summary>
internal static class KeyConditions
{
    public static (string Where, Dictionary<string, byte[]> Parameters) ToSql(Condition condition, TableDefinition table)
    {
        var parts = condition is AndCondition and ? new[] { and.Left, and.Right } : [condition];
        if (parts.Any(p => p is AndCondition or OrCondition or NotCondition))
        {
            throw Invalid("only a partition key equality AND one sort key condition are allowed");
        }

        var parameters = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var where = new System.Text.StringBuilder();
        var hash = parts.FirstOrDefault(p => p is ComparisonCondition { Operator: "=", Left: PathOperand path } && IsKey(path, table.HashKey));
        if (hash is not ComparisonCondition { Right: ValueOperand hashValue })
        {
            throw Invalid($"Query condition missed key schema element: {table.HashKey}");
        }

        parameters["$pk"] = KeyValue(hashValue, table, table.HashKey);
        where.Append(" AND pk = $pk");

        foreach (var part in parts.Where(p => !ReferenceEquals(p, hash)))
        {
            var rangeKey = table.RangeKey ?? throw Invalid("the table has no sort key; only the partition key can be used in the key condition");
            switch (part)
            {
                case ComparisonCondition { Left: PathOperand path, Right: ValueOperand value, Operator: var op } when IsKey(path, rangeKey) && op != "<>":
                    parameters["$sk"] = KeyValue(value, table, rangeKey);
                    where.Append(" AND sk ").Append(op).Append(" $sk");
                    break;
                case BetweenCondition { Value: PathOperand path, Low: ValueOperand low, High: ValueOperand high } when IsKey(path, rangeKey):
                    parameters["$low"] = KeyValue(low, table, rangeKey);
                    parameters["$high"] = KeyValue(high, table, rangeKey);
                    if (parameters["$low"].AsSpan().SequenceCompareTo(parameters["$high"]) > 0)
                    {
                        throw Invalid("Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound");
                    }

                    where.Append(" AND sk BETWEEN $low AND $high");
                    break;
                case FunctionCondition { Name: "begins_with", Arguments: [PathOperand path, ValueOperand prefix] } when IsKey(path, rangeKey):
                    if (table.TypeOf(rangeKey) == "N")
                    {
                        throw Invalid("Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N");
                    }

                    var bytes = KeyValue(prefix, table, rangeKey);
                    parameters["$prefix"] = bytes;
                    where.Append(" AND sk >= $prefix");
                    if (Successor(bytes) is { } upper)
                    {
                        parameters["$upper"] = upper;
                        where.Append(" AND sk < $upper");
                    }

                    break;
                default:
                    throw Invalid($"Query key condition not supported on {rangeKey}");
            }
        }

        return (where.ToString(), parameters);
    }

    private static bool IsKey(PathOperand path, string key) => path.Path.Elements.Count == 1 && path.Path.TopLevelName == key;

    private static byte[] KeyValue(ValueOperand operand, TableDefinition table, string key)
    {
        var type = AttributeValues.TypeOf(operand.Value);
        if (type != table.TypeOf(key))
        {
            throw Invalid("One or more parameter values were invalid: Condition parameter type does not match schema type");
        }

        return AttributeValues.KeyBytes(operand.Value);
    }

    /// <summary>The smallest byte string greater than every string starting with <paramref name="prefix"/>, if any.</summary>
    private static byte[]? Successor(byte[] prefix)
    {
        for (var i = prefix.Length - 1; i >= 0; i--)
        {
            if (prefix[i] != 0xFF)
            {
                var upper = prefix[..(i + 1)];
                upper[i]++;
                return upper;
            }
        }

        return null;
    }

    private static DynamoDbException Invalid(string message) => DynamoDbException.Validation(message);
}
