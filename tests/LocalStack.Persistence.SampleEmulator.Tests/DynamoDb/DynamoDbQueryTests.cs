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
        async Task<List<string>> ScanAsync(string filter, params (string Name, AttributeValue Value)[] values)
        {
            var (items, _) = await ScanAllAsync(_client, new ScanRequest
            {
                TableName = _strings,
                FilterExpression = filter,
                ExpressionAttributeNames = filter.Contains("#st", StringComparison.Ordinal) ? new Dictionary<string, string> { ["#st"] = "status" } : null,
                ExpressionAttributeValues = values.Length > 0 ? values.ToDictionary(v => v.Name, v => v.Value) : null,
                Limit = 4,
            });
            return items.Select(i => i["sk"].S).Order(StringComparer.Ordinal).ToList();
        }

        var open = (":open", S("open"));
        var prefix = (":p", S("order#"));
        var low = (":a", N(50));
        var high = (":b", N(250));
        var startsWith = await ScanAsync("begins_with(sk, :p) AND #st = :open", open, prefix);
        var nested = await ScanAsync("(amount < :a OR amount > :b) AND NOT begins_with(sk, :p) AND #st <> :open", open, prefix, low, high);
        var exists = await ScanAsync("attribute_exists(amount) AND attribute_not_exists(nothing)");
        var missing = await ScanAsync("attribute_exists(nothing)");
        var inOrContains = await ScanAsync("amount IN (:a, :b) OR contains(sk, :p)", prefix, low, high);
        Assert.Multiple(() =>
        {
            Assert.That(startsWith, Is.EqualTo(new[] { "order#000", "order#006", "order#012", "order#018", "order#024" }));
            Assert.That(nested, Is.EqualTo(new[] { "invoice#001", "invoice#029" }));
            Assert.That(exists, Has.Count.EqualTo(30));
            Assert.That(missing, Is.Empty);
            Assert.That(inOrContains, Has.Count.EqualTo(17));
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

    [Test]
    public async Task A_parallel_scan_returns_every_item_in_exactly_one_segment()
    {
        var all = new List<string>();
        for (var segment = 0; segment < 3; segment++)
        {
            var (items, _) = await ScanAllAsync(_client, new ScanRequest { TableName = _numeric, Segment = segment, TotalSegments = 3, Limit = 2 });
            all.AddRange(items.Select(i => i["pk"].S + "/" + i["sk"].N));
        }

        Assert.That(all, Has.Count.EqualTo(11).And.Unique);
    }

    [Test]
    public async Task An_expression_attribute_name_or_value_no_expression_uses_is_a_ValidationException()
    {
        var unusedName = await Assert.ThrowsAsync<AmazonDynamoDBException>(() => _client.QueryAsync(new QueryRequest
        {
            TableName = _strings,
            KeyConditionExpression = "pk = :pk",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#unused"] = "status" },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = S("user") },
        }));
        var unusedValue = await Assert.ThrowsAsync<AmazonDynamoDBException>(() => _client.ScanAsync(new ScanRequest
        {
            TableName = _strings,
            FilterExpression = "amount > :a",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":a"] = N(1), [":b"] = N(2) },
        }));
        Assert.Multiple(() =>
        {
            Assert.That(unusedName!.ErrorCode, Is.EqualTo("ValidationException"));
            Assert.That(unusedName.Message, Does.Contain("#unused"));
            Assert.That(unusedValue!.ErrorCode, Is.EqualTo("ValidationException"));
            Assert.That(unusedValue.Message, Does.Contain(":b"));
        });
    }
}
