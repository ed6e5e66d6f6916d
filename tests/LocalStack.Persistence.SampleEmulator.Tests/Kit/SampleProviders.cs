using LocalStack.Persistence.SampleEmulator.Aws;
using LocalStack.Persistence.SampleEmulator.DynamoDb;
using LocalStack.Persistence.SampleEmulator.S3;
using LocalStack.Persistence.SampleEmulator.Sqs;
using LocalStack.Persistence.SampleEmulator.Tests.Golden;
using LocalStack.Persistence.State;
using Microsoft.Extensions.Time.Testing;

namespace LocalStack.Persistence.SampleEmulator.Tests.Kit;

/// <summary>
/// The sample's three state providers built in process, without a server, each with working folders of its own (as the
/// emulator has with persistence off): empty, or holding <see cref="SampleWorkload"/>'s state. Dispose releases every provider made so far; the instance
/// can be used again afterwards.
/// </summary>
internal sealed class SampleProviders : IDisposable
{
    private readonly List<IDisposable> _resources = [];

    /// <summary>A fixed instant for every clock: no test depends on today's date.</summary>
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public static IEnumerable<string> Services => GoldenSets.Services;

    /// <summary>A new, empty provider of <paramref name="service"/>.</summary>
    public IServiceStateProvider CreateEmpty(string service) => Create(service, withState: false);

    /// <summary>A new provider of <paramref name="service"/> holding <see cref="SampleWorkload"/>'s state.</summary>
    public IServiceStateProvider CreateWithState(string service) => Create(service, withState: true);

    private IServiceStateProvider Create(string service, bool withState)
    {
        var directories = Track(new WorkingDirectories(new NoServices()));
        var time = new FakeTimeProvider(Start);
        switch (service)
        {
            case "s3":
                var s3 = new S3Store(directories);
                if (withState)
                {
                    SampleWorkload.PutS3(s3, time.GetUtcNow());
                }

                return new S3StateProvider(s3);
            case "sqs":
                var backend = new SqsBackend(time);
                if (withState)
                {
                    SampleWorkload.PutSqsAsync(backend).GetAwaiter().GetResult();
                }

                return new SqsStateProvider(backend);
            case "dynamodb":
                var storage = Track(new DynamoDbStorage(directories));
                if (withState)
                {
                    SampleWorkload.PutDynamoDbAsync(storage, time).GetAwaiter().GetResult();
                }

                return new DynamoDbStateProvider(storage);
            default:
                throw new ArgumentOutOfRangeException(nameof(service));
        }
    }

    public void Dispose()
    {
        // Databases before the folders that hold them.
        for (var i = _resources.Count - 1; i >= 0; i--)
        {
            _resources[i].Dispose();
        }

        _resources.Clear();
    }

    private T Track<T>(T resource)
        where T : IDisposable
    {
        _resources.Add(resource);
        return resource;
    }

    /// <summary>No snapshot store: <see cref="WorkingDirectories"/> then gives each service a temporary folder of its own.</summary>
    private sealed class NoServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}
