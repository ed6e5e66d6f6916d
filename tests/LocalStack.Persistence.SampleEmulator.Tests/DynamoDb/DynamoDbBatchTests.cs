using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using static LocalStack.Persistence.SampleEmulator.Tests.DynamoDb.Ddb;

namespace LocalStack.Persistence.SampleEmulator.Tests.DynamoDb;

public sealed class DynamoDbBatchTests
{
    private AmazonDynamoDBClient _client = null!;

    [OneTimeSetUp]
    public void CreateClient() => _client = DynamoDbEmulator.Emulator.CreateDynamoDbClient();

    [OneTimeTearDown]
    public void DisposeClient() => _client.Dispose();

    private static WriteRequest Put(string pk, long n) => new(new PutRequest(new Dictionary<string, AttributeValue> { ["pk"] = S(pk), ["n"] = N(n) }));

    private static WriteRequest Delete(string pk) => new(new DeleteRequest(new Dictionary<string, AttributeValue> { ["pk"] = S(pk) }));

    [Test]
    public async Task BatchWriteItem_puts_and_deletes_across_tables_and_BatchGetItem_reads_them_back()
    {
        var first = await CreateTableAsync(_client);
        var second = await CreateTableAsync(_client);
        await _client.PutItemAsync(first, new Dictionary<string, AttributeValue> { ["pk"] = S("doomed") });

        var written = await _client.BatchWriteItemAsync(new Dictionary<string, List<WriteRequest>>
        {
            [first] = [.. Enumerable.Range(0, 20).Select(i => Put($"a{i}", i)), Delete("doomed")],
            [second] = [Put("b0", 100), Put("b1", 101), Put("b2", 102), Put("b3", 103)],
        });
        Assert.That(written.UnprocessedItems is null || written.UnprocessedItems.Count == 0, Is.True);

        var read = await _client.BatchGetItemAsync(new Dictionary<string, KeysAndAttributes>
        {
            [first] = new() { Keys = [new() { ["pk"] = S("a3") }, new() { ["pk"] = S("a19") }, new() { ["pk"] = S("doomed") }, new() { ["pk"] = S("never") }] },
            [second] = new() { Keys = [new() { ["pk"] = S("b2") }], ProjectionExpression = "n" },
        });
        Assert.Multiple(() =>
        {
            Assert.That(read.Responses[first].Select(i => i["n"].N), Is.EquivalentTo(new[] { "3", "19" }));
            Assert.That(read.Responses[second], Has.Count.EqualTo(1));
            Assert.That(read.Responses[second][0].Keys, Is.EquivalentTo(new[] { "n" }));
            Assert.That(read.Responses[second][0]["n"].N, Is.EqualTo("102"));
            Assert.That(read.UnprocessedKeys is null || read.UnprocessedKeys.Count == 0, Is.True);
        });

        var count = await _client.ScanAsync(new ScanRequest { TableName = first, Select = Select.COUNT });
        Assert.That(count.Count, Is.EqualTo(20));
    }

    [Test]
    public async Task More_than_25_writes_or_100_keys_or_duplicate_keys_are_ValidationExceptions_and_write_nothing()
    {
        var table = await CreateTableAsync(_client);
        var tooMany = await Assert.ThrowsAsync<AmazonDynamoDBException>(() => _client.BatchWriteItemAsync(new Dictionary<string, List<WriteRequest>>
        {
            [table] = [.. Enumerable.Range(0, 26).Select(i => Put($"k{i}", i))],
        }));
        var duplicates = await Assert.ThrowsAsync<AmazonDynamoDBException>(() => _client.BatchWriteItemAsync(new Dictionary<string, List<WriteRequest>>
        {
            [table] = [Put("same", 1), Put("same", 2)],
        }));
        var tooManyKeys = await Assert.ThrowsAsync<AmazonDynamoDBException>(() => _client.BatchGetItemAsync(new Dictionary<string, KeysAndAttributes>
        {
            [table] = new() { Keys = [.. Enumerable.Range(0, 101).Select(i => new Dictionary<string, AttributeValue> { ["pk"] = S($"k{i}") })] },
        }));
        var scan = await _client.ScanAsync(new ScanRequest(table));
        Assert.Multiple(() =>
        {
            Assert.That(tooMany!.ErrorCode, Is.EqualTo("ValidationException"));
            Assert.That(duplicates!.ErrorCode, Is.EqualTo("ValidationException"));
            Assert.That(tooManyKeys!.ErrorCode, Is.EqualTo("ValidationException"));
            Assert.That(scan.Count, Is.Zero);
        });
    }
}
