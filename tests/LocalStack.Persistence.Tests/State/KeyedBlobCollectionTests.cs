using System.Text;
using System.Text.Json;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Tests.State;

public sealed class KeyedBlobCollectionTests : StoreTestBase
{
    private string BlobsFolder => Path.Combine(StateDirectory, "files", "blobs");

    private string[] BlobFiles => Directory.Exists(BlobsFolder) ? [.. Directory.GetFiles(BlobsFolder, "*", SearchOption.AllDirectories).Select(Path.GetFileName)!] : [];

    private static string IdOf(string content) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(content)));

    [Test]
    public async Task After_a_compaction_the_blobs_of_removed_and_replaced_records_are_collected_and_referenced_ones_stay()
    {
        var provider = new BlobFilesProvider();
        provider.Set("a", "first a");
        provider.Set("b", "b stays");
        await Snapshotter.SaveAsync(provider);
        provider.Set("a", "second a");
        await Snapshotter.SaveAsync(provider);
        provider.Remove("b");
        provider.Set("c", "new c");
        await Snapshotter.SaveAsync(provider);
        Assert.That(BlobFiles, Is.EquivalentTo(new[] { IdOf("first a"), IdOf("b stays"), IdOf("second a"), IdOf("new c") }));

        Assert.That(await Snapshotter.CollectBlobsAsync("files", CancellationToken.None), Is.Zero, "before a compaction every blob is referenced by some record of the chain");
        await Snapshotter.CompactAsync("files", CancellationToken.None, intoBase: true);
        var removed = await Snapshotter.CollectBlobsAsync("files", CancellationToken.None);

        Assert.That(removed, Is.EqualTo(2));
        Assert.That(BlobFiles, Is.EquivalentTo(new[] { IdOf("second a"), IdOf("new c") }));
        ReopenStore();
        var restored = new BlobFilesProvider();
        await Snapshotter.LoadAsync(restored);
        Assert.That(restored.Items, Is.EquivalentTo(provider.Items));
    }

    [Test]
    public async Task A_blob_stored_by_a_save_that_never_committed_is_collected_after_the_next_load()
    {
        var provider = new BlobFilesProvider();
        provider.Set("a", "committed");
        await Snapshotter.SaveAsync(provider);

        // A killed save: its blob is on disk, its delta never renamed.
        provider.Set("b", "never committed");
        var pending = await Snapshotter.CaptureAsync(provider);
        pending.Context.FlushBlobs(CancellationToken.None);
        Assert.That(BlobFiles, Has.Member(IdOf("never committed")));
        ReopenStore();

        var restored = new BlobFilesProvider();
        await Snapshotter.LoadAsync(restored);
        await Snapshotter.WhenCompactionsDoneAsync();

        Assert.That(BlobFiles, Is.EquivalentTo(new[] { IdOf("committed") }), "0 unreferenced files after a restart and one collection");
        Assert.That(restored.Items, Is.EquivalentTo(new Dictionary<string, string> { ["a"] = "committed" }));
    }

    [Test]
    public async Task A_missing_blob_faults_the_load_naming_it()
    {
        var provider = new BlobFilesProvider();
        provider.Set("a", "content");
        await Snapshotter.SaveAsync(provider);
        var blob = Directory.GetFiles(BlobsFolder, IdOf("content"), SearchOption.AllDirectories).Single();
        File.Delete(blob);
        ReopenStore();

        var error = (await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await Snapshotter.LoadAsync(new BlobFilesProvider())))!;
        Assert.That(error.Path, Is.EqualTo(blob));
    }

    /// <summary>Records whose values live in blobs: the record holds the blob id, the blob the text.</summary>
    private sealed class BlobFilesProvider() : KeyedStateProvider("files")
    {
        private readonly Dictionary<string, string> _ids = new(StringComparer.Ordinal);

        public Dictionary<string, string> Items { get; } = new(StringComparer.Ordinal);

        public void Set(string key, string value)
        {
            Items[key] = value;
            _ids.Remove(key);
            MarkChanged(key);
        }

        public void Remove(string key)
        {
            Items.Remove(key);
            _ids.Remove(key);
            MarkChanged(key);
        }

        protected override async ValueTask OnCapturingAsync(SnapshotContext context, IReadOnlyCollection<string>? changedKeys, CancellationToken cancellationToken)
        {
            foreach (var key in changedKeys ?? Items.Keys)
            {
                if (Items.TryGetValue(key, out var value) && !_ids.ContainsKey(key))
                {
                    _ids[key] = await context.StoreBlobAsync(Encoding.UTF8.GetBytes(value), cancellationToken);
                }
            }
        }

        protected override IEnumerable<string> GetKeys() => Items.Keys;

        protected override bool TryWriteValue(string key, KeyedValueWriter writer)
        {
            if (!_ids.TryGetValue(key, out var id))
            {
                return false;
            }

            writer.Json.WriteStringValue(id);
            writer.ReferenceBlob(id);
            return true;
        }

        protected override void Clear()
        {
            Items.Clear();
            _ids.Clear();
        }

        protected override void ApplyValue(string key, ReadOnlySpan<byte> utf8Json, SnapshotContext context)
        {
            var id = JsonSerializer.Deserialize<string>(utf8Json)!;
            Items[key] = File.ReadAllText(context.GetBlobPath(id));
            _ids[key] = id;
        }

        protected override void ApplyRemoval(string key, SnapshotContext context)
        {
            Items.Remove(key);
            _ids.Remove(key);
        }
    }
}
