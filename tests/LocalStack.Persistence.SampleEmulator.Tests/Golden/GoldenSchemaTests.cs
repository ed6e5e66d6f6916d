namespace LocalStack.Persistence.SampleEmulator.Tests.Golden;

/// <summary>
/// The golden sets follow the schemas: the schema versions today's providers write must have a committed set, and every
/// set holds the versions its name says. With <c>LSP_REGENERATE_GOLDEN=1</c>, the set of today's versions is written
/// into the source tree instead (never over an existing one).
/// </summary>
[NonParallelizable]
public sealed class GoldenSchemaTests
{
    private const long MaxSetBytes = 200 * 1024;

    [Test]
    public async Task Todays_schema_versions_have_a_golden_set()
    {
        using var volume = new TempDirectory();
        var expected = await GoldenSets.MakeAsync(volume.Path);
        var versions = await GoldenSets.ReadSchemaVersionsAsync(Path.Combine(volume.Path, "state"));
        Assert.That(versions.Keys.Order(StringComparer.Ordinal), Is.EqualTo(GoldenSets.Services.Order(StringComparer.Ordinal)), "every service wrote a snapshot");
        var name = GoldenSets.NameFor(versions);

        if (GoldenSets.Regenerating)
        {
            var written = GoldenSets.Commit(volume.Path, GoldenSets.SourceRoot, name, expected);
            Assert.Pass($"Golden set written to {written}; commit it.");
        }

        Assert.That(
            GoldenSets.Names(),
            Does.Contain(name),
            $"The providers write schema versions {name} but no golden set holds them. A schema change needs a migration and a new golden set: " +
            $"{GoldenSets.RegenerateVariable}=1 dotnet test tests/LocalStack.Persistence.SampleEmulator.Tests --filter FullyQualifiedName~GoldenSchemaTests (see Golden/Sets/README.md).");
    }

    [TestCaseSource(typeof(GoldenStateTests), nameof(GoldenStateTests.Sets))]
    public async Task Each_set_holds_the_schema_versions_its_name_says_and_stays_small(string set)
    {
        var state = Path.Combine(GoldenSets.OutputRoot, set, "state");
        var versions = await GoldenSets.ReadSchemaVersionsAsync(state);
        Assert.That(GoldenSets.NameFor(versions), Is.EqualTo(set));
        var size = Directory.EnumerateFiles(Path.Combine(GoldenSets.OutputRoot, set), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.That(size, Is.LessThan(MaxSetBytes), "keep golden sets small");
    }

    [Test]
    public void At_least_one_golden_set_is_committed() => Assert.That(GoldenSets.Names(), Is.Not.Empty, "the golden sets were not copied to the test output");
}
