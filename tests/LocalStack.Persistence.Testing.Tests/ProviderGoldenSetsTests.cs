using System.Text.Json;
using LocalStack.Persistence.Testing.Tests.Support;

namespace LocalStack.Persistence.Testing.Tests;

/// <summary>The golden-set recorder and its guards: a recorded set passes; a schema change without a new version or set fails.</summary>
public sealed class ProviderGoldenSetsTests
{
    private readonly List<IDisposable> _disposables = [];
    private string _folder = "";

    [SetUp]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("lsp-golden-").FullName;

    [TearDown]
    public void Cleanup()
    {
        _disposables.ForEach(d => d.Dispose());
        _disposables.Clear();
        Directory.Delete(_folder, recursive: true);
    }

    [Test]
    public async Task A_recorded_set_holds_the_snapshot_and_fingerprint_and_passes_both_guards()
    {
        var set = await ProviderGoldenSets.RecordAsync(Provider(), _folder);

        Assert.That(Path.GetFileName(set), Is.EqualTo("items-v1"));
        Assert.That(File.Exists(Path.Combine(set, "state", "api_states", "items", "store.state")), Is.True);
        Assert.That(Directory.EnumerateFiles(Path.Combine(set, "state"), "*.bin", SearchOption.AllDirectories).Select(Path.GetFileName), Is.EquivalentTo(new[] { "alpha.bin", "beta.bin" }));
        Assert.That(Directory.EnumerateFileSystemEntries(set, ".lock", SearchOption.AllDirectories), Is.Empty);
        using var schema = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(set, ProviderGoldenSets.SchemaFileName)));
        Assert.That(schema.RootElement.GetProperty("schemaVersion").GetInt32(), Is.EqualTo(1));
        Assert.That(schema.RootElement.GetProperty("shape").EnumerateArray().Select(l => l.GetString()), Does.Contain("$.items[].count: Number"));

        await ProviderGoldenSets.CheckSchemaAsync(Provider(), _folder);
        await ProviderGoldenSets.CheckRestoreAsync(_folder, () => Track(new ItemsProvider()));
    }

    [Test]
    public async Task A_renamed_member_with_the_same_schema_version_fails_the_guard_naming_the_change()
    {
        await ProviderGoldenSets.RecordAsync(Provider(), _folder);

        var failure = await Assert.ThrowsAsync<PersistenceCheckException>(() => ProviderGoldenSets.CheckSchemaAsync(Provider(countMember: "quantity"), _folder));

        TestContext.Out.WriteLine(failure!.Message);
        Assert.That(failure.CheckName, Is.EqualTo(ProviderGoldenSets.CheckSchemaName));
        Assert.That(failure.Message, Does.Contain("changed but its schema version is still 1"));
        Assert.That(failure.Message, Does.Contain("+ $.items[].quantity: Number"));
        Assert.That(failure.Message, Does.Contain("- $.items[].count: Number"));
    }

    [Test]
    public async Task A_new_schema_version_without_its_golden_set_fails_the_guard_and_passes_once_recorded()
    {
        await ProviderGoldenSets.RecordAsync(Provider(), _folder);

        var failure = await Assert.ThrowsAsync<PersistenceCheckException>(() => ProviderGoldenSets.CheckSchemaAsync(Provider(countMember: "quantity", schemaVersion: 2), _folder));
        Assert.That(failure!.Message, Does.Contain("holds no golden set 'items-v2'"));

        await ProviderGoldenSets.RecordAsync(Provider(countMember: "quantity", schemaVersion: 2), _folder);
        await ProviderGoldenSets.CheckSchemaAsync(Provider(countMember: "quantity", schemaVersion: 2), _folder);
    }

    [Test]
    public async Task A_schema_version_going_down_fails_the_guard()
    {
        await ProviderGoldenSets.RecordAsync(Provider(schemaVersion: 2), _folder);

        var failure = await Assert.ThrowsAsync<PersistenceCheckException>(() => ProviderGoldenSets.CheckSchemaAsync(Provider(), _folder));

        Assert.That(failure!.Message, Does.Contain("holds a newer one"));
    }

    [Test]
    public async Task A_set_that_no_longer_loads_fails_the_restore_guard_naming_it()
    {
        var set = await ProviderGoldenSets.RecordAsync(Provider(), _folder);

        // Today's provider reads another member under the same version, with no migration: the old set is refused.
        var failure = await Assert.ThrowsAsync<PersistenceCheckException>(() => ProviderGoldenSets.CheckRestoreAsync(_folder, () => Track(new ItemsProvider(countMember: "quantity"))));

        TestContext.Out.WriteLine(failure!.Message);
        Assert.That(failure.CheckName, Is.EqualTo(ProviderGoldenSets.CheckRestoreName));
        Assert.That(failure.Message, Does.Contain($"the load of golden set '{set}' threw SnapshotCorruptException"));
    }

    [Test]
    public async Task A_set_is_never_overwritten()
    {
        await ProviderGoldenSets.RecordAsync(Provider(), _folder);

        await Assert.ThrowsAsync<InvalidOperationException>(() => ProviderGoldenSets.RecordAsync(Provider(), _folder));
    }

    [Test]
    public void A_type_fingerprint_does_not_depend_on_data_and_changes_with_a_renamed_property()
    {
        var options = JsonSerializerOptions.Default;
        var v1 = SchemaFingerprint.FromType(options.GetTypeInfo(typeof(DocumentV1)));
        var again = SchemaFingerprint.FromType(options.GetTypeInfo(typeof(DocumentV1)));
        var renamed = SchemaFingerprint.FromType(options.GetTypeInfo(typeof(DocumentV2)));

        Assert.That(again.Hash, Is.EqualTo(v1.Hash));
        Assert.That(v1.Shape, Does.Contain("$.Items[].Count: Int32"));
        Assert.That(v1.Shape, Does.Contain("$.Tags{}: String"));
        Assert.That(renamed.Hash, Is.Not.EqualTo(v1.Hash));
        Assert.That(renamed.Shape, Does.Contain("$.Items[].Quantity: Int64"));
    }

    private ItemsProvider Provider(string countMember = "count", int schemaVersion = 1)
        => Track(new ItemsProvider(countMember: countMember, schemaVersion: schemaVersion)).Put("alpha", 3, "first").Put("beta", 1, "second");

    private ItemsProvider Track(ItemsProvider provider)
    {
        _disposables.Add(provider);
        return provider;
    }

    public sealed record ItemV1(string Name, int Count);

    public sealed record DocumentV1(List<ItemV1> Items, Dictionary<string, string> Tags);

    public sealed record ItemV2(string Name, long Quantity);

    public sealed record DocumentV2(List<ItemV2> Items, Dictionary<string, string> Tags);
}
