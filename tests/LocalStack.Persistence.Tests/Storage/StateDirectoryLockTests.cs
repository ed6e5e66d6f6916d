using System.Globalization;
using System.Text;
using LocalStack.Persistence.Storage.Internal;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Tests.Storage;

/// <summary>Reliability case 10: one process per state folder; a SIGKILLed holder does not block the next start.</summary>
public sealed class StateDirectoryLockTests
{
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(30);

    private string _root = null!;

    private string StateDirectory => Path.Combine(_root, "state");

    private string LockFile => Path.Combine(StateDirectory, ".lock");

    [SetUp]
    public void CreateRoot() => _root = Directory.CreateTempSubdirectory("lsp-lock-").FullName;

    [TearDown]
    public void DeleteRoot() => Directory.Delete(_root, recursive: true);

    [Test]
    public void A_second_store_in_the_same_process_fails_fast_naming_this_process()
    {
        using (Open())
        {
            var error = Assert.Throws<StateDirectoryLockedException>(() => Open());

            Assert.That(error!.HolderProcessId, Is.EqualTo(Environment.ProcessId));
            Assert.That(error.StateDirectory, Is.EqualTo(StateDirectory));
            Assert.That(error.Message, Does.Contain($"locked by process {Environment.ProcessId}"));
        }

        using var next = Open();
        Assert.That(ReadLockFile(), Is.EqualTo($"{Environment.ProcessId}\n"));
    }

    [Test]
    public async Task A_store_that_cannot_take_the_lock_leaves_the_holders_temp_files_alone()
    {
        using var holder = Open();
        await holder.WriteAsync("s3", 1, StoreTestData.Json("s3"));
        var inFlight = Path.Combine(StateDirectory, "api_states", "s3", "store.state.0123456789abcdef0123456789abcdef.tmp");
        File.WriteAllText(inFlight, "a write in progress");

        Assert.Throws<StateDirectoryLockedException>(() => Open());

        Assert.That(File.Exists(inFlight), Is.True);
    }

    [Test]
    public async Task Another_process_holding_the_folder_is_named_and_its_SIGKILL_frees_the_folder()
    {
        using var child = CrashChildProcess.Start("hold-lock", StateDirectory);
        var line = await child.ReadLineAsync(ChildTimeout);
        Assert.That(line, Is.EqualTo($"locked {child.Id}"));

        var error = Assert.Throws<StateDirectoryLockedException>(() => Open());

        Assert.That(error!.HolderProcessId, Is.EqualTo(child.Id));
        Assert.That(error.Message, Does.Contain(child.Id.ToString(CultureInfo.InvariantCulture)));

        await child.KillAsync();
        Assert.That(child.ExitCode, Is.EqualTo(128 + 9), "killed by SIGKILL");
        Assert.That(ReadLockFile(), Is.EqualTo($"{child.Id}\n"), "the dead holder's .lock is left behind");

        using var next = Open();
        Assert.That(ReadLockFile(), Is.EqualTo($"{Environment.ProcessId}\n"));
    }

    [Test]
    public async Task A_holder_that_stops_gracefully_releases_the_folder()
    {
        using var child = CrashChildProcess.Start("hold-lock", StateDirectory);
        await child.ReadLineAsync(ChildTimeout);

        await child.CloseInputAndWaitAsync(ChildTimeout);

        Assert.That(child.ExitCode, Is.Zero, child.StandardError);
        using var next = Open();
    }

    [Test]
    public void A_stale_lock_file_does_not_prevent_a_start()
    {
        Directory.CreateDirectory(StateDirectory);
        File.WriteAllText(LockFile, "999999999\nleftover junk from a crashed process");

        using var store = Open();

        Assert.That(ReadLockFile(), Is.EqualTo($"{Environment.ProcessId}\n"));
    }

    private FileSystemSnapshotStore Open() => new(new FileSystemSnapshotStoreOptions { StateDirectory = StateDirectory });

    // .NET's own read would take flock(LOCK_SH) and fail against a live holder.
    private string ReadLockFile() => Encoding.ASCII.GetString(LinuxNative.TryReadPrefix(LockFile, 64)!);
}
