using Amazon.DynamoDBv2.Model;
using static LocalStack.Persistence.SampleEmulator.Tests.DynamoDb.Ddb;

namespace LocalStack.Persistence.SampleEmulator.Tests.DynamoDb;

public sealed class DynamoDbIsolationTests
{
    [Test]
    public async Task Accounts_and_regions_have_separate_tables_in_separate_database_files()
    {
        var emulator = DynamoDbEmulator.Emulator;
        using var first = emulator.CreateDynamoDbClient("111111111111", "eu-west-1");
        using var otherAccount = emulator.CreateDynamoDbClient("222222222222", "eu-west-1");
        using var otherRegion = emulator.CreateDynamoDbClient("111111111111", "eu-central-1");
        var name = UniqueName("shared");

        // The same table name in three places, each with its own item.
        foreach (var (client, value) in new[] { (first, "first"), (otherAccount, "other-account"), (otherRegion, "other-region") })
        {
            await CreateTableAsync(client, name: name);
            await client.PutItemAsync(name, new Dictionary<string, AttributeValue> { ["pk"] = S("k"), ["v"] = S(value) });
        }

        var onlyFirst = UniqueName("only");
        await CreateTableAsync(first, name: onlyFirst);

        var describedFirst = await first.DescribeTableAsync(name);
        var describedOther = await otherAccount.DescribeTableAsync(name);
        Assert.Multiple(async () =>
        {
            Assert.That((await first.GetItemAsync(name, new() { ["pk"] = S("k") })).Item["v"].S, Is.EqualTo("first"));
            Assert.That((await otherAccount.GetItemAsync(name, new() { ["pk"] = S("k") })).Item["v"].S, Is.EqualTo("other-account"));
            Assert.That((await otherRegion.GetItemAsync(name, new() { ["pk"] = S("k") })).Item["v"].S, Is.EqualTo("other-region"));
            Assert.That(describedFirst.Table.TableArn, Is.EqualTo($"arn:aws:dynamodb:eu-west-1:111111111111:table/{name}"));
            Assert.That(describedOther.Table.TableArn, Is.EqualTo($"arn:aws:dynamodb:eu-west-1:222222222222:table/{name}"));
            Assert.That((await first.ListTablesAsync()).TableNames, Does.Contain(onlyFirst));
            Assert.That((await otherAccount.ListTablesAsync()).TableNames, Does.Not.Contain(onlyFirst));
            Assert.That((await otherRegion.ListTablesAsync()).TableNames, Does.Not.Contain(onlyFirst));
        });
        await Assert.ThatAsync(() => otherRegion.DescribeTableAsync(onlyFirst), Throws.TypeOf<ResourceNotFoundException>());

        var working = Path.Combine(emulator.VolumeDirectory, "state", "dynamodb", "working");
        Assert.That(
            Directory.GetFiles(working, "*.db").Select(Path.GetFileName),
            Is.SupersetOf(new[] { "111111111111_eu-west-1.db", "222222222222_eu-west-1.db", "111111111111_eu-central-1.db" }));
    }
}
