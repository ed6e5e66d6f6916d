using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using LocalStack.Persistence.SampleEmulator.Tests.Support;

namespace LocalStack.Persistence.SampleEmulator.Tests.DynamoDb;

/// <summary>
/// One emulator process shared by the DynamoDB API fixtures of this namespace (each test uses its own tables). Its clock
/// starts at <see cref="EmulatorProcess.PastYear2038"/>, so timestamps are checked against the emulator's clock, not the
/// machine's date.
/// </summary>
[SetUpFixture]
public sealed class DynamoDbEmulator
{
    private static TempDirectory? _volume;
    private static EmulatorProcess? _emulator;

    public static EmulatorProcess Emulator => _emulator ?? throw new InvalidOperationException("The DynamoDB emulator is not running.");

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _volume = new TempDirectory();
        _emulator = await EmulatorProcess.StartAsync(_volume.Path, EmulatorProcess.PastYear2038);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_emulator is not null)
        {
            await _emulator.DisposeAsync();
        }

        _volume?.Dispose();
    }
}

/// <summary>Helpers of the DynamoDB tests: unique table names, attribute values, table creation, paging loops.</summary>
internal static class Ddb
{
    private static int _counter;

    public static string UniqueName(string prefix) => $"{prefix}-{Interlocked.Increment(ref _counter)}-{Guid.NewGuid():N}"[..Math.Min(60, prefix.Length + 34)];

    public static AttributeValue S(string value) => new() { S = value };

    public static AttributeValue N(string value) => new() { N = value };

    public static AttributeValue N(long value) => new() { N = value.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    public static async Task<string> CreateTableAsync(IAmazonDynamoDB client, string hashType = "S", string? rangeType = null, string? name = null)
    {
        name ??= UniqueName("t");
        var request = new CreateTableRequest
        {
            TableName = name,
            KeySchema = [new KeySchemaElement("pk", KeyType.HASH)],
            AttributeDefinitions = [new AttributeDefinition("pk", hashType)],
            BillingMode = BillingMode.PAY_PER_REQUEST,
        };
        if (rangeType is not null)
        {
            request.KeySchema.Add(new KeySchemaElement("sk", KeyType.RANGE));
            request.AttributeDefinitions.Add(new AttributeDefinition("sk", rangeType));
        }

        await client.CreateTableAsync(request);
        return name;
    }

    /// <summary>Every item a query returns, following LastEvaluatedKey; also the number of pages.</summary>
    public static async Task<(List<Dictionary<string, AttributeValue>> Items, int Pages)> QueryAllAsync(IAmazonDynamoDB client, QueryRequest request)
    {
        var items = new List<Dictionary<string, AttributeValue>>();
        var pages = 0;
        do
        {
            var response = await client.QueryAsync(request);
            pages++;
            items.AddRange(response.Items ?? []);
            request.ExclusiveStartKey = response.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (request.ExclusiveStartKey is not null);

        return (items, pages);
    }

    /// <summary>Every item a scan returns, following LastEvaluatedKey; also the number of pages.</summary>
    public static async Task<(List<Dictionary<string, AttributeValue>> Items, int Pages)> ScanAllAsync(IAmazonDynamoDB client, ScanRequest request)
    {
        var items = new List<Dictionary<string, AttributeValue>>();
        var pages = 0;
        do
        {
            var response = await client.ScanAsync(request);
            pages++;
            items.AddRange(response.Items ?? []);
            request.ExclusiveStartKey = response.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (request.ExclusiveStartKey is not null);

        return (items, pages);
    }
}
