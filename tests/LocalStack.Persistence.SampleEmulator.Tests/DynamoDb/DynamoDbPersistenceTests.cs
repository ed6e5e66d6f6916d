using System.Diagnostics;
using System.Globalization;
using System.Net;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using LocalStack.Persistence.SampleEmulator.Tests.Support;
using Microsoft.Data.Sqlite;
using static LocalStack.Persistence.SampleEmulator.Tests.DynamoDb.Ddb;

namespace LocalStack.Persistence.SampleEmulator.Tests.DynamoDb;

/// <summary>DynamoDB state through save, SIGKILL and restart on the same volume, and reset.</summary>
public sealed class DynamoDbPersistenceTests
{
    private const int ItemCount = 10_000;
    private const int Partitions = 100;
    private const string Account = "111111111111";
    private const string OtherAccount = "222222222222";

    private static readonly Dictionary<string, string?> Manual = new() { ["SNAPSHOT_SAVE_STRATEGY"] = "MANUAL" };

    [Test]
    public async Task Ten_thousand_items_saved_survive_SIGKILL_and_a_restart_and_reset_empties_the_service()
    {
        using var volume = new TempDirectory();
        var emulator = await EmulatorProcess.StartAsync(volume.Path, Manual);
        try
        {
            using (var client = emulator.CreateDynamoDbClient(Account))
            using (var other = emulator.CreateDynamoDbClient(OtherAccount, "eu-west-1"))
            {
                await CreateTableAsync(client, "S", "N", name: "big");
                var elapsed = await WriteItemsAsync(client);
                TestContext.Out.WriteLine($"{ItemCount} items in {ItemCount / 25} BatchWriteItem calls: {elapsed.TotalMilliseconds:F0} ms");
                Assert.That(elapsed, Is.LessThan(TimeSpan.FromSeconds(15)));

                await CreateTableAsync(other, name: "elsewhere");
                await other.PutItemAsync("elsewhere", new Dictionary<string, AttributeValue> { ["pk"] = S("k"), ["v"] = S("other account") });

                var save = Stopwatch.StartNew();
                var (status, body) = await emulator.PostAsync("/_localstack/state/dynamodb/save");
                TestContext.Out.WriteLine($"save: {save.ElapsedMilliseconds} ms");
                Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);

                // Written after the save: a crash loses it, because the state is the last snapshot.
                await client.PutItemAsync("big", new Dictionary<string, AttributeValue> { ["pk"] = S("unsaved"), ["sk"] = N(1) });
            }

            await emulator.KillAsync();
            await emulator.DisposeAsync();

            var restart = Stopwatch.StartNew();
            emulator = await EmulatorProcess.StartAsync(volume.Path, Manual);
            using (var client = emulator.CreateDynamoDbClient(Account))
            using (var other = emulator.CreateDynamoDbClient(OtherAccount, "eu-west-1"))
            {
                var (items, pages) = await ScanAllAsync(client, new ScanRequest("big"));
                TestContext.Out.WriteLine($"restart and full scan: {restart.ElapsedMilliseconds} ms, {pages} pages");
                var partition = await QueryAllAsync(client, new QueryRequest
                {
                    TableName = "big",
                    KeyConditionExpression = "pk = :pk AND sk BETWEEN :a AND :b",
                    ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = S("p7"), [":a"] = N(0), [":b"] = N(1_000) },
                });
                var spot = await client.GetItemAsync("big", new Dictionary<string, AttributeValue> { ["pk"] = S("p42"), ["sk"] = N(9_942) });
                var unsaved = await client.GetItemAsync("big", new Dictionary<string, AttributeValue> { ["pk"] = S("unsaved"), ["sk"] = N(1) });
                var elsewhere = await other.GetItemAsync("elsewhere", new Dictionary<string, AttributeValue> { ["pk"] = S("k") });
                var described = await client.DescribeTableAsync("big");

                Assert.Multiple(() =>
                {
                    Assert.That(items, Has.Count.EqualTo(ItemCount));
                    Assert.That(items.Select(i => i["sk"].N).Distinct().Count(), Is.EqualTo(ItemCount));
                    Assert.That(pages, Is.GreaterThan(1), "a full scan is paged at 1 MB");
                    Assert.That(described.Table.ItemCount, Is.EqualTo(ItemCount));
                    Assert.That(partition.Items.Select(i => i["sk"].N), Is.EqualTo(Enumerable.Range(0, 10).Select(k => (7 + (k * Partitions)).ToString(CultureInfo.InvariantCulture))));
                    Assert.That(spot.Item["payload"].S, Is.EqualTo(Payload(9_942)));
                    Assert.That(spot.Item["n"].N, Is.EqualTo("9942"));
                    Assert.That(unsaved.Item is null || unsaved.Item.Count == 0, Is.True, "the item written after the save must be gone");
                    Assert.That(elsewhere.Item["v"].S, Is.EqualTo("other account"));
                });
            }

            AssertCommittedDatabaseIsIntact(volume.Path);

            var (resetStatus, resetBody) = await emulator.PostAsync("/_localstack/state/dynamodb/reset");
            Assert.That(resetStatus, Is.EqualTo(HttpStatusCode.OK), resetBody);
            using (var client = emulator.CreateDynamoDbClient(Account))
            using (var other = emulator.CreateDynamoDbClient(OtherAccount, "eu-west-1"))
            {
                Assert.Multiple(async () =>
                {
                    Assert.That((await client.ListTablesAsync()).TableNames, Is.Empty);
                    Assert.That((await other.ListTablesAsync()).TableNames, Is.Empty);
                    await Assert.ThatAsync(() => client.ScanAsync(new ScanRequest("big")), Throws.TypeOf<ResourceNotFoundException>());
                });
            }
        }
        finally
        {
            await emulator.DisposeAsync();
        }
    }

    [Test]
    public async Task With_the_on_request_strategy_every_acknowledged_write_survives_SIGKILL()
    {
        using var volume = new TempDirectory();
        var environment = new Dictionary<string, string?> { ["SNAPSHOT_SAVE_STRATEGY"] = "ON_REQUEST" };
        var emulator = await EmulatorProcess.StartAsync(volume.Path, environment);
        try
        {
            using (var client = emulator.CreateDynamoDbClient())
            {
                await CreateTableAsync(client, name: "acked");
                for (var i = 0; i < 5; i++)
                {
                    await client.PutItemAsync("acked", new Dictionary<string, AttributeValue> { ["pk"] = S($"k{i}"), ["n"] = N(i) });
                }

                await client.UpdateItemAsync(new UpdateItemRequest
                {
                    TableName = "acked",
                    Key = new Dictionary<string, AttributeValue> { ["pk"] = S("k0") },
                    UpdateExpression = "ADD n :ten",
                    ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":ten"] = N(10) },
                });
                await client.DeleteItemAsync("acked", new Dictionary<string, AttributeValue> { ["pk"] = S("k4") });
            }

            await emulator.KillAsync();
            await emulator.DisposeAsync();
            emulator = await EmulatorProcess.StartAsync(volume.Path, environment);

            using (var client = emulator.CreateDynamoDbClient())
            {
                var (items, _) = await ScanAllAsync(client, new ScanRequest("acked"));
                Assert.That(
                    items.Select(i => (i["pk"].S, i["n"].N)).OrderBy(p => p.S, StringComparer.Ordinal),
                    Is.EqualTo(new[] { ("k0", "10"), ("k1", "1"), ("k2", "2"), ("k3", "3") }));
            }
        }
        finally
        {
            await emulator.DisposeAsync();
        }
    }

    private static string Payload(int i) => $"item {i} " + new string((char)('a' + (i % 26)), 40);

    private static async Task<TimeSpan> WriteItemsAsync(IAmazonDynamoDB client)
    {
        var batches = Enumerable.Range(0, ItemCount).Chunk(25).ToArray();
        var stopwatch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (batch, ct) =>
        {
            var response = await client.BatchWriteItemAsync(
                new Dictionary<string, List<WriteRequest>>
                {
                    ["big"] = [.. batch.Select(i => new WriteRequest(new PutRequest(new Dictionary<string, AttributeValue>
                    {
                        ["pk"] = S($"p{i % Partitions}"),
                        ["sk"] = N(i),
                        ["n"] = N(i),
                        ["payload"] = S(Payload(i)),
                    })))],
                },
                ct);
            Assert.That(response.UnprocessedItems is null || response.UnprocessedItems.Count == 0, Is.True);
        });
        return stopwatch.Elapsed;
    }

    /// <summary>The committed generation's copy of the database is a sound SQLite file holding every item.</summary>
    /// <summary>
    /// The save stored the database as a blob (the first save of a database ships a whole copy): a copy of it passes
    /// <c>PRAGMA integrity_check</c> and holds every item.
    /// </summary>
    private static void AssertCommittedDatabaseIsIntact(string volume)
    {
        var blobs = Path.Combine(volume, "state", "dynamodb", "blobs");
        var databases = Directory.EnumerateFiles(blobs, "*", SearchOption.AllDirectories)
            .Where(f => File.ReadAllBytes(f).AsSpan().StartsWith("SQLite format 3\0"u8))
            .ToList();
        Assert.That(databases, Is.Not.Empty, blobs);

        using var copies = new TempDirectory();
        var counts = new List<long>();
        foreach (var blob in databases)
        {
            // A copy: opening the blob itself would create -wal and -shm files beside it.
            var copy = Path.Combine(copies.Path, Path.GetFileName(blob) + ".db");
            File.Copy(blob, copy);
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = copy, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            connection.Open();
            using var check = connection.CreateCommand();
            check.CommandText = "PRAGMA integrity_check";
            Assert.That(check.ExecuteScalar(), Is.EqualTo("ok"), blob);
            using var count = connection.CreateCommand();
            count.CommandText = "SELECT count(*) FROM items WHERE table_name = 'big'";
            counts.Add((long)count.ExecuteScalar()!);
        }

        Assert.That(counts, Has.Member(ItemCount));
    }
}
