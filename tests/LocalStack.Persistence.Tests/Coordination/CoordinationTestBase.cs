using LocalStack.Persistence.Coordination;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Strategies;
using LocalStack.Persistence.Tests.State;
using Microsoft.Extensions.Time.Testing;

namespace LocalStack.Persistence.Tests.Coordination;

/// <summary>
/// The store test base (fresh state folder, real store) plus a fake clock and the managers a test creates, disposed after
/// it and before the store.
/// </summary>
public abstract class CoordinationTestBase : StoreTestBase
{
    /// <summary>Bounds every wait of a test, so that a bug shows as a failure rather than a hang.</summary>
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly List<SnapshotManager> _managers = [];

    protected FakeTimeProvider Time { get; private set; } = null!;

    [SetUp]
    public void CreateClock() => Time = new FakeTimeProvider(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero));

    // NUnit runs this before the base class's teardown, so managers are gone before their store is released.
    [TearDown]
    public async Task DisposeManagers()
    {
        foreach (var manager in _managers)
        {
            await manager.DisposeAsync().AsTask().WaitAsync(Patience);
        }

        _managers.Clear();
    }

    private protected SnapshotManager CreateManager(
        IEnumerable<IServiceStateProvider> providers,
        ISaveStrategy? save = null,
        ILoadStrategy? load = null,
        bool readOnly = false,
        bool disabled = false,
        TimeSpan commitDelay = default)
    {
        var manager = new SnapshotManager(
            providers,
            disabled ? null : Store,
            save ?? new ManualSaveStrategy(),
            load ?? new OnRequestLoadStrategy(),
            Time,
            readOnly: readOnly,
            commitDelay: commitDelay);
        _managers.Add(manager);
        return manager;
    }

    /// <summary>What is durable for a service: loaded by a fresh snapshotter into a fresh provider; null when there is no snapshot.</summary>
    private protected async Task<string[]?> ReadStoredAsync(string serviceName)
    {
        var reader = new TestProvider(serviceName, schemaVersion: int.MaxValue);
        var metadata = await new ServiceSnapshotter(Store).LoadAsync(reader).AsTask().WaitAsync(Patience);
        return metadata is null ? null : reader.Items;
    }

    /// <summary>Stores a snapshot of a service, as a previous run would have.</summary>
    private protected async Task<SnapshotMetadata> SeedAsync(string serviceName, int schemaVersion, params string[] items)
    {
        var provider = new TestProvider(serviceName, schemaVersion);
        foreach (var item in items)
        {
            provider.Add(item);
        }

        return await new ServiceSnapshotter(Store).SaveAsync(provider).AsTask().WaitAsync(Patience);
    }

    private protected static string StateFile(SnapshotMetadata metadata) => metadata.Location;

    /// <summary>Waits for a state the code under test reaches on its own (not for time to pass).</summary>
    private protected static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > Patience)
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }

            await Task.Delay(1);
        }
    }

    private protected static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private protected static async Task<T> Within<T>(ValueTask<T> task) => await task.AsTask().WaitAsync(Patience);

    private protected static async Task Within(ValueTask task) => await task.AsTask().WaitAsync(Patience);

    private protected static async Task Within(Task task) => await task.WaitAsync(Patience);

    private protected static async Task<T> Within<T>(Task<T> task) => await task.WaitAsync(Patience);

    /// <summary>One mutating request that adds an item, acknowledged when its scope's dispose returns.</summary>
    private protected static async Task MutateAsync(SnapshotManager manager, TestProvider provider, string item)
    {
        var scope = await manager.BeginRequestAsync(provider.ServiceName, mutating: true).AsTask().WaitAsync(Patience);
        provider.Add(item);
        await scope.DisposeAsync().AsTask().WaitAsync(Patience);
    }
}
