using System.Security.Cryptography;
using LocalStack.Persistence.State;
using LocalStack.Persistence.Storage;
using LocalStack.Persistence.Storage.Internal;
using LocalStack.Persistence.Tests.State;

namespace LocalStack.Persistence.Tests.Storage;

/// <summary>A fresh state folder per test, real <see cref="FileSystemSnapshotStore"/>s on it, and saves and loads that use blobs.</summary>
public abstract class BlobStoreTestBase
{
    protected const string Service = "s3";

    private readonly List<FileSystemSnapshotStore> _stores = [];
    private string _root = null!;

    protected string StateDirectory => Path.Combine(_root, "state");

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

    protected static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    protected string BlobPath(string id, string serviceName = Service) => Path.Combine(StateDirectory, serviceName, "blobs", id[..2], id);

    protected string[] BlobFiles()
    {
        var blobs = Path.Combine(StateDirectory, Service, "blobs");
        return Directory.Exists(blobs) ? Directory.GetFiles(blobs, "*", SearchOption.AllDirectories) : [];
    }

    private protected FileSystemSnapshotStore Open(IStoreFileSystem? fileSystem = null)
    {
        var store = new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = StateDirectory }, null, fileSystem ?? StoreFileSystem.Instance);
        _stores.Add(store);
        return store;
    }

    protected FileSystemSnapshotStore Reopen(FileSystemSnapshotStore store)
    {
        store.Dispose();
        _stores.Remove(store);
        return Open();
    }

    protected static Task<List<string>> SaveAsync(ISnapshotStore store, params Func<SnapshotContext, ValueTask<string>>[] blobs)
        => BlobSaves.SaveAsync(new ServiceSnapshotter(store), Service, blobs);

    protected static Task<List<string>> SaveAsync(ISnapshotStore store, Func<SnapshotContext, ValueTask<string>> blob, string serviceName)
        => BlobSaves.SaveAsync(new ServiceSnapshotter(store), serviceName, blob);

    protected static async Task<string> LoadAsync(ISnapshotStore store, Func<SnapshotContext, string> read)
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
