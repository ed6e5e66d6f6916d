using LocalStack.Persistence.SampleEmulator.Aws;

namespace LocalStack.Persistence.SampleEmulator.S3;

/// <summary>Registers the emulated s3 service: its state provider(s) and its request handler.</summary>
internal static class S3Module
{
    public const string ServiceName = "s3";

    public static SnapshotPersistenceBuilder AddS3(this SnapshotPersistenceBuilder persistence)
    {
        // PLACEHOLDER until the s3 helper lands: no state, every request answered 501.
        persistence.Services.AddSingleton<IAwsServiceHandler, S3Handler>();
        return persistence;
    }
}

internal sealed class S3Handler : IAwsServiceHandler
{
    public string ServiceName => S3Module.ServiceName;

    public Task HandleAsync(AwsRequestContext request)
        => AwsJsonProtocol.WriteErrorAsync(request.Http, StatusCodes.Status501NotImplemented, "InternalFailure", "not implemented yet");
}
