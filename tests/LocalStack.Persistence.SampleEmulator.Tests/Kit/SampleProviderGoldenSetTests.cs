using System.Runtime.CompilerServices;
using System.Text.Json.Serialization.Metadata;
using LocalStack.Persistence.SampleEmulator.DynamoDb;
using LocalStack.Persistence.SampleEmulator.S3;
using LocalStack.Persistence.SampleEmulator.Sqs;
using LocalStack.Persistence.SampleEmulator.Tests.Golden;
using LocalStack.Persistence.Testing;

namespace LocalStack.Persistence.SampleEmulator.Tests.Kit;

/// <summary>
/// Each provider's golden sets through the kit (<see cref="ProviderGoldenSets"/>, in <c>Golden/Providers</c>): today's
/// schema version has a set whose fingerprint (of the persisted type) is today's, and every set loads into today's
/// provider. With <c>LSP_REGENERATE_GOLDEN=1</c> a missing set is recorded into the source tree instead (never over an
/// existing one). The whole-emulator sets of <c>Golden/Sets</c> are checked by <see cref="GoldenSchemaTests"/>.
/// </summary>
public sealed class SampleProviderGoldenSetTests : IDisposable
{
    private readonly SampleProviders _providers = new();

    public static IEnumerable<string> Services => SampleProviders.Services;

    private static string OutputFolder => Path.Combine(AppContext.BaseDirectory, "Golden", "Providers");

    [TearDown]
    public void Dispose() => _providers.Dispose();

    [TestCaseSource(nameof(Services))]
    public async Task Todays_schema_has_a_golden_set_with_its_fingerprint(string service)
    {
        var provider = _providers.CreateWithState(service);
        var source = Path.Combine(Path.GetDirectoryName(ThisFile())!, "..", "Golden", "Providers");
        if (GoldenSets.Regenerating && !Directory.Exists(Path.Combine(source, ProviderGoldenSets.SetName(service, provider.SchemaVersion))))
        {
            var written = await ProviderGoldenSets.RecordAsync(provider, source, StateType(service));
            Assert.Pass($"Golden set written to {written}; commit it.");
        }

        await ProviderGoldenSets.CheckSchemaAsync(provider, OutputFolder, StateType(service));
    }

    [TestCaseSource(nameof(Services))]
    public Task Every_golden_set_loads_into_todays_provider_and_saves_again(string service)
        => ProviderGoldenSets.CheckRestoreAsync(OutputFolder, () => _providers.CreateEmpty(service));

    /// <summary>The persisted type of each service (SQS: the state of one account and region; the outer map is the library's converter).</summary>
    private static JsonTypeInfo StateType(string service) => service switch
    {
        "s3" => S3JsonContext.Default.S3StateDocument,
        "sqs" => SqsJsonContext.Default.SqsStore,
        "dynamodb" => DynamoDbJsonContext.Default.DynamoDbSnapshotState,
        _ => throw new ArgumentOutOfRangeException(nameof(service)),
    };

    private static string ThisFile([CallerFilePath] string path = "") => path;
}
