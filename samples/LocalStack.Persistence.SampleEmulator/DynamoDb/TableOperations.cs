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
        var keySchema = KeySchema(request.Body);

        foreach (var definition in definitions)
        {
            if (definition.Type is not ("S" or "N" or "B"))
            {
                throw DynamoDbException.Validation($"1 validation error detected: Value '{definition.Type}' at 'attributeDefinitions' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]");
            }
        }

        var indexes = Indexes(request.Body, keySchema);
        foreach (var attribute in keySchema.Select(k => k.Name).Concat(indexes.SelectMany(i => new[] { i.HashKey, i.RangeKey })).OfType<string>())
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
            throughput?["WriteCapacityUnits"]?.GetValue<long>() ?? 0,
            indexes.Count > 0 ? indexes : null);
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

    private static (string Name, string Type)[] KeySchema(JsonObject owner)
    {
        var keySchema = (owner["KeySchema"] as JsonArray ?? [])
            .Select(k => (Name: k!["AttributeName"]!.GetValue<string>(), Type: k["KeyType"]!.GetValue<string>()))
            .ToArray();
        return keySchema is [(_, "HASH")] or [(_, "HASH"), (_, "RANGE")]
            ? keySchema
            : throw DynamoDbException.Validation("1 validation error detected: Invalid KeySchema: the first key must be HASH and an optional second key RANGE");
    }

    private static List<IndexDefinition> Indexes(JsonObject body, (string Name, string Type)[] tableKeys)
    {
        var indexes = new List<IndexDefinition>();
        foreach (var (parameter, global) in new[] { ("GlobalSecondaryIndexes", true), ("LocalSecondaryIndexes", false) })
        {
            foreach (var node in body[parameter] as JsonArray ?? [])
            {
                var name = node!["IndexName"]?.GetValue<string>() ?? throw DynamoDbException.Validation($"An index of {parameter} has no IndexName");
                var keys = KeySchema(node.AsObject());
                if (!global && (keys[0].Name != tableKeys[0].Name || keys.Length != 2 || tableKeys.Length != 2))
                {
                    throw DynamoDbException.Validation($"One or more parameter values were invalid: Local secondary index {name} must have the table's hash key and a range key, on a table with a range key");
                }

                if (indexes.Any(i => i.Name == name))
                {
                    throw DynamoDbException.Validation($"One or more parameter values were invalid: Duplicate index name: {name}");
                }

                var projection = node["Projection"] as JsonObject;
                indexes.Add(new IndexDefinition(
                    name,
                    global,
                    keys[0].Name,
                    keys.Length > 1 ? keys[1].Name : null,
                    projection?["ProjectionType"]?.GetValue<string>() ?? "ALL",
                    (projection?["NonKeyAttributes"] as JsonArray)?.Select(a => a!.GetValue<string>()).ToArray()));
            }
        }

        return indexes;
    }

    private static JsonArray KeySchemaJson(string hashKey, string? rangeKey)
    {
        var keySchema = new JsonArray { new JsonObject { ["AttributeName"] = hashKey, ["KeyType"] = "HASH" } };
        if (rangeKey is not null)
        {
            keySchema.Add(new JsonObject { ["AttributeName"] = rangeKey, ["KeyType"] = "RANGE" });
        }

        return keySchema;
    }

    private static JsonArray IndexesJson(TableDefinition table, DynamoDbRequest request, bool global, long count)
    {
        var indexes = new JsonArray();
        foreach (var index in table.Indexes?.Where(i => i.Global == global) ?? [])
        {
            var projection = new JsonObject { ["ProjectionType"] = index.ProjectionType };
            if (index.NonKeyAttributes is { } included)
            {
                projection["NonKeyAttributes"] = new JsonArray(included.Select(a => (JsonNode)JsonValue.Create(a)).ToArray());
            }

            var description = new JsonObject
            {
                ["IndexName"] = index.Name,
                ["IndexArn"] = $"{request.TableArn(table.Name)}/index/{index.Name}",
                ["KeySchema"] = KeySchemaJson(index.HashKey, index.RangeKey),
                ["Projection"] = projection,
                ["ItemCount"] = count,
                ["IndexSizeBytes"] = 0,
            };
            if (global)
            {
                description["IndexStatus"] = "ACTIVE";
                description["ProvisionedThroughput"] = new JsonObject { ["ReadCapacityUnits"] = 0, ["WriteCapacityUnits"] = 0, ["NumberOfDecreasesToday"] = 0 };
            }

            indexes.Add(description);
        }

        return indexes;
    }

    private static JsonObject Description(DynamoDbDatabase database, DynamoDbRequest request, TableDefinition table, string status)
    {
        var (count, bytes) = database.Statistics(table.Name);
        var keySchema = KeySchemaJson(table.HashKey, table.RangeKey);
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
        if (table.Indexes?.Any(i => i.Global) == true)
        {
            description["GlobalSecondaryIndexes"] = IndexesJson(table, request, global: true, count);
        }

        if (table.Indexes?.Any(i => !i.Global) == true)
        {
            description["LocalSecondaryIndexes"] = IndexesJson(table, request, global: false, count);
        }

        if (table.BillingMode == "PAY_PER_REQUEST")
        {
            description["BillingModeSummary"] = new JsonObject { ["BillingMode"] = "PAY_PER_REQUEST" };
        }

        return description;
    }
}
