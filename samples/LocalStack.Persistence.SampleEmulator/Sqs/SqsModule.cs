using LocalStack.Persistence.SampleEmulator.Aws;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

/// <summary>Registers the emulated SQS service: its live state, its state provider and its request handler.</summary>
internal static class SqsModule
{
    public const string ServiceName = "sqs";

    public static SnapshotPersistenceBuilder AddSqs(this SnapshotPersistenceBuilder persistence)
    {
        persistence.Services.AddSingleton<SqsBackend>();
        persistence.AddServiceState<SqsStateProvider>();
        persistence.Services.AddSingleton<IAwsServiceHandler, SqsHandler>();
        return persistence;
    }
}
