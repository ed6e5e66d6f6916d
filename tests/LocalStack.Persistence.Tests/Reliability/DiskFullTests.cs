using LocalStack.Persistence.Coordination;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Strategies;
using LocalStack.Persistence.Tests.Coordination;
using Microsoft.Extensions.Logging;

namespace LocalStack.Persistence.Tests.Reliability;

/// <summary>
/// Reliability case 8, disk full: a real ENOSPC from a 2 MiB tmpfs under a real store and manager. The caller, the
/// service status, the metrics and the log all say what happened; the last good snapshot is byte-identical; no temp
/// file is left; the next save succeeds once space is back.
/// </summary>
[NonParallelizable]
public sealed class DiskFullTests
{
    private const string Service = "diskfull-probe";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private Tmpfs _tmpfs = null!; // stays null when the mount is refused: the teardown must not turn the ignore into a failure

    private string StateDirectory => Path.Combine(_tmpfs.Path, "state");

    private string StateFile => Path.Combine(StateDirectory, "api_states", Service, "store.state");

    [SetUp]
    public void Mount() => _tmpfs = Tmpfs.MountOrIgnore(2 * 1024 * 1024);

    [TearDown]
    public void Unmount() => _tmpfs?.Dispose();

    /// <param name="freeBytes">Space left after filling: none (the flush fails) or 64 KiB (a write of the payload fails midway).</param>
    [TestCase(0)]
    [TestCase(64 * 1024)]
    public async Task A_save_that_hits_ENOSPC_is_reported_everywhere_keeps_the_last_good_file_and_the_next_save_succeeds_once_space_is_back(int freeBytes)
    {
        using var probe = new ManagerProbe(Service);
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = StateDirectory });
        var provider = new TestProvider(Service);
        await using var manager = new SnapshotManager([provider], store, new ManualSaveStrategy(), new OnRequestLoadStrategy(), TimeProvider.System, probe.LoggerFactory);
        await MutateAsync(manager, provider, "first-good-item");
        await manager.SaveAsync(Service).AsTask().WaitAsync(Patience);
        var lastGood = await File.ReadAllBytesAsync(StateFile);

        _tmpfs.Fill(freeBytes);
        await MutateAsync(manager, provider, Incompressible(seed: 1, bytes: 300 * 1024));

        var error = await Assert.ThrowsAsync<IOException>(async () => await manager.SaveAsync(Service).AsTask().WaitAsync(Patience));

        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Does.Contain("No space left on device"));
            Assert.That(error.Message, Does.Contain(Path.GetDirectoryName(StateFile)), "the error names the file it could not write");
            var status = manager.GetStatus(Service);
            Assert.That(status.LastError, Does.Contain("No space left on device"));
            Assert.That(status.Dirty, Is.True, "the unsaved change is still pending");
            Assert.That(probe.Failures, Is.EqualTo(new object?[] { "save" }));
            Assert.That(probe.SaveOutcomes, Is.EqualTo(new object?[] { "ok", "error" }));
            var logged = probe.Errors.Single();
            Assert.That(logged.Level, Is.EqualTo(LogLevel.Error));
            Assert.That(logged.Message, Does.Contain(Service));
            Assert.That(logged.Exception, Is.SameAs(error));
            Assert.That(File.ReadAllBytes(StateFile), Is.EqualTo(lastGood), "the last good snapshot is byte-identical");
            Assert.That(TempFiles(), Is.Empty, "no temp file is left");
        });

        File.Delete(_tmpfs.FillerPath);
        var saved = await manager.SaveAsync(Service).AsTask().WaitAsync(Patience);

        Assert.That(saved.Generation, Is.EqualTo(3), "generation 2 was spent on the failed save and is never reused");
        Assert.That(manager.GetStatus(Service).LastError, Is.Null);
        Assert.That(manager.GetStatus(Service).Dirty, Is.False);
        Assert.That(TempFiles(), Is.Empty);
        var reloaded = new TestProvider(Service);
        await new ServiceSnapshotter(store).LoadAsync(reloaded).AsTask().WaitAsync(Patience);
        Assert.That(reloaded.Items, Is.EqualTo(provider.Items));
    }

    /// <summary>A corrupt snapshot on a full disk: the bytes cannot be copied aside, but the load still fails with the typed error and nothing is lost.</summary>
    [Test]
    public async Task A_corrupt_snapshot_on_a_full_disk_is_still_reported_as_corrupt_and_left_in_place()
    {
        using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = StateDirectory });
        var provider = new TestProvider(Service);
        provider.Add("item");
        await new ServiceSnapshotter(store).SaveAsync(provider).AsTask().WaitAsync(Patience);
        var damaged = await File.ReadAllBytesAsync(StateFile);
        damaged[^5] ^= 0x01;
        await File.WriteAllBytesAsync(StateFile, damaged);
        _tmpfs.Fill();

        var error = await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await new ServiceSnapshotter(store).LoadAsync(new TestProvider(Service)).AsTask().WaitAsync(Patience));

        Assert.Multiple(() =>
        {
            Assert.That(error!.Path, Is.EqualTo(StateFile));
            Assert.That(error.PreservedCopyPath, Is.Null);
            Assert.That(error.Message, Does.Contain("could not be copied aside").And.Contain("No space left on device"));
            Assert.That(File.ReadAllBytes(StateFile), Is.EqualTo(damaged), "the damaged file stays in place as the evidence");
            Assert.That(TempFiles(), Is.Empty);
        });
    }

    private static string Incompressible(int seed, int bytes)
    {
        var data = new byte[bytes * 3 / 4];
        new Random(seed).NextBytes(data);
        return Convert.ToBase64String(data);
    }

    private static async Task MutateAsync(SnapshotManager manager, TestProvider provider, string item)
    {
        var scope = await manager.BeginRequestAsync(Service, mutating: true).AsTask().WaitAsync(Patience);
        provider.Add(item);
        await scope.DisposeAsync().AsTask().WaitAsync(Patience);
    }

    private string[] TempFiles() => Directory.GetFiles(StateDirectory, "*.tmp", SearchOption.AllDirectories);
}
