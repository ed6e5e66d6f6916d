using System.Text.Json.Nodes;
using LocalStack.Persistence.SampleEmulator.DynamoDb.Expressions;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb;

/// <summary>
/// TransactWriteItems (ConditionCheck, Put, Update, Delete: every condition holds and all writes apply, in one SQLite
/// transaction, or nothing changes) and TransactGetItems.
/// </summary>
internal static class TransactionOperations
{
    private const int MaxActions = 100;

    private sealed record Action(string Kind, DynamoDbRequest Request, TableDefinition Table, JsonObject Key, byte[] Pk, byte[] Sk, Condition? Condition, IReadOnlyList<UpdateAction> Updates);

    public static JsonObject TransactWriteItems(DynamoDbDatabase database, DynamoDbRequest request)
    {
        var actions = new List<Action>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in Entries(request))
        {
            var (kind, body) = Single(entry, "ConditionCheck", "Put", "Update", "Delete");
            var sub = new DynamoDbRequest(body, request.AccountId, request.Region, request.Now);
            var table = database.Table(sub.TableName);
            var key = kind == "Put" ? sub.RequiredObject("Item") : sub.RequiredObject("Key");
            var (pk, sk) = table.KeyOf(key, exact: kind != "Put");
            if (!keys.Add($"{table.Name}/{Convert.ToHexString(pk)}/{Convert.ToHexString(sk)}"))
            {
                throw DynamoDbException.Validation("Transaction request cannot include multiple operations on one item");
            }

            var condition = sub.WriteCondition();
            if (kind == "ConditionCheck" && condition is null)
            {
                throw DynamoDbException.Validation("The ConditionCheck of a transaction needs a ConditionExpression");
            }

            var updates = kind == "Update" ? sub.Update() : [];
            sub.ThrowIfUnusedPlaceholders();
            actions.Add(new Action(kind, sub, table, key, pk, sk, condition, updates));
        }

        // Every condition is checked before anything is written; one failure cancels the whole transaction.
        var olds = actions.Select(a => database.GetItem(a.Table.Name, a.Pk, a.Sk)).ToArray();
        var reasons = new JsonArray();
        var failed = false;
        for (var i = 0; i < actions.Count; i++)
        {
            var action = actions[i];
            if (action.Condition is null || ExpressionEvaluator.Matches(action.Condition, olds[i]))
            {
                reasons.Add(new JsonObject { ["Code"] = "None" });
                continue;
            }

            failed = true;
            var reason = new JsonObject { ["Code"] = "ConditionalCheckFailed", ["Message"] = "The conditional request failed" };
            if (action.Request.OptionalString("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" && olds[i] is { } old)
            {
                reason["Item"] = old.DeepClone();
            }

            reasons.Add(reason);
        }

        if (failed)
        {
            var codes = string.Join(", ", reasons.Select(r => r!["Code"]!.GetValue<string>()));
            throw new DynamoDbException("TransactionCanceledException", $"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]")
            {
                Details = new JsonObject { ["CancellationReasons"] = reasons },
            };
        }

        var writes = actions.Select((a, i) => a.Kind switch
        {
            "Put" => Validated(a.Key),
            "Update" => ItemOperations.Updated(a.Table, a.Key, olds[i], a.Updates),
            _ => null,
        }).ToArray();
        database.InTransaction(() =>
        {
            for (var i = 0; i < actions.Count; i++)
            {
                var action = actions[i];
                if (action.Kind == "Delete")
                {
                    database.DeleteItem(action.Table.Name, action.Pk, action.Sk);
                }
                else if (writes[i] is { } item)
                {
                    database.PutItem(action.Table.Name, action.Pk, action.Sk, item);
                }
            }
        });
        return [];
    }

    public static JsonObject TransactGetItems(DynamoDbDatabase database, DynamoDbRequest request)
    {
        var responses = new JsonArray();
        foreach (var entry in Entries(request))
        {
            var (_, body) = Single(entry, "Get");
            var sub = new DynamoDbRequest(body, request.AccountId, request.Region, request.Now);
            var table = database.Table(sub.TableName);
            var (pk, sk) = table.KeyOf(sub.RequiredObject("Key"), exact: true);
            var projection = sub.Projection();
            sub.ThrowIfUnusedPlaceholders();
            var item = database.GetItem(table.Name, pk, sk);
            responses.Add(item is null ? new JsonObject() : new JsonObject { ["Item"] = projection is null ? item : DocumentPaths.Project(item, projection) });
        }

        return new JsonObject { ["Responses"] = responses };
    }

    private static JsonObject Validated(JsonObject item)
    {
        ItemOperations.ValidateItem(item);
        return item;
    }

    private static JsonArray Entries(DynamoDbRequest request)
    {
        var entries = request.Body["TransactItems"] as JsonArray ?? [];
        return entries.Count is >= 1 and <= MaxActions
            ? entries
            : throw DynamoDbException.Validation($"1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length between 1 and {MaxActions}");
    }

    private static (string Kind, JsonObject Body) Single(JsonNode? entry, params string[] kinds)
    {
        if (entry is JsonObject { Count: 1 } obj)
        {
            foreach (var (kind, body) in obj)
            {
                if (kinds.Contains(kind, StringComparer.Ordinal) && body is JsonObject bodyObject)
                {
                    return (kind, bodyObject);
                }
            }
        }

        throw DynamoDbException.Validation($"A transaction item must contain exactly one of {string.Join(", ", kinds)}");
    }
}
