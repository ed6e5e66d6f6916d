using LocalStack.Persistence.SampleEmulator.Aws;

namespace LocalStack.Persistence.SampleEmulator.DynamoDb;

/// <summary>Registers the emulated dynamodb service: its state provider(s) and its request handler.</summary>
internal static class DynamoDbModule
{
    public const string ServiceName = "dynamodb";

    public static SnapshotPersistenceBuilder AddDynamoDb(this SnapshotPersistenceBuilder persistence)
    {
        // PLACEHOLDER until the dynamodb helper lands: no state, every request answered 501.
        persistence.Services.AddSingleton<IAwsServiceHandler, DynamoDbHandler>();
        return persistence;
    }
}

internal sealed class DynamoDbHandler : IAwsServiceHandler
{
    public string ServiceName => DynamoDbModule.ServiceName;

    public Task HandleAsync(AwsRequestContext request)
        => AwsJsonProtocol.WriteErrorAsync(request.Http, StatusCodes.Status501NotImplemented, "InternalFailure", "not implemented yet");
}
