using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.Golden;

/// <summary>The fixed DynamoDB workload of the golden sets: a table (hash and range key) with a GSI and items of every attribute type.</summary>
internal static class GoldenDynamoDbWorkload
{
    public const string Table = "golden-table";
    public const string Index = "by-category";

    public static IReadOnlyList<Dictionary<string, AttributeValue>> Items { get; } =
    [
        new()
        {
            ["pk"] = new() { S = "item#1" },
            ["sk"] = new() { N = "1" },
            ["category"] = new() { S = "fruit" },
            ["name"] = new() { S = "apple" },
            ["price"] = new() { N = "1.25" },
            ["tags"] = new() { SS = ["red", "sweet"] },
            ["data"] = new() { B = new MemoryStream([0, 1, 2, 255]) },
            ["active"] = new() { BOOL = true },
            ["nested"] = new() { M = new() { ["list"] = new() { L = [new() { N = "1" }, new() { S = "two" }, new() { NULL = true }] } } },
        },
        new()
        {
            ["pk"] = new() { S = "item#1" },
            ["sk"] = new() { N = "2" },
            ["category"] = new() { S = "fruit" },
            ["name"] = new() { S = "banana" },
            ["counts"] = new() { NS = ["1", "2", "3"] },
        },
        new()
        {
            ["pk"] = new() { S = "item#2" },
            ["sk"] = new() { N = "1" },
            ["category"] = new() { S = "vegetable" },
            ["name"] = new() { S = "carrot" },
        },
        new()
        {
            ["pk"] = new() { S = "item#3" },
            ["sk"] = new() { N = "-7.5" },
            ["name"] = new() { S = "not in the index" },
            ["blobs"] = new() { BS = [new MemoryStream([1]), new MemoryStream([2, 3])] },
        },
    ];

    public static async Task CreateAsync(EmulatorProcess emulator)
    {
        using var dynamo = emulator.CreateDynamoDbClient(GoldenWorkload.AccessKey, GoldenWorkload.Region);
        await dynamo.CreateTableAsync(new CreateTableRequest
        {
            TableName = Table,
            BillingMode = BillingMode.PAY_PER_REQUEST,
            AttributeDefinitions =
            [
                new("pk", ScalarAttributeType.S),
                new("sk", ScalarAttributeType.N),
                new("category", ScalarAttributeType.S),
                new("name", ScalarAttributeType.S),
            ],
            KeySchema = [new("pk", KeyType.HASH), new("sk", KeyType.RANGE)],
            GlobalSecondaryIndexes =
            [
                new GlobalSecondaryIndex
                {
                    IndexName = Index,
                    KeySchema = [new("category", KeyType.HASH), new("name", KeyType.RANGE)],
                    Projection = new Projection { ProjectionType = ProjectionType.ALL },
                },
            ],
        });
        foreach (var item in Items)
        {
            await dynamo.PutItemAsync(Table, item);
        }
    }

    public static async Task VerifyAsync(EmulatorProcess emulator)
    {
        using var dynamo = emulator.CreateDynamoDbClient(GoldenWorkload.AccessKey, GoldenWorkload.Region);
        Assert.That((await dynamo.ListTablesAsync()).TableNames, Is.EqualTo(new[] { Table }));

        var table = (await dynamo.DescribeTableAsync(Table)).Table;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(table.KeySchema.Select(k => (k.AttributeName, k.KeyType.Value)), Is.EqualTo(new[] { ("pk", "HASH"), ("sk", "RANGE") }));
            Assert.That(table.BillingModeSummary?.BillingMode?.Value, Is.EqualTo("PAY_PER_REQUEST"));
            var index = table.GlobalSecondaryIndexes?.SingleOrDefault();
            Assert.That(index?.IndexName, Is.EqualTo(Index));
            Assert.That(index?.KeySchema.Select(k => (k.AttributeName, k.KeyType.Value)), Is.EqualTo(new[] { ("category", "HASH"), ("name", "RANGE") }));
            Assert.That(index?.Projection.ProjectionType.Value, Is.EqualTo("ALL"));
        }

        var scanned = (await dynamo.ScanAsync(new ScanRequest { TableName = Table })).Items ?? [];
        Assert.That(scanned.Select(AttributeText.Of).Order(StringComparer.Ordinal), Is.EqualTo(Items.Select(AttributeText.Of).Order(StringComparer.Ordinal)));

        foreach (var item in Items)
        {
            var key = new Dictionary<string, AttributeValue> { ["pk"] = item["pk"], ["sk"] = item["sk"] };
            var got = (await dynamo.GetItemAsync(new GetItemRequest { TableName = Table, Key = key, ConsistentRead = true })).Item;
            Assert.That(AttributeText.Of(got), Is.EqualTo(AttributeText.Of(item)));
        }

        var fruit = (await dynamo.QueryAsync(new QueryRequest
        {
            TableName = Table,
            IndexName = Index,
            KeyConditionExpression = "category = :c",
            ExpressionAttributeValues = new() { [":c"] = new() { S = "fruit" } },
        })).Items ?? [];
        Assert.That(fruit.Select(i => i["name"].S), Is.EqualTo(new[] { "apple", "banana" }), "the GSI, in range-key order");
    }
}
