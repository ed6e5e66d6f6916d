using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using static LocalStack.Persistence.SampleEmulator.Tests.DynamoDb.Ddb;

namespace LocalStack.Persistence.SampleEmulator.Tests.DynamoDb;

public sealed class DynamoDbIndexTests
{
    private AmazonDynamoDBClient _client = null!;
    private string _table = null!;

    [OneTimeSetUp]
    public async Task CreateTableAsync()
    {
        _client = DynamoDbEmulator.Emulator.CreateDynamoDbClient();
        _table = UniqueName("idx");
        await _client.CreateTableAsync(new CreateTableRequest
        {
            TableName = _table,
            KeySchema = [new KeySchemaElement("pk", KeyType.HASH), new KeySchemaElement("sk", KeyType.RANGE)],
            AttributeDefinitions =
            [
                new AttributeDefinition("pk", ScalarAttributeType.S),
                new AttributeDefinition("sk", ScalarAttributeType.S),
                new AttributeDefinition("status", ScalarAttributeType.S),
                new AttributeDefinition("amount", ScalarAttributeType.N),
            ],
            GlobalSecondaryIndexes =
            [
                new GlobalSecondaryIndex
                {
                    IndexName = "by-status",
                    KeySchema = [new KeySchemaElement("status", KeyType.HASH), new KeySchemaElement("amount", KeyType.RANGE)],
                    Projection = new Projection { ProjectionType = ProjectionType.KEYS_ONLY },
                },
            ],
            LocalSecondaryIndexes =
            [
                new LocalSecondaryIndex
                {
                    IndexName = "by-amount",
                    KeySchema = [new KeySchemaElement("pk", KeyType.HASH), new KeySchemaElement("amount", KeyType.RANGE)],
                    Projection = new Projection { ProjectionType = ProjectionType.ALL },
                },
            ],
            BillingMode = BillingMode.PAY_PER_REQUEST,
        });

        for (var i = 0; i < 12; i++)
        {
            var item = new Dictionary<string, AttributeValue> { ["pk"] = S($"c{i % 2}"), ["sk"] = S($"o{i:D2}"), ["amount"] = N(100 - (i * 7)), ["note"] = S($"n{i}") };
            if (i % 4 != 3)
            {
                item["status"] = S(i % 2 == 0 ? "open" : "closed");
            }

            await _client.PutItemAsync(_table, item);
        }
    }

    [OneTimeTearDown]
    public void DisposeClient() => _client.Dispose();

    [Test]
    public async Task DescribeTable_reports_the_secondary_indexes()
    {
        var table = (await _client.DescribeTableAsync(_table)).Table;
        Assert.Multiple(() =>
        {
            Assert.That(table.GlobalSecondaryIndexes.Select(i => (i.IndexName, i.IndexStatus.Value, i.Projection.ProjectionType.Value)), Is.EqualTo(new[] { ("by-status", "ACTIVE", "KEYS_ONLY") }));
            Assert.That(table.GlobalSecondaryIndexes[0].KeySchema.Select(k => k.AttributeName), Is.EqualTo(new[] { "status", "amount" }));
            Assert.That(table.LocalSecondaryIndexes.Select(i => i.IndexName), Is.EqualTo(new[] { "by-amount" }));
        });
    }

    [Test]
    public async Task A_global_index_query_orders_by_the_index_sort_key_pages_and_projects_keys_only()
    {
        var (items, pages) = await QueryAllAsync(_client, new QueryRequest
        {
            TableName = _table,
            IndexName = "by-status",
            KeyConditionExpression = "#st = :open AND amount > :min",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#st"] = "status" },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":open"] = S("open"), [":min"] = N(30) },
            Limit = 2,
        });

        // Open items are the even i (0, 2, 4, 6, 8, 10) with amount 100 - 7i: 100, 86, 72, 58, 44, 30; more than 30 leaves five.
        Assert.Multiple(() =>
        {
            Assert.That(items.Select(i => i["amount"].N), Is.EqualTo(new[] { "44", "58", "72", "86", "100" }));
            Assert.That(items.SelectMany(i => i.Keys).Distinct(), Is.EquivalentTo(new[] { "pk", "sk", "status", "amount" }));
            Assert.That(pages, Is.EqualTo(3));
        });
    }

    [Test]
    public async Task A_local_index_query_runs_backwards_and_a_global_index_scan_skips_items_without_its_keys()
    {
        var local = await _client.QueryAsync(new QueryRequest
        {
            TableName = _table,
            IndexName = "by-amount",
            KeyConditionExpression = "pk = :c",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":c"] = S("c1") },
            ScanIndexForward = false,
        });
        var (scanned, _) = await ScanAllAsync(_client, new ScanRequest { TableName = _table, IndexName = "by-status", Limit = 4 });

        Assert.Multiple(() =>
        {
            // c1 holds the odd i: amounts 93, 79, 65, 51, 37, 23, highest first, with every attribute (ALL).
            Assert.That(local.Items.Select(i => i["amount"].N), Is.EqualTo(new[] { "93", "79", "65", "51", "37", "23" }));
            Assert.That(local.Items[0]["note"].S, Is.EqualTo("n1"));
            Assert.That(scanned, Has.Count.EqualTo(9), "the three items without a status are not in the index");
        });
    }

    [Test]
    public async Task A_missing_index_and_a_wrongly_typed_index_key_are_ValidationExceptions()
    {
        var missing = await Assert.ThrowsAsync<AmazonDynamoDBException>(() => _client.QueryAsync(new QueryRequest
        {
            TableName = _table,
            IndexName = "no-such-index",
            KeyConditionExpression = "pk = :c",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":c"] = S("c1") },
        }));
        var wrongType = await Assert.ThrowsAsync<AmazonDynamoDBException>(() => _client.PutItemAsync(_table, new Dictionary<string, AttributeValue>
        {
            ["pk"] = S("c9"), ["sk"] = S("x"), ["amount"] = S("not a number"),
        }));
        Assert.Multiple(() =>
        {
            Assert.That(missing!.ErrorCode, Is.EqualTo("ValidationException"));
            Assert.That(wrongType!.ErrorCode, Is.EqualTo("ValidationException"));
        });
    }
}
