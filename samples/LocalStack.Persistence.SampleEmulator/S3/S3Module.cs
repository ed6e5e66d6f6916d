using LocalStack.Persistence.SampleEmulator.Aws;

namespace LocalStack.Persistence.SampleEmulator.S3;

/// <summary>Registers the emulated s3 service: its state provider and its request handler.</summary>
internal static class S3Module
{
    public const string ServiceName = "s3";

    public static SnapshotPersistenceBuilder AddS3(this SnapshotPersistenceBuilder persistence)
    {
        var services = persistence.Services;
        services.AddSingleton<S3Store>();
        services.AddSingleton<BucketOperations>();
        services.AddSingleton<ObjectOperations>();
        services.AddSingleton<ListOperations>();
        services.AddSingleton<MultipartOperations>();
        persistence.AddServiceState<S3StateProvider>();
        services.AddSingleton<IAwsServiceHandler, S3Handler>();
        return persistence;
    }
}
