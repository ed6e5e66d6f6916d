using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using static LocalStack.Persistence.SampleEmulator.Tests.DynamoDb.Ddb;

namespace LocalStack.Persistence.SampleEmulator.Tests.DynamoDb;

public sealed class DynamoDbQueryTests
{
    private static readonly string[] Numbers = ["-100", "-2.5", "-2", "0", "0.001", "2", "10", "10.5", "100", "1e3"];
    private AmazonDynamoDBClient _client = null!;
    private string _numeric = null!;
    private string _strings = null!;

    [OneTimeSetUp]
    public async Task CreateTablesAsync()
    {
        _client = DynamoDbEmulator.Emulator.CreateDynamoDbClient();

        // Sort keys written in an order that is neither numeric nor textual.
        _numeric = await CreateTableAsync(_client, "S", "N");
        foreach (var n in Numbers.Reverse().OrderBy(n => n.Length))
        {
            await _client.PutItemAsync(_numeric, new Dictionary<string, AttributeValue> { ["pk"] = S("p"), ["sk"] = N(n), ["label"] = S("n" + n) });
        }

        await _client.PutItemAsync(_numeric, new Dictionary<string, AttributeValue> { ["pk"] = S("other"), ["sk"] = N(5) });

        _strings = await CreateTableAsync(_client, "S", "S");
        for (var i = 0; i < 30; i++)
        {
            await _client.PutItemAsync(_strings, new Dictionary<string, AttributeValue>
            {
                ["pk"] = S("user"),
                ["sk"] = S(i % 2 == 0 ? $"order#{i:D3}" : $"invoice#{i:D3}"),
                ["amount"] = N(i * 10),
                ["status"] = S(i % 3 == 0 ? "open" : "closed"),
            });
        }
    }

    [OneTimeTearDown]
    public void DisposeClient() => _client.Dispose();

    private async Task<List<string>> SortKeysAsync(string condition, Dictionary<string, AttributeValue> values, bool forward = true)
    {
        values[":pk"] = S("p");
        var (items, _) = await QueryAllAsync(_client, new QueryRequest
        {
            TableName = _numeric,
            KeyConditionExpression = "#pk = :pk" + condition,
            ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = "pk" },
            ExpressionAttributeValues = values,
            ScanIndexForward = forward,
        });
        return items.Select(i => i["sk"].N).ToList();
    }

    [Test]
    public async Task Numeric_sort_keys_come_back_in_numeric_order_forward_and_backward()
    {
        var expected = new[] { "-100", "-2.5", "-2", "0", "0.001", "2", "10", "10.5", "100", "1000" };
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(await SortKeysAsync(string.Empty, []), Is.EqualTo(expected));
            Assert.That(await SortKeysAsync(string.Empty, [], forward: false), Is.EqualTo(expected.Reverse()));
        });
    }

    [Test]
    public async Task Sort_key_comparisons_and_BETWEEN_compare_numbers_numerically()
    {
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(await SortKeysAsync(" AND sk > :v", new() { [":v"] = N(2) }), Is.EqualTo(new[] { "10", "10.5", "100", "1000" }));
            Assert.That(await SortKeysAsync(" AND sk >= :v", new() { [":v"] = N(2) }), Is.EqualTo(new[] { "2", "10", "10.5", "100", "1000" }));
            Assert.That(await SortKeysAsync(" AND sk < :v", new() { [":v"] = N(0) }), Is.EqualTo(new[] { "-100", "-2.5", "-2" }));
            Assert.That(await SortKeysAsync(" AND sk <= :v", new() { [":v"] = N("-2.5") }), Is.EqualTo(new[] { "-100", "-2.5" }));
            Assert.That(await SortKeysAsync(" AND sk = :v", new() { [":v"] = N("10.50") }), Is.EqualTo(new[] { "10.5" }));
            Assert.That(await SortKeysAsync(" AND sk BETWEEN :a AND :b", new() { [":a"] = N(2), [":b"] = N(100) }), Is.EqualTo(new[] { "2", "10", "10.5", "100" }));
        });
    }

    [Test]
    public async Task begins_with_and_BETWEEN_select_string_sort_key_ranges()
    {
        var orders = await _client.QueryAsync(new QueryRequest
        {
            TableName = _strings,
            KeyConditionExpression = "pk = :pk AND begins_with(#sk, :prefix)",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#sk"] = "sk" },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = S("user"), [":prefix"] = S("order#") },
        });
        var between = await _client.QueryAsync(new QueryRequest
        {
            TableName = _strings,
            KeyConditionExpression = "pk = :pk AND sk BETWEEN :a AND :b",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = S("user"), [":a"] = S("order#004"), [":b"] = S("order#010") },
        });
        Assert.Multiple(() =>
        {
            Assert.That(orders.Count, Is.EqualTo(15));
            Assert.That(orders.Items.Select(i => i["sk"].S), Is.All.StartsWith("order#"));
            Assert.That(orders.Items.Select(i => i["sk"].S), Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal));
            Assert.That(between.Items.Select(i => i["sk"].S), Is.EqualTo(new[] { "order#004", "order#006", "order#008", "order#010" }));
        });
    }

    [Test]
    public async Task Query_with_Limit_pages_through_every_item_once_in_both_directions()
    {
        foreach (var forward in new[] { true, false })
        {
            var (items, pages) = await QueryAllAsync(_client, new QueryRequest
            {
                TableName = _strings,
                KeyConditionExpression = "pk = :pk",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = S("user") },
                ScanIndexForward = forward,
                Limit = 7,
            });
            var keys = items.Select(i => i["sk"].S).ToList();
            var expected = keys.Order(StringComparer.Ordinal).ToList();
            if (!forward)
            {
                expected.Reverse();
            }

            Assert.Multiple(() =>
            {
                Assert.That(keys, Has.Count.EqualTo(30).And.Unique);
                Assert.That(keys, Is.EqualTo(expected));
                Assert.That(pages, Is.EqualTo(5));
            });
        }
    }

    [Test]
    public async Task A_FilterExpression_applies_after_Limit_and_Select_COUNT_counts()
    {
        var page = await _client.QueryAsync(new QueryRequest
        {
            TableName = _strings,
            KeyConditionExpression = "pk = :pk",
            FilterExpression = "#st = :open AND amount >= :min",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#st"] = "status" },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = S("user"), [":open"] = S("open"), [":min"] = N(100) },
            Limit = 10,
        });
        var count = await _client.QueryAsync(new QueryRequest
        {
            TableName = _strings,
            KeyConditionExpression = "pk = :pk",
            FilterExpression = "#st = :open",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#st"] = "status" },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = S("user"), [":open"] = S("open") },
            Select = Select.COUNT,
        });
        Assert.Multiple(() =>
        {
            // The first 10 keys in order are invoice#001..019 (odd); of those, status open is i % 3 == 0: 3, 9, 15 → amounts 30, 90, 150.
            Assert.That(page.ScannedCount, Is.EqualTo(10));
            Assert.That(page.Items.Select(i => i["sk"].S), Is.EqualTo(new[] { "invoice#015" }));
            Assert.That(page.LastEvaluatedKey, Is.Not.Null.And.Not.Empty);
            Assert.That(count.Count, Is.EqualTo(10));
            Assert.That(count.ScannedCount, Is.EqualTo(30));
            Assert.That(count.Items is null || count.Items.Count == 0, Is.True);
        });
    }

    [Test]
    public async Task Scan_filters_combine_comparisons_functions_AND_OR_NOT_and_parentheses()
    {
        async Task<List<string>> ScanAsync(string filter, Dictionary<string, AttributeValue>? values = null)
        {
            var (items, _) = await ScanAllAsync(_client, new ScanRequest
            {
                TableName = _strings,
                FilterExpression = filter,
                ExpressionAttributeNames = new Dictionary<string, string> { ["#st"] = "status" },
                ExpressionAttributeValues = values,
                Limit = 4,
            });
            return items.Select(i => i["sk"].S).Order(StringComparer.Ordinal).ToList();
        }

        var open = new Dictionary<string, AttributeValue> { [":open"] = S("open"), [":p"] = S("order#"), [":a"] = N(50), [":b"] = N(250) };
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(await ScanAsync("begins_with(sk, :p) AND #st = :open", open), Is.EqualTo(new[] { "order#000", "order#006", "order#012", "order#018", "order#024" }));
            Assert.That(await ScanAsync("(amount < :a OR amount > :b) AND NOT begins_with(sk, :p) AND #st <> :open", open), Is.EqualTo(new[] { "invoice#001", "invoice#029" }));
            Assert.That(await ScanAsync("attribute_exists(amount) AND attribute_not_exists(nothing)"), Has.Count.EqualTo(30));
            Assert.That(await ScanAsync("attribute_exists(nothing)"), Is.Empty);
            Assert.That(await ScanAsync("amount IN (:a, :b) OR contains(sk, :p)", open), Has.Count.EqualTo(17));
        });
    }

    [Test]
    public async Task Scan_with_Limit_pages_through_every_item_once()
    {
        var (items, pages) = await ScanAllAsync(_client, new ScanRequest { TableName = _numeric, Limit = 3 });
        Assert.Multiple(() =>
        {
            Assert.That(items.Select(i => (i["pk"].S, i["sk"].N)).ToList(), Has.Count.EqualTo(11).And.Unique);
            Assert.That(pages, Is.EqualTo(4));
        });
    }

    [Test]
    public async Task A_key_condition_on_a_non_key_attribute_is_a_ValidationException()
    {
        var error = await Assert.ThrowsAsync<AmazonDynamoDBException>(() => _client.QueryAsync(new QueryRequest
        {
            TableName = _strings,
            KeyConditionExpression = "amount = :a",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":a"] = N(1) },
        }));
        Assert.That(error!.ErrorCode, Is.EqualTo("ValidationException"));
    }
}
