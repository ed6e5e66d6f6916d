using System.Text.Json.Nodes;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb;

/// <summary>CreateTable, DescribeTable, ListTables, DeleteTable.</summary>
internal static class TableOperations
{
    public static JsonObject CreateTable(DynamoDbDatabase database, DynamoDbRequest request)
    {
        var name = request.TableName;
        if (name.Length is < 3 or > 255 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
        {
            throw DynamoDbException.Validation($"1 validation error detected: Value '{name}' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
        }

        var definitions = (request.Body["AttributeDefinitions"] as JsonArray ?? [])
            .Select(d => new AttributeDefinition(d!["AttributeName"]!.GetValue<string>(), d["AttributeType"]!.GetValue<string>()))
            .ToArray();
        var keySchema = (request.Body["KeySchema"] as JsonArray ?? [])
            .Select(k => (Name: k!["AttributeName"]!.GetValue<string>(), Type: k["KeyType"]!.GetValue<string>()))
            .ToArray();
        if (keySchema is not [(_, "HASH")] and not [(_, "HASH"), (_, "RANGE")])
        {
            throw DynamoDbException.Validation("1 validation error detected: Invalid KeySchema: the first key must be HASH and an optional second key RANGE");
        }

        foreach (var definition in definitions)
        {
            if (definition.Type is not ("S" or "N" or "B"))
            {
                throw DynamoDbException.Validation($"1 validation error detected: Value '{definition.Type}' at 'attributeDefinitions' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]");
            }
        }

        foreach (var (attribute, _) in keySchema)
        {
            if (definitions.All(d => d.Name != attribute))
            {
                throw DynamoDbException.Validation($"One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [{attribute}], AttributeDefinitions: [{string.Join(", ", definitions.Select(d => d.Name))}]");
            }
        }

        if (database.FindTable(name) is not null)
        {
            throw new DynamoDbException("ResourceInUseException", $"Table already exists: {name}");
        }

        var billingMode = request.OptionalString("BillingMode") ?? "PROVISIONED";
        var throughput = request.Body["ProvisionedThroughput"] as JsonObject;
        var table = new TableDefinition(
            name,
            keySchema[0].Name,
            keySchema.Length > 1 ? keySchema[1].Name : null,
            definitions,
            request.Now.ToUnixTimeMilliseconds() / 1000.0,
            Guid.NewGuid().ToString(),
            billingMode,
            throughput?["ReadCapacityUnits"]?.GetValue<long>() ?? 0,
            throughput?["WriteCapacityUnits"]?.GetValue<long>() ?? 0);
        database.CreateTable(table);
        return new JsonObject { ["TableDescription"] = Description(database, request, table, "ACTIVE") };
    }

    public static JsonObject DescribeTable(DynamoDbDatabase database, DynamoDbRequest request)
    {
        var name = request.TableName;
        var table = database.FindTable(name) ?? throw DynamoDbException.TableNotFound(name);
        return new JsonObject { ["Table"] = Description(database, request, table, "ACTIVE") };
    }

    public static JsonObject DeleteTable(DynamoDbDatabase database, DynamoDbRequest request)
    {
        var name = request.TableName;
        var table = database.FindTable(name) ?? throw DynamoDbException.TableNotFound(name);
        var description = Description(database, request, table, "DELETING");
        database.DeleteTable(name);
        return new JsonObject { ["TableDescription"] = description };
    }

    public static JsonObject ListTables(DynamoDbDatabase database, DynamoDbRequest request)
    {
        var limit = request.OptionalInt("Limit") ?? 100;
        if (limit is < 1 or > 100)
        {
            throw DynamoDbException.Validation($"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100");
        }

        var start = request.OptionalString("ExclusiveStartTableName");
        var names = database.TableNames.Where(n => start is null || string.CompareOrdinal(n, start) > 0).ToList();
        var page = names.Take(limit).ToList();
        var result = new JsonObject { ["TableNames"] = new JsonArray(page.Select(n => (JsonNode)JsonValue.Create(n)).ToArray()) };
        if (names.Count > limit)
        {
            result["LastEvaluatedTableName"] = page[^1];
        }

        return result;
    }

    private static JsonObject Description(DynamoDbDatabase database, DynamoDbRequest request, TableDefinition table, string status)
    {
        var (count, bytes) = database.Statistics(table.Name);
        var keySchema = new JsonArray { new JsonObject { ["AttributeName"] = table.HashKey, ["KeyType"] = "HASH" } };
        if (table.RangeKey is not null)
        {
            keySchema.Add(new JsonObject { ["AttributeName"] = table.RangeKey, ["KeyType"] = "RANGE" });
        }

        var description = new JsonObject
        {
            ["TableName"] = table.Name,
            ["TableArn"] = request.TableArn(table.Name),
            ["TableId"] = table.TableId,
            ["TableStatus"] = status,
            ["CreationDateTime"] = table.CreatedAt,
            ["ItemCount"] = count,
            ["TableSizeBytes"] = bytes,
            ["KeySchema"] = keySchema,
            ["AttributeDefinitions"] = new JsonArray(table.AttributeDefinitions
                .Select(d => (JsonNode)new JsonObject { ["AttributeName"] = d.Name, ["AttributeType"] = d.Type }).ToArray()),
            ["ProvisionedThroughput"] = new JsonObject
            {
                ["ReadCapacityUnits"] = table.ReadCapacityUnits,
                ["WriteCapacityUnits"] = table.WriteCapacityUnits,
                ["NumberOfDecreasesToday"] = 0,
            },
        };
        if (table.BillingMode == "PAY_PER_REQUEST")
        {
            description["BillingModeSummary"] = new JsonObject { ["BillingMode"] = "PAY_PER_REQUEST" };
        }

        return description;
    }
}
