using LocalStack.Persistence.SampleEmulator.Aws;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb;

/// <summary>Registers the emulated dynamodb service: its SQLite storage, its state provider and its request handler.</summary>
internal static class DynamoDbModule
{
    public const string ServiceName = "dynamodb";

    public static SnapshotPersistenceBuilder AddDynamoDb(this SnapshotPersistenceBuilder persistence)
    {
        persistence.Services.AddSingleton<DynamoDbStorage>();
        persistence.AddServiceState<DynamoDbStateProvider>();
        persistence.Services.AddSingleton<IAwsServiceHandler, DynamoDbHandler>();
        return persistence;
    }
}
