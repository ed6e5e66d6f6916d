// A throwaway consumer of the LocalStack.Persistence package: one save, then one load into a fresh provider.
using System.Text.Json.Serialization;
using LocalStack.Persistence;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;

var stateDirectory = Path.Combine(args.Length > 0 ? args[0] : Path.GetTempPath(), "state");

using (var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = stateDirectory }))
{
    var queues = new QueueState();
    queues.Queues["orders"] = 3;
    await new ServiceSnapshotter(store).SaveAsync(queues);
}

using (var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = stateDirectory }))
{
    var restored = new QueueState();
    var metadata = await new ServiceSnapshotter(store).LoadAsync(restored)
        ?? throw new InvalidOperationException("no snapshot was found after the save");
    if (restored.Queues.GetValueOrDefault("orders") != 3)
    {
        throw new InvalidOperationException("the loaded state differs from the saved one");
    }

    Console.WriteLine($"consumer: saved and loaded '{metadata.ServiceName}' generation {metadata.Generation}, {metadata.FileLength} bytes at {metadata.Location}");
}

internal sealed class QueueState() : JsonServiceStateProvider<QueueModel>("sqs", ConsumerJsonContext.Default.QueueModel)
{
    public Dictionary<string, int> Queues { get; } = new();

    protected override QueueModel Capture() => new(new Dictionary<string, int>(Queues));

    protected override void Restore(QueueModel state)
    {
        Queues.Clear();
        foreach (var (name, count) in state.Queues)
        {
            Queues[name] = count;
        }
    }

    protected override void Reset() => Queues.Clear();
}

internal sealed record QueueModel(Dictionary<string, int> Queues);

[JsonSerializable(typeof(QueueModel))]
internal sealed partial class ConsumerJsonContext : JsonSerializerContext;
