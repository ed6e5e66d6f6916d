using System.Security.Cryptography;
using System.Text;
using LocalStack.Persistence.Configuration;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Tests.Hosting;
using Microsoft.Extensions.Options;

namespace LocalStack.Persistence.Tests.State;

/// <summary>The blob members of <see cref="SnapshotContext"/>: when they may be called, and a save and load through them.</summary>
public sealed class SnapshotContextBlobTests : StoreTestBase
{
    private static readonly byte[] Content = Encoding.UTF8.GetBytes("object bytes");
    private static readonly string ContentId = Convert.ToHexStringLower(SHA256.HashData(Content));

    [Test]
    public async Task A_blob_stored_by_a_save_is_read_back_by_a_load_after_a_restart()
    {
        var source = Path.Combine(Store.GetWorkingDirectory("s3"), "object.bin");
        await File.WriteAllBytesAsync(source, Content);
        string? stored = null;
        var provider = new RecordingProvider("s3", []) { OnCapture = async (c, ct) => stored = await c.StoreBlobAsync(source, ct) };
        await Snapshotter.SaveAsync(provider);

        ReopenStore();
        byte[]? restored = null;
        var loaded = new RecordingProvider("s3", []) { OnRestore = async (c, ct) => restored = await File.ReadAllBytesAsync(c.GetBlobPath(stored!), ct) };
        await Snapshotter.LoadAsync(loaded);

        Assert.That(stored, Is.EqualTo(ContentId));
        Assert.That(restored, Is.EqualTo(Content));
    }

    [Test]
    public async Task StoreBlobAsync_outside_a_capture_throws_InvalidOperationException()
    {
        var provider = new RecordingProvider("s3", []);
        await Snapshotter.SaveAsync(provider);
        var finishedCapture = provider.LastContext!;

        Exception? duringLoad = null;
        var loading = new RecordingProvider("s3", []) { OnRestore = async (c, ct) => duringLoad = await CatchAsync(() => c.StoreBlobAsync(Content, ct).AsTask()) };
        await Snapshotter.LoadAsync(loading);
        await Snapshotter.ResetAsync(provider);
        var reset = provider.LastContext!;

        await Assert.MultipleAsync(async () =>
        {
            var closed = await CatchAsync(() => finishedCapture.StoreBlobAsync(Content).AsTask());
            Assert.That(closed, Is.TypeOf<InvalidOperationException>().With.Message.Contains("has finished"));
            Assert.That(duringLoad, Is.TypeOf<InvalidOperationException>().With.Message.Contains("only available during a save"));
            Assert.That(await CatchAsync(() => reset.StoreBlobAsync(Content).AsTask()), Is.TypeOf<InvalidOperationException>());
            Assert.That(await CatchAsync(() => reset.StoreBlobAsync("/etc/hostname").AsTask()), Is.TypeOf<InvalidOperationException>());
        });
        Assert.That(Directory.Exists(Path.Combine(StateDirectory, "s3", "blobs")), Is.False, "nothing stored");
    }

    [Test]
    public async Task GetBlobPath_outside_a_load_throws_InvalidOperationException()
    {
        Exception? duringCapture = null;
        var provider = new RecordingProvider("s3", [])
        {
            OnCapture = async (c, ct) =>
            {
                await c.StoreBlobAsync(Content, ct);
                duringCapture = Catch(() => c.GetBlobPath(ContentId));
            },
        };
        await Snapshotter.SaveAsync(provider);
        await Snapshotter.ResetAsync(provider);

        Assert.That(duringCapture, Is.TypeOf<InvalidOperationException>().With.Message.Contains("only available during a load"));
        Assert.That(() => provider.LastContext!.GetBlobPath(ContentId), Throws.InvalidOperationException);
    }

    [Test]
    public async Task A_blob_asked_for_twice_in_one_load_is_hashed_once()
    {
        var provider = new RecordingProvider("s3", []) { OnCapture = async (c, ct) => await c.StoreBlobAsync(Content, ct) };
        await Snapshotter.SaveAsync(provider);
        var blob = Path.Combine(StateDirectory, "s3", "blobs", ContentId[..2], ContentId);

        string? second = null;
        var loaded = new RecordingProvider("s3", [])
        {
            OnRestore = (c, _) =>
            {
                var first = c.GetBlobPath(ContentId);

                // Damage it between the two calls: only a check made again would see it.
                File.WriteAllText(first, "damaged");
                second = c.GetBlobPath(ContentId);
                return default;
            },
        };
        await Snapshotter.LoadAsync(loaded);

        Assert.That(second, Is.EqualTo(blob));
        var nextLoad = new RecordingProvider("s3", []) { OnRestore = (c, _) => { c.GetBlobPath(ContentId); return default; } };
        await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await Snapshotter.LoadAsync(nextLoad));
    }

    [TestCase("../../../../../../etc/passwd")]
    [TestCase("")]
    [TestCase("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef")]
    [TestCase("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde")]
    [TestCase("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0")]
    [TestCase("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg")]
    [TestCase("/123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public async Task An_id_that_is_not_a_blob_id_is_refused_before_any_file_is_touched(string id)
    {
        await Snapshotter.SaveAsync(new RecordingProvider("s3", []));
        Exception? error = null;
        var loaded = new RecordingProvider("s3", []) { OnRestore = (c, _) => { error = Catch(() => c.GetBlobPath(id)); return default; } };
        await Snapshotter.LoadAsync(loaded);

        Assert.That(SnapshotContext.IsValidBlobId(id), Is.False);
        Assert.That(error, Is.TypeOf<ArgumentException>().With.Message.Contains("not a blob id"));
    }

    [Test]
    public void Valid_blob_ids_are_64_lower_case_hex_characters()
    {
        Assert.That(SnapshotContext.IsValidBlobId(ContentId), Is.True);
        Assert.That(SnapshotContext.IsValidBlobId(new string('0', 64)), Is.True);
        Assert.That(SnapshotContext.IsValidBlobId(null), Is.False);
    }

    [Test]
    public async Task Blobs_need_the_file_system_store_and_another_store_is_refused_clearly()
    {
        using var other = new CountingStore(Options.Create(new SnapshotPersistenceOptions { StateDirectory = Path.Combine(StateDirectory, "other") }));
        Exception? error = null;
        var provider = new RecordingProvider("s3", []) { OnCapture = async (c, ct) => error = await CatchAsync(() => c.StoreBlobAsync(Content, ct).AsTask()) };

        await new ServiceSnapshotter(other).SaveAsync(provider);

        Assert.That(error, Is.TypeOf<NotSupportedException>().With.Message.Contains("FileSystemSnapshotStore").And.Message.Contains(nameof(CountingStore)));
    }

    private static Exception? Catch(Func<string> action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    private static async Task<Exception?> CatchAsync<T>(Func<Task<T>> action)
    {
        try
        {
            await action();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }
}
