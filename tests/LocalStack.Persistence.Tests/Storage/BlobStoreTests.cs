using System.Security.Cryptography;
using System.Text;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Storage.Internal;
using LocalStack.Persistence.Tests.State;

namespace LocalStack.Persistence.Tests.Storage;

/// <summary>Content-addressed blobs of <see cref="FileSystemSnapshotStore"/>: layout, deduplication, durability, damage, links, deletion.</summary>
public sealed class BlobStoreTests
{
    private const string Service = "s3";

    private readonly List<FileSystemSnapshotStore> _stores = [];
    private string _root = null!;

    private string StateDirectory => Path.Combine(_root, "state");

    [SetUp]
    public void CreateFolder() => _root = Directory.CreateTempSubdirectory("lsp-blobs-").FullName;

    [TearDown]
    public void DeleteFolder()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

        _stores.Clear();
        Directory.Delete(_root, recursive: true);
    }

    [Test]
    public async Task Identical_bytes_are_stored_once_under_their_sha256_in_a_shard_folder()
    {
        var store = Open();
        var bytes = Encoding.UTF8.GetBytes("the same bytes");
        var source = Path.Combine(store.GetWorkingDirectory(Service), "object.bin");
        await File.WriteAllBytesAsync(source, bytes);

        var ids = await SaveAsync(store, c => c.StoreBlobAsync(bytes), c => c.StoreBlobAsync(source), c => c.StoreBlobAsync(bytes.AsMemory()));
        var again = await SaveAsync(store, c => c.StoreBlobAsync(source));

        var expected = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Assert.Multiple(() =>
        {
            Assert.That(ids, Is.EqualTo(new[] { expected, expected, expected }));
            Assert.That(again, Is.EqualTo(new[] { expected }));
            Assert.That(BlobFiles(), Is.EqualTo(new[] { BlobPath(expected) }), "one file, in blobs/<first 2 hex>/<64 hex>");
            Assert.That(BlobPath(expected), Is.EqualTo(Path.Combine(StateDirectory, Service, "blobs", expected[..2], expected)));
        });
        Assert.That(await File.ReadAllBytesAsync(BlobPath(expected)), Is.EqualTo(bytes));
    }

    [Test]
    public async Task A_blob_of_a_file_is_a_hard_link_to_it_on_the_same_file_system()
    {
        var store = Open();
        var source = Path.Combine(store.GetWorkingDirectory(Service), "object.bin");
        await File.WriteAllTextAsync(source, "linked");

        var id = (await SaveAsync(store, c => c.StoreBlobAsync(source)))[0];

        Assert.That(LinuxNative.TryGetFileStamp(source, out var sourceStamp), "statx");
        LinuxNative.TryGetFileStamp(BlobPath(id), out var blob);
        Assert.That(blob.Id, Is.EqualTo(sourceStamp.Id), "same inode: a hard link, not a copy");
        Assert.That(blob.LinkCount, Is.EqualTo(2));
    }

    [Test]
    public async Task A_blob_of_a_file_on_another_file_system_is_a_copy()
    {
        // /dev/shm is a tmpfs, another file system than the temp folder: link() fails with EXDEV.
        Assert.That(Directory.Exists("/dev/shm"), "this test needs /dev/shm (tmpfs)");
        var source = Path.Combine("/dev/shm", $"lsp-blob-{Guid.NewGuid():N}.bin");
        try
        {
            await File.WriteAllTextAsync(source, "from tmpfs");
            var store = Open();

            var id = (await SaveAsync(store, c => c.StoreBlobAsync(source)))[0];
            await File.AppendAllTextAsync(source, " and changed in place");

            LinuxNative.TryGetFileStamp(BlobPath(id), out var blob);
            Assert.That(blob.LinkCount, Is.EqualTo(1));
            Assert.That(await File.ReadAllTextAsync(BlobPath(id)), Is.EqualTo("from tmpfs"));
        }
        finally
        {
            File.Delete(source);
        }
    }

    [Test]
    public async Task The_blob_file_and_its_folders_are_durable_before_the_state_file_is_committed()
    {
        var fileSystem = new RecordingFileSystem();
        var store = Open(fileSystem);
        var source = Path.Combine(store.GetWorkingDirectory(Service), "object.bin");
        await File.WriteAllTextAsync(source, "linked");
        var blobs = Path.Combine(StateDirectory, Service, "blobs");
        fileSystem.Clear();

        var ids = await SaveAsync(store, c => c.StoreBlobAsync(Encoding.UTF8.GetBytes("in memory")), c => c.StoreBlobAsync(source));
        var first = fileSystem.Operations;
        fileSystem.Clear();
        await SaveAsync(store, c => c.StoreBlobAsync(Encoding.UTF8.GetBytes("in memory")));
        var second = fileSystem.Operations;

        var stateTemp = first.First(o => o.Name == RecordingFileSystem.CreateNewFileOp && o.Path.Contains("store.state", StringComparison.Ordinal));
        int At(IReadOnlyList<FileSystemOperation> ops, Func<FileSystemOperation, bool> match) => ops.ToList().FindIndex(o => match(o));
        var stateCreated = At(first, o => o == stateTemp);
        foreach (var id in ids)
        {
            var shard = Path.GetDirectoryName(BlobPath(id))!;
            var moved = At(first, o => o.Name == RecordingFileSystem.MoveOp && o.Destination == BlobPath(id));
            var tempFlushed = At(first, o => o.Name is RecordingFileSystem.FlushToDiskOp or RecordingFileSystem.FlushFileToDiskOp && o.Path == first[moved].Path);
            var shardFlushed = At(first, o => o.Name == RecordingFileSystem.FlushDirectoryOp && o.Path == shard);
            Assert.That(Path.GetFileName(first[moved].Path), Does.Match($"^{id}\\.[0-9a-f]{{32}}\\.tmp$"), "a temp name in the blob's folder");
            Assert.That(Path.GetDirectoryName(first[moved].Path), Is.EqualTo(shard));
            Assert.That(tempFlushed, Is.GreaterThanOrEqualTo(0).And.LessThan(moved), "the blob file is fsynced before its rename");
            Assert.That(shardFlushed, Is.GreaterThan(moved).And.LessThan(stateCreated), "its folder is fsynced before the state file is written");
        }

        Assert.That(At(first, o => o.Name == RecordingFileSystem.FlushDirectoryOp && o.Path == blobs), Is.GreaterThanOrEqualTo(0).And.LessThan(stateCreated), "blobs/ is fsynced for the new shard folders");

        // Reusing a stored blob writes nothing; its folder is still fsynced (a killed process may have left it unsynced), blobs/ is not.
        var reused = BlobPath(ids[0]);
        Assert.That(second.Where(o => o.Path.StartsWith(blobs, StringComparison.Ordinal)), Is.EqualTo(new[]
        {
            new FileSystemOperation(RecordingFileSystem.FlushDirectoryOp, Path.GetDirectoryName(reused)!),
        }));
    }

    [Test]
    public async Task A_temp_blob_left_by_a_killed_writer_is_removed_at_start_up_and_never_served()
    {
        var store = Open();
        var kept = Encoding.UTF8.GetBytes("committed");
        var keptId = (await SaveAsync(store, c => c.StoreBlobAsync(kept)))[0];

        // What a writer killed between its write and its rename leaves: a complete temp file, and a torn one.
        var lost = Encoding.UTF8.GetBytes("never renamed");
        var lostId = Sha(lost);
        var lostShard = Directory.CreateDirectory(Path.GetDirectoryName(BlobPath(lostId))!).FullName;
        var complete = Path.Combine(lostShard, $"{lostId}.0123456789abcdef0123456789abcdef.tmp");
        var torn = Path.Combine(Path.GetDirectoryName(BlobPath(keptId))!, $"{keptId}.fedcba9876543210fedcba9876543210.tmp");
        await File.WriteAllBytesAsync(complete, lost);
        await File.WriteAllBytesAsync(torn, kept[..3]);
        var foreign = Path.Combine(lostShard, "operator-notes.txt");
        await File.WriteAllTextAsync(foreign, "not ours");

        store = Reopen(store);

        Assert.That(File.Exists(complete) || File.Exists(torn), Is.False, "temp blob files are removed at start-up");
        Assert.That(File.Exists(foreign), Is.True, "only the store's own temp files are removed");
        var error = await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await LoadAsync(store, c => c.GetBlobPath(lostId)));
        Assert.That(error!.Path, Is.EqualTo(BlobPath(lostId)));
        Assert.That(await LoadAsync(store, c => c.GetBlobPath(keptId)), Is.EqualTo(BlobPath(keptId)));
    }

    [Test]
    public async Task A_damaged_blob_is_refused_on_load_naming_the_file()
    {
        var store = Open();
        var id = (await SaveAsync(store, c => c.StoreBlobAsync(Encoding.UTF8.GetBytes("precious bytes"))))[0];
        var bytes = await File.ReadAllBytesAsync(BlobPath(id));
        bytes[5] ^= 0x01;
        await File.WriteAllBytesAsync(BlobPath(id), bytes);

        var error = await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await LoadAsync(store, c => c.GetBlobPath(id)));

        Assert.That(error!.Path, Is.EqualTo(BlobPath(id)));
        Assert.That(error.Message, Does.Contain(BlobPath(id)).And.Contain($"hash to {Sha(bytes)}, not to {id}").And.Contain("damaged"));
    }

    [Test]
    public async Task A_missing_blob_is_refused_on_load_naming_the_file()
    {
        var store = Open();
        var id = (await SaveAsync(store, c => c.StoreBlobAsync(Encoding.UTF8.GetBytes("soon gone"))))[0];
        File.Delete(BlobPath(id));

        var error = await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await LoadAsync(store, c => c.GetBlobPath(id)));

        Assert.That(error!.Path, Is.EqualTo(BlobPath(id)));
        Assert.That(error.Message, Does.Contain($"references blob {id}").And.Contain("does not exist"));
    }

    [Test]
    public async Task A_truncated_blob_is_replaced_when_a_save_stores_the_same_bytes_again()
    {
        var store = Open();
        var bytes = Encoding.UTF8.GetBytes("bytes that get truncated on disk");
        var id = (await SaveAsync(store, c => c.StoreBlobAsync(bytes)))[0];
        await File.WriteAllBytesAsync(BlobPath(id), bytes[..4]);

        await SaveAsync(store, c => c.StoreBlobAsync(bytes));

        Assert.That(await File.ReadAllBytesAsync(BlobPath(id)), Is.EqualTo(bytes));
        Assert.That(await LoadAsync(store, c => c.GetBlobPath(id)), Is.EqualTo(BlobPath(id)));
    }

    [TestCase("file")]
    [TestCase("shard")]
    [TestCase("blobs")]
    public async Task A_symbolic_link_on_the_way_to_a_blob_is_refused_on_load_and_never_followed(string replaced)
    {
        var store = Open();
        var bytes = Encoding.UTF8.GetBytes("the real blob");
        var id = (await SaveAsync(store, c => c.StoreBlobAsync(bytes)))[0];

        // The link points at an exact copy outside the state folder: following it would pass the hash check.
        var outside = Directory.CreateTempSubdirectory("lsp-outside-").FullName;
        try
        {
            var blobs = Path.Combine(StateDirectory, Service, "blobs");
            var link = replaced switch { "file" => BlobPath(id), "shard" => Path.GetDirectoryName(BlobPath(id))!, _ => blobs };
            CopyTree(link, Path.Combine(outside, "copy"));
            if (replaced == "file")
            {
                File.Delete(link);
                File.CreateSymbolicLink(link, Path.Combine(outside, "copy"));
            }
            else
            {
                Directory.Delete(link, recursive: true);
                Directory.CreateSymbolicLink(link, Path.Combine(outside, "copy"));
            }

            var error = await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await LoadAsync(store, c => c.GetBlobPath(id)));

            Assert.That(error!.Path, Is.EqualTo(link));
            Assert.That(error.Message, Does.Contain("symbolic link").And.Contain("never followed"));
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Test]
    public async Task A_symbolic_link_in_place_of_a_shard_folder_is_refused_by_a_save_and_never_followed()
    {
        var store = Open();
        var bytes = Encoding.UTF8.GetBytes("to be stored");
        var id = Sha(bytes);
        var outside = Directory.CreateTempSubdirectory("lsp-outside-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(StateDirectory, Service, "blobs"));
            Directory.CreateSymbolicLink(Path.GetDirectoryName(BlobPath(id))!, outside);

            await Assert.ThrowsAsync<SnapshotException>(async () => await SaveAsync(store, c => c.StoreBlobAsync(bytes)));

            Assert.That(Directory.GetFileSystemEntries(outside), Is.Empty, "nothing written through the link");
            Assert.That(await store.GetMetadataAsync(Service), Is.Null, "the save did not commit");
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Test]
    public async Task The_blobs_folder_is_never_taken_for_a_generation_nor_removed_by_pruning()
    {
        var store = Open();
        var id = (await SaveAsync(store, c => c.StoreBlobAsync(Encoding.UTF8.GetBytes("kept"))))[0];
        var snapshotter = new ServiceSnapshotter(store);
        var provider = new RecordingProvider(Service, [])
        {
            OnCapture = async (c, ct) => await c.StageAsync("a.txt", async (p, t) => await File.WriteAllTextAsync(p, "asset", t), ct),
        };
        await snapshotter.SaveAsync(provider);
        var last = await snapshotter.SaveAsync(provider);
        await store.PruneAssetGenerationsAsync(Service, last.Generation);

        Assert.That(StateLayout.TryParseGeneration("blobs", out _), Is.False);
        Assert.That(File.Exists(BlobPath(id)), Is.True);
        Assert.That(Directory.GetDirectories(Path.Combine(StateDirectory, Service)).Select(Path.GetFileName), Is.EquivalentTo(new[] { "blobs", StateLayout.GenerationFolderName(last.Generation) }));
    }

    [Test]
    public async Task Deleting_a_service_removes_its_blobs_and_leaves_other_services_blobs()
    {
        var store = Open();
        var id = (await SaveAsync(store, c => c.StoreBlobAsync(Encoding.UTF8.GetBytes("s3 bytes"))))[0];
        var other = (await SaveAsync(store, c => c.StoreBlobAsync(Encoding.UTF8.GetBytes("sqs bytes")), "sqs"))[0];

        Assert.That(await store.DeleteAsync(Service), Is.True);

        Assert.That(Directory.Exists(Path.Combine(StateDirectory, Service, "blobs")), Is.False);
        Assert.That(File.Exists(BlobPath(other, "sqs")), Is.True);
        Assert.That(File.Exists(BlobPath(id)), Is.False);

        // The next save stores the blob again, durably, in a fresh folder.
        await SaveAsync(store, c => c.StoreBlobAsync(Encoding.UTF8.GetBytes("s3 bytes")));
        Assert.That(await LoadAsync(store, c => c.GetBlobPath(id)), Is.EqualTo(BlobPath(id)));
    }

    [Test]
    public async Task A_cancelled_store_leaves_no_temp_file_and_commits_nothing()
    {
        var store = Open();
        var source = Path.Combine(store.GetWorkingDirectory(Service), "object.bin");
        await File.WriteAllTextAsync(source, "bytes");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        Assert.That(
            async () => await SaveAsync(store, async c => await c.StoreBlobAsync(Encoding.UTF8.GetBytes("x"), cancelled.Token)),
            Throws.InstanceOf<OperationCanceledException>());
        Assert.That(
            async () => await SaveAsync(store, async c => await c.StoreBlobAsync(source, cancelled.Token)),
            Throws.InstanceOf<OperationCanceledException>());

        Assert.That(BlobFiles(), Is.Empty);
        Assert.That(await store.GetMetadataAsync(Service), Is.Null);
    }

    internal static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static void CopyTree(string source, string destination)
    {
        if (File.Exists(source))
        {
            File.Copy(source, destination);
            return;
        }

        Directory.CreateDirectory(destination);
        foreach (var entry in Directory.GetFileSystemEntries(source))
        {
            CopyTree(entry, Path.Combine(destination, Path.GetFileName(entry)));
        }
    }

    private string BlobPath(string id, string serviceName = Service) => Path.Combine(StateDirectory, serviceName, "blobs", id[..2], id);

    private string[] BlobFiles()
    {
        var blobs = Path.Combine(StateDirectory, Service, "blobs");
        return Directory.Exists(blobs) ? Directory.GetFiles(blobs, "*", SearchOption.AllDirectories) : [];
    }

    private FileSystemSnapshotStore Open(IStoreFileSystem? fileSystem = null)
    {
        var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = StateDirectory }, null, fileSystem ?? StoreFileSystem.Instance);
        _stores.Add(store);
        return store;
    }

    private FileSystemSnapshotStore Reopen(FileSystemSnapshotStore store)
    {
        store.Dispose();
        _stores.Remove(store);
        return Open();
    }

    private static Task<List<string>> SaveAsync(ISnapshotStore store, params Func<SnapshotContext, ValueTask<string>>[] blobs)
        => BlobSaves.SaveAsync(new ServiceSnapshotter(store), Service, blobs);

    private static Task<List<string>> SaveAsync(ISnapshotStore store, Func<SnapshotContext, ValueTask<string>> blob, string serviceName)
        => BlobSaves.SaveAsync(new ServiceSnapshotter(store), serviceName, blob);

    private static async Task<string> LoadAsync(ISnapshotStore store, Func<SnapshotContext, string> read)
    {
        string? result = null;
        var provider = new RecordingProvider(Service, []) { OnRestore = (c, _) => { result = read(c); return default; } };
        await new ServiceSnapshotter(store).LoadAsync(provider);
        return result!;
    }
}

/// <summary>Saves that store blobs through a real capture.</summary>
internal static class BlobSaves
{
    /// <summary>Saves a provider whose capture stores <paramref name="blobs"/> in order; returns their ids.</summary>
    public static async Task<List<string>> SaveAsync(ServiceSnapshotter snapshotter, string serviceName, params Func<SnapshotContext, ValueTask<string>>[] blobs)
    {
        var ids = new List<string>();
        var provider = new RecordingProvider(serviceName, [])
        {
            OnCapture = async (context, _) =>
            {
                foreach (var blob in blobs)
                {
                    ids.Add(await blob(context));
                }
            },
        };
        await snapshotter.SaveAsync(provider);
        return ids;
    }
}
