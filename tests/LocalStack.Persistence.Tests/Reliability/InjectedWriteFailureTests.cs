using LocalStack.Persistence.Coordination;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Strategies;
using LocalStack.Persistence.Tests.Coordination;
using LocalStack.Persistence.Tests.State;
using LocalStack.Persistence.Tests.Storage;
using LocalStack.Persistence.Tests.Support;
using static LocalStack.Persistence.Tests.Storage.RecordingFileSystem;

namespace LocalStack.Persistence.Tests.Reliability;

/// <summary>
/// Reliability cases 8 and 9 with failures injected through the store's file-system seam, seen from the snapshot
/// manager (what the caller, the status, the metrics and the log say) and from the snapshotter (what happens to assets).
/// The store-level checks of the same failures are in <see cref="FileSystemSnapshotStoreTests"/>.
/// </summary>
public sealed class InjectedWriteFailureTests : IDisposable
{
    private const string Service = "inject-probe";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private TempDirectory _dir = null!;
    private RecordingFileSystem _fileSystem = null!;
    private FileSystemSnapshotStore _store = null!;

    private string StateFile => Path.Combine(_store.StateDirectory, "api_states", Service, "store.state");

    private string ServiceFolder => Path.GetDirectoryName(StateFile)!;

    [SetUp]
    public void Open()
    {
        _dir = new TempDirectory();
        _fileSystem = new RecordingFileSystem();
        _store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = Path.Combine(_dir.Path, "state") }, TimeProvider.System, _fileSystem);
    }

    [TearDown]
    public void Dispose()
    {
        _store.Dispose();
        _dir.Dispose();
    }

    [Test]
    public async Task A_failed_fsync_of_the_temp_file_is_never_retried_nothing_is_renamed_and_the_next_save_writes_a_new_file()
    {
        using var probe = new ManagerProbe(Service);
        var (manager, provider) = await StartWithOneSaveAsync(probe);
        await using var _ = manager;
        var lastGood = await File.ReadAllBytesAsync(StateFile);
        var error = await ChangeThenSaveFailingAsync(manager, provider, "unsaved", op => op.Name == FlushToDiskOp, "fsync");

        var operations = _fileSystem.Operations;
        var temp = operations.Single(o => o.Name == CreateNewFileOp).Path;
        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Does.Contain("injected fsync failure"));
            Assert.That(operations.Count(o => o.Name == FlushToDiskOp), Is.EqualTo(1), "one fsync, never retried (neither by the store nor by the manager)");
            Assert.That(operations.Any(o => o.Name == MoveOp), Is.False, "no rename is attempted after a failed fsync");
            Assert.That(operations[^1], Is.EqualTo(new FileSystemOperation(DeleteFileOp, temp)), "the temp file is deleted");
            Assert.That(File.Exists(temp), Is.False);
            Assert.That(File.ReadAllBytes(StateFile), Is.EqualTo(lastGood));
            Assert.That(manager.GetStatus(Service).LastError, Does.Contain("injected fsync failure"));
            Assert.That(manager.GetStatus(Service).Dirty, Is.True);
            Assert.That(probe.Failures, Is.EqualTo(new object?[] { "save" }));
            Assert.That(probe.Errors.Single().Exception, Is.SameAs(error));
        });

        _fileSystem.Fail = null;
        await manager.SaveAsync(Service).AsTask().WaitAsync(Patience);

        var flushed = _fileSystem.Operations.Where(o => o.Name == FlushToDiskOp).Select(o => o.Path).ToList();
        Assert.That(flushed, Has.Count.EqualTo(2).And.Unique, "the retry is a new save into a new temp file, not a second fsync of the failed one");
        Assert.That(await ReadStoredAsync(), Is.EqualTo(new[] { "first", "unsaved" }));
    }

    [Test]
    public async Task A_failed_rename_deletes_the_temp_file_keeps_the_last_good_file_and_is_reported()
    {
        using var probe = new ManagerProbe(Service);
        var (manager, provider) = await StartWithOneSaveAsync(probe);
        await using var _ = manager;
        var lastGood = await File.ReadAllBytesAsync(StateFile);
        var error = await ChangeThenSaveFailingAsync(manager, provider, "unsaved", op => op.Name == MoveOp, "rename");

        var operations = _fileSystem.Operations;
        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Does.Contain("injected rename failure"));
            Assert.That(operations.Select(o => o.Name), Is.EqualTo(new[] { CreateNewFileOp, FlushToDiskOp, MoveOp, DeleteFileOp }));
            Assert.That(operations[3].Path, Is.EqualTo(operations[0].Path), "the temp file is deleted");
            Assert.That(Directory.GetFiles(ServiceFolder), Is.EqualTo(new[] { StateFile }), "no temp file is left");
            Assert.That(File.ReadAllBytes(StateFile), Is.EqualTo(lastGood));
            Assert.That(manager.GetStatus(Service).LastError, Does.Contain("injected rename failure"));
            Assert.That(manager.GetStatus(Service).Dirty, Is.True);
            Assert.That(probe.Failures, Is.EqualTo(new object?[] { "save" }));
        });
    }

    /// <summary>
    /// After the rename the new file is committed and cannot be taken back: the store reports the folder fsync's error
    /// (the rename may not survive a power loss), never retries that fsync, and the manager keeps the service dirty so
    /// the next save writes and fsyncs again.
    /// </summary>
    [Test]
    public async Task A_failed_folder_fsync_after_the_rename_is_reported_not_retried_and_the_service_stays_dirty()
    {
        using var probe = new ManagerProbe(Service);
        var (manager, provider) = await StartWithOneSaveAsync(probe);
        await using var _ = manager;
        var error = await ChangeThenSaveFailingAsync(
            manager, provider, "renamed-but-not-fsynced", op => op.Name == FlushDirectoryOp && op.Path == ServiceFolder, "folder fsync");

        var operations = _fileSystem.Operations;
        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Does.Contain("injected folder fsync failure"));
            Assert.That(operations.Select(o => o.Name), Is.EqualTo(new[] { CreateNewFileOp, FlushToDiskOp, MoveOp, FlushDirectoryOp }), "one folder fsync, not retried, and nothing undone");
            Assert.That(manager.GetStatus(Service).LastError, Does.Contain("injected folder fsync failure"));
            Assert.That(manager.GetStatus(Service).Dirty, Is.True, "the save is not acknowledged, so the change is saved again");
            Assert.That(probe.Failures, Is.EqualTo(new object?[] { "save" }));
        });
        Assert.That(await ReadStoredAsync(), Is.EqualTo(new[] { "first", "renamed-but-not-fsynced" }), "the renamed file is the committed snapshot");

        _fileSystem.Fail = null;
        _fileSystem.Clear();
        var saved = await manager.SaveAsync(Service).AsTask().WaitAsync(Patience);

        Assert.That(_fileSystem.Operations.Select(o => o.Name), Is.EqualTo(new[] { CreateNewFileOp, FlushToDiskOp, MoveOp, FlushDirectoryOp }));
        Assert.That(saved.Generation, Is.EqualTo(3));
        Assert.That(manager.GetStatus(Service).Dirty, Is.False);
        Assert.That(manager.GetStatus(Service).LastError, Is.Null);
    }

    [Test]
    public async Task A_failed_folder_fsync_after_the_rename_keeps_the_assets_of_the_generation_it_committed()
    {
        var snapshotter = new ServiceSnapshotter(_store);
        var provider = new RecordingProvider(Service, []) { Value = "v1" };
        provider.OnCapture = async (context, ct) => await context.StageAsync("data.txt", async (path, t) => await File.WriteAllTextAsync(path, provider.Value, t), ct);
        await snapshotter.SaveAsync(provider);
        provider.Value = "v2";
        _fileSystem.Fail = op => op.Name == FlushDirectoryOp && op.Path == ServiceFolder ? new IOException("injected folder fsync failure (EIO)") : null;

        await Assert.ThrowsAsync<IOException>(async () => await snapshotter.SaveAsync(provider));

        _fileSystem.Fail = null;
        string? asset = null;
        var loaded = new RecordingProvider(Service, []) { OnRestore = async (context, ct) => asset = await File.ReadAllTextAsync(context.GetAssetPath("data.txt")!, ct) };
        var metadata = await snapshotter.LoadAsync(loaded);
        Assert.That(metadata!.Generation, Is.EqualTo(2));
        Assert.That(loaded.Value, Is.EqualTo("v2"));
        Assert.That(asset, Is.EqualTo("v2"), "state and assets of the same save: the committed generation's folder was not removed as if the save had failed");
    }

    [Test]
    public async Task A_failed_fsync_of_a_staged_asset_commits_nothing_and_keeps_the_previous_generation()
    {
        var snapshotter = new ServiceSnapshotter(_store);
        var provider = new RecordingProvider(Service, []) { Value = "v1" };
        provider.OnCapture = async (context, ct) => await context.StageAsync("data.txt", async (path, t) => await File.WriteAllTextAsync(path, provider.Value, t), ct);
        await snapshotter.SaveAsync(provider);
        var lastGood = await File.ReadAllBytesAsync(StateFile);
        provider.Value = "v2";
        _fileSystem.Clear();
        _fileSystem.Fail = op => op.Name == FlushFileToDiskOp ? new IOException("injected asset fsync failure (EIO)") : null;

        await Assert.ThrowsAsync<IOException>(async () => await snapshotter.SaveAsync(provider));

        Assert.That(_fileSystem.Operations.Count(o => o.Name == FlushFileToDiskOp), Is.EqualTo(1), "not retried");
        Assert.That(_fileSystem.Operations.Any(o => o.Name is CreateNewFileOp or MoveOp), Is.False, "no state file is written after a failed asset fsync");
        Assert.That(await File.ReadAllBytesAsync(StateFile), Is.EqualTo(lastGood));
        Assert.That(_store.GetAssetGenerationDirectory(Service, 2), Is.Null, "the staged generation is removed");
        _fileSystem.Fail = null;
        string? asset = null;
        var loaded = new RecordingProvider(Service, []) { OnRestore = async (context, ct) => asset = await File.ReadAllTextAsync(context.GetAssetPath("data.txt")!, ct) };
        await snapshotter.LoadAsync(loaded);
        Assert.That((loaded.Value, asset), Is.EqualTo(("v1", "v1")));
    }

    /// <summary>Makes one change, then a save in which the operations <paramref name="failing"/> picks fail with an injected EIO.</summary>
    private async Task<IOException> ChangeThenSaveFailingAsync(
        SnapshotManager manager, TestProvider provider, string change, Func<FileSystemOperation, bool> failing, string what)
    {
        await MutateAsync(manager, provider, change);
        _fileSystem.Clear();
        _fileSystem.Fail = op => failing(op) ? new IOException($"injected {what} failure (EIO)") : null;
        return (await Assert.ThrowsAsync<IOException>(async () => await manager.SaveAsync(Service).AsTask().WaitAsync(Patience)))!;
    }

    private async Task<(SnapshotManager Manager, TestProvider Provider)> StartWithOneSaveAsync(ManagerProbe probe)
    {
        var provider = new TestProvider(Service);
        var manager = new SnapshotManager([provider], _store, new ManualSaveStrategy(), new OnRequestLoadStrategy(), TimeProvider.System, probe.LoggerFactory);
        await MutateAsync(manager, provider, "first");
        await manager.SaveAsync(Service).AsTask().WaitAsync(Patience);
        return (manager, provider);
    }

    private static async Task MutateAsync(SnapshotManager manager, TestProvider provider, string item)
    {
        var scope = await manager.BeginRequestAsync(Service, mutating: true).AsTask().WaitAsync(Patience);
        provider.Add(item);
        await scope.DisposeAsync().AsTask().WaitAsync(Patience);
    }

    private async Task<string[]> ReadStoredAsync()
    {
        var reader = new TestProvider(Service);
        await new ServiceSnapshotter(_store).LoadAsync(reader).AsTask().WaitAsync(Patience);
        return reader.Items;
    }
}
