using LocalStack.Persistence.Coordination;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Strategies;
using LocalStack.Persistence.Tests.Coordination;
using LocalStack.Persistence.Tests.Storage;

namespace LocalStack.Persistence.Tests.Reliability;

/// <summary>
/// Reliability case 8, read-only folder: a state folder on a file system remounted read-only (as a volume mounted
/// <c>:ro</c>) opens, loads the snapshot saved before, and refuses saves with a clear error; nothing on it changes.
/// </summary>
[NonParallelizable]
public sealed class ReadOnlyFolderTests
{
    private const string Service = "readonly-probe";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly List<IAsyncDisposable> _disposables = [];
    private Tmpfs _tmpfs = null!; // stays null when the mount is refused: the teardown must not turn the ignore into a failure

    private string StateDirectory => Path.Combine(_tmpfs.Path, "state");

    private string ServiceFolder => Path.Combine(StateDirectory, "api_states", Service);

    [SetUp]
    public void Mount() => _tmpfs = Tmpfs.MountOrIgnore(2 * 1024 * 1024);

    [TearDown]
    public async Task Unmount()
    {
        foreach (var disposable in Enumerable.Reverse(_disposables))
        {
            await disposable.DisposeAsync();
        }

        _disposables.Clear();
        _tmpfs?.Dispose();
    }

    [Test]
    public async Task A_read_only_state_folder_loads_the_last_snapshot_and_refuses_saves_with_a_clear_error_changing_nothing()
    {
        var saved = await SaveWhileWritableAsync("saved-before-remount", "second-item");
        var leftover = Path.Combine(ServiceFolder, "store.state.0123456789abcdef0123456789abcdef.tmp");
        await File.WriteAllTextAsync(leftover, "a write a killed process never finished");
        _tmpfs.RemountReadOnly();
        var before = StoreTestData.Tree(StateDirectory);

        var store = Open();
        var probe = new ManagerProbe(Service);
        _disposables.Add(new Disposing(probe));
        var provider = new TestProvider(Service);
        var manager = Track(new SnapshotManager([provider], store, new ManualSaveStrategy(), new OnRequestLoadStrategy(), TimeProvider.System, probe.LoggerFactory));

        var loaded = await manager.LoadAsync(Service).AsTask().WaitAsync(Patience);
        Assert.That(loaded?.Generation, Is.EqualTo(saved.Generation));
        Assert.That(provider.Items, Is.EqualTo(new[] { "saved-before-remount", "second-item" }));

        var scope = await manager.BeginRequestAsync(Service, mutating: true).AsTask().WaitAsync(Patience);
        provider.Add("not-saved");
        await scope.DisposeAsync();
        var error = await Assert.ThrowsAsync<IOException>(async () => await manager.SaveAsync(Service).AsTask().WaitAsync(Patience));

        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Does.Contain("Read-only file system"));
            Assert.That(error.Message, Does.Contain(ServiceFolder), "the error names where it could not write");
            Assert.That(manager.GetStatus(Service).LastError, Does.Contain("Read-only file system"));
            Assert.That(probe.Failures, Is.EqualTo(new object?[] { "save" }));
            Assert.That(probe.Errors, Has.Count.EqualTo(1));
            Assert.That(StoreTestData.Tree(StateDirectory), Is.EqualTo(before), "nothing on the read-only folder changed, not even the leftover temp file");
        });
    }

    [Test]
    public async Task Read_only_mode_on_a_read_only_folder_serves_the_baseline()
    {
        await SaveWhileWritableAsync("baseline");
        _tmpfs.RemountReadOnly();
        var before = StoreTestData.Tree(StateDirectory);

        var provider = new TestProvider(Service);
        var manager = Track(new SnapshotManager([provider], Open(), new ManualSaveStrategy(), new OnStartupLoadStrategy(), TimeProvider.System, readOnly: true));
        await manager.LoadAllAsync().ToListAsync().AsTask().WaitAsync(Patience);

        Assert.That(provider.Items, Is.EqualTo(new[] { "baseline" }));
        Assert.That(StoreTestData.Tree(StateDirectory), Is.EqualTo(before));
    }

    [Test]
    public async Task A_read_only_folder_still_allows_only_one_store_at_a_time()
    {
        await SaveWhileWritableAsync("baseline");
        _tmpfs.RemountReadOnly();

        using var first = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = StateDirectory });
        var error = Assert.Throws<StateDirectoryLockedException>(() => new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = StateDirectory }));

        Assert.That(error!.StateDirectory, Is.EqualTo(StateDirectory));
    }

    [Test]
    public async Task A_read_only_folder_without_a_lock_file_still_loads()
    {
        await SaveWhileWritableAsync("baseline");
        File.Delete(Path.Combine(StateDirectory, ".lock"));
        _tmpfs.RemountReadOnly();

        var provider = new TestProvider(Service);
        await new ServiceSnapshotter(Open()).LoadAsync(provider).AsTask().WaitAsync(Patience);

        Assert.That(provider.Items, Is.EqualTo(new[] { "baseline" }));
        Assert.That(File.Exists(Path.Combine(StateDirectory, ".lock")), Is.False);
    }

    [Test]
    public void A_missing_state_folder_on_a_read_only_file_system_is_a_clear_error()
    {
        _tmpfs.RemountReadOnly();

        var error = Assert.Throws<IOException>(() => new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = StateDirectory }));

        Assert.That(error!.Message, Does.Contain("Read-only file system").And.Contain(StateDirectory));
    }

    private async Task<SnapshotMetadata> SaveWhileWritableAsync(params string[] items)
    {
        var provider = new TestProvider(Service);
        foreach (var item in items)
        {
            provider.Add(item);
        }

        // Closed again before the remount: the kernel refuses to remount read-only while a file is open for writing.
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = StateDirectory });
        return await new ServiceSnapshotter(store).SaveAsync(provider).AsTask().WaitAsync(Patience);
    }

    private FileSystemSnapshotStore Open()
    {
        var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = StateDirectory });
        _disposables.Add(new Disposing(store));
        return store;
    }

    private SnapshotManager Track(SnapshotManager manager)
    {
        // Disposed before the store it uses (the list is disposed in reverse).
        _disposables.Add(manager);
        return manager;
    }

    private sealed class Disposing(IDisposable inner) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            inner.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
