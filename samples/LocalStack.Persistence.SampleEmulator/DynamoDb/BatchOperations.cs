using System.Text.Json.Nodes;
using LocalStack.Persistence.SampleEmulator.DynamoDb.Expressions;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb;

/// <summary>BatchWriteItem (up to 25 puts and deletes, applied in one transaction) and BatchGetItem (up to 100 keys).</summary>
internal static class BatchOperations
{
    private const int MaxWrites = 25;
    private const int MaxReads = 100;

    public static JsonObject BatchWriteItem(DynamoDbDatabase database, DynamoDbRequest request)
    {
        var writes = new List<(TableDefinition Table, byte[] Pk, byte[] Sk, JsonObject? Item)>();
        foreach (var (tableName, requests) in request.RequiredObject("RequestItems"))
        {
            var table = database.Table(tableName);
            foreach (var entry in requests as JsonArray ?? [])
            {
                if (entry?["PutRequest"]?["Item"] is JsonObject item)
                {
                    ItemOperations.ValidateItem(item);
                    var (pk, sk) = table.KeyOf(item, exact: false);
                    writes.Add((table, pk, sk, item));
                }
                else if (entry?["DeleteRequest"]?["Key"] is JsonObject key)
                {
                    var (pk, sk) = table.KeyOf(key, exact: true);
                    writes.Add((table, pk, sk, null));
                }
                else
                {
                    throw DynamoDbException.Validation("1 validation error detected: a WriteRequest must contain exactly one of PutRequest (with Item) or DeleteRequest (with Key)");
                }
            }
        }

        if (writes.Count is 0 or > MaxWrites)
        {
            throw DynamoDbException.Validation($"1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Member must have between 1 and {MaxWrites} write requests; got {writes.Count}");
        }

        if (writes.Select(w => (w.Table.Name, Convert.ToHexString(w.Pk), Convert.ToHexString(w.Sk))).Distinct().Count() != writes.Count)
        {
            throw DynamoDbException.Validation("Provided list of item keys contains duplicates");
        }

        database.InTransaction(() =>
        {
            foreach (var (table, pk, sk, item) in writes)
            {
                if (item is null)
                {
                    database.DeleteItem(table.Name, pk, sk);
                }
                else
                {
                    database.PutItem(table.Name, pk, sk, item);
                }
            }
        });
        return new JsonObject { ["UnprocessedItems"] = new JsonObject() };
    }

    public static JsonObject BatchGetItem(DynamoDbDatabase database, DynamoDbRequest request)
    {
        var responses = new JsonObject();
        var total = 0;
        var reads = new List<(TableDefinition Table, JsonArray Keys, IReadOnlyList<DocumentPath>? Projection, JsonArray Items)>();
        foreach (var (tableName, node) in request.RequiredObject("RequestItems"))
        {
            var table = database.Table(tableName);
            var keys = node?["Keys"] as JsonArray ?? throw DynamoDbException.Validation($"1 validation error detected: Keys of table {tableName} must not be null");
            var names = node!["ExpressionAttributeNames"] as JsonObject;
            var usage = new PlaceholderUsage();
            var projection = node["ProjectionExpression"]?.GetValue<string>() is { Length: > 0 } expression
                ? ExpressionParser.ParseProjection(expression, names, usage)
                : LegacyParameters.AttributesToGet(node.AsObject());
            usage.ThrowIfUnused(names, null);
            total += keys.Count;
            var items = new JsonArray();
            responses[tableName] = items;
            reads.Add((table, keys, projection, items));
        }

        if (total is 0 or > MaxReads)
        {
            throw DynamoDbException.Validation($"Too many items requested for the BatchGetItem call: between 1 and {MaxReads} keys are allowed; got {total}");
        }

        foreach (var (table, keys, projection, items) in reads)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var key in keys)
            {
                var (pk, sk) = table.KeyOf(key as JsonObject ?? throw DynamoDbException.Validation("The provided key element does not match the schema"), exact: true);
                if (!seen.Add(Convert.ToHexString(pk) + "/" + Convert.ToHexString(sk)))
                {
                    throw DynamoDbException.Validation("Provided list of item keys contains duplicates");
                }

                if (database.GetItem(table.Name, pk, sk) is { } item)
                {
                    items.Add(projection is null ? item : DocumentPaths.Project(item, projection));
                }
            }
        }

        return new JsonObject { ["Responses"] = responses, ["UnprocessedKeys"] = new JsonObject() };
    }
}
