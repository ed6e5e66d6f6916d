using LocalStack.Persistence.SampleEmulator.Sqs;
using LocalStack.Persistence.Storage;
using Microsoft.Extensions.Time.Testing;

namespace LocalStack.Persistence.SampleEmulator.Tests.Sqs;

/// <summary>
/// The SQS provider (keyed records): a load or reset replaces the live stores in place and wakes
/// the long polls of every queue it replaced (they hold the old queue object and must not wait on it).
/// </summary>
public sealed class SqsStateProviderTests
{
    private const string Account = "000000000000";
    private const string Region = "us-east-1";

    [Test]
    public async Task A_load_replaces_the_live_queues_and_wakes_the_long_polls_of_the_old_ones()
    {
        using var dir = new TempDirectory();
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = dir.Path });
        var snapshotter = new ServiceSnapshotter(store);
        var backend = new SqsBackend(new FakeTimeProvider());
        var provider = new SqsStateProvider(backend);
        AddQueue(backend, "orders");
        await snapshotter.SaveAsync(provider);

        var live = backend.Stores;
        var old = backend.GetQueue(Account, Region, "orders");
        var poll = old.Changed;
        await snapshotter.LoadAsync(provider);

        Assert.That(backend.Stores, Is.SameAs(live));
        Assert.That(old.Deleted, Is.True);
        Assert.That(poll.IsCompleted, Is.True, "a long poll waiting on the replaced queue is woken");
        var restored = backend.GetQueue(Account, Region, "orders");
        Assert.That(restored, Is.Not.SameAs(old));
        Assert.That(restored.Deleted, Is.False);

        poll = restored.Changed;
        await snapshotter.ResetAsync(provider);
        Assert.That(backend.Stores.Count, Is.Zero);
        Assert.That(restored.Deleted, Is.True);
        Assert.That(poll.IsCompleted, Is.True);
    }

    [Test]
    public async Task A_state_the_handlers_cannot_serve_is_refused_naming_the_queue_and_its_problem()
    {
        using var dir = new TempDirectory();
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = dir.Path });
        var snapshotter = new ServiceSnapshotter(store);
        var source = new SqsBackend(new FakeTimeProvider());
        AddQueue(source, "orders").Name = "other";
        await snapshotter.SaveAsync(new SqsStateProvider(source));

        var backend = new SqsBackend(new FakeTimeProvider());
        var live = AddQueue(backend, "kept");
        await Assert.ThatAsync(async () => await snapshotter.LoadAsync(new SqsStateProvider(backend)),
            Throws.InstanceOf<SnapshotCorruptException>().With.Message.Contains("queue 'orders' of account 000000000000 in us-east-1 names itself 'other'"));

        // A keyed load empties the live state before it applies records (KeyedStateProvider.Clear): after a refusal the
        // service is faulted (nothing serves or saves it), and the queue it held is retired, its long polls woken.
        Assert.That(backend.Stores.Count, Is.Zero);
        Assert.That(live.Deleted, Is.True);
    }

    private static SqsQueue AddQueue(SqsBackend backend, string name)
    {
        var queue = new SqsQueue { Name = name, AccountId = Account, Region = Region, Attributes = SqsAttributes.Defaults(fifo: false) };
        var store = backend.Stores.GetOrCreate(Account, Region);
        lock (store.Sync)
        {
            store.Queues[name] = queue;
        }

        return queue;
    }
}
