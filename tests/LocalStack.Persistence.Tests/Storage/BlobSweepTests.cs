using System.Text;
using LocalStack.Persistence.Coordination;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Tests.State;

namespace LocalStack.Persistence.Tests.Storage;

/// <summary>
/// Garbage collection of blobs: a sweep removes what no committed snapshot references, and never a blob a save that
/// runs at the same time is about to reference (pinned by its capture, or stored or reused while the sweep runs).
/// </summary>
public sealed class BlobSweepTests : BlobStoreTestBase
{
    private static readonly IReadOnlySet<string> Nothing = new HashSet<string>();

    [Test]
    public async Task A_sweep_removes_the_blobs_outside_the_live_set_and_leftover_temp_files_and_keeps_the_rest()
    {
        var store = Open();
        var ids = await SaveAsync(store, Bytes("live"), Bytes("garbage 1"), Bytes("garbage 2"));
        var leftover = TempBeside(ids[1]);
        await File.WriteAllTextAsync(leftover, "garbage 1");
        var foreign = Path.Combine(Path.GetDirectoryName(BlobPath(ids[0]))!, "operator-notes.txt");
        await File.WriteAllTextAsync(foreign, "not ours");

        var removed = await store.SweepBlobsAsync(Service, Live(ids[0]), CancellationToken.None);

        Assert.That(removed, Is.EqualTo(3));
        Assert.That(BlobFiles(), Is.EquivalentTo(new[] { BlobPath(ids[0]), foreign }));
    }

    [Test]
    public async Task A_blob_pinned_by_a_capture_not_yet_committed_survives_a_sweep_and_goes_once_the_save_is_abandoned()
    {
        var store = Open();
        var snapshotter = new ServiceSnapshotter(store);
        var pending = await CaptureAsync(snapshotter, Bytes("pinned"));
        var id = Sha(Encoding.UTF8.GetBytes("pinned"));
        var inFlight = TempBeside(id);
        await File.WriteAllTextAsync(inFlight, "a write of the pinned blob in progress");

        Assert.That(await store.SweepBlobsAsync(Service, Live(), CancellationToken.None), Is.Zero);
        Assert.That(File.Exists(BlobPath(id)), Is.True);
        Assert.That(File.Exists(inFlight), Is.True, "the temp file of a pinned blob is a write in progress");

        await pending.DisposeAsync();

        Assert.That(await store.SweepBlobsAsync(Service, Live(), CancellationToken.None), Is.EqualTo(2));
        Assert.That(BlobFiles(), Is.Empty);
    }

    [Test]
    public async Task A_blob_stored_or_reused_while_the_sweep_reads_the_live_set_survives()
    {
        var store = Open();
        var snapshotter = new ServiceSnapshotter(store);
        var ids = await SaveAsync(store, Bytes("reused"), Bytes("garbage"));

        // The live set is read before the save below commits, so it names neither of its blobs; the sweep must keep
        // them anyway: one is new, the other an unreferenced blob that the save reuses (a deduplication hit).
        var removed = await store.SweepBlobsAsync(
            Service,
            async ct =>
            {
                var committed = await BlobSaves.SaveAsync(snapshotter, Service, Bytes("reused"), Bytes("new"));
                ids.AddRange(committed);
                return Nothing;
            },
            CancellationToken.None);

        Assert.That(removed, Is.EqualTo(1));
        Assert.That(BlobFiles(), Is.EquivalentTo(new[] { BlobPath(ids[0]), BlobPath(ids[3]) }));
        Assert.That(ids[2], Is.EqualTo(ids[0]));
    }

    [Test]
    public async Task A_blob_pinned_when_the_sweep_started_survives_when_its_save_commits_before_the_sweep_looks()
    {
        var store = Open();
        var snapshotter = new ServiceSnapshotter(store);
        var pending = await CaptureAsync(snapshotter, Bytes("committed during the sweep"));

        var removed = await store.SweepBlobsAsync(
            Service,
            async ct =>
            {
                await snapshotter.CommitAsync(pending, ct);
                return Nothing; // read before the commit
            },
            CancellationToken.None);

        Assert.That(removed, Is.Zero);
        Assert.That(File.Exists(BlobPath(Sha(Encoding.UTF8.GetBytes("committed during the sweep")))), Is.True);
    }

    [Test]
    public async Task Blobs_are_unpinned_when_their_save_commits_fails_or_its_capture_fails()
    {
        var store = Open();
        var snapshotter = new ServiceSnapshotter(store);
        await SaveAsync(store, Bytes("committed"));

        var failingWrite = new RecordingProvider(Service, []) { FailWrite = true, OnCapture = async (c, ct) => await c.StoreBlobAsync(Encoding.UTF8.GetBytes("write failed"), ct) };
        await Assert.ThrowsAsync<IOException>(async () => await snapshotter.SaveAsync(failingWrite));

        var failingCapture = new RecordingProvider(Service, [])
        {
            OnCapture = async (c, ct) =>
            {
                await c.StoreBlobAsync(Encoding.UTF8.GetBytes("capture failed"), ct);
                throw new InvalidOperationException("the provider failed after storing a blob");
            },
        };
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await snapshotter.SaveAsync(failingCapture));
        Assert.That(BlobFiles(), Has.Length.EqualTo(3));

        Assert.That(await store.SweepBlobsAsync(Service, Live(), CancellationToken.None), Is.EqualTo(3), "no pin is left behind");
    }

    [Test]
    public async Task A_blob_removed_by_a_sweep_is_stored_again_by_the_next_save_of_the_same_bytes()
    {
        var store = Open();
        var id = (await SaveAsync(store, Bytes("again")))[0];
        Assert.That(await store.SweepBlobsAsync(Service, Live(), CancellationToken.None), Is.EqualTo(1));

        await SaveAsync(store, Bytes("again"));

        Assert.That(await LoadAsync(store, c => c.GetBlobPath(id)), Is.EqualTo(BlobPath(id)));
    }

    [Test]
    public async Task A_sweep_of_a_service_without_blobs_removes_nothing()
    {
        var store = Open();
        Assert.That(await store.SweepBlobsAsync(Service, Live(), CancellationToken.None), Is.Zero);
    }

    private static Func<SnapshotContext, ValueTask<string>> Bytes(string text) => c => c.StoreBlobAsync(Encoding.UTF8.GetBytes(text));

    private static Func<CancellationToken, ValueTask<IReadOnlySet<string>>> Live(params string[] ids)
        => _ => ValueTask.FromResult<IReadOnlySet<string>>(ids.ToHashSet(StringComparer.Ordinal));

    private static async Task<PendingSnapshot> CaptureAsync(ServiceSnapshotter snapshotter, Func<SnapshotContext, ValueTask<string>> blob)
    {
        var provider = new RecordingProvider(Service, []) { OnCapture = async (c, _) => await blob(c) };
        return await snapshotter.CaptureAsync(provider);
    }

    private string TempBeside(string id) => $"{BlobPath(id)}.0123456789abcdef0123456789abcdef.tmp";
}
