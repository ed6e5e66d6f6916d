using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using static LocalStack.Persistence.SampleEmulator.Tests.DynamoDb.Ddb;

namespace LocalStack.Persistence.SampleEmulator.Tests.DynamoDb;

public sealed class DynamoDbTableTests
{
    private AmazonDynamoDBClient _client = null!;

    [OneTimeSetUp]
    public void CreateClient() => _client = DynamoDbEmulator.Emulator.CreateDynamoDbClient();

    [OneTimeTearDown]
    public void DisposeClient() => _client.Dispose();

    [Test]
    public async Task CreateTable_answers_an_ACTIVE_table_that_DescribeTable_reports_with_its_schema_and_item_count()
    {
        var name = UniqueName("create");
        var created = await _client.CreateTableAsync(new CreateTableRequest
        {
            TableName = name,
            KeySchema = [new KeySchemaElement("id", KeyType.HASH), new KeySchemaElement("at", KeyType.RANGE)],
            AttributeDefinitions = [new AttributeDefinition("id", ScalarAttributeType.S), new AttributeDefinition("at", ScalarAttributeType.N)],
            ProvisionedThroughput = new ProvisionedThroughput(5, 7),
        });
        await _client.PutItemAsync(name, new Dictionary<string, AttributeValue> { ["id"] = S("a"), ["at"] = N(1) });
        await _client.PutItemAsync(name, new Dictionary<string, AttributeValue> { ["id"] = S("a"), ["at"] = N(2) });

        var table = (await _client.DescribeTableAsync(name)).Table;
        Assert.Multiple(() =>
        {
            Assert.That(created.TableDescription.TableStatus, Is.EqualTo(TableStatus.ACTIVE));
            Assert.That(table.TableStatus, Is.EqualTo(TableStatus.ACTIVE));
            Assert.That(table.TableName, Is.EqualTo(name));
            Assert.That(table.TableArn, Is.EqualTo($"arn:aws:dynamodb:us-east-1:000000000000:table/{name}"));
            Assert.That(table.ItemCount, Is.EqualTo(2));
            Assert.That(table.KeySchema.Select(k => (k.AttributeName, k.KeyType.Value)), Is.EqualTo(new[] { ("id", "HASH"), ("at", "RANGE") }));
            Assert.That(table.AttributeDefinitions.Select(a => (a.AttributeName, a.AttributeType.Value)), Is.EqualTo(new[] { ("id", "S"), ("at", "N") }));
            Assert.That(table.ProvisionedThroughput.ReadCapacityUnits, Is.EqualTo(5));
            Assert.That(table.ProvisionedThroughput.WriteCapacityUnits, Is.EqualTo(7));
            Assert.That(table.CreationDateTime, Is.InRange(DynamoDbEmulator.Emulator.ClockStart!.Value.UtcDateTime, DynamoDbEmulator.Emulator.ClockUpperBound().UtcDateTime), "stamped by the emulator's clock");
        });
    }

    [Test]
    public async Task Creating_an_existing_table_fails_with_ResourceInUseException()
    {
        var name = await CreateTableAsync(_client);
        await Assert.ThrowsAsync<ResourceInUseException>(() => CreateTableAsync(_client, name: name));
    }

    [Test]
    public async Task Operations_on_a_missing_table_fail_with_ResourceNotFoundException()
    {
        await Assert.MultipleAsync(async () =>
        {
            await Assert.ThrowsAsync<ResourceNotFoundException>(() => _client.DescribeTableAsync("no-such-table"));
            await Assert.ThrowsAsync<ResourceNotFoundException>(() => _client.DeleteTableAsync("no-such-table"));
            await Assert.ThrowsAsync<ResourceNotFoundException>(() => _client.PutItemAsync("no-such-table", new Dictionary<string, AttributeValue> { ["pk"] = S("x") }));
            await Assert.ThrowsAsync<ResourceNotFoundException>(() => _client.QueryAsync(new QueryRequest
            {
                TableName = "no-such-table",
                KeyConditionExpression = "pk = :pk",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = S("x") },
            }));
        });
    }

    [Test]
    public async Task An_invalid_key_schema_is_a_ValidationException()
    {
        var error = await Assert.ThrowsAsync<AmazonDynamoDBException>(() => _client.CreateTableAsync(new CreateTableRequest
        {
            TableName = UniqueName("invalid"),
            KeySchema = [new KeySchemaElement("pk", KeyType.HASH)],
            AttributeDefinitions = [new AttributeDefinition("other", ScalarAttributeType.S)],
            BillingMode = BillingMode.PAY_PER_REQUEST,
        }));
        Assert.That(error!.ErrorCode, Is.EqualTo("ValidationException"));
    }

    [Test]
    public async Task DeleteTable_removes_the_table_and_its_items()
    {
        var name = await CreateTableAsync(_client);
        await _client.PutItemAsync(name, new Dictionary<string, AttributeValue> { ["pk"] = S("x") });

        var deleted = await _client.DeleteTableAsync(name);
        Assert.That(deleted.TableDescription.TableName, Is.EqualTo(name));
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => _client.DescribeTableAsync(name));

        // A new table of the same name starts empty.
        await CreateTableAsync(_client, name: name);
        var scan = await _client.ScanAsync(new ScanRequest(name));
        Assert.That(scan.Count, Is.Zero);
    }

    [Test]
    public async Task ListTables_pages_through_every_table_in_name_order()
    {
        using var client = DynamoDbEmulator.Emulator.CreateDynamoDbClient(region: "ap-southeast-2");
        var created = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            created.Add(await CreateTableAsync(client, name: $"list-{i:D2}-{Guid.NewGuid():N}"));
        }

        var names = new List<string>();
        var pages = 0;
        string? start = null;
        do
        {
            var page = await client.ListTablesAsync(new ListTablesRequest { Limit = 3, ExclusiveStartTableName = start });
            pages++;
            Assert.That(page.TableNames, Has.Count.LessThanOrEqualTo(3));
            names.AddRange(page.TableNames);
            start = page.LastEvaluatedTableName;
        }
        while (start is not null);

        Assert.Multiple(() =>
        {
            Assert.That(names, Is.SupersetOf(created));
            Assert.That(names, Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal));
            Assert.That(names, Is.Unique);
            Assert.That(pages, Is.GreaterThanOrEqualTo(3));
        });
    }
}
