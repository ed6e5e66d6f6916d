using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using static LocalStack.Persistence.SampleEmulator.Tests.DynamoDb.Ddb;

namespace LocalStack.Persistence.SampleEmulator.Tests.DynamoDb;

public sealed class DynamoDbItemTests
{
    private AmazonDynamoDBClient _client = null!;
    private string _table = null!;

    [OneTimeSetUp]
    public async Task CreateTableAsync()
    {
        _client = DynamoDbEmulator.Emulator.CreateDynamoDbClient();
        _table = await Ddb.CreateTableAsync(_client, "S", "S");
    }

    [OneTimeTearDown]
    public void DisposeClient() => _client.Dispose();

    private static Dictionary<string, AttributeValue> Key(string pk, string sk) => new() { ["pk"] = S(pk), ["sk"] = S(sk) };

    [Test]
    public async Task PutItem_then_GetItem_returns_every_attribute_type_as_written()
    {
        var item = new Dictionary<string, AttributeValue>
        {
            ["pk"] = S("types"),
            ["sk"] = S("1"),
            ["s"] = S("héllo ✓"),
            ["n"] = N("-12.50"),
            ["b"] = new() { B = new MemoryStream([1, 2, 255]) },
            ["bool"] = new() { BOOL = true },
            ["null"] = new() { NULL = true },
            ["ss"] = new() { SS = ["a", "b"] },
            ["ns"] = new() { NS = ["1", "2.5"] },
            ["l"] = new() { L = [S("x"), N(3)] },
            ["m"] = new() { M = new Dictionary<string, AttributeValue> { ["inner"] = S("deep") } },
        };
        await _client.PutItemAsync(_table, item);

        var got = (await _client.GetItemAsync(_table, Key("types", "1"))).Item;
        Assert.Multiple(() =>
        {
            Assert.That(got["s"].S, Is.EqualTo("héllo ✓"));
            Assert.That(got["n"].N, Is.EqualTo("-12.5"), "DynamoDB answers numbers in canonical form");
            Assert.That(got["b"].B.ToArray(), Is.EqualTo(new byte[] { 1, 2, 255 }));
            Assert.That(got["bool"].BOOL, Is.True);
            Assert.That(got["null"].NULL, Is.True);
            Assert.That(got["ss"].SS, Is.EquivalentTo(new[] { "a", "b" }));
            Assert.That(got["ns"].NS, Is.EquivalentTo(new[] { "1", "2.5" }));
            Assert.That(got["l"].L.Select(v => v.S ?? v.N), Is.EqualTo(new[] { "x", "3" }));
            Assert.That(got["m"].M["inner"].S, Is.EqualTo("deep"));
        });
    }

    [Test]
    public async Task GetItem_of_a_missing_key_returns_no_item_and_a_projection_returns_only_the_named_attributes()
    {
        var missing = await _client.GetItemAsync(_table, Key("nothing", "here"));
        Assert.That(missing.Item is null || missing.Item.Count == 0, Is.True);

        await _client.PutItemAsync(_table, new Dictionary<string, AttributeValue>
        {
            ["pk"] = S("proj"), ["sk"] = S("1"), ["name"] = S("n"), ["size"] = N(3), ["other"] = S("o"),
            ["nested"] = new() { M = new Dictionary<string, AttributeValue> { ["a"] = S("A"), ["b"] = S("B") } },
        });
        var projected = await _client.GetItemAsync(new GetItemRequest
        {
            TableName = _table,
            Key = Key("proj", "1"),
            ProjectionExpression = "#n, #s, nested.a",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#n"] = "name", ["#s"] = "size" },
        });
        Assert.Multiple(() =>
        {
            Assert.That(projected.Item.Keys, Is.EquivalentTo(new[] { "name", "size", "nested" }));
            Assert.That(projected.Item["nested"].M.Keys, Is.EquivalentTo(new[] { "a" }));
        });
    }

    [Test]
    public async Task A_key_of_the_wrong_type_or_a_missing_key_is_a_ValidationException()
    {
        var wrongType = await Assert.ThrowsAsync<AmazonDynamoDBException>(() => _client.PutItemAsync(_table, new Dictionary<string, AttributeValue> { ["pk"] = N(1), ["sk"] = S("x") }));
        var missing = await Assert.ThrowsAsync<AmazonDynamoDBException>(() => _client.PutItemAsync(_table, new Dictionary<string, AttributeValue> { ["pk"] = S("x") }));
        Assert.Multiple(() =>
        {
            Assert.That(wrongType!.ErrorCode, Is.EqualTo("ValidationException"));
            Assert.That(missing!.ErrorCode, Is.EqualTo("ValidationException"));
        });
    }

    [Test]
    public async Task A_conditional_put_fails_with_ConditionalCheckFailedException_and_leaves_the_item_unchanged()
    {
        var item = new Dictionary<string, AttributeValue> { ["pk"] = S("cond"), ["sk"] = S("1"), ["v"] = N(1) };
        var request = new PutItemRequest { TableName = _table, Item = item, ConditionExpression = "attribute_not_exists(pk)" };
        await _client.PutItemAsync(request);

        item["v"] = N(2);
        await Assert.ThrowsAsync<ConditionalCheckFailedException>(() => _client.PutItemAsync(request));
        Assert.That((await _client.GetItemAsync(_table, Key("cond", "1"))).Item["v"].N, Is.EqualTo("1"));

        // A comparison that holds lets the write through.
        await _client.PutItemAsync(new PutItemRequest
        {
            TableName = _table,
            Item = item,
            ConditionExpression = "attribute_exists(pk) AND v < :limit",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":limit"] = N(2) },
        });
        Assert.That((await _client.GetItemAsync(_table, Key("cond", "1"))).Item["v"].N, Is.EqualTo("2"));
    }

    [Test]
    public async Task PutItem_with_ReturnValues_ALL_OLD_returns_the_replaced_item()
    {
        await _client.PutItemAsync(_table, new Dictionary<string, AttributeValue> { ["pk"] = S("old"), ["sk"] = S("1"), ["v"] = S("first") });
        var response = await _client.PutItemAsync(new PutItemRequest
        {
            TableName = _table,
            Item = new Dictionary<string, AttributeValue> { ["pk"] = S("old"), ["sk"] = S("1"), ["v"] = S("second") },
            ReturnValues = ReturnValue.ALL_OLD,
        });
        Assert.That(response.Attributes["v"].S, Is.EqualTo("first"));
    }

    [Test]
    public async Task UpdateItem_SET_REMOVE_and_ADD_change_the_item_and_ALL_NEW_returns_it()
    {
        await _client.PutItemAsync(_table, new Dictionary<string, AttributeValue>
        {
            ["pk"] = S("upd"), ["sk"] = S("1"), ["count"] = N(10), ["gone"] = S("x"), ["tags"] = new() { SS = ["a"] },
        });

        var response = await _client.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = _table,
            Key = Key("upd", "1"),
            UpdateExpression = "SET #c = #c + :inc, title = :t, created = if_not_exists(created, :now) REMOVE gone ADD visits :one, tags :more",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#c"] = "count" },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>
            {
                [":inc"] = N("2.5"), [":t"] = S("hello"), [":now"] = N(100), [":one"] = N(1), [":more"] = new() { SS = ["b", "a"] },
            },
            ReturnValues = ReturnValue.ALL_NEW,
        });

        var item = response.Attributes;
        Assert.Multiple(() =>
        {
            Assert.That(item["count"].N, Is.EqualTo("12.5"));
            Assert.That(item["title"].S, Is.EqualTo("hello"));
            Assert.That(item["created"].N, Is.EqualTo("100"));
            Assert.That(item["visits"].N, Is.EqualTo("1"));
            Assert.That(item["tags"].SS, Is.EquivalentTo(new[] { "a", "b" }));
            Assert.That(item.ContainsKey("gone"), Is.False);
        });

        // ADD again, and if_not_exists keeps the existing value; UPDATED_NEW returns only what the expression touched.
        var second = await _client.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = _table,
            Key = Key("upd", "1"),
            UpdateExpression = "ADD visits :one SET created = if_not_exists(created, :later)",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":one"] = N(1), [":later"] = N(999) },
            ReturnValues = ReturnValue.UPDATED_NEW,
        });
        Assert.Multiple(() =>
        {
            Assert.That(second.Attributes.Keys, Is.EquivalentTo(new[] { "visits", "created" }));
            Assert.That(second.Attributes["visits"].N, Is.EqualTo("2"));
            Assert.That(second.Attributes["created"].N, Is.EqualTo("100"));
        });

        var stored = (await _client.GetItemAsync(_table, Key("upd", "1"))).Item;
        Assert.That(stored["visits"].N, Is.EqualTo("2"));
    }

    [Test]
    public async Task UpdateItem_creates_a_missing_item_returns_ALL_OLD_and_honours_its_condition()
    {
        var created = await _client.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = _table,
            Key = Key("upsert", "1"),
            UpdateExpression = "SET v = :v, nested = :m",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>
            {
                [":v"] = N(1), [":m"] = new() { M = new Dictionary<string, AttributeValue> { ["x"] = N(1) } },
            },
            ReturnValues = ReturnValue.ALL_OLD,
        });
        Assert.That(created.Attributes is null || created.Attributes.Count == 0, Is.True);

        var old = await _client.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = _table,
            Key = Key("upsert", "1"),
            UpdateExpression = "SET v = v + :one, nested.y = :one",
            ConditionExpression = "v = :one",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":one"] = N(1) },
            ReturnValues = ReturnValue.ALL_OLD,
        });
        Assert.That(old.Attributes["v"].N, Is.EqualTo("1"));

        await Assert.ThrowsAsync<ConditionalCheckFailedException>(() => _client.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = _table,
            Key = Key("upsert", "1"),
            UpdateExpression = "SET v = :one",
            ConditionExpression = "v = :one",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":one"] = N(1) },
        }));

        var item = (await _client.GetItemAsync(_table, Key("upsert", "1"))).Item;
        Assert.Multiple(() =>
        {
            Assert.That(item["v"].N, Is.EqualTo("2"));
            Assert.That(item["nested"].M["y"].N, Is.EqualTo("1"));
        });
    }

    [Test]
    public async Task Updating_a_key_attribute_is_a_ValidationException()
    {
        var error = await Assert.ThrowsAsync<AmazonDynamoDBException>(() => _client.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = _table,
            Key = Key("keyupd", "1"),
            UpdateExpression = "SET sk = :v",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":v"] = S("2") },
        }));
        Assert.That(error!.ErrorCode, Is.EqualTo("ValidationException"));
    }

    [Test]
    public async Task DeleteItem_returns_ALL_OLD_and_a_failed_condition_keeps_the_item()
    {
        await _client.PutItemAsync(_table, new Dictionary<string, AttributeValue> { ["pk"] = S("del"), ["sk"] = S("1"), ["v"] = S("keep") });

        await Assert.ThrowsAsync<ConditionalCheckFailedException>(() => _client.DeleteItemAsync(new DeleteItemRequest
        {
            TableName = _table,
            Key = Key("del", "1"),
            ConditionExpression = "v = :other",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":other"] = S("other") },
        }));
        Assert.That((await _client.GetItemAsync(_table, Key("del", "1"))).Item, Is.Not.Empty);

        var deleted = await _client.DeleteItemAsync(new DeleteItemRequest { TableName = _table, Key = Key("del", "1"), ReturnValues = ReturnValue.ALL_OLD });
        Assert.That(deleted.Attributes["v"].S, Is.EqualTo("keep"));
        var after = await _client.GetItemAsync(_table, Key("del", "1"));
        Assert.That(after.Item is null || after.Item.Count == 0, Is.True);
    }

    [Test]
    public async Task An_item_over_400_KB_is_a_ValidationException()
    {
        var error = await Assert.ThrowsAsync<AmazonDynamoDBException>(() => _client.PutItemAsync(_table, new Dictionary<string, AttributeValue>
        {
            ["pk"] = S("huge"), ["sk"] = S("1"), ["blob"] = S(new string('x', 401 * 1024)),
        }));
        Assert.That(error!.ErrorCode, Is.EqualTo("ValidationException"));
        await _client.PutItemAsync(_table, new Dictionary<string, AttributeValue> { ["pk"] = S("large"), ["sk"] = S("1"), ["blob"] = S(new string('x', 390 * 1024)) });
    }
}
