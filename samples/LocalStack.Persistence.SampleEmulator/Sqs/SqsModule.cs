using LocalStack.Persistence.SampleEmulator.Aws;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

/// <summary>Registers the emulated sqs service: its state provider(s) and its request handler.</summary>
internal static class SqsModule
{
    public const string ServiceName = "sqs";

    public static SnapshotPersistenceBuilder AddSqs(this SnapshotPersistenceBuilder persistence)
    {
        // PLACEHOLDER until the sqs helper lands: no state, every request answered 501.
        persistence.Services.AddSingleton<IAwsServiceHandler, SqsHandler>();
        return persistence;
    }
}

internal sealed class SqsHandler : IAwsServiceHandler
{
    public string ServiceName => SqsModule.ServiceName;

    public Task HandleAsync(AwsRequestContext request)
        => AwsJsonProtocol.WriteErrorAsync(request.Http, StatusCodes.Status501NotImplemented, "InternalFailure", "not implemented yet");
}
