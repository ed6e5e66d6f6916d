using System.Globalization;
using System.Text;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Tests.Support;

namespace LocalStack.Persistence.Tests.Storage;

/// <summary>
/// Blobs under SIGKILL: a child process (<c>blob-save-loop</c>) stores new and reused blobs, commits and sweeps in a loop
/// and is killed at random moments. After each kill a fresh store opens the folder: no temp blob file is left, and the
/// loaded save, never older than the last acknowledged one, finds every blob it references whole (hash checked).
/// </summary>
[NonParallelizable]
public sealed class BlobKillTests
{
    private const int Rounds = 20;
    private static readonly TimeSpan LineTimeout = TimeSpan.FromSeconds(60);

    [Test]
    public async Task Kills_while_blobs_are_stored_committed_and_swept_leave_every_blob_of_the_loaded_save_whole_and_no_temp_file()
    {
        using var dir = new TempDirectory();
        var seed = Environment.TickCount;
        var random = new Random(seed);
        TestContext.Out.WriteLine($"seed {seed}");
        long lastAck = 0;
        var tempsLeftByKills = 0;
        var blobsVerified = 0;

        for (var round = 0; round < Rounds; round++)
        {
            using (var child = CrashChildProcess.Start("blob-save-loop", dir.Path, (seed + round).ToString(CultureInfo.InvariantCulture)))
            {
                Assert.That(await child.ReadLineAsync(LineTimeout), Does.StartWith("ready "), child.StandardError);
                for (var captures = random.Next(1, 4); captures > 0; captures--)
                {
                    Assert.That(await child.ReadLineAsync(LineTimeout), Does.StartWith("stored "), child.StandardError);
                }

                // A random moment: in the commit of the last capture, between saves, in a sweep or in the next capture.
                await Task.Delay(random.Next(0, 40));
                await child.KillAsync();
                lastAck = Math.Max(lastAck, child.LastAcknowledged);
            }

            tempsLeftByKills += TempBlobFiles(dir.Path).Length;
            using var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = dir.Path });
            Assert.That(TempBlobFiles(dir.Path), Is.Empty, $"round {round}: temp blob files after opening");

            var provider = new BlobIdsProvider();
            var loaded = await new ServiceSnapshotter(store).LoadAsync(provider);
            Assert.That(loaded, Is.Not.Null, $"round {round}: a save was acknowledged, so there is a snapshot");
            Assert.That(loaded!.Generation, Is.GreaterThanOrEqualTo(lastAck), $"round {round}: the loaded save is older than the last acknowledged one");
            Assert.That(provider.Verified, Is.Not.Empty);
            blobsVerified += provider.Verified.Count;
        }

        TestContext.Out.WriteLine($"{Rounds} kills; last acknowledged generation {lastAck}; temp blob files left by kills {tempsLeftByKills} (all removed at start-up); blobs verified on load {blobsVerified}");
    }

    private static string[] TempBlobFiles(string stateDirectory)
    {
        var blobs = Path.Combine(stateDirectory, "blobcrash", "blobs");
        return Directory.Exists(blobs) ? Directory.GetFiles(blobs, "*.tmp", SearchOption.AllDirectories) : [];
    }

    /// <summary>Loads the child's state (blob ids, one per line) and asks for every blob, which checks its hash.</summary>
    private sealed class BlobIdsProvider : IServiceStateProvider
    {
        public string ServiceName => "blobcrash";

        public int SchemaVersion => 1;

        public List<string> Verified { get; } = [];

        public ValueTask<IStateCapture> CaptureAsync(SnapshotContext context, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public async ValueTask RestoreAsync(SnapshotPayload payload, SnapshotContext context, CancellationToken cancellationToken = default)
        {
            using var reader = new StreamReader(payload.Content, Encoding.UTF8);
            foreach (var id in (await reader.ReadToEndAsync(cancellationToken)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                Assert.That(File.Exists(context.GetBlobPath(id)), Is.True);
                Verified.Add(id);
            }
        }

        public ValueTask ResetAsync(SnapshotContext context, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
