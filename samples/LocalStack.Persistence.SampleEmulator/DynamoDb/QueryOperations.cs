using System.Text.Json.Nodes;
using LocalStack.Persistence.SampleEmulator.DynamoDb.Expressions;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb;

/// <summary>
/// Query (a key range of one partition, in sort key order) and Scan (the whole table in key order), with Limit,
/// ExclusiveStartKey/LastEvaluatedKey pages, FilterExpression, ProjectionExpression and Select COUNT.
/// </summary>
internal static class QueryOperations
{
    /// <summary>DynamoDB stops a page at 1 MB of items read.</summary>
    private const int PageBytes = 1024 * 1024;

    public static JsonObject Query(DynamoDbDatabase database, DynamoDbRequest request)
    {
        var table = database.Table(request.TableName);
        RejectIndex(request);
        var keyCondition = request.KeyCondition()
            ?? throw DynamoDbException.Validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.");
        var (where, parameters) = KeyConditions.ToSql(keyCondition, table);
        var forward = request.OptionalBool("ScanIndexForward", true);
        if (request.Body["ExclusiveStartKey"] is JsonObject start)
        {
            var (startPk, startSk) = table.KeyOf(start, exact: true);
            if (!startPk.AsSpan().SequenceEqual(parameters["$pk"]))
            {
                throw DynamoDbException.Validation("The provided starting key is invalid: the partition key does not match the key condition");
            }

            where += forward ? " AND sk > $start" : " AND sk < $start";
            parameters["$start"] = startSk;
        }

        return Page(request, table, database.ReadItems(table.Name, where, !forward, parameters));
    }

    public static JsonObject Scan(DynamoDbDatabase database, DynamoDbRequest request)
    {
        var table = database.Table(request.TableName);
        RejectIndex(request);
        var segments = request.OptionalInt("TotalSegments") ?? 1;
        var segment = request.OptionalInt("Segment") ?? 0;
        if (segments is < 1 or > 1_000_000 || segment < 0 || segment >= segments)
        {
            throw DynamoDbException.Validation($"Segment {segment} of TotalSegments {segments} is not valid: Segment must be at least 0 and less than TotalSegments (1 to 1000000)");
        }

        var where = string.Empty;
        var parameters = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (request.Body["ExclusiveStartKey"] is JsonObject start)
        {
            var (startPk, startSk) = table.KeyOf(start, exact: true);
            where = " AND (pk, sk) > ($startPk, $startSk)";
            parameters["$startPk"] = startPk;
            parameters["$startSk"] = startSk;
        }

        var rows = database.ReadItems(table.Name, where, descending: false, parameters);
        if (segments > 1)
        {
            // A parallel scan's segment is a stable share of the partition keys, so every item is in exactly one segment.
            rows = rows.Where(row => SegmentOf(table.KeyOf(row.Item, exact: false).Pk, segments) == segment);
        }

        return Page(request, table, rows);
    }

    private static int SegmentOf(byte[] partitionKey, int segments)
    {
        // FNV-1a: stable across processes, unlike string.GetHashCode.
        var hash = 2166136261u;
        foreach (var b in partitionKey)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)(hash % (uint)segments);
    }

    private static JsonObject Page(DynamoDbRequest request, TableDefinition table, IEnumerable<(JsonObject Item, int Size)> rows)
    {
        var limit = request.OptionalInt("Limit");
        if (limit is < 1)
        {
            throw DynamoDbException.Validation($"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1");
        }

        var filter = request.Filter();
        var projection = request.Projection();
        request.ThrowIfUnusedPlaceholders();
        var select = request.OptionalString("Select") ?? (projection is null ? "ALL_ATTRIBUTES" : "SPECIFIC_ATTRIBUTES");
        if (select is not ("ALL_ATTRIBUTES" or "COUNT" or "SPECIFIC_ATTRIBUTES"))
        {
            throw DynamoDbException.Validation($"Select {select} is not supported on a table");
        }

        var items = new JsonArray();
        var count = 0;
        var scanned = 0;
        long bytes = 0;
        JsonObject? last = null;
        var truncated = false;
        using (var enumerator = rows.GetEnumerator())
        {
            while (true)
            {
                // A page ends at Limit items read (before the filter) or 1 MB; LastEvaluatedKey only when more remain.
                if (scanned == limit || bytes >= PageBytes)
                {
                    truncated = enumerator.MoveNext();
                    break;
                }

                if (!enumerator.MoveNext())
                {
                    break;
                }

                var (item, size) = enumerator.Current;
                scanned++;
                bytes += size;
                last = item;
                if (filter is not null && !ExpressionEvaluator.Matches(filter, item))
                {
                    continue;
                }

                count++;
                if (select != "COUNT")
                {
                    items.Add(projection is null ? item : DocumentPaths.Project(item, projection));
                }
            }
        }

        var result = new JsonObject { ["Count"] = count, ["ScannedCount"] = scanned };
        if (select != "COUNT")
        {
            result["Items"] = items;
        }

        if (truncated && last is not null)
        {
            result["LastEvaluatedKey"] = table.KeyAttributes(last);
        }

        return result;
    }

    private static void RejectIndex(DynamoDbRequest request)
    {
        if (request.OptionalString("IndexName") is { } index)
        {
            throw DynamoDbException.Validation($"The table does not have the specified index: {index} (secondary indexes are not supported by this emulator)");
        }
    }
}
