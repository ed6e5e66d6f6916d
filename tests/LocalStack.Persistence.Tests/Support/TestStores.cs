using LocalStack.Persistence.Storage;

namespace LocalStack.Persistence.Tests.Support;

/// <summary>The one place where State and Sqlite tests get a snapshot store, so that they run against the real one.</summary>
internal static class TestStores
{
    public static ISnapshotStore Create(string stateDirectory)
        => new FileSystemSnapshotStore(new FileSystemSnapshotStoreOptions { StateDirectory = stateDirectory });

    /// <summary>Releases a store (and the state folder's lock, for stores that take one).</summary>
    public static void Release(ISnapshotStore store) => (store as IDisposable)?.Dispose();
}
