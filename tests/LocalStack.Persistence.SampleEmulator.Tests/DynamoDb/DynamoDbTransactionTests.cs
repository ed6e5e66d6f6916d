using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using static LocalStack.Persistence.SampleEmulator.Tests.DynamoDb.Ddb;

namespace LocalStack.Persistence.SampleEmulator.Tests.DynamoDb;

public sealed class DynamoDbTransactionTests
{
    private AmazonDynamoDBClient _client = null!;
    private string _table = null!;

    [OneTimeSetUp]
    public async Task CreateTableAsync()
    {
        _client = DynamoDbEmulator.Emulator.CreateDynamoDbClient();
        _table = await Ddb.CreateTableAsync(_client);
    }

    [OneTimeTearDown]
    public void DisposeClient() => _client.Dispose();

    private static Dictionary<string, AttributeValue> Key(string pk) => new() { ["pk"] = S(pk) };

    private async Task<string?> BalanceAsync(string pk)
        => (await _client.GetItemAsync(_table, Key(pk))).Item is { Count: > 0 } item ? item["balance"].N : null;

    [Test]
    public async Task TransactWriteItems_applies_every_action_when_every_condition_holds()
    {
        await _client.PutItemAsync(_table, new Dictionary<string, AttributeValue> { ["pk"] = S("alice"), ["balance"] = N(100) });
        await _client.PutItemAsync(_table, new Dictionary<string, AttributeValue> { ["pk"] = S("bob"), ["balance"] = N(5) });
        await _client.PutItemAsync(_table, new Dictionary<string, AttributeValue> { ["pk"] = S("old-log") });

        await _client.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            TransactItems =
            [
                new() { Update = new Update { TableName = _table, Key = Key("alice"), UpdateExpression = "SET balance = balance - :amount", ConditionExpression = "balance >= :amount", ExpressionAttributeValues = new() { [":amount"] = N(30) } } },
                new() { Update = new Update { TableName = _table, Key = Key("bob"), UpdateExpression = "ADD balance :amount", ExpressionAttributeValues = new() { [":amount"] = N(30) } } },
                new() { Put = new Put { TableName = _table, Item = new() { ["pk"] = S("log-1"), ["what"] = S("alice→bob 30") }, ConditionExpression = "attribute_not_exists(pk)" } },
                new() { Delete = new Delete { TableName = _table, Key = Key("old-log") } },
            ],
        });

        Assert.Multiple(async () =>
        {
            Assert.That(await BalanceAsync("alice"), Is.EqualTo("70"));
            Assert.That(await BalanceAsync("bob"), Is.EqualTo("35"));
            Assert.That((await _client.GetItemAsync(_table, Key("log-1"))).Item["what"].S, Is.EqualTo("alice→bob 30"));
            Assert.That((await _client.GetItemAsync(_table, Key("old-log"))).Item, Is.Null.Or.Empty);
        });

        var read = await _client.TransactGetItemsAsync(new TransactGetItemsRequest
        {
            TransactItems =
            [
                new() { Get = new Get { TableName = _table, Key = Key("alice"), ProjectionExpression = "balance" } },
                new() { Get = new Get { TableName = _table, Key = Key("nobody") } },
            ],
        });
        Assert.Multiple(() =>
        {
            Assert.That(read.Responses, Has.Count.EqualTo(2));
            Assert.That(read.Responses[0].Item.Keys, Is.EquivalentTo(new[] { "balance" }));
            Assert.That(read.Responses[1].Item, Is.Null.Or.Empty);
        });
    }

    [Test]
    public async Task A_failed_condition_cancels_the_whole_transaction_with_its_reasons()
    {
        await _client.PutItemAsync(_table, new Dictionary<string, AttributeValue> { ["pk"] = S("carol"), ["balance"] = N(10) });
        await _client.PutItemAsync(_table, new Dictionary<string, AttributeValue> { ["pk"] = S("dave"), ["balance"] = N(0) });

        var error = await Assert.ThrowsAsync<TransactionCanceledException>(() => _client.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            TransactItems =
            [
                new() { Update = new Update { TableName = _table, Key = Key("dave"), UpdateExpression = "ADD balance :amount", ExpressionAttributeValues = new() { [":amount"] = N(50) } } },
                new()
                {
                    Update = new Update
                    {
                        TableName = _table, Key = Key("carol"), UpdateExpression = "SET balance = balance - :amount", ConditionExpression = "balance >= :amount",
                        ExpressionAttributeValues = new() { [":amount"] = N(50) }, ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
                    },
                },
            ],
        }));

        Assert.Multiple(async () =>
        {
            Assert.That(error!.CancellationReasons.Select(r => r.Code), Is.EqualTo(new[] { "None", "ConditionalCheckFailed" }));
            Assert.That(error.CancellationReasons[1].Item["balance"].N, Is.EqualTo("10"));
            Assert.That(await BalanceAsync("carol"), Is.EqualTo("10"));
            Assert.That(await BalanceAsync("dave"), Is.EqualTo("0"), "the first action must not have been applied");
        });
    }

    [Test]
    public async Task Two_actions_on_one_item_are_a_ValidationException()
    {
        var error = await Assert.ThrowsAsync<AmazonDynamoDBException>(() => _client.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            TransactItems =
            [
                new() { Put = new Put { TableName = _table, Item = Key("twice") } },
                new() { Delete = new Delete { TableName = _table, Key = Key("twice") } },
            ],
        }));
        Assert.That(error!.ErrorCode, Is.EqualTo("ValidationException"));
    }

    [Test]
    public async Task A_failed_conditional_put_can_return_the_item_it_saw()
    {
        await _client.PutItemAsync(_table, new Dictionary<string, AttributeValue> { ["pk"] = S("seen"), ["v"] = S("existing") });
        var error = await Assert.ThrowsAsync<ConditionalCheckFailedException>(() => _client.PutItemAsync(new PutItemRequest
        {
            TableName = _table,
            Item = new Dictionary<string, AttributeValue> { ["pk"] = S("seen"), ["v"] = S("new") },
            ConditionExpression = "attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
        }));
        Assert.That(error!.Item["v"].S, Is.EqualTo("existing"));
    }
}
