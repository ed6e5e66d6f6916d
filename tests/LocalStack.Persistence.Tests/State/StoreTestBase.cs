using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Tests.Support;

namespace LocalStack.Persistence.Tests.State;

/// <summary>A fresh state folder, store and snapshotter for every test.</summary>
public abstract class StoreTestBase : IDisposable
{
    private TempDirectory? _dir;
    private ISnapshotStore? _store;

    protected string StateDirectory => _dir!.Path;

    protected ISnapshotStore Store => _store!;

    protected ServiceSnapshotter Snapshotter { get; private set; } = null!;

    [SetUp]
    public void CreateStore()
    {
        _dir = new TempDirectory();
        _store = TestStores.Create(_dir.Path);
        Snapshotter = new ServiceSnapshotter(_store);
    }

    [TearDown]
    public void DeleteStore() => Dispose();

    /// <summary>Releases the store (and its lock) and opens a new one on the same folder, as a restarted process would.</summary>
    protected ISnapshotStore ReopenStore()
    {
        TestStores.Release(_store!);
        _store = TestStores.Create(_dir!.Path);
        Snapshotter = new ServiceSnapshotter(_store);
        return _store;
    }

    public void Dispose()
    {
        if (_store is not null)
        {
            TestStores.Release(_store);
            _store = null;
        }

        _dir?.Dispose();
        _dir = null;
        GC.SuppressFinalize(this);
    }
}
