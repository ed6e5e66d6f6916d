using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.DataModel;
using Amazon.DynamoDBv2.DocumentModel;
using Amazon.DynamoDBv2.Model;
using static LocalStack.Persistence.SampleEmulator.Tests.DynamoDb.Ddb;

namespace LocalStack.Persistence.SampleEmulator.Tests.DynamoDb;

/// <summary>The SDK's object persistence model (DynamoDBContext) and the legacy parameters it and older code send.</summary>
public sealed class DynamoDbHighLevelTests
{
    [DynamoDBTable("orders")]
    public sealed class Order
    {
        [DynamoDBHashKey("pk")]
        public string Customer { get; set; } = string.Empty;

        [DynamoDBRangeKey("sk")]
        public int Number { get; set; }

        public string Status { get; set; } = string.Empty;

        public decimal Total { get; set; }

        public List<string> Tags { get; set; } = [];
    }

    [Test]
    public async Task DynamoDBContext_saves_loads_queries_scans_and_deletes_objects()
    {
        // Its own region, so that the fixed table name "orders" is this test's alone.
        using var client = DynamoDbEmulator.Emulator.CreateDynamoDbClient(region: "sa-east-1");
        await CreateTableAsync(client, "S", "N", name: "orders");
        var context = new DynamoDBContextBuilder().WithDynamoDBClient(() => client).Build();

        for (var i = 1; i <= 5; i++)
        {
            await context.SaveAsync(new Order { Customer = "ann", Number = i, Status = i % 2 == 0 ? "paid" : "open", Total = i * 1.25m, Tags = [$"t{i}"] });
        }

        await context.SaveAsync(new Order { Customer = "ben", Number = 1, Status = "open", Total = 9 });

        var loaded = await context.LoadAsync<Order>("ann", 3);
        var later = await context.QueryAsync<Order>("ann", QueryOperator.GreaterThan, [2]).GetRemainingAsync();
        var open = await context.ScanAsync<Order>([new ScanCondition("Status", ScanOperator.Equal, "open")]).GetRemainingAsync();
        await context.DeleteAsync<Order>("ann", 1);
        var deleted = await context.LoadAsync<Order>("ann", 1);

        Assert.Multiple(() =>
        {
            Assert.That(loaded.Status, Is.EqualTo("open"));
            Assert.That(loaded.Total, Is.EqualTo(3.75m));
            Assert.That(loaded.Tags, Is.EqualTo(new[] { "t3" }));
            Assert.That(later.Select(o => o.Number), Is.EqualTo(new[] { 3, 4, 5 }));
            Assert.That(open.Select(o => (o.Customer, o.Number)), Is.EquivalentTo(new[] { ("ann", 1), ("ann", 3), ("ann", 5), ("ben", 1) }));
            Assert.That(deleted, Is.Null);
        });
    }

    [Test]
    public async Task Legacy_KeyConditions_QueryFilter_AttributeUpdates_and_Expected_work()
    {
        using var client = DynamoDbEmulator.Emulator.CreateDynamoDbClient();
        var table = await CreateTableAsync(client, "S", "N");
        for (var i = 0; i < 6; i++)
        {
            await client.PutItemAsync(table, new Dictionary<string, AttributeValue> { ["pk"] = S("p"), ["sk"] = N(i), ["kind"] = S(i % 2 == 0 ? "even" : "odd") });
        }

        await client.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = table,
            Key = new Dictionary<string, AttributeValue> { ["pk"] = S("p"), ["sk"] = N(4) },
            AttributeUpdates = new Dictionary<string, AttributeValueUpdate>
            {
                ["hits"] = new(N(2), AttributeAction.ADD),
                ["kind"] = new() { Action = AttributeAction.DELETE },
                ["note"] = new(S("n"), AttributeAction.PUT),
            },
            Expected = new Dictionary<string, ExpectedAttributeValue> { ["kind"] = new(S("even")) },
        });
        await Assert.ThatAsync(
            () => client.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = table,
                Key = new Dictionary<string, AttributeValue> { ["pk"] = S("p"), ["sk"] = N(4) },
                AttributeUpdates = new Dictionary<string, AttributeValueUpdate> { ["note"] = new(S("m"), AttributeAction.PUT) },
                Expected = new Dictionary<string, ExpectedAttributeValue> { ["hits"] = new() { Exists = false } },
            }),
            Throws.TypeOf<ConditionalCheckFailedException>());

        var query = await client.QueryAsync(new QueryRequest
        {
            TableName = table,
            KeyConditions = new Dictionary<string, Amazon.DynamoDBv2.Model.Condition>
            {
                ["pk"] = new() { ComparisonOperator = ComparisonOperator.EQ, AttributeValueList = [S("p")] },
                ["sk"] = new() { ComparisonOperator = ComparisonOperator.BETWEEN, AttributeValueList = [N(1), N(4)] },
            },
            QueryFilter = new Dictionary<string, Amazon.DynamoDBv2.Model.Condition>
            {
                ["kind"] = new() { ComparisonOperator = ComparisonOperator.NE, AttributeValueList = [S("odd")] },
            },
            AttributesToGet = ["sk", "hits", "note"],
        });

        Assert.Multiple(() =>
        {
            // sk 1..4 without the odd ones: 2 (even) and 4 (kind removed, so not "odd" either).
            Assert.That(query.Items.Select(i => i["sk"].N), Is.EqualTo(new[] { "2", "4" }));
            Assert.That(query.Items[1]["hits"].N, Is.EqualTo("2"));
            Assert.That(query.Items[1]["note"].S, Is.EqualTo("n"));
            Assert.That(query.Items[0].Keys, Is.EquivalentTo(new[] { "sk" }));
        });
    }
}
